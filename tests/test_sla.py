"""Due times: clock hours for P1, the catalogue's working hours for everything else."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.complaints import ComplaintService
from bot.sla import deadline
from bot.store.sqlite import SqliteStore
from tests.conftest import RULES

RIYADH = ZoneInfo("Asia/Riyadh")  # working hours: Sunday–Thursday 07:30–14:30


def riyadh(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment in March 2025 (the 2nd is a Sunday), Riyadh time."""
    return datetime(2025, 3, day, hour, minute, tzinfo=RIYADH)


@pytest.mark.parametrize(
    ("start", "hours", "due"),
    [
        (riyadh(2, 8), 2, riyadh(2, 10)),  # inside one working day
        (riyadh(2, 6), 1, riyadh(2, 8, 30)),  # before opening: counts from 07:30
        (riyadh(3, 22), 1, riyadh(4, 8, 30)),  # at night: the next morning
        (riyadh(2, 14, 30), 1, riyadh(3, 8, 30)),  # at closing time: tomorrow
        (riyadh(6, 13, 30), 3, riyadh(9, 9, 30)),  # Thursday afternoon: over the weekend
        (riyadh(7, 10), 7, riyadh(9, 14, 30)),  # Friday: the week starts on Sunday
        (riyadh(2, 7, 30), 72, riyadh(16, 9, 30)),  # ten working days and two hours
    ],
)
def test_lower_priorities_count_working_hours_only(catalogue, start, hours, due):
    assert deadline(start, hours, "P3", catalogue.working_hours) == due.astimezone(UTC)


def test_p1_counts_clock_hours_through_nights_and_weekends(catalogue):
    start = riyadh(6, 13, 30)  # Thursday afternoon
    assert deadline(start, 4, "P1", catalogue.working_hours) == start + timedelta(hours=4)


def test_deadlines_are_at_millisecond_precision(catalogue):
    start = riyadh(2, 8)
    due = deadline(start, 1 / 7, "P2", catalogue.working_hours)
    assert due.microsecond % 1000 == 0


async def test_complaints_get_their_due_time_and_a_reminder_at_75_percent(tmp_path, catalogue):
    store = SqliteStore(tmp_path / "sla.db")
    service = ComplaintService(store, catalogue, rules=RULES)
    start = riyadh(2, 8).astimezone(UTC)
    hours = catalogue.category("roads").sla_hours["P3"]
    assert service.sla_due("roads", "P3", start) == deadline(
        start, hours, "P3", catalogue.working_hours
    )
    assert service.sla_remind("lighting", "P1", start) == start + timedelta(hours=6 * 0.75)
    assert service.sla_remind(None, "P3", start) == riyadh(4, 12).astimezone(UTC)  # 18 of 24h
