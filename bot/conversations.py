"""Live conversations between residents and employees (the back office's inbox).

A conversation is one resident on one chat channel (`whatsapp:+9665…`, `telegram:12345`,
`webchat:<session>`), kept for as long as they write. It has two parts with two writers:

- `Contact`, refreshed by the chat path with every message: how to reach the resident on
  their channel (`reach`, whatever the channel's `send` needs), their language, phone, and
  when they last wrote (WhatsApp's 24-hour rule, the inbox's waiting times);
- `Desk`, written by hand-offs and staff: whether the bot or an employee has it. Each desk
  write names the version it read and fails when someone else wrote first, so two employees
  taking one conversation at once cannot both get it.

A phone call transferred to the employees is a conversation too (state `call`, channel
`voice`): the inbox lists all contact in one place, with who called, when and the outcome.

Its transcript (`TranscriptEntry`, append-only) keeps what the resident, the bot and the
employees said, with the buttons as shown, photos, voice notes and locations.
"""

import secrets
from collections import Counter
from collections.abc import Iterable
from datetime import datetime, timedelta
from statistics import mean, median
from typing import TYPE_CHECKING, Annotated, Any, Final, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

from bot.complaint_record import Attachment, Location
from bot.types import Channel, Language

if TYPE_CHECKING:
    from bot.store.base import Store

ConversationState = Literal["bot", "queued", "assigned", "closed", "call"]
OPEN_STATES: Final[tuple[ConversationState, ...]] = ("queued", "assigned")
Author = Literal["resident", "bot", "agent", "system"]
# Delivery as the platform reports it for an employee's message (WhatsApp through Twilio); it
# only moves up the outbox's order (`bot.notifications.message.states_below`).
Delivery = Literal["queued", "sent", "delivered", "read", "undelivered", "failed"]
DELIVERIES: Final[tuple[Delivery, ...]] = get_args(Delivery)
TRANSCRIPT_SHOWN: Final = 500  # the newest entries an employee reads at once
RATINGS: Final = range(1, 6)


class Contact(BaseModel):
    """The resident as their channel knows them; the chat path writes it with each message."""

    model_config = ConfigDict(extra="ignore")

    key: Annotated[str, Field(max_length=200)]  # the dialogue's sender id: `channel:user`
    channel: Channel
    user: Annotated[str, Field(max_length=200)]
    language: Language = "ar"
    phone: str | None = None
    reach: Any = None  # what the channel's `send` needs to write to them unprompted
    last_resident_at: datetime


class Desk(BaseModel):
    """Who has the conversation and how it went; written by hand-offs and staff."""

    model_config = ConfigDict(extra="ignore")

    state: ConversationState = "bot"
    assignee: str | None = None
    reason: str | None = None  # why the dialogue handed it over (bot.handoffs.REASONS)
    available: bool = True  # asked within working hours (else answered when the office opens)
    summary: dict[str, Any] = {}  # what the dialogue had gathered: category, district…
    queued_at: datetime | None = None
    assigned_at: datetime | None = None
    first_response_at: datetime | None = None
    closed_at: datetime | None = None
    complaints: list[str] = []  # references created from it or linked to it
    rating: Annotated[int, Field(ge=1, le=5)] | None = None
    rating_asked: bool = False


