"""A citizen's answer to the last question a notification asked them.

Channels (SMS, WhatsApp) call `handle_citizen_reply` before handing a message to the
dialogue: "1"/"2" after "is it fixed?" confirms (closed) or reopens (in progress); a
digit 1–5 after "how satisfied are you?" is stored as the rating. Anything else, or a
citizen with no question pending, returns None and the message goes to the dialogue.
"""

from dataclasses import dataclass
from typing import Literal

from bot.complaint import Complaint
from bot.complaints import CITIZEN, ComplaintService
from bot.digits import strip_number
from bot.store.base import ComplaintFilter
from bot.types import Status

RECENT = 20


@dataclass(frozen=True)
class ReplyOutcome:
    reference: str
    action: Literal["confirmed", "reopened", "rated"]


def _asks_fix(complaint: Complaint) -> bool:
    return complaint.status == Status.RESOLVED


def _asks_rating(complaint: Complaint) -> bool:
    return complaint.status == Status.CLOSED and complaint.satisfaction is None


async def handle_citizen_reply(
    complaints: ComplaintService, phone: str, text: str
) -> ReplyOutcome | None:
    """`phone` in E.164. Raises ChangeRefused when the reopen window has passed."""
    answer = strip_number(text)
    if len(answer) != 1 or not answer.isdigit():
        return None
    page = await complaints.store.list_complaints(
        ComplaintFilter(phone=phone), limit=RECENT, cursor=None
    )
    asking = [c for c in page.items if _asks_fix(c) or _asks_rating(c)]
    if not asking:
        return None
    latest = max(asking, key=lambda complaint: complaint.updated_at)
    if _asks_fix(latest) and answer == "1":
        note = "the citizen confirmed the fix"
        await complaints.change_status(latest.reference, Status.CLOSED, CITIZEN, note)
        return ReplyOutcome(latest.reference, "confirmed")
    if _asks_fix(latest) and answer == "2":
        note = "the citizen says it is not fixed"
        await complaints.change_status(latest.reference, Status.IN_PROGRESS, CITIZEN, note)
        return ReplyOutcome(latest.reference, "reopened")
    if _asks_rating(latest) and answer in "12345":
        await complaints.rate(latest.reference, CITIZEN, int(answer))
        return ReplyOutcome(latest.reference, "rated")
    return None
