"""The store contract every backend keeps (SQLite embedded, MongoDB in production).

Backends take and return domain models only; a value from outside never reaches a
query as anything but a scalar, so it can never become an operator.
"""

import base64
import binascii
import re
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from bot.arabic import normalise, readings
from bot.clock import to_ms
from bot.complaint_record import Complaint
from bot.conversations import Conversation, ConversationState, Delivery, Desk, TranscriptEntry
from bot.kpi import CallEvent, KpiFilter, KpiTotals, TransactionInquiry
from bot.notifications.message import (
    Attempt,
    DeliveryState,
    MessageCursor,
    MessageFilter,
    MessagePage,
    OutboxMessage,
)
from bot.reference import legacy_sequence_of
from bot.staff import StaffSession, StaffUser
from bot.types import OPEN_STATUSES, Channel, Priority, Status

MAX_PAGE_SIZE = 200
RecordKind = Literal[
    "api_key",
    "announcement",
    "chat_conversation",
    "chat_handoff",
    "webhook",
    "whatsapp_contact",
    "voice_call",
    "caller_language",
    "voice_recording",
    "voicemail",
    "dialogue_given_up",
    "unclaimed_upload",
    "retention",
    "transaction_followup",
]
Record = TypeVar("Record", bound=BaseModel)
_WORD = re.compile(r"\w+")


def search_terms(text: str) -> list[str]:
    """Distinct normalised words of a query; each must prefix an indexed term."""
    return list(dict.fromkeys(_WORD.findall(normalise(text))))


def index_terms(text: str) -> list[str]:
    """Every reading of every word, so a search for "حفره" finds "بالحفرة"."""
    return sorted({reading for word in search_terms(text) for reading in readings(word)})


class StoreError(Exception):
    """The store refused or failed an operation."""


class VersionConflict(StoreError):
    """Someone else changed the complaint since it was read."""


class DuplicateUser(StoreError):
    """A staff user with that username already exists."""


class DuplicateReference(StoreError):
    """A new complaint's reference (or its place in the lists) is already taken."""


class InvalidCursor(ValueError):
    """A pagination cursor this service did not hand out."""


