"""A chat user asked for an employee: put the request before the staff who pick it up.

The phone line transfers the call itself; a chat cannot be transferred, so the dialogue's
`{"handoff": {...}}` hint becomes a record (one per conversation, the newest request) on the
back office's hand-off list (`bot.handoffs`), an alert to the agents on duty through the
outbox (`bot.notifications.handoff`), and a log line.
"""

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from bot.handoffs import RECORD_KIND, HandoffRequest
from bot.notifications.handoff import handoff_alerts
from bot.phone import mask_phone
from bot.services import Services
from bot.types import Channel

log = logging.getLogger(__name__)


async def record_handoff(
    services: Services,
    channel: Channel,
    conversation_id: str,
    hint: Mapping[str, Any],
    phone: str | None,
    request_id: str,
    now: datetime,
) -> None:
    """Keep the dialogue's handoff hint for staff and alert them; a malformed hint is
    logged, not fatal. `request_id` names the user's message that asked: the same request
    queues its alerts once, however often it arrives."""
    try:
        request = HandoffRequest.model_validate(
            {
                **hint,
                "channel": channel,
                "conversation_id": conversation_id,
                "phone": phone,
                "requested_at": now,
                "taken_by": None,
                "taken_at": None,
            }
        )
    except ValidationError as exc:
        log.warning("handoff hint from the dialogue not understood: %s", exc)
        return
    store = services.store
    await store.put_record(RECORD_KIND, request.key, request)
    alerts = handoff_alerts(
        request,
        request_id,
        await store.list_users(),
        services.catalogue,
        services.settings.public_base_url,
    )
    await store.insert_messages(alerts)
    log.info(
        "employee requested on %s (%s, %s, phone %s): %d staff alerts queued",
        channel.value,
        request.reason,
        "on duty" if request.available else "outside working hours",
        mask_phone(phone),
        len(alerts),
    )
