"""Fixed-window limits kept in the store, so every replica sees the same count.

Two ways to count:
- failures only (`blocked` before, `failed` after a wrong answer): portal look-ups, where a
  right answer costs nothing; once a key has used its allowance, even a right answer waits;
- every attempt, reserved before the work (`reserve`, one atomic increment): sign-in, reports,
  uploads. Parallel attempts each get their own number, so no more than the allowance pass
  however many arrive at once; a sign-in that turns out right gives its attempt back (`refund`).
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
    """How often someone may fail to prove a record is theirs (a report's tracking digits, a
    transaction's proof): per asker (their address, their phone) and per record asked about."""
    return (
        Limit("track-ip", settings.track_attempts_per_ip, timedelta(minutes=10)),
        Limit("track-reference", settings.track_attempts_per_reference, timedelta(hours=1)),
    )


@dataclass(frozen=True)
class Reservation:
    """One attempt counted in one window; `allowed` is False past the allowance."""

    limit: Limit
    key: str
    window_start: datetime
    window_end: datetime
    allowed: bool

    @property
    def retry_after_seconds(self) -> int:
        """Whole seconds until the window ends (at least 1)."""
        return max(1, int((self.window_end - utc_now()).total_seconds()) + 1)


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

    async def reserve(self, limit: Limit, key: str) -> Reservation:
        """Count one attempt now, before the work it allows is done."""
        start, end = self._window(limit, utc_now())
        used = await self.store.hit_counter(f"{limit.name}:{key}", start, end)
        return Reservation(limit, key, start, end, allowed=used <= limit.allowed)

    async def refund(self, reservation: Reservation) -> None:
        """Give a reserved attempt back, in the window it was counted in."""
        await self.store.hit_counter(
            f"{reservation.limit.name}:{reservation.key}",
            reservation.window_start,
            reservation.window_end,
            amount=-1,
        )

    async def reserve_all(self, *wanted: tuple[Limit, str]) -> list[Reservation]:
        """One attempt on each (limit, key), all counted whatever the others say."""
        return [await self.reserve(limit, key) for limit, key in wanted]
