"""SQLite backend: the embedded default, a single durable file under var/.

WAL lets the reader connection answer while the writer commits; synchronous=FULL
makes every acknowledged commit survive a power cut. Reads go through an aiosqlite
connection. Writes go to one dedicated writer thread that owns a plain sqlite3
connection: a write method hands it a synchronous function, and the thread runs
BEGIN IMMEDIATE, that function and COMMIT in one go. So a transaction costs one hop from
the event loop and back, however many statements it runs, and no lock is held across
event-loop turns while other writers wait; the thread runs one function at a time, so
transactions never interleave.

Group commit: the functions handed over while a commit is in flight share the next one
(a commit waits for the disk, and a busy disk allows only so many a second). Each runs in
a savepoint of its own, so one that fails leaves nothing and the others still commit, and
each write method returns only once the commit holding its work is durable.
"""

import asyncio
import sqlite3
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import aiosqlite
from pydantic import BaseModel

from bot.clock import from_ms, to_ms, utc_now
from bot.complaint_record import Complaint
from bot.conversations import Conversation, ConversationState, Delivery, Desk, TranscriptEntry
from bot.kpi import (
    ABANDONED_METRIC,
    ANY,
    BREAKDOWN_METRICS,
    CALL_METRIC,
    CONVERSATION_KINDS,
    CONVERSATION_METRIC,
    TRANSACTION_METRIC,
    CallEvent,
    KpiFilter,
    KpiTotals,
    TransactionInquiry,
    contributions,
    filter_combinations,
    local_day,
)
from bot.notifications.message import (
    Attempt,
    DeliveryState,
    MessageCursor,
    MessageFilter,
    MessagePage,
    OutboxMessage,
)
from bot.staff import StaffSession, StaffUser
from bot.store import sqlite_conversations as conversations
from bot.store import sqlite_outbox as outbox
from bot.store.base import (
    ComplaintFilter,
    Cursor,
    DuplicateReference,
    DuplicateUser,
    GeoBox,
    InboundClaim,
    InsertResult,
    KpiSummary,
    OutboxBacklog,
    Page,
    Record,
    RecordKind,
    Store,
    VersionConflict,
    index_terms,
    key_range,
    order_floor,
    order_key,
    remind_watch_ms,
    resolution_ms,
    search_terms,
    sla_watch_ms,
)
from bot.types import OPEN_STATUSES

T = TypeVar("T")

BUSY_TIMEOUT_MS = 5000
CACHE_KIB = 131_072
PRAGMAS = (
    f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}",
    "PRAGMA journal_mode = WAL",
    "PRAGMA synchronous = FULL",
    "PRAGMA foreign_keys = ON",
    # A million complaints' indexes: keep the hot pages in memory, not on the disk.
    f"PRAGMA cache_size = -{CACHE_KIB}",
)
KPI_DIMENSIONS = ("status", "category", "district")
# Counted like the KPI dimensions so dispatch reads a team's open load in O(1).
OPEN_TEAM = "open_team"

MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
    CREATE TABLE complaints (
        id INTEGER PRIMARY KEY,  -- the order key: every index below is in list order
        reference TEXT NOT NULL UNIQUE,
        status TEXT NOT NULL,
        category TEXT,
        district TEXT,
        team TEXT,
        priority TEXT NOT NULL,
        channel TEXT NOT NULL,
        assignee TEXT,
        phone TEXT,
        created_ms INTEGER NOT NULL,
        resolution_ms INTEGER,
        sla_watch_ms INTEGER,
        idempotency_key TEXT UNIQUE,
        version INTEGER NOT NULL,
        doc TEXT NOT NULL
    );
    CREATE INDEX complaints_status ON complaints (status);
    CREATE INDEX complaints_category ON complaints (category, status);
    CREATE INDEX complaints_place ON complaints (category, district);
    CREATE INDEX complaints_district ON complaints (district, status);
    CREATE INDEX complaints_team ON complaints (team, status);
    CREATE INDEX complaints_priority ON complaints (priority, status);
    CREATE INDEX complaints_channel ON complaints (channel);
    CREATE INDEX complaints_assignee ON complaints (assignee);
    CREATE INDEX complaints_phone ON complaints (phone);
    CREATE INDEX complaints_resolution ON complaints (resolution_ms)
        WHERE resolution_ms IS NOT NULL;
    CREATE INDEX complaints_sla_watch ON complaints (sla_watch_ms)
        WHERE sla_watch_ms IS NOT NULL;
    CREATE VIRTUAL TABLE complaint_text USING fts5 (terms);
    CREATE TABLE kpi_counts (
        dimension TEXT NOT NULL,
        value TEXT NOT NULL,
        n INTEGER NOT NULL,
        PRIMARY KEY (dimension, value)
    ) WITHOUT ROWID;
    CREATE TABLE staff_users (username TEXT PRIMARY KEY, doc TEXT NOT NULL);
    CREATE TABLE staff_sessions (
        token_hash TEXT PRIMARY KEY,
        username TEXT NOT NULL,
        expires_ms INTEGER NOT NULL,
        doc TEXT NOT NULL
    );
    CREATE INDEX staff_sessions_user ON staff_sessions (username);
    CREATE TABLE inbound_claims (
        key TEXT PRIMARY KEY,
        reply TEXT,
        claimed_ms INTEGER NOT NULL
    ) WITHOUT ROWID;
    """,
    # KPI_ROLLUP_VERSION: the daily KPI rollup, call events, rate-limit counters, records.
    """
    CREATE TABLE kpi_daily (
        category TEXT NOT NULL,
        district TEXT NOT NULL,
        metric TEXT NOT NULL,
        day TEXT NOT NULL,
        value TEXT NOT NULL,
        n INTEGER NOT NULL,
        PRIMARY KEY (category, district, metric, day, value)
    ) WITHOUT ROWID;
    CREATE TABLE call_events (
        call_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        PRIMARY KEY (call_id, kind)
    ) WITHOUT ROWID;
    CREATE TABLE rate_counters (
        key TEXT NOT NULL,
        window_ms INTEGER NOT NULL,
        n INTEGER NOT NULL,
        expires_ms INTEGER NOT NULL,
        PRIMARY KEY (key, window_ms)
    ) WITHOUT ROWID;
    CREATE INDEX rate_counters_expiry ON rate_counters (expires_ms);
    CREATE TABLE records (
        kind TEXT NOT NULL,
        key TEXT NOT NULL,
        doc TEXT NOT NULL,
        PRIMARY KEY (kind, key)
    ) WITHOUT ROWID;
    """,
    # Notifications: the SLA reminder watch and the outbox (bot/store/sqlite_outbox.py).
    """
    ALTER TABLE complaints ADD COLUMN remind_watch_ms INTEGER;
    CREATE INDEX complaints_remind_watch ON complaints (remind_watch_ms)
        WHERE remind_watch_ms IS NOT NULL;
    """
    + outbox.OUTBOX_SCHEMA,
    # The day each call started: its outcome counts on that day, so outcomes add up to calls.
    # Each complaint's map pin, indexed for the open ones: reports near a new one.
    """
    ALTER TABLE call_events ADD COLUMN day TEXT;
    ALTER TABLE complaints ADD COLUMN lat REAL;
    ALTER TABLE complaints ADD COLUMN lng REAL;
    UPDATE complaints SET lat = json_extract(doc, '$.location.lat'),
        lng = json_extract(doc, '$.location.lng');
    CREATE INDEX complaints_open_place ON complaints (category, lat)
        WHERE lat IS NOT NULL AND status IN ('new', 'assigned', 'in_progress');
    """,
    # Slots: the calls the phone line is serving (admission control).
    """
    CREATE TABLE slots (
        pool TEXT NOT NULL,
        holder TEXT NOT NULL,
        expires_ms INTEGER NOT NULL,
        PRIMARY KEY (pool, holder)
    ) WITHOUT ROWID;
    CREATE INDEX slots_expiry ON slots (pool, expires_ms);
    """,
    # Transaction inquiries: each counted once in the rollup (bot/kpi.py).
    """
    CREATE TABLE transaction_inquiries (id TEXT PRIMARY KEY) WITHOUT ROWID;
    """,
    # Live conversations: the agent inbox (bot/store/sqlite_conversations.py).
    conversations.CONVERSATIONS_SCHEMA,
    # Staff contacts by the providers' field keys: the fixed phone and Telegram chat id move
    # into `contacts` under the keys of the SMS and Telegram fields (a JSON null is dropped
    # by json_patch, so a contact never given stays absent).
    """
    UPDATE staff_users SET doc = json_set(
        json_remove(doc, '$.phone', '$.telegram_chat_id'),
        '$.contacts',
        json_patch('{}', json_object(
            'phone', json_extract(doc, '$.phone'),
            'telegram_chat_id', json_extract(doc, '$.telegram_chat_id')
        ))
    );
    """,
)
# Complaints stored before this migration are summed into the rollup when it runs.
KPI_ROLLUP_VERSION = 2
RollupKey = tuple[str, str, str, str, str]  # category, district, metric, day, value
UPSERT_ROLLUP = (
    "INSERT INTO kpi_daily (category, district, metric, day, value, n) VALUES (?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (category, district, metric, day, value) DO UPDATE SET n = n + excluded.n"
)
BACKFILL_BATCH = 1000


def _dimension_values(complaint: Complaint) -> dict[str, str]:
    is_open = complaint.status in OPEN_STATUSES
    return {
        "status": complaint.status.value,
        "category": complaint.category or "",
        "district": complaint.district or "",
        OPEN_TEAM: complaint.team or "" if is_open else "",
    }


COLUMNS = (
    "reference",
    "status",
    "category",
    "district",
    "team",
    "priority",
    "channel",
    "assignee",
    "phone",
    "created_ms",
    "resolution_ms",
    "sla_watch_ms",
    "remind_watch_ms",
    "idempotency_key",
    "version",
    "lat",
    "lng",
    "doc",
)
INSERT_COMPLAINT = (
    f"INSERT INTO complaints (id, {', '.join(COLUMNS)}) "  # noqa: S608 - fixed column names
    f"VALUES (?, {', '.join('?' * len(COLUMNS))})"
)
UPDATE_COMPLAINT = (
    "UPDATE complaints SET "  # noqa: S608 - fixed column names
    f"{', '.join(f'{column} = ?' for column in COLUMNS[1:])} WHERE id = ?"
)


def _row(complaint: Complaint) -> tuple[Any, ...]:
    """Values in the order of COLUMNS."""
    return (
        complaint.reference,
        complaint.status.value,
        complaint.category,
        complaint.district,
        complaint.team,
        complaint.priority,
        complaint.channel,
        complaint.assignee,
        complaint.phone,
        to_ms(complaint.created_at),
        resolution_ms(complaint),
        sla_watch_ms(complaint),
        remind_watch_ms(complaint),
        complaint.idempotency_key,
        complaint.version,
        complaint.location.lat if complaint.location else None,
        complaint.location.lng if complaint.location else None,
        complaint.model_dump_json(),
    )


def _rollup(complaint: Complaint, zone: ZoneInfo) -> Counter[RollupKey]:
    """Every rollup row one complaint counts in: its contributions in each filter slice."""
    day = local_day(complaint.created_at, zone)
    pairs = list(contributions(complaint, zone))
    return Counter(
        (category, district, metric, day, value)
        for category, district in filter_combinations(complaint.category, complaint.district)
        for metric, value in pairs
    )


def _match_expression(text: str) -> str | None:
    """An FTS5 query where every word must appear (as a prefix); words are quoted literals."""
    terms = search_terms(text)
    if not terms:
        return None
    return " ".join('"' + term.replace('"', '""') + '"*' for term in terms)


class SqliteStore(Store):
    def __init__(self, path: Path, timezone: str = "UTC") -> None:
        """`timezone` decides which local day and hour a complaint counts in for the KPIs."""
        self.path = path
        self.zone = ZoneInfo(timezone)
        self._writer: ThreadPoolExecutor | None = None
        # Created, used and closed only on the writer thread (sqlite3 checks that).
        self._write_db: sqlite3.Connection | None = None
        # Transactions handed over and not yet taken by the writer thread, and whether a
        # job to commit them is already on its way to it.
        self._queued: list[tuple[Callable[[sqlite3.Connection], Any], Future[Any]]] = []
        self._commit_on_its_way = False
        self._queue_lock = threading.Lock()
        self._reader: aiosqlite.Connection | None = None

    async def open(self) -> None:
        await asyncio.to_thread(self.path.parent.mkdir, parents=True, exist_ok=True)
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-writer")
        await self._on_writer(self._open_writer)
        self._reader = await aiosqlite.connect(self.path, isolation_level=None)
        for pragma in (*PRAGMAS, "PRAGMA query_only = ON"):
            await self._reader.execute(pragma)

    def _open_writer(self) -> None:
        db = sqlite3.connect(self.path, isolation_level=None)
        for pragma in PRAGMAS:
            db.execute(pragma)
        self._write_db = db
        self._transact(self._migrate)

    def _migrate(self, db: sqlite3.Connection) -> None:
        current = int(db.execute("PRAGMA user_version").fetchone()[0])
        for version, script in enumerate(MIGRATIONS[current:], start=current + 1):
            for statement in filter(str.strip, script.split(";\n")):
                db.execute(statement)
            db.execute(f"PRAGMA user_version = {version}")
            if version == KPI_ROLLUP_VERSION:
                self._backfill_rollup(db)

    def _backfill_rollup(self, db: sqlite3.Connection) -> None:
        cursor = db.execute("SELECT doc FROM complaints")
        while rows := cursor.fetchmany(BACKFILL_BATCH):
            counts: Counter[RollupKey] = Counter()
            for (doc,) in rows:
                counts.update(_rollup(Complaint.model_validate_json(doc), self.zone))
            self._add_rollup(db, counts)

    @staticmethod
    def _add_rollup(db: sqlite3.Connection, counts: Counter[RollupKey]) -> None:
        # In key order: neighbouring upserts touch the same B-tree pages.
        db.executemany(UPSERT_ROLLUP, [(*key, n) for key, n in sorted(counts.items()) if n])

    async def close(self) -> None:
        """Writes already queued commit first: closing is the writer thread's last job."""
        if self._reader is not None:
            await self._reader.close()
            self._reader = None
        writer, self._writer = self._writer, None
        if writer is not None:
            await asyncio.get_running_loop().run_in_executor(writer, self._close_writer)
            await asyncio.to_thread(writer.shutdown)

    def _close_writer(self) -> None:
        if self._write_db is not None:
            self._write_db.close()
            self._write_db = None

    @property
    def _read(self) -> aiosqlite.Connection:
        if self._reader is None:
            raise RuntimeError("store is not open")
        return self._reader

    async def _on_writer(self, job: Callable[[], T]) -> T:
        if self._writer is None:
            raise RuntimeError("store is not open")
        return await asyncio.get_running_loop().run_in_executor(self._writer, job)

    async def _write(self, transaction: Callable[[sqlite3.Connection], T]) -> T:
        """Run `transaction` whole on the writer thread (one hop from the event loop), in
        the next commit there: the transactions queued meanwhile share it."""
        if self._writer is None:
            raise RuntimeError("store is not open")
        done: Future[T] = Future()
        with self._queue_lock:
            self._queued.append((transaction, done))
            send, self._commit_on_its_way = not self._commit_on_its_way, True
        if send:
            self._writer.submit(self._commit_queued)
        return await asyncio.wrap_future(done)

    def _commit_queued(self) -> None:
        """On the writer thread: every transaction queued so far, in one commit."""
        with self._queue_lock:
            queued, self._queued, self._commit_on_its_way = self._queued, [], False
        # a write whose caller stopped waiting (cancelled) before it ran is not run
        batch = [(write, done) for write, done in queued if done.set_running_or_notify_cancel()]
        try:
            outcomes = self._transact(partial(self._each_in_a_savepoint, batch))
        except BaseException as exc:  # the commit itself failed: none of them happened
            for _, done in batch:
                done.set_exception(exc)
            return
        for (_, done), (value, error) in zip(batch, outcomes, strict=True):
            if error is None:
                done.set_result(value)
            else:
                done.set_exception(error)

    @staticmethod
    def _each_in_a_savepoint(
        batch: list[tuple[Callable[[sqlite3.Connection], Any], Future[Any]]],
        db: sqlite3.Connection,
    ) -> list[tuple[Any, Exception | None]]:
        outcomes: list[tuple[Any, Exception | None]] = []
        for transaction, _ in batch:
            db.execute("SAVEPOINT one_write")
            try:
                outcomes.append((transaction(db), None))
            except Exception as exc:
                db.execute("ROLLBACK TO one_write")
                outcomes.append((None, exc))
            db.execute("RELEASE one_write")
        return outcomes

    def _transact(self, transaction: Callable[[sqlite3.Connection], T]) -> T:
        """On the writer thread: commit what `transaction` did, or roll it all back."""
        db = self._write_db
        assert db is not None  # set by _open_writer, the thread's first job
        db.execute("BEGIN IMMEDIATE")
        try:
            result = transaction(db)
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:  # SQLite may have rolled back already
                db.execute("ROLLBACK")
            raise
        return result

    async def _write_statement(self, sql: str, params: Sequence[Any]) -> None:
        """A transaction of one statement."""

        def transaction(db: sqlite3.Connection) -> None:
            db.execute(sql, params)

        await self._write(transaction)

    async def ping(self) -> None:
        await self._read.execute("SELECT 1")

    async def next_sequence(self, name: str, count: int = 1) -> int:
        def transaction(db: sqlite3.Connection) -> int:
            row = db.execute(
                "INSERT INTO counters (name, value) VALUES (?, ?) "
                "ON CONFLICT (name) DO UPDATE SET value = value + excluded.value "
                "RETURNING value",
                (name, count),
            ).fetchone()
            return int(row[0])

        return await self._write(transaction) - count + 1

    def _insert(self, db: sqlite3.Connection, complaint: Complaint) -> bool:
        row = db.execute(
            f"{INSERT_COMPLAINT} ON CONFLICT (idempotency_key) DO NOTHING RETURNING id",
            (order_key(complaint), *_row(complaint)),
        ).fetchone()
        if row is None:
            return False
        db.execute(
            "INSERT INTO complaint_text (rowid, terms) VALUES (?, ?)",
            (row[0], " ".join(index_terms(complaint.description))),
        )
        self._count(db, _dimension_values(complaint).items(), +1)
        self._add_rollup(db, _rollup(complaint, self.zone))
        return True

    @staticmethod
    def _count(db: sqlite3.Connection, pairs: Iterable[tuple[str, str]], delta: int) -> None:
        db.executemany(
            "INSERT INTO kpi_counts (dimension, value, n) VALUES (?, ?, ?) "
            "ON CONFLICT (dimension, value) DO UPDATE SET n = n + excluded.n",
            [(dimension, value, delta) for dimension, value in pairs],
        )

    async def insert_complaint(
        self, complaint: Complaint, messages: Sequence[OutboxMessage] = ()
    ) -> InsertResult:
        def transaction(db: sqlite3.Connection) -> InsertResult:
            try:
                inserted = self._insert(db, complaint)
            except sqlite3.IntegrityError as exc:  # the reference, or its order key, is taken
                raise DuplicateReference(complaint.reference) from exc
            if inserted:
                outbox.insert(db, messages)
                return InsertResult(complaint, created=True)
            row = db.execute(
                "SELECT doc FROM complaints WHERE idempotency_key = ?",
                (complaint.idempotency_key,),
            ).fetchone()
            return InsertResult(Complaint.model_validate_json(row[0]), created=False)

        return await self._write(transaction)

    async def insert_complaints(self, complaints: list[Complaint]) -> None:
        """One commit and a few statements per batch: the fast path for seeding and imports."""
        rows = [(order_key(complaint), *_row(complaint)) for complaint in complaints]
        terms = [
            (" ".join(index_terms(complaint.description)), complaint.reference)
            for complaint in complaints
        ]
        counts = Counter(
            pair for complaint in complaints for pair in _dimension_values(complaint).items()
        )
        rollup: Counter[RollupKey] = Counter()
        for complaint in complaints:
            rollup.update(_rollup(complaint, self.zone))

        def transaction(db: sqlite3.Connection) -> None:
            db.executemany(INSERT_COMPLAINT, rows)
            db.executemany(
                "INSERT INTO complaint_text (rowid, terms) "
                "SELECT id, ? FROM complaints WHERE reference = ?",
                terms,
            )
            db.executemany(
                "INSERT INTO kpi_counts (dimension, value, n) VALUES (?, ?, ?) "
                "ON CONFLICT (dimension, value) DO UPDATE SET n = n + excluded.n",
                [(dimension, value, n) for (dimension, value), n in counts.items()],
            )
            self._add_rollup(db, rollup)

        await self._write(transaction)

    async def get_complaint(self, reference: str) -> Complaint | None:
        rows = await self._fetch_all("SELECT doc FROM complaints WHERE reference = ?", (reference,))
        return Complaint.model_validate_json(rows[0][0]) if rows else None

    async def complaints_keyed(self, prefix: str, limit: int) -> list[Complaint]:
        start, end = key_range(prefix)
        rows = await self._fetch_all(
            "SELECT doc FROM complaints WHERE idempotency_key >= ? AND idempotency_key < ?"
            " ORDER BY idempotency_key LIMIT ?",
            (start, end, limit),
        )
        return [Complaint.model_validate_json(doc) for (doc,) in rows]

    async def replace_complaint(
        self,
        complaint: Complaint,
        expected_version: int,
        messages: Sequence[OutboxMessage] = (),
    ) -> None:
        def transaction(db: sqlite3.Connection) -> None:
            row = db.execute(
                "SELECT id, doc FROM complaints WHERE reference = ? AND version = ?",
                (complaint.reference, expected_version),
            ).fetchone()
            if row is None:
                raise VersionConflict(complaint.reference)
            before = Complaint.model_validate_json(row[1])
            db.execute(UPDATE_COMPLAINT, (*_row(complaint)[1:], row[0]))
            if before.description != complaint.description:
                db.execute(
                    "UPDATE complaint_text SET terms = ? WHERE rowid = ?",
                    (" ".join(index_terms(complaint.description)), row[0]),
                )
            old, new = _dimension_values(before), _dimension_values(complaint)
            changed = [key for key in old if old[key] != new[key]]
            self._count(db, ((key, old[key]) for key in changed), -1)
            self._count(db, ((key, new[key]) for key in changed), +1)
            rollup = _rollup(complaint, self.zone)
            rollup.subtract(_rollup(before, self.zone))
            self._add_rollup(db, rollup)
            outbox.insert(db, messages)

        await self._write(transaction)

    async def list_complaints(
        self, filters: ComplaintFilter, limit: int, cursor: Cursor | None
    ) -> Page:
        clauses: list[str] = []
        params: list[Any] = []
        if filters.status:
            clauses.append(f"status IN ({', '.join('?' * len(filters.status))})")
            params.extend(status.value for status in filters.status)
        for column in (
            "reference",
            "category",
            "district",
            "team",
            "priority",
            "assignee",
            "phone",
        ):
            value = getattr(filters, column)
            if value is not None:
                clauses.append(f"{column} = ?")
                params.append(value)
        if filters.channel is not None:
            clauses.append("channel = ?")
            params.append(filters.channel)
        if filters.created_from is not None:
            clauses.append("id >= ?")
            params.append(order_floor(filters.created_from))
        if filters.created_to is not None:
            clauses.append("id < ?")
            params.append(order_floor(filters.created_to))
        if filters.due_from is not None:
            clauses.append("sla_watch_ms >= ?")
            params.append(to_ms(filters.due_from))
        if filters.due_to is not None:
            clauses.append("sla_watch_ms < ?")
            params.append(to_ms(filters.due_to))
        if filters.overdue_at is not None:
            open_statuses = sorted(status.value for status in OPEN_STATUSES)
            clauses.append(
                f"status IN ({', '.join('?' * len(open_statuses))}) "
                "AND (sla_watch_ms IS NULL OR sla_watch_ms < ?)"
            )
            params.extend((*open_statuses, to_ms(filters.overdue_at)))
        after, order = (">", "ASC") if filters.oldest_first else ("<", "DESC")
        if cursor is not None:
            clauses.append(f"id {after} ?")
            params.append(cursor.key)
        match = _match_expression(filters.text) if filters.text else None
        if match is not None:
            # Driven by the text index, which streams matches in id (= list) order and
            # stops at the page's end instead of collecting every match first.
            source = "complaint_text JOIN complaints ON complaints.id = complaint_text.rowid"
            clauses.insert(0, "complaint_text MATCH ?")
            params.insert(0, match)
            order_column = "complaint_text.rowid"
        else:
            source, order_column = "complaints", "id"
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        rows = await self._fetch_all(
            f"SELECT doc FROM {source} {where} "  # noqa: S608 - only fixed column names
            f"ORDER BY {order_column} {order} LIMIT ?",
            (*params, limit + 1),
        )
        items = [Complaint.model_validate_json(row[0]) for row in rows[:limit]]
        more = len(rows) > limit
        return Page(items, Cursor.after(items[-1]).encode() if more and items else None)

    async def _fetch_all(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        """One hop to the reader's thread and back (a cursor's execute, fetch and close are
        three, each waiting for a turn of a busy event loop)."""
        return list(await self._read.execute_fetchall(sql, params))

    async def sla_breaches(self, now: datetime, limit: int) -> list[Complaint]:
        return await self._watched("sla_watch_ms", now, limit)

    async def sla_reminders(self, now: datetime, limit: int) -> list[Complaint]:
        return await self._watched("remind_watch_ms", now, limit)

    async def _watched(self, watch: str, now: datetime, limit: int) -> list[Complaint]:
        """Complaints whose `watch` time (a fixed column name) has come, soonest first."""
        rows = await self._fetch_all(
            f"SELECT doc FROM complaints WHERE {watch} <= ? ORDER BY {watch} LIMIT ?",  # noqa: S608
            (to_ms(now), limit),
        )
        return [Complaint.model_validate_json(row[0]) for row in rows]

    async def insert_messages(self, messages: Sequence[OutboxMessage]) -> None:
        await self._write(lambda db: outbox.insert(db, messages))

    async def claim_messages(
        self, now: datetime, lease_until: datetime, token: str, limit: int
    ) -> list[OutboxMessage]:
        return await self._write(lambda db: outbox.claim(db, now, lease_until, token, limit))

    async def finish_messages(self, attempts: Sequence[Attempt]) -> list[bool]:
        return await self._write(lambda db: [outbox.finish(db, attempt) for attempt in attempts])

    async def advance_message(
        self,
        provider_message_id: str,
        state: DeliveryState,
        error: str | None,
        follow_ups: Sequence[OutboxMessage] = (),
    ) -> OutboxMessage | None:
        return await self._write(
            lambda db: outbox.advance(db, provider_message_id, state, error, utc_now(), follow_ups)
        )

    async def release_held(self, reference: str, now: datetime) -> int:
        return await self._write(lambda db: outbox.release(db, reference, now))

    async def get_message(self, message_id: str) -> OutboxMessage | None:
        return await outbox.get(self._read, "id", message_id)

    async def get_message_by_provider_id(self, provider_message_id: str) -> OutboxMessage | None:
        return await outbox.get(self._read, "provider_message_id", provider_message_id)

    async def list_messages(
        self, filters: MessageFilter, limit: int, cursor: MessageCursor | None
    ) -> MessagePage:
        return await outbox.page(self._read, filters, limit, cursor)

    async def open_count(self) -> int:
        """From the status counters kept with every write: no scan."""
        statuses = sorted(status.value for status in OPEN_STATUSES)
        rows = await self._fetch_all(
            "SELECT COALESCE(SUM(n), 0) FROM kpi_counts WHERE dimension = 'status' "  # noqa: S608
            f"AND value IN ({', '.join('?' * len(statuses))})",
            statuses,
        )
        return int(rows[0][0])

    async def open_in_box(self, category: str, box: GeoBox, limit: int) -> list[Complaint]:
        # The partial index's own condition, word for word, so SQLite uses it.
        rows = await self._fetch_all(
            "SELECT doc FROM complaints WHERE category = ? AND lat IS NOT NULL "
            "AND status IN ('new', 'assigned', 'in_progress') "
            "AND lat BETWEEN ? AND ? AND lng BETWEEN ? AND ? LIMIT ?",
            (category, box.south, box.north, box.west, box.east, limit),
        )
        return [Complaint.model_validate_json(row[0]) for row in rows]

    async def outbox_backlog(self) -> OutboxBacklog:
        return OutboxBacklog(*await outbox.backlog(self._read))

    async def open_workload(self, teams: Sequence[str]) -> dict[str, int]:
        rows = await self._fetch_all(
            "SELECT value, n FROM kpi_counts WHERE dimension = ? AND value IN "  # noqa: S608
            f"({', '.join('?' * len(teams))})",  # placeholders only
            (OPEN_TEAM, *teams),
        )
        return {team: n for team, n in rows if n > 0}

    async def kpi_summary(self) -> KpiSummary:
        counts: dict[str, dict[str, int]] = {key: {} for key in KPI_DIMENSIONS}
        for dimension, value, n in await self._fetch_all(
            "SELECT dimension, value, n FROM kpi_counts WHERE n > 0 AND dimension IN (?, ?, ?)",
            KPI_DIMENSIONS,
        ):
            counts[dimension][value] = n
        resolved = await self._fetch_all(
            "SELECT COUNT(*) FROM complaints WHERE resolution_ms IS NOT NULL"
        )
        resolved_count = int(resolved[0][0])
        median_hours = None
        if resolved_count:
            median = await self._fetch_all(
                "SELECT resolution_ms FROM complaints WHERE resolution_ms IS NOT NULL "
                "ORDER BY resolution_ms LIMIT 1 OFFSET ?",
                (resolved_count // 2,),
            )
            median_hours = median[0][0] / 3_600_000
        return KpiSummary(
            total=sum(counts["status"].values()),
            by_status=counts["status"],
            by_category=counts["category"],
            by_district=counts["district"],
            median_resolution_hours=median_hours,
            resolved_count=resolved_count,
        )

    async def claim_inbound(self, key: str, now: datetime) -> InboundClaim:
        def transaction(db: sqlite3.Connection) -> InboundClaim:
            claimed = db.execute(
                "INSERT INTO inbound_claims (key, claimed_ms) VALUES (?, ?) "
                "ON CONFLICT (key) DO NOTHING RETURNING key",
                (key, to_ms(now)),
            ).fetchone()
            if claimed is not None:
                return InboundClaim(first=True, reply=None, claimed_at=now)
            reply, claimed_ms = db.execute(
                "SELECT reply, claimed_ms FROM inbound_claims WHERE key = ?", (key,)
            ).fetchone()
            return InboundClaim(first=False, reply=reply, claimed_at=from_ms(claimed_ms))

        return await self._write(transaction)

    async def complete_inbound(self, key: str, reply: str) -> None:
        await self._write_statement(
            "UPDATE inbound_claims SET reply = ? WHERE key = ?", (reply, key)
        )

    async def kpi_totals(self, filters: KpiFilter) -> KpiTotals:
        """Read from the rollup: a 90-day range is a few thousand rows whatever the volume."""
        since, until = filters.start.isoformat(), filters.end_exclusive
        slice_ = (filters.category or ANY, filters.district or ANY)
        metrics: dict[str, dict[str, int]] = {}
        for metric, value, n in await self._fetch_all(
            "SELECT metric, value, SUM(n) FROM kpi_daily "  # noqa: S608 - placeholders only
            "WHERE category = ? AND district = ? "
            f"AND metric IN ({', '.join('?' * len(BREAKDOWN_METRICS))}) "
            "AND day >= ? AND day < ? GROUP BY metric, value HAVING SUM(n) > 0",
            (*slice_, *BREAKDOWN_METRICS, since, until),
        ):
            metrics.setdefault(metric, {})[value] = n
        calls: dict[str, dict[str, int]] = {}
        for metric, value, n in await self._fetch_all(
            "SELECT metric, value, SUM(n) FROM kpi_daily WHERE category = ? AND district = ? "
            "AND metric IN (?, ?, ?) AND day >= ? AND day < ? GROUP BY metric, value",
            (ANY, ANY, CALL_METRIC, ABANDONED_METRIC, CONVERSATION_METRIC, since, until),
        ):
            calls.setdefault(metric, {})[value] = n
        inquiries = await self._fetch_all(
            "SELECT value, SUM(n) FROM kpi_daily WHERE category = ? AND district = ? "
            "AND metric = ? AND day >= ? AND day < ? GROUP BY value",
            (ANY, ANY, TRANSACTION_METRIC, since, until),
        )
        return KpiTotals(
            metrics=metrics,
            created_by_day=await self._by_day(slice_, "created", since, until),
            open_by_day=await self._by_day(slice_, "open", "", "9999"),
            calls=calls,
            inquiries=dict(inquiries),
        )

    async def _by_day(
        self, slice_: tuple[str, str], metric: str, since: str, until: str
    ) -> dict[str, int]:
        rows = await self._fetch_all(
            "SELECT day, SUM(n) FROM kpi_daily WHERE category = ? AND district = ? "
            "AND metric = ? AND day >= ? AND day < ? GROUP BY day HAVING SUM(n) > 0",
            (*slice_, metric, since, until),
        )
        return dict(rows)

    async def record_call_event(self, event: CallEvent) -> bool:
        """A call's start, or its one outcome, counted on the day the call started."""
        metric, value = event.contribution()
        event_day = local_day(event.at, self.zone)

        def count(db: sqlite3.Connection, kind: str, day: str, metric: str, value: str) -> bool:
            first = db.execute(
                "INSERT INTO call_events (call_id, kind, day) VALUES (?, ?, ?) "
                "ON CONFLICT (call_id, kind) DO NOTHING RETURNING call_id",
                (event.call_id, kind, day),
            ).fetchone()
            if first is not None:
                db.execute(UPSERT_ROLLUP, (ANY, ANY, metric, day, value, 1))
            return first is not None

        def transaction(db: sqlite3.Connection) -> bool:
            if event.kind == "started" or event.kind in CONVERSATION_KINDS:  # no call outcome
                return count(db, event.kind, event_day, metric, value)
            rows = db.execute(
                "SELECT kind, day FROM call_events WHERE call_id = ?", (event.call_id,)
            ).fetchall()
            if any(kind != "started" for kind, _ in rows):
                return False  # a call has one outcome
            started = [day for kind, day in rows if kind == "started"]
            if not started:  # its start was never seen: count it, so outcomes ≤ calls
                count(db, "started", event_day, CALL_METRIC, "started")
            return count(db, event.kind, (started or [None])[0] or event_day, metric, value)

        return await self._write(transaction)

    async def record_inquiry(self, inquiry: TransactionInquiry) -> bool:
        day = local_day(inquiry.at, self.zone)

        def transaction(db: sqlite3.Connection) -> bool:
            first = db.execute(
                "INSERT INTO transaction_inquiries (id) VALUES (?) "
                "ON CONFLICT (id) DO NOTHING RETURNING id",
                (inquiry.id,),
            ).fetchone()
            if first is None:
                return False
            db.execute(UPSERT_ROLLUP, (ANY, ANY, TRANSACTION_METRIC, day, inquiry.value(), 1))
            return True

        return await self._write(transaction)

    async def hit_counter(
        self, key: str, window_start: datetime, expires_at: datetime, amount: int = 1
    ) -> int:
        start_ms = to_ms(window_start)

        def transaction(db: sqlite3.Connection) -> int:
            db.execute("DELETE FROM rate_counters WHERE expires_ms <= ?", (start_ms,))
            row = db.execute(
                "INSERT INTO rate_counters (key, window_ms, n, expires_ms) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (key, window_ms) DO UPDATE SET n = n + excluded.n RETURNING n",
                (key, start_ms, amount, to_ms(expires_at)),
            ).fetchone()
            return int(row[0])

        return await self._write(transaction)

    async def take_slot(
        self, pool: str, holder: str, limit: int, now: datetime, expires_at: datetime
    ) -> bool:
        now_ms = to_ms(now)

        def transaction(db: sqlite3.Connection) -> bool:
            """Atomic: the writer thread runs one transaction at a time."""
            db.execute("DELETE FROM slots WHERE pool = ? AND expires_ms <= ?", (pool, now_ms))
            held = db.execute(
                "SELECT COUNT(*), SUM(holder = ?) FROM slots WHERE pool = ?", (holder, pool)
            ).fetchone()
            if not held[1] and held[0] >= limit:
                return False
            db.execute(
                "INSERT INTO slots (pool, holder, expires_ms) VALUES (?, ?, ?) "
                "ON CONFLICT (pool, holder) DO UPDATE SET expires_ms = excluded.expires_ms",
                (pool, holder, to_ms(expires_at)),
            )
            return True

        return await self._write(transaction)

    async def release_slot(self, pool: str, holder: str) -> None:
        await self._write_statement(
            "DELETE FROM slots WHERE pool = ? AND holder = ?", (pool, holder)
        )

    async def slots_held(self, pool: str, now: datetime) -> int:
        rows = await self._fetch_all(
            "SELECT COUNT(*) FROM slots WHERE pool = ? AND expires_ms > ?", (pool, to_ms(now))
        )
        return int(rows[0][0])

    async def put_record(self, kind: RecordKind, key: str, record: BaseModel) -> None:
        await self._write_statement(
            "INSERT INTO records (kind, key, doc) VALUES (?, ?, ?) "
            "ON CONFLICT (kind, key) DO UPDATE SET doc = excluded.doc",
            (kind, key, record.model_dump_json()),
        )

    async def get_record(self, kind: RecordKind, key: str, model: type[Record]) -> Record | None:
        rows = await self._fetch_all(
            "SELECT doc FROM records WHERE kind = ? AND key = ?", (kind, key)
        )
        return model.model_validate_json(rows[0][0]) if rows else None

    async def list_records(self, kind: RecordKind, model: type[Record]) -> list[Record]:
        rows = await self._fetch_all("SELECT doc FROM records WHERE kind = ? ORDER BY key", (kind,))
        return [model.model_validate_json(row[0]) for row in rows]

    async def delete_record(self, kind: RecordKind, key: str) -> None:
        await self._write_statement("DELETE FROM records WHERE kind = ? AND key = ?", (kind, key))

    async def list_users(self) -> list[StaffUser]:
        rows = await self._fetch_all("SELECT doc FROM staff_users ORDER BY username")
        return [StaffUser.model_validate_json(row[0]) for row in rows]

    async def insert_user(self, user: StaffUser) -> None:
        def transaction(db: sqlite3.Connection) -> None:
            inserted = db.execute(
                "INSERT INTO staff_users (username, doc) VALUES (?, ?) "
                "ON CONFLICT (username) DO NOTHING RETURNING username",
                (user.username, user.model_dump_json()),
            ).fetchone()
            if inserted is None:
                raise DuplicateUser(user.username)

        await self._write(transaction)

    async def get_user(self, username: str) -> StaffUser | None:
        rows = await self._fetch_all("SELECT doc FROM staff_users WHERE username = ?", (username,))
        return StaffUser.model_validate_json(rows[0][0]) if rows else None

    async def replace_user(self, user: StaffUser) -> None:
        await self._write_statement(
            "UPDATE staff_users SET doc = ? WHERE username = ?",
            (user.model_dump_json(), user.username),
        )

    async def insert_session(self, session: StaffSession) -> None:
        await self._write_statement(
            "INSERT INTO staff_sessions (token_hash, username, expires_ms, doc) "
            "VALUES (?, ?, ?, ?)",
            (
                session.token_hash,
                session.username,
                to_ms(session.expires_at),
                session.model_dump_json(),
            ),
        )

    async def get_session(self, token_hash: str) -> StaffSession | None:
        rows = await self._fetch_all(
            "SELECT doc FROM staff_sessions WHERE token_hash = ?", (token_hash,)
        )
        return StaffSession.model_validate_json(rows[0][0]) if rows else None

    async def touch_session(self, token_hash: str, seen_at: datetime) -> None:
        def transaction(db: sqlite3.Connection) -> None:
            row = db.execute(
                "SELECT doc FROM staff_sessions WHERE token_hash = ?", (token_hash,)
            ).fetchone()
            if row is None:
                return
            session = StaffSession.model_validate_json(row[0])
            touched = session.model_copy(update={"last_seen_at": seen_at})
            db.execute(
                "UPDATE staff_sessions SET doc = ? WHERE token_hash = ?",
                (touched.model_dump_json(), token_hash),
            )

        await self._write(transaction)

    async def delete_session(self, token_hash: str) -> None:
        await self._write_statement(
            "DELETE FROM staff_sessions WHERE token_hash = ?", (token_hash,)
        )

    async def record_conversation(
        self, new: Conversation, entries: Sequence[TranscriptEntry]
    ) -> Conversation:
        return await self._write(lambda db: conversations.record(db, new, entries))

    async def find_conversation(self, key: str) -> Conversation | None:
        return await conversations.find(self._read, "key", key)

    async def get_conversation(self, conversation_id: str) -> Conversation | None:
        return await conversations.find(self._read, "id", conversation_id)

    async def update_desk(
        self, conversation_id: str, desk: Desk, expected_version: int, now: datetime
    ) -> Conversation | None:
        return await self._write(
            lambda db: conversations.update_desk(db, conversation_id, desk, expected_version, now)
        )

    async def list_conversations(
        self, states: Sequence[ConversationState], limit: int
    ) -> list[Conversation]:
        return await conversations.listing(self._read, states, limit)

    async def conversations_since(self, moment: datetime, limit: int) -> list[Conversation]:
        return await conversations.since(self._read, moment, limit)

    async def append_transcript(
        self, conversation_id: str, entries: Sequence[TranscriptEntry]
    ) -> None:
        await self._write(lambda db: conversations.append(db, conversation_id, entries))

    async def transcript(self, conversation_id: str, limit: int) -> list[TranscriptEntry]:
        return await conversations.transcript(self._read, conversation_id, limit)

    async def note_delivery(self, provider_id: str, delivery: Delivery) -> str | None:
        return await self._write(lambda db: conversations.note_delivery(db, provider_id, delivery))
