"""Live conversations in SQLite: their tables and the statements SqliteStore runs.

A conversation row keeps its two parts apart: the chat path rewrites `contact` with every
message, staff write `desk` under a version check, so neither overwrites the other. The
transcript is append-only; its row ids keep it in order.
"""

import sqlite3
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import aiosqlite

from bot.clock import from_ms, to_ms
from bot.conversations import (
    Contact,
    Conversation,
    ConversationState,
    Delivery,
    Desk,
    TranscriptEntry,
)
from bot.notifications.message import states_below

CONVERSATIONS_SCHEMA = """
    CREATE TABLE conversations (
        id TEXT PRIMARY KEY,
        key TEXT NOT NULL UNIQUE,
        state TEXT NOT NULL,
        version INTEGER NOT NULL,
        created_ms INTEGER NOT NULL,
        updated_ms INTEGER NOT NULL,
        contact TEXT NOT NULL,
        desk TEXT NOT NULL
    );
    CREATE INDEX conversations_state ON conversations (state, updated_ms);
    CREATE INDEX conversations_updated ON conversations (updated_ms);
    CREATE TABLE transcript (
        id INTEGER PRIMARY KEY,
        conversation_id TEXT NOT NULL,
        provider_id TEXT,
        doc TEXT NOT NULL
    );
    CREATE INDEX transcript_conversation ON transcript (conversation_id, id);
    CREATE INDEX transcript_provider ON transcript (provider_id) WHERE provider_id IS NOT NULL;
"""
SELECT = "SELECT id, version, contact, desk, created_ms, updated_ms FROM conversations"


def conversation(row: Sequence[Any]) -> Conversation:
    conversation_id, version, contact, desk, created_ms, updated_ms = row
    return Conversation(
        id=conversation_id,
        version=version,
        contact=Contact.model_validate_json(contact),
        desk=Desk.model_validate_json(desk),
        created_at=from_ms(created_ms),
        updated_at=from_ms(updated_ms),
    )


def record(
    db: sqlite3.Connection, new: Conversation, entries: Sequence[TranscriptEntry]
) -> Conversation:
    row = db.execute(
        "INSERT INTO conversations (id, key, state, version, created_ms, updated_ms, contact, "
        "desk) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET "
        "contact = excluded.contact, updated_ms = excluded.updated_ms "
        "RETURNING id, version, contact, desk, created_ms, updated_ms",
        (
            new.id,
            new.contact.key,
            new.desk.state,
            new.version,
            to_ms(new.created_at),
            to_ms(new.updated_at),
            new.contact.model_dump_json(),
            new.desk.model_dump_json(),
        ),
    ).fetchone()
    stored = conversation(row)
    append(db, stored.id, entries)
    return stored


def append(
    db: sqlite3.Connection, conversation_id: str, entries: Sequence[TranscriptEntry]
) -> None:
    db.executemany(
        "INSERT INTO transcript (conversation_id, provider_id, doc) VALUES (?, ?, ?)",
        [(conversation_id, entry.provider_id, entry.model_dump_json()) for entry in entries],
    )


def update_desk(
    db: sqlite3.Connection, conversation_id: str, desk: Desk, expected_version: int, now: datetime
) -> Conversation | None:
    row = db.execute(
        "UPDATE conversations SET desk = ?, state = ?, version = version + 1, updated_ms = ? "
        "WHERE id = ? AND version = ? "
        "RETURNING id, version, contact, desk, created_ms, updated_ms",
        (desk.model_dump_json(), desk.state, to_ms(now), conversation_id, expected_version),
    ).fetchone()
    return conversation(row) if row else None


def note_delivery(db: sqlite3.Connection, provider_id: str, delivery: Delivery) -> str | None:
    row = db.execute(
        "SELECT id, conversation_id, doc FROM transcript WHERE provider_id = ?", (provider_id,)
    ).fetchone()
    if row is None:
        return None
    entry_id, conversation_id, doc = row
    entry = TranscriptEntry.model_validate_json(doc)
    if entry.delivery is not None and entry.delivery not in states_below(delivery):
        return None
    moved = entry.model_copy(update={"delivery": delivery})
    db.execute("UPDATE transcript SET doc = ? WHERE id = ?", (moved.model_dump_json(), entry_id))
    return str(conversation_id)


async def find(read: aiosqlite.Connection, column: str, value: str) -> Conversation | None:
    async with read.execute(f"{SELECT} WHERE {column} = ?", (value,)) as cursor:
        row = await cursor.fetchone()
    return conversation(row) if row else None


async def listing(
    read: aiosqlite.Connection, states: Sequence[ConversationState], limit: int
) -> list[Conversation]:
    marks = ", ".join("?" * len(states))
    sql = f"{SELECT} WHERE state IN ({marks}) ORDER BY updated_ms DESC LIMIT ?"
    async with read.execute(sql, (*states, limit)) as cursor:
        rows = await cursor.fetchall()
    return [conversation(row) for row in rows]


async def since(read: aiosqlite.Connection, moment: datetime, limit: int) -> list[Conversation]:
    sql = f"{SELECT} WHERE updated_ms >= ? ORDER BY updated_ms DESC LIMIT ?"
    async with read.execute(sql, (to_ms(moment), limit)) as cursor:
        rows = await cursor.fetchall()
    return [conversation(row) for row in rows]


async def transcript(
    read: aiosqlite.Connection, conversation_id: str, limit: int
) -> list[TranscriptEntry]:
    async with read.execute(
        "SELECT doc FROM transcript WHERE conversation_id = ? ORDER BY id DESC LIMIT ?",
        (conversation_id, limit),
    ) as cursor:
        rows = await cursor.fetchall()
    return [TranscriptEntry.model_validate_json(row[0]) for row in reversed(list(rows))]
