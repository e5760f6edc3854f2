"""The KPI figures reconcile, on random stores, on every backend.

Whatever the complaints, the range and the filter: the breakdowns add up to the total;
open + closed is the total and agrees with the queue's list for the same dates; "open
today" is what the queue and the dispatch board count; the ageing fits in the range.
SQLite sums a rollup kept with every write, MongoDB aggregates on demand: both must agree
with the complaints themselves, after inserts and after status changes.
"""

import asyncio
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any, cast
from uuid import uuid4

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pymongo import AsyncMongoClient

from bot.complaint_record import Complaint, HistoryEntry, Subscriber
from bot.conversations import DeskFigures
from bot.kpi import AGEING, KpiFilter, KpiReport, build_report
from bot.store.base import ComplaintFilter, Cursor, Store
from bot.store.mongo import MongoStore
from bot.store.sqlite import SqliteStore
from bot.types import OPEN_STATUSES, Status
from tests.conftest import RULES
from tests.store.mongo_double import AsyncMongoClientDouble

TODAY = date(2025, 3, 31)
DAYS_BACK = 45
TEAMS = ("roads", "lighting", None)
CHANNELS = ("voice", "whatsapp", "sms", "telegram", "webchat", "portal", "api", "open311")
PATHS: dict[Status, tuple[Status, ...]] = {
    Status.NEW: (),
    Status.ASSIGNED: (Status.ASSIGNED,),
    Status.IN_PROGRESS: (Status.ASSIGNED, Status.IN_PROGRESS),
    Status.RESOLVED: (Status.ASSIGNED, Status.IN_PROGRESS, Status.RESOLVED),
    Status.CLOSED: (Status.ASSIGNED, Status.IN_PROGRESS, Status.RESOLVED, Status.CLOSED),
    Status.REJECTED: (Status.REJECTED,),
    Status.DUPLICATE: (Status.DUPLICATE,),
}


@st.composite
def complaints(draw: st.DrawFn, sequence: int) -> Complaint:
    """One complaint with a consistent history up to a random status."""
    created = datetime.combine(
        TODAY - timedelta(days=draw(st.integers(0, DAYS_BACK))), time(), tzinfo=UTC
    ) + timedelta(minutes=draw(st.integers(0, 24 * 60 - 1)))
    status = draw(st.sampled_from(list(PATHS)))
    reopened = status in (Status.RESOLVED, Status.CLOSED) and draw(st.booleans())
    history = [HistoryEntry(at=created, actor="citizen", field="created", new=Status.NEW)]
    at, previous, resolved_at = created, Status.NEW, None
    steps = list(PATHS[status])
    if reopened:
        steps[3:3] = [Status.IN_PROGRESS, Status.RESOLVED]
    for target in steps:
        at += timedelta(hours=draw(st.integers(0, 100)))
        actor = "citizen" if (previous, target) == (Status.RESOLVED, Status.IN_PROGRESS) else "ali"
        history.append(HistoryEntry(at=at, actor=actor, field="status", old=previous, new=target))
        previous = target
        resolved_at = at if target == Status.RESOLVED else resolved_at
    team = draw(st.sampled_from(TEAMS)) if status != Status.NEW else None
    subscribers = [
        Subscriber(channel="sms", language="ar", phone=f"+96650000{n:04d}", at=created)
        for n in range(draw(st.integers(0, 2)))
    ]
    return Complaint(
        reference=RULES.references.reference(sequence),
        channel=draw(st.sampled_from(CHANNELS)),
        language="ar",
        category=draw(st.sampled_from(["roads", "lighting", None])),
        district=draw(st.sampled_from(["north", "south", None])),
        description="حفرة في الشارع",
        priority="P3",
        status=status,
        department="public_works",
        team=team,
        sla_due_at=created + timedelta(hours=draw(st.integers(1, 120))),
        sla_breached_at=(
            created + timedelta(days=1) if status in OPEN_STATUSES and draw(st.booleans()) else None
        ),
        created_at=created,
        updated_at=at,
        resolved_at=resolved_at if status in (Status.RESOLVED, Status.CLOSED) else None,
        satisfaction=draw(st.none() | st.integers(1, 5)) if status == Status.CLOSED else None,
        subscribers=subscribers,
        history=history,
        version=len(history),
    )


@st.composite
def stores(draw: st.DrawFn) -> list[Complaint]:
    count = draw(st.integers(0, 25))
    return [draw(complaints(sequence)) for sequence in range(1, count + 1)]


