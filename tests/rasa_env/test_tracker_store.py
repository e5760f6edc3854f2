"""The Rasa process's tracker store: live trackers in memory, every event on disk once."""

import asyncio
import sqlite3
import subprocess
import sys
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar

import pytest
from rasa.shared.core.constants import ACTION_LISTEN_NAME, ACTION_SESSION_START_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, Event, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from nlu_components.tracker_store import SQLiteTrackerStore

T = TypeVar("T")
DOMAIN = Domain.from_yaml(
    """
version: "3.1"
intents: [greet]
slots:
  language:
    type: categorical
    values: [ar, en]
    influence_conversation: false
    mappings: [{type: custom}]
"""
)


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coroutine)


def turn(text: str, language: str | None = None) -> list[Event]:
    events: list[Event] = [UserUttered(text, {"name": "greet", "confidence": 1.0})]
    if language:
        events.append(SlotSet("language", language))
    return [*events, ActionExecuted("utter_greet"), ActionExecuted(ACTION_LISTEN_NAME)]


def session_start() -> list[Event]:
    return [ActionExecuted(ACTION_SESSION_START_NAME), SessionStarted()]


def rows(db: Path, sender: str) -> list[str]:
    with sqlite3.connect(db) as connection:
        found = connection.execute(
            "SELECT data FROM events WHERE sender_id = ? ORDER BY id", (sender,)
        ).fetchall()
    return [row[0] for row in found]


def saved_turns(
    store: SQLiteTrackerStore, sender: str, *turns: list[Event]
) -> DialogueStateTracker:
    """As Rasa's processor does: get (or create) the tracker, add a turn, save, repeat."""
    tracker = run(store.get_or_create_tracker(sender))
    for events in turns:
        tracker = run(store.retrieve(sender)) or tracker
        for event in events:
            tracker.update(event)
        run(store.save(tracker))
    return tracker


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "tracker.db"


def test_every_event_is_written_once(db: Path) -> None:
    store = SQLiteTrackerStore(DOMAIN, db=str(db))
    tracker = saved_turns(store, "c1", turn("hi", "ar"), turn("again"), turn("more"))
    assert len(rows(db, "c1")) == len(tracker.events) == 11


def test_a_conversation_survives_a_restart(db: Path) -> None:
    saved_turns(SQLiteTrackerStore(DOMAIN, db=str(db)), "c1", turn("hi", "en"))
    restarted = SQLiteTrackerStore(DOMAIN, db=str(db))
    tracker = run(restarted.retrieve("c1"))
    assert tracker is not None
    assert tracker.get_slot("language") == "en"
    assert tracker.latest_message is not None
    assert tracker.latest_message.text == "hi"
    saved_turns(restarted, "c1", turn("again"))
    assert len(rows(db, "c1")) == 8


def test_a_turn_that_never_saved_is_forgotten(db: Path) -> None:
    store = SQLiteTrackerStore(DOMAIN, db=str(db))
    saved_turns(store, "c1", turn("hi", "ar"))
    failed = run(store.retrieve("c1"))
    assert failed is not None
    for event in turn("lost", "en"):
        failed.update(event)
    tracker = run(store.retrieve("c1"))
    assert tracker is not None
    assert tracker is not failed
    assert tracker.get_slot("language") == "ar"
    assert len(tracker.events) == len(rows(db, "c1")) == 5


def test_a_new_session_is_saved_once_and_handed_out_alone(db: Path) -> None:
    store = SQLiteTrackerStore(DOMAIN, db=str(db))
    saved_turns(store, "c1", turn("yesterday"))
    # the processor starts the session, saves, then saves again after its predictions
    tracker = run(store.retrieve("c1"))
    assert tracker is not None
    for event in [*session_start(), UserUttered("today", {"name": "greet"})]:
        tracker.update(event)
    run(store.save(tracker))
    for event in [ActionExecuted("utter_greet"), ActionExecuted(ACTION_LISTEN_NAME)]:
        tracker.update(event)
    run(store.save(tracker))

    assert len(rows(db, "c1")) == len(tracker.events) == 9
    current = run(store.retrieve("c1"))
    assert current is not None
    assert [type(event) for event in current.events][:2] == [ActionExecuted, SessionStarted]
    assert len(current.events) == 5
    full = run(store.retrieve_full_tracker("c1"))
    assert full is not None
    assert len(full.events) == 9
    # the turn after that continues the new session only
    saved_turns(store, "c1", turn("later"))
    assert len(rows(db, "c1")) == 12


def test_conversations_evicted_from_memory_are_read_back(db: Path) -> None:
    store = SQLiteTrackerStore(DOMAIN, db=str(db), max_cached=1)
    for text in ("one", "two", "three"):
        saved_turns(store, "a", turn(text))
        saved_turns(store, "b", turn(text, "en"))
    assert len(rows(db, "a")) == len(rows(db, "b")) - 3 == 10
    tracker = run(store.retrieve("b"))
    assert tracker is not None
    assert tracker.get_slot("language") == "en"
    assert set(run(store.keys())) == {"a", "b"}


def test_a_second_rasa_process_is_refused_the_same_file(db: Path) -> None:
    """Its memory would go stale behind the other's writes: replicas share Redis instead."""
    first = SQLiteTrackerStore(DOMAIN, db=str(db))
    second = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from rasa.shared.core.domain import Domain; "
            "from nlu_components.tracker_store import SQLiteTrackerStore; "
            "SQLiteTrackerStore(Domain.empty(), db=sys.argv[1])",
            str(db),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert second.returncode != 0
    assert "TrackerFileInUse" in second.stderr
    assert "tracker store of another Rasa process" in second.stderr
    saved_turns(first, "c1", turn("hi"))  # the first one goes on
