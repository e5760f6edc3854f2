"""Fixtures of the Rasa environment's tests."""

from collections.abc import Iterator

import pytest

from tests.redis_server import RedisServer, start_redis


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """A private redis-server (Debian's) for the module's tests."""
    running = start_redis(tmp_path_factory.mktemp("redis"))
    try:
        yield running
    finally:
        running.stop()
