"""One `store` fixture over every backend, so the contract suite proves them alike."""

import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, cast
from uuid import uuid4

import pytest
from pymongo import AsyncMongoClient

from bot.store.base import Store
from bot.store.mongo import MongoStore
from bot.store.sqlite import SqliteStore
from tests.store.mongo_double import AsyncMongoClientDouble

Client = AsyncMongoClient[dict[str, Any]]


@pytest.fixture(params=["sqlite", "mongo-double", "mongo-real"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    url = os.environ.get("TEST_MONGODB_URL", "")
    database = f"balagh_test_{uuid4().hex}"
    backend: Store
    if request.param == "sqlite":
        backend = SqliteStore(tmp_path / "balagh.db")
    elif request.param == "mongo-double":
        backend = MongoStore(cast(Client, AsyncMongoClientDouble()), database)
    elif url:
        backend = MongoStore(Client(url, tz_aware=True), database)
    else:
        pytest.skip("set TEST_MONGODB_URL to run against a real MongoDB")
    await backend.open()
    try:
        yield backend
    finally:
        await backend.close()
        if request.param == "mongo-real":
            async with Client(url) as client:
                await client.drop_database(database)
