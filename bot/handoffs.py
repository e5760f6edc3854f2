"""Chat hand-offs: a chat user (WhatsApp, SMS, Telegram, web chat) asked for an employee.

Each request is a record (one per conversation, the newest request), kept and alerted by
`bot.notifications.handoff.request_handoff`; the conversation itself waits in the agent
inbox (bot/conversations.py), where an employee takes it.
"""

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final

from pydantic import BaseModel, ConfigDict

from bot.catalogue import Catalogue
from bot.types import Channel, Language
from bot.words import N_, text

RECORD_KIND: Final = "chat_handoff"
DESCRIPTION_SHOWN: Final = 160  # characters of the user's description in a summary
# Why the dialogue handed a chat over (actions/conversation.py), as staff read it.
REASONS: Final = {
    "requested": N_("handoffs.reason.requested"),
    "call_back": N_("handoffs.reason.call_back"),
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

    @property
    def key(self) -> str:
        return f"{self.channel}:{self.conversation_id}"


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
