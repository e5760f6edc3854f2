"""Which webhook events a complaint change raises, and the JSON each delivery carries.

The payload leaves out the citizen's phone number and name: subscribers are other
municipal systems that need the case, not the person.
"""

import json

from bot.complaint_record import Complaint
from bot.notifications.subscription import WebhookEvent

PAYLOAD_FIELDS = frozenset(Complaint.model_fields) - {
    "phone",
    "name",
    "history",
    "sources",
    "idempotency_key",
}


def webhook_events(before: Complaint | None, after: Complaint) -> list[WebhookEvent]:
    if before is None:
        return ["complaint.created"]
    events: list[WebhookEvent] = []
    if after.status != before.status:
        events.append("complaint.status_changed")
    if (after.team, after.assignee) != (before.team, before.assignee):
        events.append("complaint.assigned")
    if after.sla_breached_at is not None and before.sla_breached_at is None:
        events.append("complaint.sla_breached")
    if after.satisfaction != before.satisfaction:
        events.append("complaint.rated")
    return events


def webhook_payload(event: WebhookEvent, complaint: Complaint) -> str:
    return json.dumps(
        {
            "event": event,
            "occurred_at": complaint.updated_at.isoformat(),
            "complaint": complaint.model_dump(mode="json", include=set(PAYLOAD_FIELDS)),
        },
        ensure_ascii=False,
    )
