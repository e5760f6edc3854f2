"""What an action can learn from the conversation: language, the latest message, channel data.

Channels attach metadata to every user message they forward to Rasa (channels/dialogue.py);
Rasa keeps it on the `user` event, and actions read it here. The keys:

    channel      the channel's code: "voice", "whatsapp", "sms", "telegram", "webchat"…
                 (its medium, whose words the actions say, is the channel directory's)
    language     "ar" | "en": the language the channel knows (the phone's 1/2 choice)
    phone        the caller id / WhatsApp number / Telegram shared contact; only what the
                 platform vouches for, never what the user typed
    location     {"lat": …, "lng": …, "address": …}: a shared pin
    media        [{"kind": "photo" | "voice" | …, "media_type", "size", "storage_key"}]
    transcript   text of a recorded voice message, when the channel has one
    message_id   the platform's id of this message
    sources      {"CallSid": …, "MessageSid": …, "update_id": …}: ids kept on the complaint
"""

from collections.abc import Iterator, Mapping
from typing import Any, Final, Protocol

from pydantic import ValidationError

from bot.complaint_record import Attachment, Location
from bot.phone import InvalidPhone, normalise_phone
from bot.types import CHANNEL_CODE, Language

Event = dict[str, Any]
FALLBACK_INTENT: Final = "nlu_fallback"
DEFAULT_LANGUAGE: Language = "ar"
DEFAULT_CHANNEL: Final = "webchat"
# Intents that leave any form for a rule (cancel, an employee, another question, language);
# each form adds the other forms' intents. Only a sure one counts: the user may be answering.
LEAVING_A_FORM: Final = frozenset(
    {
        "cancel",
        "ask_programs",
        "ask_services",
        "talk_to_agent",
        "choose_language",
        "out_of_scope",
    }
)
INTERRUPTION_CONFIDENCE: Final = 0.6


class TrackerLike(Protocol):
    """The part of rasa_sdk's Tracker the actions use."""

    sender_id: str
    slots: dict[str, Any]
    latest_message: dict[str, Any]
    events: list[dict[str, Any]]
    active_loop: dict[str, Any]

    def get_slot(self, key: str) -> Any: ...


def slot_set(name: str, value: Any) -> Event:
    """The same event rasa_sdk.events.SlotSet builds, typed."""
    return {"event": "slot", "timestamp": None, "name": name, "value": value}


def slot_changes(tracker: TrackerLike, values: Mapping[str, Any]) -> list[Event]:
    """SlotSet events for the values that differ from the tracker's, in the order given.

    Every event an action returns is validated, stored and sent back with each later action
    call, so unchanged slots are not set again.
    """
    return [
        slot_set(name, value) for name, value in values.items() if tracker.get_slot(name) != value
    ]


def in_loop(tracker: TrackerLike) -> bool:
    name = (tracker.active_loop or {}).get("name")
    return bool(name) and name != "should_not_be_set"


def language(tracker: TrackerLike) -> Language:
    value = tracker.get_slot("language")
    return "en" if value == "en" else DEFAULT_LANGUAGE


def latest_text(tracker: TrackerLike) -> str:
    text = (tracker.latest_message or {}).get("text") or ""
    return str(text).strip()


def is_payload(text: str) -> bool:
    """A button press arrives as `/intent{...}`; its text is not the user's words."""
    return text.startswith("/")


def free_text(tracker: TrackerLike) -> str:
    """The user's own words in the latest message, or "" for a button payload."""
    text = latest_text(tracker)
    return "" if is_payload(text) else text


def latest_intent(tracker: TrackerLike) -> tuple[str, float]:
    """The latest message's intent; none for a photo, voice note or pin sent without words
    (whatever the NLU made of an empty text, it is never a "yes")."""
    if attachment_only(tracker):
        return "", 0.0
    intent = (tracker.latest_message or {}).get("intent") or {}
    return str(intent.get("name") or ""), float(intent.get("confidence") or 0.0)


def attachment_only(tracker: TrackerLike) -> bool:
    """Whether the latest message is only a photo, a voice note or a location: no words, no
    button."""
    meta = metadata(tracker)
    chosen = bool(tracker.latest_message.get("entities"))  # a button's payload carries them
    return not (latest_text(tracker) or chosen) and bool(meta.get("media") or meta.get("location"))


def latest_user_timestamp(tracker: TrackerLike) -> str:
    """When the latest user message came (Rasa's event timestamp): names the turn."""
    event = next(_user_events(tracker), None)
    return str(event.get("timestamp")) if event else ""


def entity_values(tracker: TrackerLike, name: str) -> list[str]:
    """Values of an entity in the latest message, first found first, without repeats."""
    entities = (tracker.latest_message or {}).get("entities") or []
    values = [str(e.get("value")) for e in entities if e.get("entity") == name]
    return list(dict.fromkeys(v for v in values if v and v != "None"))


def entity(tracker: TrackerLike, name: str) -> str | None:
    values = entity_values(tracker, name)
    return values[0] if values else None


def metadata(tracker: TrackerLike) -> Mapping[str, Any]:
    value = (tracker.latest_message or {}).get("metadata") or {}
    return value if isinstance(value, Mapping) else {}


