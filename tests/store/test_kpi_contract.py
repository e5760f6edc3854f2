"""Store contract, continued: KPI sums, call events, rate counters, records, SLA list filters.

The KPI tests assert the dashboard figures on a small known data set, so both backends
must sum exactly the same contributions.
"""

from datetime import date, timedelta

import pytest
from pydantic import BaseModel

from bot.clock import utc_now
from bot.complaint_record import Complaint, HistoryEntry
from bot.conversations import DeskFigures
from bot.kpi import CallEvent, KpiFilter, KpiReport, TransactionInquiry, build_report
from bot.staff import StaffUser
from bot.store.base import ComplaintFilter, Cursor, Store
from bot.types import Role, Status
from tests.store.test_contract import HOUR, T0, list_references, make_complaint

DAY = timedelta(days=1)
RANGE = KpiFilter(start=date(2025, 3, 1), end=date(2025, 3, 3))
TODAY = date(2025, 3, 3)


def step(at, actor, old, new):
    return HistoryEntry(at=at, actor=actor, field="status", old=old, new=new)


def known_complaints() -> list[Complaint]:
    """Three complaints in the range (1-3 March 2025) and one older, still open and breached."""
    t1, t2, t3 = T0, T0 + DAY + 6 * HOUR, T0 + 2 * DAY
    created = HistoryEntry(at=t1, actor="citizen", field="created", new="new")
    first = make_complaint(
        1,
        created_at=t1,
        status=Status.RESOLVED,
        resolved_at=t1 + 2 * HOUR,
        satisfaction=5,
        history=[
            created,
            step(t1, "system", "new", "assigned"),
            step(t1 + HOUR / 2, "ali", "assigned", "in_progress"),
            step(t1 + 2 * HOUR, "ali", "in_progress", "resolved"),
        ],
    )
    second = make_complaint(
        2,
        created_at=t2,
        channel="whatsapp",
        category="lighting",
        district="south",
        sla_due_at=t2 + 4 * HOUR,
        status=Status.RESOLVED,
        resolved_at=t2 + 10 * HOUR,
        history=[
            created.model_copy(update={"at": t2}),
            step(t2 + HOUR, "sara", "new", "in_progress"),
            step(t2 + 3 * HOUR, "sara", "in_progress", "resolved"),
            step(t2 + 5 * HOUR, "citizen", "resolved", "in_progress"),
            step(t2 + 10 * HOUR, "sara", "in_progress", "resolved"),
        ],
    )
    third = make_complaint(3, created_at=t3, channel="portal", district="south")
    older = make_complaint(4, created_at=T0 - 10 * DAY, sla_breached_at=T0 - 7 * DAY)
    return [first, second, third, older]


async def report(store: Store, filters: KpiFilter = RANGE) -> KpiReport:
    return build_report(filters, await store.kpi_totals(filters), TODAY, DeskFigures())


async def test_kpi_of_an_empty_store(store: Store) -> None:
    figures = await report(store)
    assert figures.total == 0
    assert figures.by_day == {"2025-03-01": 0, "2025-03-02": 0, "2025-03-03": 0}
    assert figures.by_hour == [0] * 24
    assert figures.resolution.median_hours is None
    assert figures.sla.compliance is None
    assert (figures.open, figures.closed, figures.backlog) == (0, 0, 0)
    assert figures.ageing == {"0-1": 0, "1-3": 0}
    assert figures.calls.calls == 0


@pytest.mark.parametrize("bulk", [True, False])
async def test_kpi_figures_of_a_known_data_set(store: Store, bulk: bool) -> None:
    complaints = known_complaints()
    if bulk:
        await store.insert_complaints(complaints)
    else:
        for complaint in complaints:
            await store.insert_complaint(complaint)
    figures = await report(store)
    assert figures.total == 3
    assert figures.by_channel == {"portal": 1, "voice": 1, "whatsapp": 1}
    assert figures.by_category == {"roads": 2, "lighting": 1}
    assert figures.by_district == {"south": 2, "north": 1}
    assert figures.by_day == {"2025-03-01": 1, "2025-03-02": 1, "2025-03-03": 1}
    assert [hour for hour, n in enumerate(figures.by_hour) if n] == [8, 14]
    assert figures.by_hour[8] == 2
    assert figures.first_response.count == 2
    assert figures.first_response.median_hours == pytest.approx(0.5, rel=0.03)
    assert figures.first_response.p90_hours == pytest.approx(1, rel=0.03)
    assert figures.resolution.count == 2
    assert figures.resolution.median_hours == pytest.approx(2, rel=0.03)
    assert figures.resolution.p90_hours == pytest.approx(10, rel=0.03)
    assert (figures.sla.met, figures.sla.missed, figures.sla.compliance) == (1, 1, 0.5)
    assert (figures.open, figures.closed) == (1, 2)  # the older open one is not in range…
    assert figures.backlog == 2  # …but it is open today
    assert figures.ageing == {"0-1": 1, "1-3": 0}  # a three-day range reaches two buckets
    assert (figures.reopens.resolved, figures.reopens.reopened, figures.reopens.rate) == (2, 1, 0.5)
    assert (figures.satisfaction.count, figures.satisfaction.average) == (1, 5)
    assert figures.satisfaction.distribution == {"1": 0, "2": 0, "3": 0, "4": 0, "5": 1}


