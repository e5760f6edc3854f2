"""An outbox message: one notification (or webhook delivery) and where its delivery stands.

The id is the idempotency key: it is derived from the complaint write that caused the
message, so the same change can never queue it twice.
"""

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from bot.clock import CALENDAR_MS, from_ms, to_ms
from bot.types import Language

# The way a message leaves: a provider's channel ("sms", "whatsapp", "telegram", "webhook",
# bot/notifications/providers/registry.py), or "local", the outbox staff read in the back office.
MessageChannel = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{1,30}$")]
PHONE_CHANNELS: frozenset[str] = frozenset({"sms", "whatsapp"})  # their `to` is a phone
# `held`: waits for the recipient's phone to be verified (bot/phone_check.py);
# `refused`: never sent, and why is in `error` (bot/notifications/send_policy.py).
DeliveryState = Literal[
    "held",
    "pending",
    "sending",
    "queued",
    "sent",
    "delivered",
    "read",
    "undelivered",
    "failed",
    "refused",
]
# Where a message waits for the dispatcher; every other state is the provider's news.
IN_FLIGHT: tuple[DeliveryState, ...] = ("pending", "sending")
# Provider states only ever move up this order: a late `sent` never overwrites `delivered`.
_RANK: dict[DeliveryState, int] = {
    "queued": 1,
    "sent": 2,
    "delivered": 3,
    "undelivered": 3,
    "failed": 3,
    "read": 4,
}


class InvalidMessageCursor(ValueError):
    """A message-page cursor this service did not hand out."""


def states_below(state: DeliveryState) -> tuple[DeliveryState, ...]:
    """The delivered-side states a provider report of `state` may replace."""
    rank = _RANK[state]
    return tuple(other for other, other_rank in _RANK.items() if other_rank < rank)


class OutboxMessage(BaseModel):
    """`due_at` is when the dispatcher looks next: the retry time while pending, the lease
    end while sending. `in_doubt` marks a message whose last attempt may have reached the
    provider without us hearing back (lease ran out, timeout, 5xx)."""

    model_config = ConfigDict(extra="forbid")

    id: Annotated[str, Field(max_length=120)]
    channel: MessageChannel
    to: Annotated[str, Field(max_length=200)]
    event: str
    language: Language
    reference: str | None = None
    body: str
    template_variables: list[str] = []
    state: DeliveryState = "pending"
    attempts: int = 0
    due_at: datetime
    claim_token: str | None = None
    in_doubt: bool = False
    provider: str | None = None
    provider_message_id: str | None = None
    error: str | None = None
    created_at: datetime
    updated_at: datetime


class MessageFilter(BaseModel):
    """What the staff outbox and a webhook's delivery log are narrowed by; scalars only."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    channel: MessageChannel | None = None
    to: Annotated[str, Field(max_length=200)] | None = None
    reference: Annotated[str, Field(max_length=30)] | None = None
    state: DeliveryState | None = None
    provider: Annotated[str, Field(max_length=40)] | None = None


@dataclass(frozen=True)
class MessageCursor:
    """Position after the last message of a page: newest first, id breaks ties."""

    created_ms: int
    id: str

    def encode(self) -> str:
        raw = f"{self.created_ms}:{self.id}".encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str) -> "MessageCursor":
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
            created, message_id = raw.split(":", 1)
            if int(created) not in CALENDAR_MS:
                raise ValueError(created)
            return cls(int(created), message_id)
        except (ValueError, binascii.Error, UnicodeDecodeError):
            raise InvalidMessageCursor("invalid cursor") from None

    @classmethod
    def after(cls, message: OutboxMessage) -> "MessageCursor":
        return cls(to_ms(message.created_at), message.id)

    @property
    def created_at(self) -> datetime:
        return from_ms(self.created_ms)


@dataclass(frozen=True)
class Attempt:
    """The outcome of one delivery attempt, to be written only while `token` still holds
    the message's lease; `follow_ups` (an SMS fallback) are queued with it."""

    outcome: OutboxMessage
    token: str
    follow_ups: Sequence[OutboxMessage] = ()


@dataclass(frozen=True)
class MessagePage:
    items: list[OutboxMessage]
    next_cursor: str | None
