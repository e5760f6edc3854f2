"""Fixtures for the custom actions: running services on a temporary SQLite store, a collecting
dispatcher, and tracker snapshots shaped like the ones Rasa posts to the action endpoint."""

import json
from collections.abc import AsyncIterator, Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.composition import start_services
from bot.services import Services
from bot.settings import Settings

SNAPSHOTS = Path(__file__).parent / "snapshots"
# the slots' initial values in domain.yml, as Rasa sends them
INITIAL_SLOTS = {
    "language": "ar",
    "correcting": False,
    "menu_page": 1,
    "phone_declined": False,
    "danger_warned": False,
    "reference_attempts": 0,
    "welcomed": False,
    "transaction_attempts": 0,
}
CALLER = "+966551234567"
WEDNESDAY_NOON = datetime(2025, 5, 14, 9, 0, tzinfo=UTC)  # 12:00 in Riyadh, working hours
FRIDAY_NOON = datetime(2025, 5, 16, 9, 0, tzinfo=UTC)  # the weekend


@pytest.fixture
async def services(settings: Settings) -> AsyncIterator[Services]:
    running = await start_services(settings)
    try:
        yield running
    finally:
        await running.stop()


@pytest.fixture
def dispatcher() -> CollectingDispatcher:
    return CollectingDispatcher()


def user_event(
    text: str,
    intent: str,
    confidence: float = 1.0,
    entities: Iterable[Mapping[str, Any]] = (),
    metadata: Mapping[str, Any] | None = None,
    timestamp: float = 1_700_000_000.0,
) -> dict[str, Any]:
    parse = {
        "text": text,
        "intent": {"name": intent, "confidence": confidence},
        "entities": [dict(e) for e in entities],
    }
    return {
        "event": "user",
        "timestamp": timestamp,
        "text": text,
        "parse_data": parse,
        "input_channel": "rest",
        "metadata": dict(metadata or {}),
    }


def action_event(name: str, timestamp: float = 1_700_000_000.0) -> dict[str, Any]:
    return {
        "event": "action",
        "name": name,
        "policy": None,
        "confidence": None,
        "timestamp": timestamp,
    }


def slot_event(name: str, value: Any) -> dict[str, Any]:
    return {"event": "slot", "name": name, "value": value, "timestamp": None}


def entity(name: str, value: str) -> dict[str, Any]:
    return {"entity": name, "value": value, "start": 0, "end": 0}


def make_tracker(
    text: str = "",
    intent: str = "inform",
    *,
    confidence: float = 1.0,
    entities: Iterable[Mapping[str, Any]] = (),
    metadata: Mapping[str, Any] | None = None,
    slots: Mapping[str, Any] | None = None,
    history: Iterable[dict[str, Any]] = (),
    form: str | None = None,
    requested_slot: str | None = None,
    sender: str = "conversation-1",
) -> Tracker:
    """A tracker whose latest event is this user message.

    With `form`, it is shaped like the temporary tracker Rasa builds to call a form's validation
    action: the message, then `SlotSet(requested_slot)` and `ActionExecuted(form)`.
    """
    message = user_event(text, intent, confidence, entities, metadata)
    events = [*history, action_event("action_listen"), message]
    all_slots = {**INITIAL_SLOTS, **(slots or {})}
    if form is not None:
        all_slots["requested_slot"] = requested_slot
        events += [slot_event("requested_slot", requested_slot), action_event(form)]
    return Tracker(
        sender_id=sender,
        slots=all_slots,
        latest_message=message["parse_data"] | {"metadata": message["metadata"]},
        events=events,
        paused=False,
        followup_action=None,
        active_loop={"name": form} if form else {},
        latest_action_name=form or "action_listen",
    )


def snapshot(name: str) -> Tracker:
    """A tracker state recorded from a real conversation with the Rasa server."""
    return Tracker.from_dict(json.loads((SNAPSHOTS / f"{name}.json").read_text(encoding="utf-8")))


def texts(dispatcher: CollectingDispatcher) -> list[str]:
    return [message["text"] for message in dispatcher.messages]


def payloads(message: Mapping[str, Any]) -> list[str]:
    return [button["payload"] for button in message["buttons"]]
