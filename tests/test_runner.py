"""`balagh run` starts the demonstration system of record where the catalogue expects it, and
only for local use of the whole contact center with a catalogue that points at this machine."""

import asyncio
import gc
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI
from pydantic import SecretStr

from bot.collector import YOUNG_COLLECTION_EVERY
from bot.runner import _Server, demo_system_port
from bot.settings import Settings
from tests.transactions.conftest import catalogue_pointing_at


def test_the_demo_listens_on_the_port_of_the_catalogues_demo_system(tmp_path: Path):
    assert demo_system_port(Settings(), with_dialogue=True) == 8070
    moved = catalogue_pointing_at("http://localhost:18070", tmp_path)
    assert demo_system_port(Settings(catalogue_path=moved), with_dialogue=True) == 18070


def test_no_demo_for_a_real_system_or_outside_local_use(tmp_path: Path):
    real = catalogue_pointing_at("https://permits.alahsa.gov.sa", tmp_path)
    assert demo_system_port(Settings(catalogue_path=real), with_dialogue=True) is None
    production = Settings(environment="production", secret_key=SecretStr("x" * 48))
    assert demo_system_port(production, with_dialogue=True) is None


def test_no_demo_beside_a_replica():
    """`balagh run --no-dialogue` runs as one of several replicas: none claims the demo's port."""
    assert demo_system_port(Settings(), with_dialogue=False) is None


@pytest.fixture
def collector() -> Iterator[None]:
    """The test process's garbage collector as it was, whatever the test does to it."""
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


async def test_once_started_the_service_keeps_what_it_built_out_of_full_collections(
    collector: None,
) -> None:
    gc.unfreeze()
    app = FastAPI()
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning")
    server = _Server(config, app, drain_seconds=0)
    serving = asyncio.create_task(server.serve())
    try:
        for _ in range(200):
            if server.started:
                break
            await asyncio.sleep(0.05)
        assert server.started
        assert gc.get_freeze_count() > 10_000  # the modules, the app: what starting built
        assert gc.get_threshold()[0] == YOUNG_COLLECTION_EVERY
    finally:
        server.should_exit = True
        await serving
