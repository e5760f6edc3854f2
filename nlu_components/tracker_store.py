"""A SQLite tracker store for the Rasa process: conversations survive restarts, turns stay cheap.

Rasa's `SQLTrackerStore` re-reads and replays a conversation's events on every turn and
commits each turn with a full fsync; on the embedded default that costs more CPU than the rest
of a button turn. This store keeps recent conversations in memory (as Rasa's in-memory store
does, least recently used first out) and appends each turn's new events to a SQLite file in
WAL mode (`synchronous=NORMAL`: a commit survives a crash of the process; the last moments
before a power cut may be lost). A conversation not in memory (after a restart, or evicted) is
read back from the file.

    tracker_store:
      type: nlu_components.tracker_store.SQLiteTrackerStore
      db: var/rasa_tracker.db        # folder created when missing
      max_cached: 5000               # conversations kept in memory
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import InMemoryTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker

logger = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    sender_id TEXT NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_sender ON events (sender_id, id);
"""


class SQLiteTrackerStore(InMemoryTrackerStore):
    """Recent conversations in memory, every event appended to a SQLite file."""

    def __init__(
        self,
        domain: Domain,
        event_broker: EventBroker | None = None,
        db: str = "var/rasa_tracker.db",
        max_cached: int = 5000,
        **kwargs: Any,
    ) -> None:
        super().__init__(domain, event_broker, **kwargs)
        path = Path(db)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.max_cached = max(int(max_cached), 1)
        self.connection = sqlite3.connect(str(path), check_same_thread=False)
        self.connection.execute("PRAGMA journal_mode = WAL")
        self.connection.execute("PRAGMA synchronous = NORMAL")
        self.connection.execute("PRAGMA busy_timeout = 5000")
        self.connection.executescript(_SCHEMA)
        # how many events of the tracker last handed out for a conversation are on disk
        self._persisted: dict[str, int] = {}

    async def save(self, tracker: DialogueStateTracker) -> None:
        await self.stream_events(tracker)
        sender = tracker.sender_id
        events = list(tracker.events)
        new = events[self._persisted.get(sender, 0) :]
        if new:
            with self.connection:
                self.connection.executemany(
                    "INSERT INTO events (sender_id, data) VALUES (?, ?)",
                    [(sender, json.dumps(event.as_dict())) for event in new],
                )
        self._persisted[sender] = len(events)
        self._remember(sender, tracker)

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        """The conversation's current session, from memory or else from the file."""
        if sender_id not in self.store:
            loaded = self._load(sender_id)
            if loaded is None:
                return None
            self._remember(sender_id, loaded)
        tracker = await self._retrieve(sender_id, fetch_all_sessions=False)
        if tracker is not None:
            self._persisted[sender_id] = len(tracker.events)
        return tracker

    async def retrieve_full_tracker(self, sender_id: str) -> DialogueStateTracker | None:
        """Every session of the conversation, from the file."""
        tracker = self._load(sender_id)
        if tracker is not None:
            self._persisted[sender_id] = len(tracker.events)
        return tracker

    async def keys(self) -> Iterable[str]:
        rows = self.connection.execute("SELECT DISTINCT sender_id FROM events").fetchall()
        return {row[0] for row in rows} | set(self.store)

    def _load(self, sender_id: str) -> DialogueStateTracker | None:
        rows = self.connection.execute(
            "SELECT data FROM events WHERE sender_id = ? ORDER BY id", (sender_id,)
        ).fetchall()
        if not rows:
            return None
        events = [json.loads(row[0]) for row in rows]
        return DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)

    def _remember(self, sender_id: str, tracker: DialogueStateTracker) -> None:
        """Keep the newest conversations in memory, least recently used first out."""
        self.store.pop(sender_id, None)
        self.store[sender_id] = self.serialise_tracker(tracker)
        while len(self.store) > self.max_cached:
            oldest = next(iter(self.store))
            del self.store[oldest]
            self._persisted.pop(oldest, None)
