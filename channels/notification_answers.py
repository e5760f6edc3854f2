"""What a chat channel says when a citizen's message answers a notification's question.

The answer itself ("is it fixed? 1 / 2", the 1–5 rating) is bot/notifications/replies.py;
each channel finds the citizen its own way (phone, Telegram chat) and says this.
"""

import logging
from collections.abc import Awaitable, Callable

from bot.complaints import ChangeRefused
from bot.notifications.replies import ReplyOutcome
from bot.types import Language
from channels.chat_texts import say

log = logging.getLogger(__name__)


async def notification_answer(
    answer: Callable[[], Awaitable[ReplyOutcome | None]], language: Language, who: str
) -> str | None:
    """The text to send back: empty when the status change notifies by itself, None when
    the message answers no question. `who` names the sender in the log (a masked phone, a
    Telegram chat)."""
    try:
        outcome = await answer()
    except ChangeRefused:
        return say("reopen_too_late", language)
    if outcome is None:
        return None
    log.info("%s: report %s %s", who, outcome.reference, outcome.action)
    if outcome.action == "rated":
        return say("rating_thanks", language, reference=outcome.reference)
    return ""
