"""The notification outbox in SQLite: its table and the statements SqliteStore runs.

Writes are synchronous functions that take the connection of the transaction they belong
to, on SqliteStore's writer thread, so a complaint write and the messages it causes commit
together; reads are async, on the reader connection. `due_ms` is the retry time while
pending and the lease end while sending: one partial index finds everything due.
"""

import json
import sqlite3
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import aiosqlite

from bot.clock import from_ms, to_ms
from bot.notifications.message import (
    IN_FLIGHT,
    Attempt,
    DeliveryState,
    MessageCursor,
    MessageFilter,
    MessagePage,
    OutboxMessage,
    states_below,
)

OUTBOX_SCHEMA = """
    CREATE TABLE outbox (
        id TEXT PRIMARY KEY,
        channel TEXT NOT NULL,
        recipient TEXT NOT NULL,
        event TEXT NOT NULL,
        language TEXT NOT NULL,
        reference TEXT,
        body TEXT NOT NULL,
        template_variables TEXT NOT NULL,
        state TEXT NOT NULL,
        attempts INTEGER NOT NULL,
        due_ms INTEGER NOT NULL,
        claim_token TEXT,
        in_doubt INTEGER NOT NULL,
        provider TEXT,
        provider_message_id TEXT,
        error TEXT,
        created_ms INTEGER NOT NULL,
        updated_ms INTEGER NOT NULL
    );
    CREATE INDEX outbox_due ON outbox (due_ms) WHERE state IN ('pending', 'sending');
    CREATE INDEX outbox_provider_message ON outbox (provider_message_id)
        WHERE provider_message_id IS NOT NULL;
    CREATE INDEX outbox_created ON outbox (created_ms, id);
    CREATE INDEX outbox_recipient ON outbox (channel, recipient, created_ms);
    CREATE INDEX outbox_reference ON outbox (reference, created_ms);
    CREATE INDEX outbox_provider ON outbox (provider, created_ms);
"""
COLUMNS = (
    "id",
    "channel",
    "recipient",
    "event",
    "language",
    "reference",
    "body",
    "template_variables",
    "state",
    "attempts",
    "due_ms",
    "claim_token",
    "in_doubt",
    "provider",
    "provider_message_id",
    "error",
    "created_ms",
    "updated_ms",
)
SELECT = f"SELECT {', '.join(COLUMNS)} FROM outbox"  # noqa: S608 - fixed column names
RETURNING = f"RETURNING {', '.join(COLUMNS)}"
INSERT = (
    f"INSERT INTO outbox ({', '.join(COLUMNS)}) "  # noqa: S608 - fixed column names
    f"VALUES ({', '.join('?' * len(COLUMNS))}) ON CONFLICT (id) DO NOTHING"
)
FILTER_COLUMNS = {
    "channel": "channel",
    "to": "recipient",
    "reference": "reference",
    "state": "state",
    "provider": "provider",
}


def _row(message: OutboxMessage) -> tuple[Any, ...]:
    """Values in the order of COLUMNS."""
    return (
        message.id,
        message.channel,
        message.to,
        message.event,
        message.language,
        message.reference,
        message.body,
        json.dumps(message.template_variables, ensure_ascii=False),
        message.state,
        message.attempts,
        to_ms(message.due_at),
        message.claim_token,
        int(message.in_doubt),
        message.provider,
        message.provider_message_id,
        message.error,
        to_ms(message.created_at),
        to_ms(message.updated_at),
    )


def _message(row: Sequence[Any]) -> OutboxMessage:
    values = dict(zip(COLUMNS, row, strict=True))
    return OutboxMessage(
        id=values["id"],
        channel=values["channel"],
        to=values["recipient"],
        event=values["event"],
        language=values["language"],
        reference=values["reference"],
        body=values["body"],
        template_variables=json.loads(values["template_variables"]),
        state=values["state"],
        attempts=values["attempts"],
        due_at=from_ms(values["due_ms"]),
        claim_token=values["claim_token"],
        in_doubt=bool(values["in_doubt"]),
        provider=values["provider"],
        provider_message_id=values["provider_message_id"],
        error=values["error"],
        created_at=from_ms(values["created_ms"]),
        updated_at=from_ms(values["updated_ms"]),
    )


def _messages(rows: Iterable[Sequence[Any]]) -> list[OutboxMessage]:
    return [_message(row) for row in rows]


