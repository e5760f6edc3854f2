"""A chat user asked for an employee: keep the request where the back office can see it.

The phone line transfers the call itself; a chat cannot be transferred, so the dialogue's
`{"handoff": {...}}` hint becomes a record (one per conversation, the newest request) that
staff list with `store.list_records("chat_handoff", HandoffRequest)`, and a log line.
"""

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final

from pydantic import BaseModel, ConfigDict, ValidationError

from bot.phone import mask_phone
from bot.store.base import Store
from bot.types import Channel, Language

log = logging.getLogger(__name__)
RECORD_KIND: Final = "chat_handoff"


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


async def record_handoff(
    store: Store,
    channel: Channel,
    conversation_id: str,
    hint: Mapping[str, Any],
    phone: str | None,
    now: datetime,
) -> None:
    """Keep the dialogue's handoff hint for staff; a malformed hint is logged, not fatal."""
    try:
        request = HandoffRequest.model_validate(
            {
                **hint,
                "channel": channel,
                "conversation_id": conversation_id,
                "phone": phone,
                "requested_at": now,
            }
        )
    except ValidationError as exc:
        log.warning("handoff hint from the dialogue not understood: %s", exc)
        return
    await store.put_record(RECORD_KIND, f"{channel.value}:{conversation_id}", request)
    log.info(
        "employee requested on %s (%s, %s, phone %s)",
        channel.value,
        request.reason,
        "on duty" if request.available else "outside working hours",
        mask_phone(phone),
    )
