"""Accounts stored with the fixed phone and Telegram chat id keep them, in `contacts`, once a
store of either backend opens after the change; nothing else of the account changes."""

import json
from pathlib import Path
from typing import Any, cast

import aiosqlite
from pymongo import AsyncMongoClient

from bot.staff import StaffUser
from bot.store import sqlite
from bot.store.mongo import MongoStore
from bot.store.sqlite import SqliteStore
from tests.store.mongo_double import AsyncMongoClientDouble

BEFORE: dict[str, dict[str, str | None]] = {  # as accounts were kept before `contacts`
    "both.ways": {"phone": "+966551234567", "telegram_chat_id": "-1001234"},
    "phone.only": {"phone": "+966559876543", "telegram_chat_id": None},
    "unreachable": {"phone": None, "telegram_chat_id": None},
}
AFTER = {
    "both.ways": {"phone": "+966551234567", "telegram_chat_id": "-1001234"},
    "phone.only": {"phone": "+966559876543"},
    "unreachable": {},
}


def old_document(username: str) -> dict[str, Any]:
    return {
        "username": username,
        "display_name": username,
        "role": "agent",
        "password_hash": "scrypt$abc",
        "team": None,
        "active": True,
        "created_at": "2025-03-01T08:00:00Z",
        "password_set_at": None,
        **BEFORE[username],
        "language": "en",
    }


def assert_moved(users: list[StaffUser]) -> None:
    assert {user.username: user.contacts for user in users} == AFTER
    assert {user.language for user in users} == {"en"}


async def test_sqlite_moves_the_fixed_contacts_into_the_mapping(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    store = SqliteStore(path)
    await store.open()
    await store.close()
    async with aiosqlite.connect(path) as db:  # as if this migration had never run
        for username in BEFORE:
            document = json.dumps(old_document(username))
            await db.execute("INSERT INTO staff_users VALUES (?, ?)", (username, document))
        await db.execute(f"PRAGMA user_version = {len(sqlite.MIGRATIONS) - 1}")
        await db.commit()

    store = SqliteStore(path)
    await store.open()
    users = await store.list_users()
    await store.close()
    assert_moved(users)


async def test_mongodb_moves_the_fixed_contacts_into_the_mapping() -> None:
    client = AsyncMongoClientDouble()
    for username in BEFORE:
        await client["balagh"]["staff_users"].insert_one(
            {"_id": username, **old_document(username)}
        )
    store = MongoStore(cast(AsyncMongoClient[dict[str, Any]], client), "balagh")
    await store.open()
    assert_moved(await store.list_users())
    await store.open()  # a second start finds nothing left to move
    assert_moved(await store.list_users())
