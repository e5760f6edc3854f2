"""Delivery reports from Twilio move a message's state forward, never back.

queued < sent < delivered / undelivered / failed < read: a late `sent` never overwrites
`delivered`. A WhatsApp message reported failed or undelivered is queued again as SMS
in the same store write.
"""

import logging

from bot.clock import utc_now
from bot.notifications.fallback import sms_fallbacks
from bot.notifications.message import OutboxMessage, states_below
from bot.notifications.providers.twilio_messaging import TWILIO_STATES
from bot.store.base import Store

log = logging.getLogger(__name__)


async def apply_twilio_status(
    store: Store, message_sid: str, twilio_status: str, error_code: str | None
) -> OutboxMessage | None:
    """The message after the report, or None when the report changes nothing."""
    state = TWILIO_STATES.get(twilio_status)
    message = await store.get_message_by_provider_id(message_sid)
    if state is None or message is None or message.state not in states_below(state):
        log.info("status %s for %s changes nothing", twilio_status, message_sid)
        return None
    error = f"Twilio error {error_code}" if error_code else None
    failed = state in ("failed", "undelivered")
    follow_ups = sms_fallbacks(message, utc_now()) if failed else []
    return await store.advance_message(message_sid, state, error, follow_ups)