class ComplaintFilter(BaseModel):
    """What a staff list can be narrowed by; every value is a plain scalar."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    status: tuple[Status, ...] = ()
    reference: str | None = None
    category: str | None = None
    district: str | None = None
    team: str | None = None
    priority: Priority | None = None
    channel: Channel | None = None
    assignee: str | None = None
    phone: str | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    text: Annotated[str, Field(max_length=200)] | None = None
    # SLA state: open and unbreached complaints due in [due_from, due_to)…
    due_from: datetime | None = None
    due_to: datetime | None = None
    # …or open complaints whose breach is recorded or whose due time is before this moment.
    overdue_at: datetime | None = None
    oldest_first: bool = False


def resolution_ms(complaint: Complaint) -> int | None:
    """How long the complaint took to resolve, for the time-to-resolution figures."""
    if complaint.resolved_at is None:
        return None
    return to_ms(complaint.resolved_at) - to_ms(complaint.created_at)


def sla_watch_ms(complaint: Complaint) -> int | None:
    """When the SLA watch must look at this complaint; None once breached or no longer open."""
    if complaint.status not in OPEN_STATUSES or complaint.sla_breached_at is not None:
        return None
    return to_ms(complaint.sla_due_at)


def remind_watch_ms(complaint: Complaint) -> int | None:
    """When the employee must be reminded; None once reminded, breached or no longer open."""
    if sla_watch_ms(complaint) is None or complaint.sla_reminded_at is not None:
        return None
    return to_ms(complaint.sla_remind_at) if complaint.sla_remind_at else None


ORDER_SPREAD = 1_000_000
_INT64 = 2**63


def order_key(complaint: Complaint) -> int:
    """A complaint's place in every list: its creation millisecond, then its sequence.

    One integer both backends sort and page by. SQLite uses it as the row id, so every
    secondary index is already in list order and the text index streams newest first.
    """
    sequence = complaint.sequence or legacy_sequence_of(complaint.reference)
    return to_ms(complaint.created_at) * ORDER_SPREAD + sequence % ORDER_SPREAD


def order_floor(moment: datetime) -> int:
    """The smallest order key of a complaint created at or after `moment` (within int64)."""
    return max(-_INT64, min(to_ms(moment) * ORDER_SPREAD, _INT64 - 1))


@dataclass(frozen=True)
class Cursor:
    """Position after the last item of a page, as its order key."""

    key: int

    def encode(self) -> str:
        return base64.urlsafe_b64encode(str(self.key).encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str) -> "Cursor":
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
            if not raw.isdigit() or len(raw) > 19 or int(raw) >= _INT64:
                raise ValueError(raw)  # an order key is a signed 64-bit integer
            return cls(int(raw))
        except (ValueError, binascii.Error, UnicodeDecodeError):
            raise InvalidCursor("invalid cursor") from None

    @classmethod
    def after(cls, complaint: Complaint) -> "Cursor":
        return cls(order_key(complaint))


@dataclass(frozen=True)
class GeoBox:
    """Latitudes south..north and longitudes west..east, in degrees (both ends included)."""

    south: float
    west: float
    north: float
    east: float


@dataclass(frozen=True)
class Page:
    items: list[Complaint]
    next_cursor: str | None


@dataclass(frozen=True)
class KpiSummary:
    total: int
    by_status: dict[str, int]
    by_category: dict[str, int]
    by_district: dict[str, int]
    median_resolution_hours: float | None
    resolved_count: int


@dataclass(frozen=True)
class InsertResult:
    complaint: Complaint
    created: bool  # False when the idempotency key already named a complaint


@dataclass(frozen=True)
class OutboxBacklog:
    """Notifications not sent yet (pending or being sent), and when the oldest was queued."""

    depth: int
    oldest_created_at: datetime | None


@dataclass(frozen=True)
class InboundClaim:
    """Whether this is the first time a platform delivered a message, and what we answered.

    `reply` is None on a retry that arrives while the first delivery is still being handled;
    `claimed_at` says since when it has been (the first delivery's time).
    """

    first: bool
    reply: str | None
    claimed_at: datetime


class Store(ABC):
    """Durable home of complaints, staff users and sessions."""

    @abstractmethod
    async def open(self) -> None:
        """Connect and bring the schema or indexes up to date."""

    @abstractmethod
    async def close(self) -> None: ...

    @abstractmethod
    async def ping(self) -> None:
        """Raise if the store cannot answer right now."""

    @abstractmethod
    async def next_sequence(self, name: str, count: int = 1) -> int:
        """Atomically reserve `count` numbers of a named counter; returns the first (from 1)."""

    @abstractmethod
    async def insert_complaint(
        self, complaint: Complaint, messages: Sequence[OutboxMessage] = ()
    ) -> InsertResult:
        """Commit a new complaint durably; a repeated idempotency key returns the first one.

        `messages` (the notifications it causes) are committed with it, or not at all.
        DuplicateReference when another complaint already has its reference.
        """

    @abstractmethod
    async def insert_complaints(self, complaints: list[Complaint]) -> None:
        """Bulk-load new complaints in one commit (seeding, migrations from other systems)."""

    @abstractmethod
    async def get_complaint(self, reference: str) -> Complaint | None: ...

    @abstractmethod
    async def complaints_keyed(self, prefix: str, limit: int) -> list[Complaint]:
        """The complaints whose idempotency key starts with `prefix`, by key: what one
        conversation reported, found through the keys' unique index however busy the line."""

    @abstractmethod
    async def replace_complaint(
        self,
        complaint: Complaint,
        expected_version: int,
        messages: Sequence[OutboxMessage] = (),
    ) -> None:
        """Write a changed complaint if its stored version is still `expected_version`.

        `messages` (the notifications the change causes) are committed with it, or not at all.
        """

    @abstractmethod
    async def list_complaints(
        self, filters: ComplaintFilter, limit: int, cursor: Cursor | None
    ) -> Page: ...

    @abstractmethod
    async def open_count(self) -> int:
        """How many complaints are open now (new, assigned, in progress), cheaply."""

    @abstractmethod
    async def open_in_box(self, category: str, box: GeoBox, limit: int) -> list[Complaint]:
        """Open complaints of a category whose map pin is inside the box (any order)."""

    @abstractmethod
    async def open_workload(self, teams: Sequence[str]) -> dict[str, int]:
        """Open complaints of each of these field teams (teams with none may be left out)."""

    @abstractmethod
    async def sla_breaches(self, now: datetime, limit: int) -> list[Complaint]:
        """Open complaints past their due time whose breach is not recorded yet, oldest first."""

    @abstractmethod
    async def sla_reminders(self, now: datetime, limit: int) -> list[Complaint]:
        """Open, unbreached complaints whose reminder time has passed and who were not
        reminded yet, oldest reminder first."""

    # The notification outbox. A message is `pending` until due, `sending` while leased.

    @abstractmethod
    async def insert_messages(self, messages: Sequence[OutboxMessage]) -> None:
        """Queue messages no complaint write carries; an id already queued is left alone."""

    @abstractmethod
    async def claim_messages(
        self, now: datetime, lease_until: datetime, token: str, limit: int
    ) -> list[OutboxMessage]:
        """Lease up to `limit` due messages to `token`, soonest due first, one attempt more.

        Due: pending with `due_at <= now`, or sending whose lease ended (`due_at <= now`);
        those come back `in_doubt`, since their last attempt may have reached the provider.
        Two claims never return the same message while its lease runs.
        """

    @abstractmethod
    async def finish_messages(self, attempts: Sequence[Attempt]) -> list[bool]:
        """Write each attempt's outcome, with its follow-ups, if its message is still leased
        to its token (in one commit on SQLite); per attempt, whether it was written."""

    @abstractmethod
    async def advance_message(
        self,
        provider_message_id: str,
        state: DeliveryState,
        error: str | None,
        follow_ups: Sequence[OutboxMessage] = (),
    ) -> OutboxMessage | None:
        """Move a sent message forward to a provider-reported state, never back (see
        `states_below`), queueing `follow_ups` with it; None when nothing changed."""

    @abstractmethod
    async def release_held(self, reference: str, now: datetime) -> int:
        """Make a complaint's `held` messages due now (its phone was just verified); returns
        how many. Releasing twice releases nothing more."""

    @abstractmethod
    async def get_message(self, message_id: str) -> OutboxMessage | None: ...

    @abstractmethod
    async def get_message_by_provider_id(
        self, provider_message_id: str
    ) -> OutboxMessage | None: ...

    @abstractmethod
    async def list_messages(
        self, filters: MessageFilter, limit: int, cursor: MessageCursor | None
    ) -> MessagePage:
        """Newest first; staff read the local outbox and webhook delivery logs here."""

    @abstractmethod
    async def outbox_backlog(self) -> OutboxBacklog:
        """How much of the outbox waits to be sent (the metrics read it at every scrape)."""

    @abstractmethod
    async def kpi_summary(self) -> KpiSummary: ...

    @abstractmethod
    async def claim_inbound(self, key: str, now: datetime) -> InboundClaim:
        """Record a platform's message id (Twilio CallSid + step, MessageSid, Telegram
        update_id…) atomically; only the first delivery is handled, retries are not."""

    @abstractmethod
    async def complete_inbound(self, key: str, reply: str) -> None:
        """Keep the answer given to a claimed message, so a retry gets the same answer."""

    @abstractmethod
    async def kpi_totals(self, filters: KpiFilter) -> KpiTotals:
        """Sums of `bot.kpi.contributions` for the filter, open complaints and calls by day."""

    @abstractmethod
    async def record_call_event(self, event: CallEvent) -> bool:
        """Count one call event; a repeat of the same call and kind is ignored (False)."""

    @abstractmethod
    async def record_inquiry(self, inquiry: TransactionInquiry) -> bool:
        """Count one transaction inquiry's outcome; the same id again is ignored (False)."""

    @abstractmethod
    async def hit_counter(
        self, key: str, window_start: datetime, expires_at: datetime, amount: int = 1
    ) -> int:
        """Add `amount` to the counter of `key` in one time window and return its total.

        `amount=0` only reads it. Shared by every replica (rate limits); a window's
        counter may be dropped once `expires_at` has passed.
        """

    @abstractmethod
    async def take_slot(
        self, pool: str, holder: str, limit: int, now: datetime, expires_at: datetime
    ) -> bool:
        """Give `holder` one of the `limit` slots of `pool` until it releases it or until
        `expires_at` (a holder that never says it is done frees its slot then); False when
        all are held. A holder asking again keeps its slot. Shared by every replica; never
        more than `limit` holders (on MongoDB, holders racing for the last slot may all be
        refused)."""

    @abstractmethod
    async def release_slot(self, pool: str, holder: str) -> None: ...

    @abstractmethod
    async def slots_held(self, pool: str, now: datetime) -> int:
        """How many slots of `pool` are held (not expired) at `now`."""

    @abstractmethod
    async def put_record(self, kind: RecordKind, key: str, record: BaseModel) -> None:
        """Insert or replace one small admin-managed record (API keys, announcements)."""

    @abstractmethod
    async def get_record(
        self, kind: RecordKind, key: str, model: type[Record]
    ) -> Record | None: ...

    @abstractmethod
    async def list_records(self, kind: RecordKind, model: type[Record]) -> list[Record]:
        """Every record of a kind, ordered by key."""

    @abstractmethod
    async def delete_record(self, kind: RecordKind, key: str) -> None: ...

    @abstractmethod
    async def insert_user(self, user: StaffUser) -> None: ...

    @abstractmethod
    async def get_user(self, username: str) -> StaffUser | None: ...

    @abstractmethod
    async def replace_user(self, user: StaffUser) -> None: ...

    @abstractmethod
    async def list_users(self) -> list[StaffUser]:
        """Every staff account, ordered by username (a municipality has hundreds, not millions)."""

    @abstractmethod
    async def insert_session(self, session: StaffSession) -> None: ...

    @abstractmethod
    async def get_session(self, token_hash: str) -> StaffSession | None: ...

    @abstractmethod
    async def touch_session(self, token_hash: str, seen_at: datetime) -> None: ...

    @abstractmethod
    async def delete_session(self, token_hash: str) -> None: ...

    # Live conversations (bot/conversations.py): the resident's contact, the desk, the transcript.

    @abstractmethod
    async def record_conversation(
        self, new: Conversation, entries: Sequence[TranscriptEntry]
    ) -> Conversation:
        """Start the conversation of `new.contact.key` as `new`, or refresh its contact (its id
        and desk stay), and append `entries` to its transcript; the conversation as stored."""

    @abstractmethod
    async def find_conversation(self, key: str) -> Conversation | None:
        """The conversation of a dialogue sender id (`whatsapp:+9665…`)."""

    @abstractmethod
    async def get_conversation(self, conversation_id: str) -> Conversation | None: ...

    @abstractmethod
    async def update_desk(
        self, conversation_id: str, desk: Desk, expected_version: int, now: datetime
    ) -> Conversation | None:
        """Write the desk if its stored version is still `expected_version` (one version
        more); None when someone else wrote it first."""

    @abstractmethod
    async def list_conversations(
        self, states: Sequence[ConversationState], limit: int
    ) -> list[Conversation]:
        """Conversations in these desk states, the most recently changed first."""

    @abstractmethod
    async def conversations_since(self, moment: datetime, limit: int) -> list[Conversation]:
        """Conversations changed (a message, a desk write) at or after `moment`, the latest
        first: what the inbox's figures are made of."""

    @abstractmethod
    async def append_transcript(
        self, conversation_id: str, entries: Sequence[TranscriptEntry]
    ) -> None: ...

    @abstractmethod
    async def transcript(self, conversation_id: str, limit: int) -> list[TranscriptEntry]:
        """The newest `limit` entries, oldest first."""

    @abstractmethod
    async def note_delivery(self, provider_id: str, delivery: Delivery) -> str | None:
        """Move the entry the platform knows as `provider_id` forward to `delivery` (never
        back); the id of its conversation when it changed."""


def key_range(prefix: str) -> tuple[str, str]:
    """The keys that start with `prefix` are those in [start, end): a range an index serves."""
    if not prefix:
        raise ValueError("an empty prefix names every key")
    return prefix, prefix[:-1] + chr(ord(prefix[-1]) + 1)
