"""KPI arithmetic that does not need a store: duration buckets, percentiles, ageing."""

from datetime import date

import pytest

from bot.conversations import DeskFigures
from bot.kpi import KpiFilter, KpiTotals, bucket_hours, build_report, duration_bucket

HOUR_MS = 3_600_000


@pytest.mark.parametrize("hours", [0.02, 0.5, 1, 2.5, 24, 72, 240, 2000])
def test_a_bucket_represents_its_durations_within_three_percent(hours: float) -> None:
    assert bucket_hours(duration_bucket(int(hours * HOUR_MS))) == pytest.approx(hours, rel=0.03)


def test_the_first_minute_is_one_bucket() -> None:
    assert duration_bucket(0) == duration_bucket(59_999) == 0
    assert duration_bucket(-5) == 0


def test_percentiles_use_the_nearest_rank() -> None:
    filters = KpiFilter(start=date(2025, 3, 1), end=date(2025, 3, 1))
    one_hour, ten_hours = str(duration_bucket(HOUR_MS)), str(duration_bucket(10 * HOUR_MS))
    totals = KpiTotals(
        metrics={"resolution": {one_hour: 9, ten_hours: 1}},
        created_by_day={"2025-03-01": 10},
        open_by_day={"2025-03-01": 1, "2025-02-20": 2, "2024-01-01": 3, "2025-03-02": 1},
        calls={},
        inquiries={},
    )
    report = build_report(filters, totals, date(2025, 3, 1), DeskFigures())
    assert report.resolution.median_hours == pytest.approx(1, rel=0.03)
    assert report.resolution.p90_hours == pytest.approx(1, rel=0.03)  # the 9th of 10
    assert report.backlog == 7  # open today, whatever the day they were created
    assert report.open == 1  # of those, created in the range (1 March)
    assert report.ageing == {"0-1": 1}  # a one-day range reaches one bucket


def test_a_range_is_ordered_and_bounded() -> None:
    with pytest.raises(ValueError, match="ends before"):
        KpiFilter(start=date(2025, 3, 2), end=date(2025, 3, 1))
    with pytest.raises(ValueError, match="limited"):
        KpiFilter(start=date(2024, 1, 1), end=date(2025, 3, 1))
