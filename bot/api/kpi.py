"""`GET /api/staff/kpi`: the dashboard's figures as JSON, for supervisors and other systems."""

from datetime import date, datetime, time, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query

from bot.api.deps import CatalogueDep, ManagerDep, StoreDep
from bot.api.errors import ApiError
from bot.catalogue import Catalogue
from bot.clock import utc_now
from bot.complaints import UnknownCode
from bot.conversations import desk_figures
from bot.digits import to_ascii_digits
from bot.kpi import KpiFilter, KpiReport, RangeRefused, build_report, check_range
from bot.store.base import Store

router = APIRouter(prefix="/api/staff", tags=["staff"])
DEFAULT_DAYS = 30
DayText = Annotated[str | None, Query(max_length=12, description="YYYY-MM-DD, local time")]
Code = Annotated[str | None, Query(max_length=40)]
CONVERSATIONS_COUNTED = 100_000  # the agent inbox's figures read at most this many


def local_today(catalogue: Catalogue) -> date:
    return utc_now().astimezone(ZoneInfo(catalogue.municipality.timezone)).date()


def kpi_filter(
    catalogue: Catalogue,
    start: str | None,
    end: str | None,
    district: str | None,
    category: str | None,
) -> KpiFilter:
    """The range asked for (Eastern Arabic digits too), by default the last 30 days.

    A date that is not one, or a reversed, over-long or absurd range, raises RangeRefused.
    """
    if district and district not in catalogue.districts:
        raise UnknownCode(f"unknown district '{district}'")
    if category and category not in catalogue.categories:
        raise UnknownCode(f"unknown category '{category}'")
    today = local_today(catalogue)
    try:
        last = date.fromisoformat(to_ascii_digits(end)) if end else today
        first = (
            date.fromisoformat(to_ascii_digits(start))
            if start
            else last - timedelta(days=DEFAULT_DAYS - 1)
        )
    except (ValueError, OverflowError):
        raise RangeRefused("not_a_date", "a date is written YYYY-MM-DD") from None
    check_range(first, last, today)
    return KpiFilter(start=first, end=last, district=district or None, category=category or None)


async def kpi_report(store: Store, catalogue: Catalogue, filters: KpiFilter) -> KpiReport:
    zone = ZoneInfo(catalogue.municipality.timezone)
    start = datetime.combine(filters.start, time(), zone)
    end = datetime.combine(filters.end + timedelta(days=1), time(), zone)
    conversations = await store.conversations_since(start, CONVERSATIONS_COUNTED)
    totals = await store.kpi_totals(filters)
    inbox = desk_figures(conversations, start, end)
    return build_report(filters, totals, local_today(catalogue), inbox)


@router.get("/kpi")
async def kpi(
    catalogue: CatalogueDep,
    store: StoreDep,
    _: ManagerDep,
    start: Annotated[DayText, Query(alias="from")] = None,
    end: Annotated[DayText, Query(alias="to")] = None,
    district: Code = None,
    category: Code = None,
) -> KpiReport:
    """Volumes, response and resolution times, SLA, backlog, reopens, satisfaction, calls,
    and the agent inbox's conversations.

    What each figure counts: see bot/kpi.py and the definitions on the dashboard.
    """
    try:
        filters = kpi_filter(catalogue, start, end, district, category)
    except RangeRefused as exc:
        raise ApiError(422, "invalid_range", f"invalid date range: {exc}") from None
    return await kpi_report(store, catalogue, filters)