def _user_events(tracker: TrackerLike) -> Iterator[Event]:
    """User messages, newest first."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            yield event


def _metadata_of(event: Event) -> Mapping[str, Any]:
    value = event.get("metadata") or {}
    return value if isinstance(value, Mapping) else {}


def channel(tracker: TrackerLike) -> str:
    """The channel of this conversation: metadata of the newest message that names one."""
    for value in (tracker.get_slot("channel"), *_metadata_values(tracker, "channel")):
        if is_channel_code(value):
            found: str = value
            return found
    return DEFAULT_CHANNEL


def is_channel_code(value: Any) -> bool:
    return isinstance(value, str) and CHANNEL_CODE.match(value) is not None


def _metadata_values(tracker: TrackerLike, key: str) -> Iterator[Any]:
    for event in _user_events(tracker):
        value = _metadata_of(event).get(key)
        if value is not None:
            yield value


def verified_phone(value: Any) -> str | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return normalise_phone(value)
    except InvalidPhone:
        return None


def caller_phone(tracker: TrackerLike) -> str | None:
    """The number the channel vouches for (caller id, WhatsApp sender), in E.164."""
    slot = verified_phone(tracker.get_slot("caller_phone"))
    if slot:
        return slot
    for value in _metadata_values(tracker, "phone"):
        phone = verified_phone(value)
        if phone:
            return phone
    return None


def events_since(tracker: TrackerLike, event_type: str, name: str) -> list[Event]:
    """Events after the newest `event_type` event called `name` (all events when none)."""
    events = tracker.events
    for index in range(len(events) - 1, -1, -1):
        event = events[index]
        if event.get("event") == event_type and event.get("name") == name:
            return events[index + 1 :]
    return list(events)


def loop_started_at(tracker: TrackerLike, loop: str) -> float | None:
    """When the newest activation of a form happened (its ActiveLoop event's timestamp)."""
    for event in reversed(tracker.events):
        if event.get("event") == "active_loop" and event.get("name") == loop:
            timestamp = event.get("timestamp")
            return float(timestamp) if timestamp is not None else None
    return None


def shared_location(events: list[Event]) -> Location | None:
    """The newest valid location a user shared among these events."""
    for event in reversed(events):
        if event.get("event") != "user":
            continue
        raw = _metadata_of(event).get("location")
        if isinstance(raw, Mapping):
            try:
                return Location.model_validate(dict(raw))
            except ValidationError:
                continue
    return None


def shared_media(events: list[Event]) -> list[Attachment]:
    """Every valid attachment users sent among these events, oldest first, no repeats."""
    found: dict[str, Attachment] = {}
    for event in events:
        if event.get("event") != "user":
            continue
        media = _metadata_of(event).get("media")
        if not isinstance(media, list):
            continue
        for item in media:
            if not isinstance(item, Mapping):
                continue
            try:
                attachment = Attachment.model_validate(dict(item))
            except ValidationError:
                continue
            found.setdefault(attachment.storage_key, attachment)
    return list(found.values())


def latest_voice(tracker: TrackerLike) -> tuple[Attachment | None, str]:
    """A voice recording attached to the latest message, and its transcript if any."""
    meta = metadata(tracker)
    transcript = meta.get("transcript")
    for attachment in shared_media([{"event": "user", "metadata": meta}]):
        if attachment.kind == "voice":
            return attachment, transcript.strip() if isinstance(transcript, str) else ""
    return None, ""


def message_sources(tracker: TrackerLike) -> dict[str, str]:
    """Ids that tie a complaint to where it came from: the conversation and platform ids."""
    sources: dict[str, str] = {"conversation": tracker.sender_id}
    meta = metadata(tracker)
    raw = meta.get("sources")
    if isinstance(raw, Mapping):
        for key, value in raw.items():
            if isinstance(key, str) and isinstance(value, str | int) and len(key) <= 40:
                sources[key] = str(value)[:200]
    message_id = meta.get("message_id")
    if isinstance(message_id, str | int):
        sources.setdefault("message_id", str(message_id)[:200])
    return sources


def fresh_input(tracker: TrackerLike, loop: str) -> bool:
    """Whether a form runs on a new user message (not on a return after an interruption).

    Rasa calls the form's validation action with a temporary tracker ending in
    `ActionExecuted(<form>)` (plus the slots set so far); what ran before that tells whether
    the user just spoke (`action_listen`) or another action answered an interruption.
    """
    actions = [e.get("name") for e in tracker.events if e.get("event") == "action"]
    while actions and actions[-1] == loop:
        actions.pop()
    return not actions or actions[-1] == "action_listen"


def consecutive_fallbacks(tracker: TrackerLike, fallback_action: str) -> int:
    """How many user turns in a row, the current one included, ended in the fallback action."""
    turns: list[list[str]] = []  # the actions after each user message, newest turn first
    actions: list[str] = []
    for event in reversed(tracker.events):
        kind = event.get("event")
        if kind == "action":
            actions.append(str(event.get("name")))
        elif kind == "user":
            turns.append(actions)
            actions = []
        elif kind == "session_started":
            break
    strikes = 1
    for earlier in turns[1:]:
        if fallback_action not in earlier:
            break
        strikes += 1
    return strikes
