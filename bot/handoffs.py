"""Chat hand-offs: a chat user (WhatsApp, SMS, Telegram, web chat) asked for an employee.

A chat cannot be transferred like a call, so each request is a record (one per conversation,
the newest request) that agents see in the back office (`/staff/handoffs`) and mark taken;
it is kept, and the staff alerted, by `bot.notifications.handoff.request_handoff`.
"""

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict

from bot.catalogue import Catalogue
from bot.store.base import Store
from bot.types import Channel, Language
from bot.words import N_, text

log = logging.getLogger(__name__)
RECORD_KIND: Final = "chat_handoff"
# How long a taken request stays on the list, so colleagues see who took it.
TAKEN_SHOWN_FOR: Final = timedelta(hours=24)
DESCRIPTION_SHOWN: Final = 160  # characters of the user's description in a summary
TakeOutcome = Literal["taken", "already_taken", "not_found"]
# Why the dialogue handed a chat over (actions/conversation.py), as staff read it.
REASONS: Final = {
    "requested": N_("handoffs.reason.requested"),
    "not_understood": N_("handoffs.reason.not_understood"),
    "reference_not_verified": N_("handoffs.reason.reference_not_verified"),
}


class HandoffRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")

    channel: Channel
    conversation_id: str
    reason: str = "requested"
    available: bool = True
    language: Language = "ar"
    summary: dict[str, Any] = {}
    phone: str | None = None
    requested_at: datetime
    taken_by: str | None = None
    taken_at: datetime | None = None

    @property
    def key(self) -> str:
        return f"{self.channel}:{self.conversation_id}"


@dataclass(frozen=True)
class HandoffList:
    waiting: list[HandoffRequest]  # oldest first: who has waited longest comes first
    taken: list[HandoffRequest]  # taken in the last TAKEN_SHOWN_FOR, newest first


def summary_lines(
    reason: str, summary: Mapping[str, Any], catalogue: Catalogue, language: Language
) -> list[tuple[str, str]]:
    """(label, value) of what the dialogue knew when it handed over, in the reader's
    language, its reason first."""
    reason_key = REASONS.get(reason)
    lines = [
        (text("handoffs.reason", language), text(reason_key, language) if reason_key else reason)
    ]
    category = catalogue.categories.get(str(summary.get("category", "")))
    if category is not None:
        lines.append((text("field.category", language), category.name.get(language)))
    district = catalogue.districts.get(str(summary.get("district", "")))
    if district is not None:
        lines.append((text("field.district", language), district.name.get(language)))
    if summary.get("description"):
        description = str(summary["description"])[:DESCRIPTION_SHOWN]
        lines.append((text("field.description", language), description))
    if summary.get("last_reference"):
        lines.append((text("field.reference", language), str(summary["last_reference"])))
    return lines


async def list_handoffs(store: Store, now: datetime) -> HandoffList:
    requests = await store.list_records(RECORD_KIND, HandoffRequest)
    waiting = [request for request in requests if request.taken_at is None]
    taken = [
        request
        for request in requests
        if request.taken_at is not None and now - request.taken_at < TAKEN_SHOWN_FOR
    ]
    return HandoffList(
        waiting=sorted(waiting, key=lambda request: request.requested_at),
        taken=sorted(taken, key=lambda request: request.taken_at or now, reverse=True),
    )


async def take_handoff(store: Store, key: str, username: str, now: datetime) -> TakeOutcome:
    """Mark a waiting request as taken by one employee; the first to take it keeps it."""
    request = await store.get_record(RECORD_KIND, key, HandoffRequest)
    if request is None:
        return "not_found"
    if request.taken_at is not None:
        return "already_taken"
    # two employees taking it at once: the store's atomic once-only claim picks one
    once = f"handoff-taken:{key}:{request.requested_at.isoformat()}"
    if not (await store.claim_inbound(once, now)).first:
        return "already_taken"
    taken = request.model_copy(update={"taken_by": username, "taken_at": now})
    await store.put_record(RECORD_KIND, key, taken)
    log.info("hand-off on %s taken by %s", request.channel, username)
    return "taken"
