"""The transactions under test: the demonstration system of record served over real HTTP on a
free port, and the service (tests/conftest.py) with its catalogue pointed at it."""

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.settings import ROOT, Settings
from bot.transactions.demo_system import create_app
from tests.servers import serve

CATALOGUE_DEMO_URL = "http://127.0.0.1:8070"  # where catalogue.yml expects `balagh run`'s demo
SLOW_SECONDS = 1.0  # how long the demo's slow transaction takes to answer…
BUDGET_SECONDS = 0.3  # …past the conversation's budget, within the connector's timeout (8 s)


def catalogue_pointing_at(
    url: str, folder: Path, replacements: dict[str, str] | None = None
) -> Path:
    """catalogue.yml with its demo system at `url` (and any other text replaced)."""
    text = (ROOT / "catalogue.yml").read_text(encoding="utf-8")
    assert CATALOGUE_DEMO_URL in text
    for old, new in {CATALOGUE_DEMO_URL: url, **(replacements or {})}.items():
        text = text.replace(old, new)
    path = folder / "catalogue.yml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
async def demo_system() -> AsyncIterator[str]:
    async with serve(create_app(slow_seconds=SLOW_SECONDS)) as url:
        yield url


@pytest.fixture
def settings(tmp_path: Path, demo_system: str) -> Settings:
    return Settings(
        store_url=f"sqlite:///{tmp_path / 'balagh.db'}",
        rasa_url="http://127.0.0.1:9",
        catalogue_path=catalogue_pointing_at(demo_system, tmp_path),
        transaction_answer_seconds=BUDGET_SECONDS,
        embedded_worker=False,
    )
