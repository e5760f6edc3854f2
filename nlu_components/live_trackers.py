"""What the tracker stores that keep live trackers in memory share.

Replaying a conversation's events into a tracker costs more CPU than the rest of a button
turn, so the stores hand out the tracker object they saved last instead of rebuilding it.
They know what is stored by the last event they stored: the events after it in a saved
tracker are new (Rasa keeps the same event objects in a tracker and in the copy that keeps
only its newest session). A tracker whose last event is not the last one stored holds a turn
that failed before saving: it is dropped and read back.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rasa.shared.core.constants import ACTION_SESSION_START_NAME
from rasa.shared.core.events import ActionExecuted, Event
from rasa.shared.core.trackers import DialogueStateTracker


def last_event(tracker: DialogueStateTracker) -> Event | None:
    return tracker.events[-1] if tracker.events else None


def holds_only_what_is_stored(tracker: DialogueStateTracker, last_stored: Event | None) -> bool:
    return last_event(tracker) is last_stored


def stored_count(events: Sequence[Event], last_stored: Event | None) -> int | None:
    """How many of `events` are stored already, when the last one stored is among them."""
    if last_stored is None:
        return None
    for index in range(len(events) - 1, -1, -1):
        if events[index] is last_stored:
            return index + 1
    return None


def current_session(tracker: DialogueStateTracker) -> DialogueStateTracker:
    """The tracker, or only its last session when a new one began in its last turn."""
    start = _last_session_start(tracker.events)
    if start == 0:
        return tracker
    return DialogueStateTracker.from_events(
        tracker.sender_id,
        list(tracker.events)[start:],
        tracker.slots.values(),
        sender_source=tracker.sender_source,
        max_event_history=tracker._max_event_history,
    )


def last_session_start_in_dicts(events: Sequence[dict[str, Any]]) -> int:
    """Index of the last serialised session start, else 0 (the whole conversation)."""
    for index in range(len(events) - 1, -1, -1):
        event = events[index]
        if event.get("event") == "action" and event.get("name") == ACTION_SESSION_START_NAME:
            return index
    return 0


def _last_session_start(events: Sequence[Event]) -> int:
    for index in range(len(events) - 1, -1, -1):
        event = events[index]
        if isinstance(event, ActionExecuted) and event.action_name == ACTION_SESSION_START_NAME:
            return index
    return 0
