"""The complaint record: what a citizen reported and everything that happened to it."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from bot.phone_check import PhoneCheck
from bot.text import CleanText
from bot.types import Channel, Language, Priority, Status

AttachmentKind = Literal["photo", "voice", "call_recording", "document"]


class Location(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    lat: Annotated[float, Field(ge=-90, le=90)] | None = None
    lng: Annotated[float, Field(ge=-180, le=180)] | None = None
    address: Annotated[CleanText, Field(max_length=300)] | None = None


class Attachment(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: AttachmentKind
    media_type: Annotated[str, Field(max_length=100)]
    size: Annotated[int, Field(ge=0)]
    storage_key: Annotated[str, Field(max_length=500)]


@dataclass(frozen=True)
class Why:
    """A reason the system gives, as a key and values each page says in its own language
    (`reason.<key>` in the catalogues, bot/web/timeline.py); `HistoryEntry.reason` keeps it
    in English."""

    key: str
    values: dict[str, str] = field(default_factory=dict)


class HistoryEntry(BaseModel):
    """One change: who did it, when, what moved from old to new, and why.

    `internal` entries (staff notes, dispatch reasoning) never reach the citizen. The
    reasons the system words itself also carry `reason_key` and `reason_values` (see Why).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    at: datetime
    actor: str
    field: str
    old: str | None = None
    new: str | None = None
    reason: CleanText = ""
    internal: bool = False
    reason_key: Annotated[str, Field(max_length=40)] | None = None
    reason_values: dict[str, str] = {}


class Subscriber(BaseModel):
    """A resident who had the same problem and joined this open report instead of filing a
    duplicate: told of its progress on their own channel, in their language."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    channel: Channel
    language: Language
    phone: str | None = None
    # the channel's own address for them (its contact source, e.g. a Telegram chat)
    contact: Annotated[str, Field(max_length=40)] | None = None
    at: datetime


class Complaint(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reference: str
    # The store counter's number behind the reference (None for references made before
    # references were keyed: bot/reference.py decodes those).
    sequence: int | None = None
    channel: Channel
    language: Language
    category: str | None
    description: str
    district: str | None = None
    location: Location | None = None
    phone: str | None = None
    # Whether messages may go to `phone`: proven by the channel, or by the code sent to it
    # (bot/phone_check.py). Complaints stored before this existed were all messaged: True.
    phone_verified: bool = True
    phone_check: PhoneCheck | None = None  # the code sent to an unproven phone, while it counts
    name: str | None = None
    email: str | None = None
    attachments: list[Attachment] = []
    priority: Priority
    status: Status = Status.NEW
    department: str
    team: str | None = None
    assignee: str | None = None
    sla_due_at: datetime
    sla_remind_at: datetime | None = None  # when the responsible employee is reminded
    sla_reminded_at: datetime | None = None
    created_at: datetime
    updated_at: datetime
    resolved_at: datetime | None = None
    sla_breached_at: datetime | None = None
    duplicate_of: str | None = None
    satisfaction: Annotated[int, Field(ge=1, le=5)] | None = None  # the citizen's rating
    sources: dict[str, str] = {}
    subscribers: list[Subscriber] = []
    idempotency_key: str | None = None
    history: list[HistoryEntry] = []
    version: int = 1