async def test_kpi_filters_by_district_and_category(store: Store) -> None:
    await store.insert_complaints(known_complaints())
    south = await report(store, RANGE.model_copy(update={"district": "south"}))
    assert (south.total, south.by_category, south.backlog) == (
        2,
        {"lighting": 1, "roads": 1},
        1,
    )
    roads_north = await report(
        store, RANGE.model_copy(update={"district": "north", "category": "roads"})
    )
    assert (roads_north.total, roads_north.backlog, roads_north.sla.met) == (1, 1, 1)
    parks = await report(store, RANGE.model_copy(update={"category": "parks"}))
    assert (parks.total, parks.backlog) == (0, 0)


async def test_kpi_follow_replacements(store: Store) -> None:
    complaints = known_complaints()
    await store.insert_complaints(complaints)
    third = complaints[2]
    fixed = third.model_copy(
        update={
            "status": Status.RESOLVED,
            "resolved_at": third.created_at + 3 * HOUR,
            "history": [
                *third.history,
                step(third.created_at + 3 * HOUR, "ali", "new", "resolved"),
            ],
            "version": 2,
        }
    )
    await store.replace_complaint(fixed, expected_version=1)
    figures = await report(store)
    assert figures.total == 3
    assert (figures.open, figures.closed, figures.backlog) == (0, 3, 1)
    assert figures.resolution.count == 3
    assert figures.first_response.count == 3
    assert figures.sla.met == 2


async def test_call_events_are_counted_once(store: Store) -> None:
    at = T0 + HOUR
    events = [
        CallEvent(call_id="CA1", kind="started", at=at),
        CallEvent(call_id="CA1", kind="self_service", at=at),
        CallEvent(call_id="CA2", kind="started", at=at),
        CallEvent(call_id="CA2", kind="transferred", at=at),
        CallEvent(call_id="CA3", kind="started", at=at),
        CallEvent(call_id="CA3", kind="abandoned", at=at, step="language"),
        CallEvent(call_id="CA5", kind="started", at=at),
        CallEvent(call_id="CA5", kind="busy", at=at),  # turned away: every line was taken
        CallEvent(call_id="CA4", kind="started", at=at + 5 * DAY),  # outside the range
    ]
    assert [await store.record_call_event(event) for event in events] == [True] * 9
    assert await store.record_call_event(events[0]) is False  # a webhook retried
    calls = (await report(store)).calls
    figures = (calls.calls, calls.self_service, calls.transferred, calls.abandoned, calls.busy)
    assert figures == (4, 1, 1, 1, 1)
    assert calls.abandoned_by_step == {"language": 1}
    assert calls.unfinished == 0


async def test_each_call_has_one_outcome_counted_on_the_day_it_started(store: Store) -> None:
    """Outcomes add up to calls: a call over midnight, one still going, a late second outcome."""
    late = T0 + 2 * DAY + 15 * HOUR + timedelta(minutes=59)  # 3 March 23:59 (T0 is 08:00)
    events = [
        CallEvent(call_id="CA1", kind="started", at=late),
        CallEvent(call_id="CA1", kind="self_service", at=late + HOUR),  # on 4 March
        CallEvent(call_id="CA2", kind="started", at=T0),  # never finishes
        CallEvent(call_id="CA3", kind="started", at=T0),
        CallEvent(call_id="CA3", kind="transferred", at=T0 + HOUR),
        CallEvent(call_id="CA3", kind="abandoned", at=T0 + 2 * HOUR, step="menu"),  # ignored
        CallEvent(call_id="CA4", kind="abandoned", at=T0, step="language"),  # start unseen
    ]
    recorded = [await store.record_call_event(event) for event in events]
    assert recorded == [True, True, True, True, True, False, True]
    calls = (await report(store)).calls
    assert (calls.calls, calls.self_service, calls.transferred) == (4, 1, 1)
    assert (calls.abandoned, calls.unfinished) == (1, 1)
    assert calls.self_service + calls.transferred + calls.abandoned + calls.unfinished == 4


async def test_out_of_scope_turns_are_counted_once_whatever_the_channel(store: Store) -> None:
    at = T0 + HOUR
    turns = [
        CallEvent(call_id="voice:CA1:1700000000.1", kind="out_of_scope", at=at),
        CallEvent(call_id="whatsapp:+966551234567:1700000001.2", kind="out_of_scope", at=at),
    ]
    assert [await store.record_call_event(turn) for turn in turns] == [True, True]
    assert await store.record_call_event(turns[1]) is False  # the action call retried
    figures = await report(store)
    assert figures.out_of_scope == 2
    assert figures.calls.calls == 0  # a conversation's turn is no call


