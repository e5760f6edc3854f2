"""A citizen's answer to the last question a notification asked them.

Every chat channel's message goes through `answer_question` before the dialogue (unless a
menu is open): "1"/"2" after "is it fixed?" confirms (closed) or reopens (in progress); a
digit 1–5 after "how satisfied are you?" is stored as the rating. Digits may be Eastern
Arabic (١ ٢). Anything else, or a citizen with no question pending, returns None and the
message goes to the dialogue.

Who is answering: where the channel reaches citizens by a contact of its own (a Telegram
chat), that chat, matched against the complaints whose questions were sent to it (found
through the outbox, which every backend indexes by recipient); otherwise the sender's phone,
matched against the complaints reported with it (SMS, WhatsApp).
"""

import logging
from dataclasses import dataclass
from typing import Literal

from bot.complaint_record import Complaint, Why
from bot.complaints import CITIZEN, ChangeRefused, ComplaintService
from bot.digits import strip_number
from bot.notifications.message import MessageChannel, MessageFilter
from bot.phone import mask_phone
from bot.store.base import ComplaintFilter
from bot.types import Language, Status
from bot.words import Medium, text

log = logging.getLogger(__name__)

RECENT = 20
# The notifications that ask the citizen something (bot/notifications/templates.py).
QUESTIONS = frozenset({"resolved", "closed"})


@dataclass(frozen=True)
class ReplyOutcome:
    reference: str
    action: Literal["confirmed", "reopened", "rated"]


def _asks_fix(complaint: Complaint) -> bool:
    return complaint.status == Status.RESOLVED


def _asks_rating(complaint: Complaint) -> bool:
    return complaint.status == Status.CLOSED and complaint.satisfaction is None


def _digit(text: str) -> str | None:
    answer = strip_number(text)
    return answer if len(answer) == 1 and answer.isdigit() else None


async def handle_citizen_reply(
    complaints: ComplaintService, phone: str, text: str
) -> ReplyOutcome | None:
    """`phone` in E.164. Raises ChangeRefused when the reopen window has passed."""
    answer = _digit(text)
    if answer is None:
        return None
    page = await complaints.store.list_complaints(
        ComplaintFilter(phone=phone), limit=RECENT, cursor=None
    )
    # a report whose phone was typed but never proven is not this sender's to answer
    return await _answer(complaints, [c for c in page.items if c.phone_verified], answer)


async def handle_contact_reply(
    complaints: ComplaintService, channel: MessageChannel, contact: str, text: str
) -> ReplyOutcome | None:
    """A message from a chat the notifications reach on `channel` (a private Telegram chat).
    Raises ChangeRefused as handle_citizen_reply."""
    answer = _digit(text)
    if answer is None:
        return None
    sent = await complaints.store.list_messages(
        MessageFilter(channel=channel, to=contact), limit=RECENT, cursor=None
    )
    # Only the citizen's questions: a staff member's chat receives other notices.
    asked = dict.fromkeys(m.reference for m in sent.items if m.event in QUESTIONS and m.reference)
    candidates: list[Complaint] = []
    for reference in asked:
        complaint = await complaints.store.get_complaint(reference)
        if complaint is not None:
            candidates.append(complaint)
    return await _answer(complaints, candidates, answer)


async def _answer(
    complaints: ComplaintService, candidates: list[Complaint], answer: str
) -> ReplyOutcome | None:
    """Answer the question of the most recently updated complaint that has one open."""
    asking = [c for c in candidates if _asks_fix(c) or _asks_rating(c)]
    if not asking:
        return None
    latest = max(asking, key=lambda complaint: complaint.updated_at)
    if _asks_fix(latest) and answer == "1":
        note = "the citizen confirmed the fix"
        why = Why("fix_confirmed")
        await complaints.change_status(latest.reference, Status.CLOSED, CITIZEN, note, why)
        return ReplyOutcome(latest.reference, "confirmed")
    if _asks_fix(latest) and answer == "2":
        note = "the citizen says it is not fixed"
        why = Why("not_fixed")
        await complaints.change_status(latest.reference, Status.IN_PROGRESS, CITIZEN, note, why)
        return ReplyOutcome(latest.reference, "reopened")
    if _asks_rating(latest) and answer in "12345":
        await complaints.rate(latest.reference, CITIZEN, int(answer))
        return ReplyOutcome(latest.reference, "rated")
    return None


async def answer_question(
    complaints: ComplaintService,
    message: str,
    language: Language,
    medium: Medium,
    *,
    phone: str | None,
    contact: tuple[MessageChannel, str] | None,
) -> str | None:
    """What to say when the message answers a notification's question: "" when the status
    change notifies the citizen by itself, None when the message answers no question.
    `contact`: the channel's own address of the sender (how notifications reach them), if any.
    """
    try:
        if contact is not None:
            outcome = await handle_contact_reply(complaints, *contact, message)
        elif phone is not None:
            outcome = await handle_citizen_reply(complaints, phone, message)
        else:
            return None
    except ChangeRefused:
        return text("chat.reopen_too_late", language, medium)
    if outcome is None:
        return None
    who = f"{contact[0]}:{contact[1]}" if contact else mask_phone(phone)
    log.info("%s: report %s %s", who, outcome.reference, outcome.action)
    if outcome.action == "rated":
        return text("chat.rating_thanks", language, medium, reference=outcome.reference)
    return ""