class Conversation(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str  # opaque, for the back office's addresses (the key holds a phone)
    contact: Contact
    desk: Desk = Desk()
    version: int = 1  # of the desk
    created_at: datetime
    updated_at: datetime

    @property
    def waiting_since(self) -> datetime | None:
        """Since when the resident waits for an employee's first word."""
        desk = self.desk
        if desk.state == "queued":
            return desk.queued_at
        if desk.state == "assigned" and desk.first_response_at is None:
            return desk.queued_at or desk.assigned_at
        return None


class TranscriptEntry(BaseModel):
    model_config = ConfigDict(extra="ignore")

    at: datetime
    author: Author
    text: str = ""
    buttons: tuple[str, ...] = ()  # the titles shown under a bot message
    media: tuple[Attachment, ...] = ()
    location: Location | None = None
    agent: str | None = None  # the employee who wrote it
    provider_id: str | None = None  # the platform's id of a sent message (delivery reports)
    delivery: Delivery | None = None


def expected_wait(waited: list[timedelta], position: int) -> timedelta:
    """About how long the resident at `position` in the queue waits: the median wait of the
    latest taken conversations for each one ahead, two minutes each with no history."""
    ordered = sorted(waited)
    typical = ordered[len(ordered) // 2] if ordered else timedelta(minutes=2)
    return max(typical, timedelta(minutes=1)) * max(position, 1)


def as_delivery(state: str | None) -> Delivery | None:
    """A platform's state, when it is one the transcript shows."""
    return next((delivery for delivery in DELIVERIES if delivery == state), None)


class DeskFigures(BaseModel):
    """How the employees answered residents in a period (each conversation's latest hand-off):
    the KPIs' `inbox`. The rating is the residents' rating of the conversation, apart from the
    satisfaction with a complaint's outcome."""

    model_config = ConfigDict(frozen=True)

    conversations: int = 0  # residents who wrote in the period
    needed_employee: int = 0  # of them, handed to an employee
    employee_share: float | None = None  # needed_employee / conversations
    first_response_minutes: float | None = None  # median: queued → the employee's first words
    handling_minutes: float | None = None  # median: taken → handed back or closed
    per_agent: dict[str, int] = {}  # conversations each employee took
    rating: float | None = None
    ratings: int = 0


def desk_figures(
    conversations: Iterable[Conversation], start: datetime, end: datetime
) -> DeskFigures:
    """The figures of the conversations with a resident's message in [start, end)."""
    within = [
        c
        for c in conversations
        if c.desk.state != "call" and start <= c.contact.last_resident_at < end
    ]
    desks = [c.desk for c in within if c.desk.queued_at is not None]
    first = [
        (d.first_response_at - d.queued_at).total_seconds() / 60
        for d in desks
        if d.first_response_at and d.queued_at
    ]
    handling = [
        (d.closed_at - d.assigned_at).total_seconds() / 60
        for d in desks
        if d.closed_at and d.assigned_at
    ]
    rated = [d.rating for d in desks if d.rating is not None]
    return DeskFigures(
        conversations=len(within),
        needed_employee=len(desks),
        employee_share=len(desks) / len(within) if within else None,
        first_response_minutes=median(first) if first else None,
        handling_minutes=median(handling) if handling else None,
        per_agent=dict(Counter(d.assignee for d in desks if d.assignee)),
        rating=mean(rated) if rated else None,
        ratings=len(rated),
    )


CALL_KEY: Final = "voice:{call_sid}"


CALL_BACK: Final = "call_back"  # a busy line's caller who asked an employee to call back


async def call_transferred(
    store: "Store",
    call_sid: str,
    caller: str | None,
    language: Language,
    now: datetime,
    call_back: bool = False,
) -> None:
    """A call on the 940 line rang the employees, or (`call_back`) found every line busy and
    asked to be called back: either way it appears in the inbox's calls."""
    contact = Contact(
        key=CALL_KEY.format(call_sid=call_sid),
        channel="voice",
        user=caller or call_sid,
        language=language,
        phone=caller,
        last_resident_at=now,
    )
    call = Conversation(
        id=secrets.token_urlsafe(12),
        contact=contact,
        desk=Desk(state="call", queued_at=now, reason=CALL_BACK if call_back else None),
        created_at=now,
        updated_at=now,
    )
    await store.record_conversation(call, [])


async def call_ended(store: "Store", call_sid: str, outcome: str, now: datetime) -> None:
    """How the transferred call ended (Twilio's DialCallStatus: completed, no-answer…)."""
    call = await store.find_conversation(CALL_KEY.format(call_sid=call_sid))
    if call is None:
        return
    ended = call.desk.model_copy(update={"reason": outcome, "closed_at": now})
    await store.update_desk(call.id, ended, call.version, now)


async def call_recorded(
    store: "Store", call_sid: str, recording: Attachment, now: datetime
) -> None:
    """The whole call's recording (when calls are recorded), playable from the inbox."""
    call = await store.find_conversation(CALL_KEY.format(call_sid=call_sid))
    if call is not None:
        entry = TranscriptEntry(at=now, author="system", media=(recording,))
        await store.append_transcript(call.id, [entry])