def _placeholders(values: Sequence[Any]) -> str:
    return ", ".join("?" * len(values))


def insert(db: sqlite3.Connection, messages: Sequence[OutboxMessage]) -> None:
    if messages:
        db.executemany(INSERT, [_row(message) for message in messages])


def claim(
    db: sqlite3.Connection, now: datetime, lease_until: datetime, token: str, limit: int
) -> list[OutboxMessage]:
    """Right-hand sides see the old row: a message still `sending` had its lease run out."""
    cursor = db.execute(
        "UPDATE outbox SET state = 'sending', in_doubt = (in_doubt OR state = 'sending'), "  # noqa: S608
        "attempts = attempts + 1, claim_token = ?, due_ms = ?, updated_ms = ? "
        "WHERE id IN (SELECT id FROM outbox "
        f"WHERE state IN ({_placeholders(IN_FLIGHT)}) AND due_ms <= ? "
        f"ORDER BY due_ms LIMIT ?) {RETURNING}",
        (token, to_ms(lease_until), to_ms(now), *IN_FLIGHT, to_ms(now), limit),
    )
    return _messages(cursor.fetchall())


def finish(db: sqlite3.Connection, attempt: Attempt) -> bool:
    message = attempt.outcome
    cursor = db.execute(
        f"UPDATE outbox SET {', '.join(f'{column} = ?' for column in COLUMNS[1:])} "  # noqa: S608
        "WHERE id = ? AND claim_token = ? AND state = 'sending'",
        (*_row(message)[1:], message.id, attempt.token),
    )
    if cursor.rowcount == 0:
        return False
    insert(db, attempt.follow_ups)
    return True


def advance(
    db: sqlite3.Connection,
    provider_message_id: str,
    state: DeliveryState,
    error: str | None,
    now: datetime,
    follow_ups: Sequence[OutboxMessage],
) -> OutboxMessage | None:
    lower = states_below(state)
    cursor = db.execute(
        "UPDATE outbox SET state = ?, error = COALESCE(?, error), updated_ms = ? "  # noqa: S608
        f"WHERE provider_message_id = ? AND state IN ({_placeholders(lower)}) {RETURNING}",
        (state, error, to_ms(now), provider_message_id, *lower),
    )
    changed = _messages(cursor.fetchall())
    if not changed:
        return None
    insert(db, follow_ups)
    return changed[0]


def release(db: sqlite3.Connection, reference: str, now: datetime) -> int:
    cursor = db.execute(
        "UPDATE outbox SET state = 'pending', due_ms = ?, updated_ms = ? "
        "WHERE reference = ? AND state = 'held'",
        (to_ms(now), to_ms(now), reference),
    )
    return cursor.rowcount


async def backlog(db: aiosqlite.Connection) -> tuple[int, datetime | None]:
    """Counted on the partial index of messages in flight."""
    rows = await db.execute_fetchall(
        f"SELECT COUNT(*), MIN(created_ms) FROM outbox WHERE state IN ({_placeholders(IN_FLIGHT)})",  # noqa: S608
        IN_FLIGHT,
    )
    depth, oldest_ms = next(iter(rows))
    return int(depth), from_ms(oldest_ms) if oldest_ms is not None else None


async def get(db: aiosqlite.Connection, column: str, value: str) -> OutboxMessage | None:
    """By `id` or `provider_message_id` (fixed names, never user input)."""
    found = _messages(await db.execute_fetchall(f"{SELECT} WHERE {column} = ? LIMIT 1", (value,)))
    return found[0] if found else None


async def page(
    db: aiosqlite.Connection, filters: MessageFilter, limit: int, cursor: MessageCursor | None
) -> MessagePage:
    clauses: list[str] = []
    params: list[Any] = []
    for field, column in FILTER_COLUMNS.items():
        value = getattr(filters, field)
        if value is not None:
            clauses.append(f"{column} = ?")
            params.append(value)
    if cursor is not None:
        clauses.append("(created_ms < ? OR (created_ms = ? AND id < ?))")
        params.extend((cursor.created_ms, cursor.created_ms, cursor.id))
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    found = _messages(
        await db.execute_fetchall(
            f"{SELECT} {where} ORDER BY created_ms DESC, id DESC LIMIT ?", (*params, limit + 1)
        )
    )
    items = found[:limit]
    more = len(found) > limit
    return MessagePage(items, MessageCursor.after(items[-1]).encode() if more and items else None)