@st.composite
def ranges(draw: st.DrawFn) -> KpiFilter:
    start = TODAY - timedelta(days=draw(st.integers(0, DAYS_BACK + 5)))
    end = start + timedelta(days=draw(st.integers(0, 40)))
    return KpiFilter(
        start=start,
        end=end,
        category=draw(st.sampled_from([None, "roads", "lighting"])),
        district=draw(st.sampled_from([None, "north", "south"])),
    )


@asynccontextmanager
async def opened(backend: str) -> AsyncIterator[Store]:
    with tempfile.TemporaryDirectory() as folder:
        store: Store
        if backend == "sqlite":
            store = SqliteStore(Path(folder) / "kpi.db")
        else:
            client = cast(AsyncMongoClient[dict[str, Any]], AsyncMongoClientDouble())
            store = MongoStore(client, f"kpi_{uuid4().hex}")
        await store.open()
        try:
            yield store
        finally:
            await store.close()


async def fill(store: Store, stored: list[Complaint], one_by_one: bool) -> None:
    """In bulk, or each created new and then moved to its state (the rollup's updates)."""
    if not one_by_one:
        await store.insert_complaints(stored)
        return
    for complaint in stored:
        fresh = complaint.model_copy(
            update={
                "status": Status.NEW,
                "team": None,
                "resolved_at": None,
                "satisfaction": None,
                "sla_breached_at": None,
                "subscribers": [],
                "history": complaint.history[:1],
                "version": 1,
            }
        )
        await store.insert_complaint(fresh)
        await store.replace_complaint(complaint, expected_version=1)


async def count(store: Store, **filters: Any) -> int:
    seen, cursor = 0, None
    while True:
        page = await store.list_complaints(ComplaintFilter(**filters), 200, cursor)
        seen += len(page.items)
        if page.next_cursor is None:
            return seen
        cursor = Cursor.decode(page.next_cursor)


def day_start(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


def reconcile(report: KpiReport, filters: KpiFilter, stored: list[Complaint]) -> None:
    """What must hold between the figures themselves."""
    total = report.total
    for breakdown in (report.by_channel, report.by_category, report.by_district, report.by_day):
        assert sum(breakdown.values()) == total
    assert sum(report.by_hour) == total
    assert report.open + report.closed == total
    assert sum(report.ageing.values()) == report.open
    reachable = (TODAY - filters.start).days
    assert all(first <= reachable for label, first, _ in AGEING if label in report.ageing)
    assert sum(report.satisfaction.distribution.values()) == report.satisfaction.count
    assert report.reopens.reopened <= report.reopens.resolved <= total
    assert report.sla.met + report.sla.missed <= total
    assert report.first_response.count <= total
    in_range = [
        complaint
        for complaint in stored
        if filters.start <= complaint.created_at.date() <= filters.end
        and filters.category in (None, complaint.category)
        and filters.district in (None, complaint.district)
    ]
    assert report.subscriptions == sum(len(complaint.subscribers) for complaint in in_range)
    assert report.satisfaction.count == sum(c.satisfaction is not None for c in in_range)


@pytest.mark.parametrize("backend", ["sqlite", "mongo-double"])
@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(stored=stores(), filters=ranges(), one_by_one=st.booleans())
def test_the_figures_reconcile_with_each_other_the_queue_and_the_board(
    backend: str, stored: list[Complaint], filters: KpiFilter, one_by_one: bool
) -> None:
    async def scenario() -> None:
        async with opened(backend) as store:
            await fill(store, stored, one_by_one)
            report = build_report(filters, await store.kpi_totals(filters), TODAY, DeskFigures())
            reconcile(report, filters, stored)
            scope = {"category": filters.category, "district": filters.district}
            dates = {
                "created_from": day_start(filters.start),
                "created_to": day_start(filters.end + timedelta(days=1)),
            }
            open_statuses = tuple(OPEN_STATUSES)
            closed = tuple(set(Status) - OPEN_STATUSES)
            assert report.total == await count(store, **scope, **dates)
            assert report.open == await count(store, **scope, **dates, status=open_statuses)
            assert report.closed == await count(store, **scope, **dates, status=closed)
            assert report.backlog == await count(store, **scope, status=open_statuses)
            if filters.category is None and filters.district is None:
                assert report.backlog == await store.open_count()  # the board's "open today"

    asyncio.run(scenario())


def test_a_range_without_complaints_has_empty_breakdowns() -> None:
    """The dashboard's "no data": nothing to chart is all zeros, never a missing key."""
    filters = KpiFilter(start=TODAY, end=TODAY)

    async def scenario() -> KpiReport:
        async with opened("sqlite") as store:
            return build_report(filters, await store.kpi_totals(filters), TODAY, DeskFigures())

    report = asyncio.run(scenario())
    assert report.total == report.open == report.closed == report.backlog == 0
    assert report.by_channel == {}
    assert report.satisfaction.average is None
