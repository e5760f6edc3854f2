"""When a complaint is due, and when its employee is reminded.

The rule: a P1 (danger to people) counts clock hours around the clock — a live wire is
not left until Sunday. Every other priority counts working hours only: the catalogue's
working days between `start` and `end`, local time. A report made at night or at the
weekend starts counting when the next working day opens. The reminder falls at the
catalogue's `sla_reminder_fraction` (75%) of the same window, counted the same way.
"""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.catalogue import WorkingHours
from bot.clock import from_ms, to_ms
from bot.types import Priority

ROUND_THE_CLOCK: frozenset[Priority] = frozenset({"P1"})


def deadline(start: datetime, hours: float, priority: Priority, working: WorkingHours) -> datetime:
    """`start` plus `hours` as the priority counts them, at millisecond precision."""
    if priority in ROUND_THE_CLOCK:
        end = start + timedelta(hours=hours)
    else:
        end = add_working_hours(start, timedelta(hours=hours), working)
    return from_ms(to_ms(end))


def add_working_hours(start: datetime, duration: timedelta, working: WorkingHours) -> datetime:
    """Walk the working days from `start`, spending `duration` inside opening hours only."""
    zone = ZoneInfo(working.timezone)
    moment = start.astimezone(zone)
    remaining = duration
    while True:
        day = moment.date()
        opens = datetime.combine(day, working.start, zone)
        closes = datetime.combine(day, working.end, zone)
        if working.is_open(opens) and moment < closes:
            begin = max(moment, opens)
            available = closes - begin
            if remaining <= available:
                return begin.astimezone(UTC) + remaining
            remaining -= available
        moment = datetime.combine(day + timedelta(days=1), working.start, zone)
