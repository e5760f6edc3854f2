"""A chat user asks for an employee: the request is kept, and who is told, and what.

Every chat channel calls `request_handoff` with the dialogue's `{"handoff": {...}}` hint: the
request becomes a record (one per conversation, the newest request, `bot.handoffs`) and the
staff are alerted with a link to the agent inbox, where the conversation waits.

The agents pick chats up; with no active agent account, the supervisors do. Each is told once
on their own address (Telegram, else SMS, else the local outbox), in their language: the
channel, the masked phone, what the dialogue knew and the back office link. Nobody to tell:
the alert waits in the local outbox under `desk:handoffs`. Outside working hours it is due
when they begin, as the dialogue told the user. A message's id derives from the request and
its address, so queueing the same request again adds nothing.
"""

import hashlib
import logging
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any, Final
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from bot.catalogue import Catalogue, WorkingHours
from bot.channel_directory import ChannelDirectory
from bot.handoffs import RECORD_KIND, HandoffRequest, summary_lines
from bot.notifications.message import OutboxMessage
from bot.notifications.planner import Address, staff_addresses
from bot.notifications.providers.contact import StaffContacts
from bot.notifications.templates import STAFF, StaffEvent, render
from bot.phone import mask_phone
from bot.staff import StaffUser
from bot.store.base import Store
from bot.types import Role

log = logging.getLogger(__name__)
EVENT: Final[StaffEvent] = "chat_handoff"
INBOX_PATH: Final = "/staff/inbox"  # the agent inbox, where the conversation waits
HANDOFF_DESK: Final = "desk:handoffs"
PICKERS: Final = (Role.AGENT, Role.SUPERVISOR)  # in order: supervisors when no agent


def who_picks_up(staff: Iterable[StaffUser]) -> list[StaffUser]:
    """The active agents, else the active supervisors (empty when there are neither)."""
    users = [user for user in staff if user.active]
    for role in PICKERS:
        chosen = [user for user in users if user.role == role]
        if chosen:
            return chosen
    return []


def next_opening(hours: WorkingHours, moment: datetime) -> datetime:
    """`moment` itself within working hours, else the next time they begin."""
    if hours.is_open(moment):
        return moment
    zone = ZoneInfo(hours.timezone)
    today = moment.astimezone(zone).date()
    starts = (datetime.combine(today + timedelta(days=n), hours.start, zone) for n in range(8))
    return next(start for start in starts if start > moment and hours.is_open(start))


def alert_id(request: HandoffRequest, request_id: str, address: Address) -> str:
    """The same request to the same address is the same message (no phone in the id: ids
    are logged)."""
    seed = f"{request.key}|{request_id}|{address.channel}|{address.to}"
    return "handoff." + hashlib.sha256(seed.encode()).hexdigest()[:32]


def handoff_alerts(
    request: HandoffRequest,
    request_id: str,
    staff: Iterable[StaffUser],
    catalogue: Catalogue,
    channels: ChannelDirectory,
    staff_contacts: StaffContacts,
    public_base_url: str,
) -> list[OutboxMessage]:
    """The outbox messages one request causes; `request_id` names the user's message that
    asked (the platform's message id, or its time when the platform gives none)."""
    due = next_opening(catalogue.working_hours, request.requested_at)
    link = public_base_url.rstrip("/") + INBOX_PATH
    messages = []
    for address in staff_addresses(who_picks_up(staff), HANDOFF_DESK, staff_contacts):
        language = address.language
        lines = summary_lines(request.reason, request.summary, catalogue, language)
        values = {
            "channel": channels.label(request.channel, language),
            "phone": mask_phone(request.phone) or "—",
            "summary": " · ".join(f"{label}: {value}" for label, value in lines),
            "link": link,
        }
        body, variables = render(STAFF[EVENT], language, address.medium, values)
        messages.append(
            OutboxMessage(
                id=alert_id(request, request_id, address),
                channel=address.channel,
                to=address.to,
                event=EVENT,
                language=language,
                body=body,
                template_variables=variables,
                due_at=due,
                created_at=request.requested_at,
                updated_at=request.requested_at,
            )
        )
    return messages


async def request_handoff(
    store: Store,
    catalogue: Catalogue,
    channels: ChannelDirectory,
    staff_contacts: StaffContacts,
    public_base_url: str,
    hint: Mapping[str, Any],
    *,
    channel: str,
    conversation_id: str,
    phone: str | None,
    request_id: str,
    now: datetime,
) -> None:
    """Keep the dialogue's hand-off hint for staff and alert them; a malformed hint is
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
            }
        )
    except ValidationError as exc:
        log.warning("handoff hint from the dialogue not understood: %s", exc)
        return
    await store.put_record(RECORD_KIND, request.key, request)
    staff = await store.list_users()
    alerts = handoff_alerts(
        request, request_id, staff, catalogue, channels, staff_contacts, public_base_url
    )
    await store.insert_messages(alerts)
    log.info(
        "employee requested on %s (%s, %s, phone %s): %d staff alerts queued",
        channel,
        request.reason,
        "on duty" if request.available else "outside working hours",
        mask_phone(phone),
        len(alerts),
    )
