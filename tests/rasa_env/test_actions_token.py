"""The actions token reaches the action endpoint in a header Rasa fills from its environment:
the line `balagh run` writes into endpoints.yml (bot/runner.py), read as Rasa 3.6 reads it."""

from pathlib import Path

import pytest
from rasa.utils.endpoints import read_endpoint_config

WRITTEN = """action_endpoint:
  url: http://127.0.0.1:8000/webhook
  headers:
    Authorization: Bearer ${BALAGH_ACTIONS_TOKEN}
"""


def test_rasa_sends_the_token_from_its_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BALAGH_ACTIONS_TOKEN", "the-token")
    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text(WRITTEN, encoding="utf-8")
    config = read_endpoint_config(str(endpoints), "action_endpoint")
    assert config is not None
    assert config.headers == {"Authorization": "Bearer the-token"}
    assert config.token is None  # nothing in the URL
