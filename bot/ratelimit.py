"""Fixed-window attempt limits kept in the store, so every replica sees the same count.

Only failures are counted (a wrong password, a reference that does not match its phone
digits); once a key has used its allowance, even a right answer waits for the window.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.clock import from_ms, to_ms, utc_now
from bot.settings import Settings
from bot.store.base import Store


@dataclass(frozen=True)
class Limit:
    name: str
    allowed: int
    window: timedelta


def guess_limits(settings: Settings) -> tuple[Limit, Limit]:
    """How often someone may fail to prove a record is theirs (the portal's tracking form, a
    transaction's proof): per asker (their address, their phone) and per record asked about."""
    return (
        Limit("track-ip", settings.track_attempts_per_ip, timedelta(minutes=10)),
        Limit("track-reference", settings.track_attempts_per_reference, timedelta(hours=1)),
    )


class RateLimiter:
    def __init__(self, store: Store) -> None:
        self.store = store

    @staticmethod
    def _window(limit: Limit, now: datetime) -> tuple[datetime, datetime]:
        size = to_ms(now) // (limit.window // timedelta(milliseconds=1))
        start = from_ms(size * (limit.window // timedelta(milliseconds=1)))
        return start, start + limit.window

    async def blocked(self, limit: Limit, key: str) -> bool:
        """Whether `key` has no attempts left in the current window."""
        start, end = self._window(limit, utc_now())
        used = await self.store.hit_counter(f"{limit.name}:{key}", start, end, amount=0)
        return used >= limit.allowed

    async def failed(self, limit: Limit, key: str) -> None:
        start, end = self._window(limit, utc_now())
        await self.store.hit_counter(f"{limit.name}:{key}", start, end)
