"""Who is told when a chat user asks for an employee, and what.

The agents pick chats up; with no active agent account, the supervisors do. Each is told once
on their own address (Telegram, else SMS, else the local outbox), in their language: the
channel, the masked phone, what the dialogue knew and the back office link. Nobody to tell:
the alert waits in the local outbox under `desk:handoffs`. Outside working hours it is due
when they begin, as the dialogue told the user. A message's id derives from the request and
its address, so queueing the same request again adds nothing.
"""

import hashlib
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Final
from zoneinfo import ZoneInfo

from bot.catalogue import Catalogue, WorkingHours
from bot.handoffs import HandoffRequest, summary_lines
from bot.notifications.message import OutboxMessage
from bot.notifications.planner import Address, staff_addresses
from bot.notifications.templates import STAFF, StaffEvent, render
from bot.phone import mask_phone
from bot.staff import StaffUser
from bot.types import Role
from bot.web.i18n import translate

EVENT: Final[StaffEvent] = "chat_handoff"
HANDOFFS_PATH: Final = "/staff/handoffs"
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
    public_base_url: str,
) -> list[OutboxMessage]:
    """The outbox messages one request causes; `request_id` names the user's message that
    asked (the platform's message id, or its time when the platform gives none)."""
    due = next_opening(catalogue.working_hours, request.requested_at)
    link = public_base_url.rstrip("/") + HANDOFFS_PATH
    messages = []
    for address in staff_addresses(who_picks_up(staff), HANDOFF_DESK):
        language = address.language
        lines = summary_lines(request, catalogue, language)
        values = {
            "channel": translate(f"channel.{request.channel.value}", language),
            "phone": mask_phone(request.phone) or "—",
            "summary": " · ".join(f"{label}: {value}" for label, value in lines),
            "link": link,
        }
        body, variables = render(STAFF[EVENT], language, values)
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
