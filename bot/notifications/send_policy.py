"""Who SMS and WhatsApp may reach, checked where every message leaves (the dispatcher).

- Only numbers in `BALAGH_PHONE_COUNTRY_CODES` (default +966).
- At most `BALAGH_MESSAGES_PER_PHONE_PER_DAY` messages to one number a day (UTC days; counted
  in the store, so every worker shares the count), staff notices excepted: an employee's
  assignments and alerts are never held back.

A message refused here ends `refused` with the reason in its `error`; it stays in the outbox
for staff to see. Each message is counted once, on its first attempt, not on every retry.
"""

from datetime import timedelta
from typing import Final, get_args

from bot.notifications.message import PHONE_CHANNELS, OutboxMessage
from bot.notifications.templates import StaffEvent
from bot.phone import country_code, format_countries
from bot.ratelimit import Limit, RateLimiter
from bot.store.base import Store

STAFF_EVENTS: Final = frozenset(get_args(StaffEvent))
DAY: Final = timedelta(days=1)


class SendPolicy:
    def __init__(self, store: Store, country_codes: frozenset[int], per_day: int) -> None:
        self.limiter = RateLimiter(store)
        self.country_codes = country_codes
        self.daily = Limit("messages-phone", per_day, DAY)

    async def refusal(self, message: OutboxMessage) -> str | None:
        """Why this message must not be sent, or None when it may."""
        if message.channel not in PHONE_CHANNELS:
            return None
        if country_code(message.to) not in self.country_codes:
            return (
                f"refused: {message.channel} goes only to {format_countries(self.country_codes)} "
                "numbers (BALAGH_PHONE_COUNTRY_CODES)"
            )
        if message.event in STAFF_EVENTS or message.attempts > 1:
            return None
        counted = await self.limiter.reserve(self.daily, message.to)
        if not counted.allowed:
            return (
                f"refused: this number had {self.daily.allowed} messages today already "
                "(BALAGH_MESSAGES_PER_PHONE_PER_DAY)"
            )
        return None
