"""A SQLite tracker store for the Rasa process: conversations survive restarts, turns stay cheap.

Rasa's `SQLTrackerStore` re-reads and replays a conversation's events on every turn, and its
`InMemoryTrackerStore` keeps each conversation as JSON that is parsed and replayed on every
turn too; on a button turn that costs more CPU than everything else. This store keeps the
live tracker objects of recent conversations in memory (least recently used first out) and
appends each turn's new events to a SQLite file in WAL mode (`synchronous=NORMAL`: a commit
survives a crash of the process; the last moments before a power cut may be lost). A
conversation not in memory (after a restart, or evicted) is read back from the file.

Like Rasa's stores, `retrieve` gives the conversation's current session and `save` receives
a tracker with the turn's events appended; which of them are new, and when a tracker in memory
is dropped and read back, nlu_components/live_trackers.py says: memory never holds what the
file does not.

    tracker_store:
      type: nlu_components.tracker_store.SQLiteTrackerStore
      db: var/rasa_tracker.db        # folder created when missing
      max_cached: 1000               # conversations kept in memory

(A live conversation is a few thousand Python objects that every full garbage collection
walks: a thousand covers the calls and chats of a busy hour without slowing every turn.)

Memory is trusted to hold what the file holds, so one Rasa process only may use a file: a
second one refuses to start (a lock on `<db>.lock`, released when the process ends, however
it ends). Rasa replicas share conversations through Redis
(nlu_components/redis_tracker_store.py) or Rasa's MongoDB tracker store.
"""

from __future__ import annotations

import fcntl
import json
import logging
import sqlite3
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, TextIO

from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import TrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import Event
from rasa.shared.core.trackers import DialogueStateTracker

from nlu_components.live_trackers import (
    current_session,
    holds_only_what_is_stored,
    last_event,
    last_session_start_in_dicts,
    stored_count,
)

logger = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    sender_id TEXT NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_sender ON events (sender_id, id);
"""


class SQLiteTrackerStore(TrackerStore):
    """Live trackers of recent conversations in memory, every event appended to a SQLite file."""

    def __init__(
        self,
        domain: Domain,
        event_broker: EventBroker | None = None,
        db: str = "var/rasa_tracker.db",
        max_cached: int = 1000,
        **kwargs: Any,
    ) -> None:
        super().__init__(domain, event_broker, **kwargs)
        path = Path(db)
        path.parent.mkdir(parents=True, exist_ok=True)
        self._owner = _only_process(path)
        self.max_cached = max(int(max_cached), 1)
        self.connection = sqlite3.connect(str(path), check_same_thread=False)
        self.connection.execute("PRAGMA journal_mode = WAL")
        self.connection.execute("PRAGMA synchronous = NORMAL")
        self.connection.execute("PRAGMA busy_timeout = 5000")
        self.connection.executescript(_SCHEMA)
        # sender → (the tracker last saved or handed out, the last of its events on disk)
        self._live: OrderedDict[str, tuple[DialogueStateTracker, Event | None]] = OrderedDict()

    async def save(self, tracker: DialogueStateTracker) -> None:
        sender = tracker.sender_id
        events = list(tracker.events)
        new = events[self._saved_count(sender, events) :]
        if new:
            with self.connection:
                self.connection.executemany(
                    "INSERT INTO events (sender_id, data) VALUES (?, ?)",
                    [(sender, json.dumps(event.as_dict())) for event in new],
                )
            if self.event_broker is not None:
                await self._stream_new_events(self.event_broker, new, sender)
        self._remember(sender, tracker)

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        """The conversation's current session: the live tracker, or else from the file."""
        live = self._live.get(sender_id)
        if live is not None and holds_only_what_is_stored(*live):
            tracker = current_session(live[0])
        else:
            tracker = self._load(sender_id, last_session_only=True)
        if tracker is not None:
            self._remember(sender_id, tracker)
        return tracker

    async def retrieve_full_tracker(self, sender_id: str) -> DialogueStateTracker | None:
        """Every session of the conversation, from the file."""
        return self._load(sender_id, last_session_only=False)

    async def keys(self) -> Iterable[str]:
        rows = self.connection.execute("SELECT DISTINCT sender_id FROM events").fetchall()
        return {row[0] for row in rows}

    def _saved_count(self, sender_id: str, events: Sequence[Event]) -> int:
        """How many of `events`, a tracker of the conversation, are on disk already."""
        live = self._live.get(sender_id)
        count = stored_count(events, live[1]) if live is not None else None
        if count is not None:
            return count
        # a tracker this store did not hand out: as for Rasa's stores, it holds the current
        # session, whose first events are those on disk
        tracker = self._load(sender_id, last_session_only=True)
        return len(tracker.events) if tracker is not None else 0

    def _load(self, sender_id: str, last_session_only: bool) -> DialogueStateTracker | None:
        rows = self.connection.execute(
            "SELECT data FROM events WHERE sender_id = ? ORDER BY id", (sender_id,)
        ).fetchall()
        if not rows:
            return None
        events = [json.loads(row[0]) for row in rows]
        if last_session_only:
            events = events[last_session_start_in_dicts(events) :]
        return DialogueStateTracker.from_dict(
            sender_id, events, self.domain.slots, self.max_event_history
        )

    def _remember(self, sender_id: str, tracker: DialogueStateTracker) -> None:
        """Keep the newest conversations in memory, least recently used first out."""
        self._live[sender_id] = (tracker, last_event(tracker))
        self._live.move_to_end(sender_id)
        while len(self._live) > self.max_cached:
            self._live.popitem(last=False)


class TrackerFileInUse(RuntimeError):
    """Another process keeps conversations in the same file."""


def _only_process(path: Path) -> TextIO:
    """Hold `<db>.lock` for the life of this process; refuse when another process holds it."""
    owner = (path.parent / f"{path.name}.lock").open("a")
    try:
        fcntl.lockf(owner, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        owner.close()
        raise TrackerFileInUse(
            f"{path} is the tracker store of another Rasa process; SQLiteTrackerStore serves "
            "one process (replicas share conversations through Redis or MongoDB)"
        ) from None
    return owner