async def test_transaction_inquiries_are_counted_once_by_type_and_outcome(store: Store) -> None:
    at = T0 + HOUR

    def inquiry(number: int, kind: str, outcome: str, channel: str = "voice", when=at):
        return TransactionInquiry(
            id=f"conversation-{number}", kind=kind, outcome=outcome, channel=channel, at=when
        )

    inquiries = [
        inquiry(1, "building_permit", "answered"),
        inquiry(2, "building_permit", "answered", "whatsapp"),
        inquiry(3, "shop_licence", "no_match"),
        inquiry(4, "building_permit", "unavailable"),
        inquiry(5, "building_permit", "sms_answered"),  # the follow-up of the 4th
        inquiry(6, "shop_licence", "answered", when=at + 5 * DAY),  # outside the range
    ]
    assert [await store.record_inquiry(item) for item in inquiries] == [True] * 6
    assert await store.record_inquiry(inquiries[0]) is False  # an action call retried
    figures = (await report(store)).transactions
    assert figures.inquiries == 4
    assert figures.by_type == {"building_permit": 3, "shop_licence": 1}
    assert figures.by_outcome == {
        "answered": 2,
        "no_match": 1,
        "sms_answered": 1,
        "unavailable": 1,
    }
    assert figures.answered_by_phone == 1


def test_only_an_abandoned_call_names_a_step() -> None:
    with pytest.raises(ValueError, match="menu step"):
        CallEvent(call_id="CA1", kind="abandoned", at=T0)
    with pytest.raises(ValueError, match="menu step"):
        CallEvent(call_id="CA1", kind="started", at=T0, step="language")


async def test_counters_add_per_key_and_window(store: Store) -> None:
    # Relative to now: MongoDB's TTL index removes counters whose window has expired.
    window = utc_now()
    expires = window + HOUR
    assert [await store.hit_counter("login:sara", window, expires) for _ in range(3)] == [1, 2, 3]
    assert await store.hit_counter("login:sara", window, expires, amount=0) == 3
    assert await store.hit_counter("login:ali", window, expires) == 1
    assert await store.hit_counter("login:sara", window + HOUR, expires + HOUR) == 1


class Note(BaseModel):
    text: str


async def test_records_put_get_list_delete(store: Store) -> None:
    await store.put_record("announcement", "b", Note(text="second"))
    await store.put_record("announcement", "a", Note(text="first"))
    await store.put_record("api_key", "a", Note(text="a key"))
    await store.put_record("announcement", "a", Note(text="first, edited"))
    assert await store.get_record("announcement", "a", Note) == Note(text="first, edited")
    assert await store.get_record("announcement", "zzz", Note) is None
    assert await store.list_records("announcement", Note) == [
        Note(text="first, edited"),
        Note(text="second"),
    ]
    await store.delete_record("announcement", "a")
    assert await store.list_records("announcement", Note) == [Note(text="second")]
    assert await store.list_records("api_key", Note) == [Note(text="a key")]


async def test_users_are_listed_by_username(store: Store) -> None:
    for name in ("zaid.field", "amal.agent"):
        await store.insert_user(
            StaffUser(
                username=name,
                display_name=name,
                role=Role.AGENT,
                password_hash="x",
                created_at=T0,
            )
        )
    assert [user.username for user in await store.list_users()] == ["amal.agent", "zaid.field"]


async def test_sla_state_filters(store: Store) -> None:
    due_soon = make_complaint(1, sla_due_at=T0 + HOUR)
    on_time = make_complaint(2, sla_due_at=T0 + 10 * HOUR)
    overdue = make_complaint(3, sla_due_at=T0 - HOUR)
    recorded = make_complaint(4, sla_due_at=T0 + 10 * HOUR, sla_breached_at=T0)
    closed = make_complaint(5, sla_due_at=T0 - HOUR, status=Status.CLOSED)
    await store.insert_complaints([due_soon, on_time, overdue, recorded, closed])

    def refs(*complaints: Complaint) -> list[str]:
        return sorted(complaint.reference for complaint in complaints)

    soon = await list_references(store, due_from=T0, due_to=T0 + 2 * HOUR)
    later = await list_references(store, due_from=T0 + 2 * HOUR)
    breached = await list_references(store, overdue_at=T0)
    assert sorted(soon) == refs(due_soon)
    assert sorted(later) == refs(on_time)
    assert sorted(breached) == refs(overdue, recorded)


async def test_oldest_first_walks_every_complaint_once(store: Store) -> None:
    complaints = [make_complaint(n, created_at=T0 + n * HOUR) for n in range(1, 8)]
    await store.insert_complaints(complaints)
    seen: list[str] = []
    cursor: Cursor | None = None
    while True:
        page = await store.list_complaints(ComplaintFilter(oldest_first=True), 3, cursor)
        seen += [complaint.reference for complaint in page.items]
        if page.next_cursor is None:
            break
        cursor = Cursor.decode(page.next_cursor)
    assert seen == [complaint.reference for complaint in complaints]
