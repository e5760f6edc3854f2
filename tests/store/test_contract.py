"""The store contract: every backend must pass every test here the same way."""

import asyncio
import sqlite3
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.clock import utc_now
from bot.complaint_record import Attachment, Complaint, HistoryEntry, Location
from bot.search import search_fields
from bot.staff import StaffSession, StaffUser
from bot.store.base import (
    ComplaintFilter,
    Cursor,
    DuplicateReference,
    DuplicateUser,
    GeoBox,
    InboundClaim,
    Store,
    VersionConflict,
    order_key,
)
from bot.store.mongo import MongoStore
from bot.types import Role, Status
from tests.conftest import RULES

T0 = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def make_complaint(sequence: int, **fields: Any) -> Complaint:
    """A valid complaint; `fields` override the defaults."""
    created_at = fields.pop("created_at", T0)
    values: dict[str, Any] = {
        "reference": RULES.references.reference(sequence),
        "channel": "voice",
        "language": "en",
        "category": "roads",
        "description": "Pothole on the main road",
        "district": "north",
        "priority": "P3",
        "department": "public_works",
        "sla_due_at": created_at + 72 * HOUR,
        "created_at": created_at,
        "updated_at": created_at,
        **fields,
    }
    return Complaint.model_validate(values)


def resolved(complaint: Complaint, after: timedelta) -> Complaint:
    """The next version of a complaint, resolved `after` its creation."""
    return complaint.model_copy(
        update={
            "status": Status.RESOLVED,
            "resolved_at": complaint.created_at + after,
            "version": complaint.version + 1,
        }
    )


async def list_references(store: Store, **filters: Any) -> list[str]:
    page = await store.list_complaints(ComplaintFilter(**filters), limit=200, cursor=None)
    return [complaint.reference for complaint in page.items]


# References


async def test_a_taken_reference_is_refused_as_such(store: Store) -> None:
    await store.insert_complaint(make_complaint(1, idempotency_key="first"))
    with pytest.raises(DuplicateReference):
        await store.insert_complaint(
            make_complaint(1, idempotency_key="second", created_at=T0 + HOUR)
        )
    with pytest.raises(DuplicateReference):
        await store.insert_complaint(make_complaint(1, created_at=T0 + 2 * HOUR))


# Sequences


async def test_sequences_count_up_from_one_per_name(store: Store) -> None:
    assert [await store.next_sequence("complaint") for _ in range(3)] == [1, 2, 3]
    assert await store.next_sequence("other") == 1


async def test_sequence_blocks_do_not_overlap(store: Store) -> None:
    first = await store.next_sequence("complaint", 10)
    second = await store.next_sequence("complaint", 5)
    third = await store.next_sequence("complaint")
    assert (first, second, third) == (1, 11, 16)


async def test_concurrent_sequences_are_distinct(store: Store) -> None:
    numbers = await asyncio.gather(*(store.next_sequence("complaint") for _ in range(50)))
    assert sorted(numbers) == list(range(1, 51))


# Complaints: insert, get, replace


async def test_insert_and_get_round_trip_the_whole_complaint(store: Store) -> None:
    now = utc_now()
    complaint = make_complaint(
        1,
        channel="whatsapp",
        language="ar",
        description="الحفرة كبيرة أمام المدرسة",
        location=Location(lat=24.7136, lng=46.6753, address="شارع الملك فهد"),
        phone="+966500000001",
        name="Fatima",
        attachments=[
            Attachment(kind="photo", media_type="image/jpeg", size=2048, storage_key="m/1.jpg")
        ],
        status=Status.RESOLVED,
        team="roads-north",
        assignee="omar",
        created_at=now - 5 * HOUR,
        updated_at=now,
        resolved_at=now,
        duplicate_of=RULES.references.reference(9),
        sources={"whatsapp": "SM123"},
        idempotency_key="whatsapp:SM123",
        history=[
            HistoryEntry(at=now, actor="omar", field="status", old="new", new="resolved"),
            HistoryEntry(at=now, actor="system", field="team", new="roads-north", internal=True),
        ],
        version=3,
    )
    result = await store.insert_complaint(complaint)
    assert result.created
    assert result.complaint == complaint
    assert await store.get_complaint(complaint.reference) == complaint
    assert await store.get_complaint(RULES.references.reference(2)) is None


async def test_repeated_idempotency_key_returns_the_first_complaint(store: Store) -> None:
    first = make_complaint(1, idempotency_key="twilio:CA42")
    retry = make_complaint(2, idempotency_key="twilio:CA42", description="retried webhook")
    assert (await store.insert_complaint(first)).created
    result = await store.insert_complaint(retry)
    assert not result.created
    assert result.complaint == first
    assert await store.get_complaint(retry.reference) is None
    assert await list_references(store) == [first.reference]


async def test_complaints_without_idempotency_key_never_collide(store: Store) -> None:
    for sequence in (1, 2):
        assert (await store.insert_complaint(make_complaint(sequence))).created
    assert len(await list_references(store)) == 2


async def test_complaints_keyed_finds_a_conversations_reports_among_many(store: Store) -> None:
    """Found by key, not by scanning recent complaints: hundreds of other calls (and keys that
    merely share a shorter prefix) change nothing."""
    others = [make_complaint(n, idempotency_key=f"rasa:voice:CA{n:03d}:1.5") for n in range(1, 301)]
    await store.insert_complaints(others)
    ours = [
        make_complaint(401, idempotency_key="rasa:voice:CA7:1700000001.25"),
        make_complaint(402, idempotency_key="rasa:voice:CA7:1700000002.5"),
    ]
    for complaint in reversed(ours):
        await store.insert_complaint(complaint)
    await store.insert_complaint(make_complaint(403, idempotency_key="rasa:voice:CA7;"))
    await store.insert_complaint(make_complaint(404))

    found = await store.complaints_keyed("rasa:voice:CA7:", 10)
    assert [c.reference for c in found] == [c.reference for c in ours]
    assert await store.complaints_keyed("rasa:voice:CA7:", 1) == [ours[0]]
    assert await store.complaints_keyed("rasa:voice:CA999:", 10) == []
    with pytest.raises(ValueError, match="empty prefix"):
        await store.complaints_keyed("", 1)


async def test_bulk_insert_stores_every_complaint(store: Store) -> None:
    complaints = [make_complaint(n, created_at=T0 + n * HOUR) for n in range(1, 31)]
    await store.insert_complaints(complaints)
    await store.insert_complaints([])
    assert await list_references(store) == [c.reference for c in reversed(complaints)]
    assert (await store.kpi_summary()).total == 30


async def test_replace_with_current_version_writes_the_change(store: Store) -> None:
    complaint = make_complaint(1)
    await store.insert_complaint(complaint)
    changed = complaint.model_copy(
        update={"status": Status.ASSIGNED, "team": "roads-north", "version": 2}
    )
    await store.replace_complaint(changed, expected_version=1)
    assert await store.get_complaint(complaint.reference) == changed


async def test_replace_with_stale_version_changes_nothing(store: Store) -> None:
    complaint = make_complaint(1)
    await store.insert_complaint(complaint)
    current = complaint.model_copy(update={"status": Status.ASSIGNED, "version": 2})
    await store.replace_complaint(current, expected_version=1)
    stale = complaint.model_copy(update={"status": Status.REJECTED, "version": 2})
    with pytest.raises(VersionConflict):
        await store.replace_complaint(stale, expected_version=1)
    with pytest.raises(VersionConflict):
        await store.replace_complaint(make_complaint(2), expected_version=1)
    assert await store.get_complaint(complaint.reference) == current
    assert (await store.kpi_summary()).by_status == {"assigned": 1}


# Listing


@pytest.fixture
async def listed(store: Store) -> Store:
    """Four complaints that differ in every filterable field (references r(1)..r(4))."""
    await store.insert_complaints(
        [
            make_complaint(
                1,
                language="ar",
                description="الحفرة كبيرة أمام المدرسة",
                team="roads",
                priority="P2",
                phone="+966500000001",
            ),
            make_complaint(
                2,
                status=Status.ASSIGNED,
                category="lighting",
                district="south",
                team="lighting",
                channel="whatsapp",
                assignee="sara",
                phone="+966500000002",
                description="Street light broken near the Mosque",
                created_at=T0 + HOUR,
            ),
            make_complaint(
                3,
                status=Status.RESOLVED,
                district="south",
                team="roads",
                priority="P1",
                channel="telegram",
                assignee="omar",
                phone="+966500000001",
                description="Potholes damaged my car",
                created_at=T0 + 2 * HOUR,
                resolved_at=T0 + 5 * HOUR,
            ),
            make_complaint(
                4,
                status=Status.CLOSED,
                category="waste",
                language="ar",
                channel="portal",
                description="النفايات متراكمة في الشارع",
                created_at=T0 + 3 * HOUR,
            ),
        ]
    )
    return store


def refs(*sequences: int) -> list[str]:
    """References of the `listed` complaints, newest first as lists return them."""
    return [RULES.references.reference(n) for n in sorted(sequences, reverse=True)]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({}, refs(1, 2, 3, 4)),
        ({"status": (Status.NEW,)}, refs(1)),
        ({"status": (Status.NEW, Status.ASSIGNED)}, refs(1, 2)),
        ({"category": "roads"}, refs(1, 3)),
        ({"district": "south"}, refs(2, 3)),
        ({"team": "roads"}, refs(1, 3)),
        ({"priority": "P1"}, refs(3)),
        ({"channel": "whatsapp"}, refs(2)),
        ({"assignee": "sara"}, refs(2)),
        ({"phone": "+966500000001"}, refs(1, 3)),
        ({"created_from": T0 + HOUR}, refs(2, 3, 4)),
        ({"created_from": T0 + HOUR, "created_to": T0 + 3 * HOUR}, refs(2, 3)),
        ({"category": "roads", "district": "south"}, refs(3)),
        ({"status": (Status.NEW, Status.RESOLVED), "phone": "+966500000001"}, refs(1, 3)),
        ({"team": "roads", "created_to": T0 + HOUR}, refs(1)),
        ({"category": "waste", "district": "south"}, []),
    ],
)
async def test_list_filters(listed: Store, filters: dict[str, Any], expected: list[str]) -> None:
    assert await list_references(listed, **filters) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("الحفرة", refs(1)),
        ("حفره", refs(1)),  # without the article, ة written as ه
        ("حفرة كبيرة", refs(1)),
        ("كبير", refs(1)),  # prefix
        ("نفايات الشارع", refs(4)),
        ("POTHOLES", refs(3)),  # case-insensitive
        ("pothole", refs(3)),
        ("mosq street", refs(2)),  # every word, each as a prefix
        ("street pothole", []),
        ("ماء", []),
        ('"mosque" OR car*', []),  # query syntax is just words
    ],
)
async def test_list_text_search(listed: Store, text: str, expected: list[str]) -> None:
    assert await list_references(listed, text=text) == expected


async def test_text_search_combines_with_filters(listed: Store) -> None:
    assert await list_references(listed, text="pothole", status=(Status.NEW,)) == []
    assert await list_references(listed, text="حفره", district="north") == refs(1)


def eastern(digits: str) -> str:
    return digits.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))


def persian(digits: str) -> str:
    return digits.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))


REF2 = RULES.references.reference(2)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        (REF2, refs(2)),
        (f"{REF2[:3]}-{REF2[3:6]}-{REF2[6:]}", refs(2)),
        (f"{REF2[:4]} {REF2[4:]}", refs(2)),
        (eastern(REF2), refs(2)),
        (persian(REF2), refs(2)),
        ("0500000001", refs(1, 3)),
        ("+966500000001", refs(1, 3)),
        ("00966500000001", refs(1, 3)),
        ("966500000001", refs(1, 3)),
        ("050 000 0002", refs(2)),
        (eastern("0500000002"), refs(2)),
        ("حفره", refs(1)),
    ],
)
async def test_the_search_box_finds_by_reference_phone_or_words(
    listed: Store, typed: str, expected: list[str]
) -> None:
    assert await list_references(listed, **search_fields(typed)) == expected


async def test_a_reference_search_combines_with_filters(listed: Store) -> None:
    assert await list_references(listed, reference=REF2, team="lighting") == refs(2)
    assert await list_references(listed, reference=REF2, team="roads") == []


def test_a_wrong_check_digit_is_not_a_reference() -> None:
    wrong = REF2[:-1] + str((int(REF2[-1]) + 1) % 10)
    assert "reference" not in search_fields(wrong)
    assert search_fields("   ") == {}


async def test_open_complaints_of_a_category_inside_a_box(store: Store) -> None:
    def pinned(sequence: int, lat: float, lng: float, **fields: Any) -> Complaint:
        return make_complaint(sequence, location=Location(lat=lat, lng=lng), **fields)

    await store.insert_complaints(
        [
            pinned(1, 25.380, 49.590),
            pinned(2, 25.381, 49.591, status=Status.IN_PROGRESS),
            pinned(3, 25.380, 49.590, status=Status.RESOLVED),  # not open
            pinned(4, 25.380, 49.590, category="lighting"),  # another problem
            pinned(5, 25.500, 49.590),  # too far north
            pinned(6, 25.380, 49.700),  # too far east
            make_complaint(7),  # no pin
        ]
    )
    box = GeoBox(south=25.37, west=49.58, north=25.39, east=49.60)
    found = await store.open_in_box("roads", box, limit=10)
    assert sorted(complaint.reference for complaint in found) == sorted(refs(1, 2))
    assert len(await store.open_in_box("roads", box, limit=1)) == 1
    closing = found[0].model_copy(update={"status": Status.CLOSED, "version": found[0].version + 1})
    await store.replace_complaint(closing, expected_version=found[0].version)
    assert len(await store.open_in_box("roads", box, limit=10)) == 1


async def test_cursor_walks_every_complaint_once_newest_first(store: Store) -> None:
    # Three complaints share each minute, so ties on created_at fall to the sequence.
    complaints = [
        make_complaint(n, created_at=T0 + timedelta(minutes=n // 3)) for n in range(1, 26)
    ]
    await store.insert_complaints(complaints)
    seen: list[Complaint] = []
    cursor: Cursor | None = None
    sizes = []
    for _ in range(3):
        page = await store.list_complaints(ComplaintFilter(), limit=10, cursor=cursor)
        seen.extend(page.items)
        sizes.append(len(page.items))
        cursor = Cursor.decode(page.next_cursor) if page.next_cursor else None
    assert sizes == [10, 10, 5]
    assert cursor is None
    newest_first = sorted(complaints, key=order_key, reverse=True)
    assert [c.reference for c in seen] == [c.reference for c in newest_first]


async def test_full_last_page_has_no_next_cursor(store: Store) -> None:
    await store.insert_complaints([make_complaint(n) for n in range(1, 21)])
    first = await store.list_complaints(ComplaintFilter(), limit=10, cursor=None)
    assert first.next_cursor is not None
    second = await store.list_complaints(
        ComplaintFilter(), limit=10, cursor=Cursor.decode(first.next_cursor)
    )
    assert len(second.items) == 10
    assert second.next_cursor is None


# Aggregates


async def test_open_workload_counts_open_complaints_of_the_asked_teams(store: Store) -> None:
    statuses = [*Status, Status.NEW]
    roads = [make_complaint(n, team="roads", status=s) for n, s in enumerate(statuses, 1)]
    lighting = make_complaint(20, team="lighting")
    await store.insert_complaints(
        [*roads, lighting, make_complaint(21, team="parks"), make_complaint(22, team=None)]
    )
    assert await workload(store) == {"roads": 4, "lighting": 1}

    await store.replace_complaint(resolved(roads[0], HOUR), expected_version=1)
    moved = roads[1].model_copy(update={"team": "lighting", "version": 2})
    await store.replace_complaint(moved, expected_version=1)
    assert await workload(store) == {"roads": 2, "lighting": 2}


async def workload(store: Store) -> dict[str, int]:
    """Open load of roads, lighting and waste; a team with none may be left out."""
    counts = await store.open_workload(["roads", "lighting", "waste"])
    return {team: n for team, n in counts.items() if n}


# Inbound deduplication


async def test_only_the_first_delivery_of_a_message_is_claimed(store: Store) -> None:
    first = await store.claim_inbound("twilio:CA1:step-2", T0)
    retry = await store.claim_inbound("twilio:CA1:step-2", T0 + HOUR)
    other = await store.claim_inbound("twilio:CA1:step-3", T0)
    assert (first.first, retry.first, other.first) == (True, False, True)
    assert retry.reply is None
    assert retry.claimed_at == T0  # since when the first delivery has been handled


async def test_a_retry_gets_the_first_answer(store: Store) -> None:
    await store.claim_inbound("telegram:123", T0)
    await store.complete_inbound("telegram:123", "<Response/>")
    retry = await store.claim_inbound("telegram:123", T0)
    assert retry == InboundClaim(first=False, reply="<Response/>", claimed_at=T0)


async def test_concurrent_deliveries_claim_once(store: Store) -> None:
    claims = await asyncio.gather(*(store.claim_inbound("sms:SM9", T0) for _ in range(20)))
    assert sum(claim.first for claim in claims) == 1


# Slots (admission control)


async def test_slots_are_taken_up_to_the_limit_and_released(store: Store) -> None:
    now = utc_now()  # MongoDB's TTL index drops slots whose expiry has really passed
    until = now + HOUR
    taken = [await store.take_slot("voice", f"CA{n}", 2, now, until) for n in range(3)]
    assert taken == [True, True, False]
    assert await store.take_slot("voice", "CA0", 2, now, until)  # asking again keeps it
    assert await store.take_slot("other", "CA2", 2, now, until)  # pools are apart
    assert await store.slots_held("voice", now) == 2
    await store.release_slot("voice", "CA0")
    await store.release_slot("voice", "CA0")  # twice is harmless
    assert await store.take_slot("voice", "CA2", 2, now, until)
    assert not await store.take_slot("voice", "CA3", 2, now, until)


async def test_a_slot_never_released_frees_itself_when_it_expires(store: Store) -> None:
    now = utc_now()
    assert await store.take_slot("voice", "CA1", 1, now, now + HOUR)
    assert not await store.take_slot("voice", "CA2", 1, now + HOUR / 2, now + 2 * HOUR)
    assert await store.slots_held("voice", now + HOUR) == 0
    assert await store.take_slot("voice", "CA2", 1, now + HOUR, now + 2 * HOUR)
    assert await store.slots_held("voice", now + HOUR) == 1


async def test_concurrent_holders_never_pass_the_limit(store: Store) -> None:
    now = utc_now()
    taken = await asyncio.gather(
        *(store.take_slot("voice", f"CA{n}", 5, now, now + HOUR) for n in range(20))
    )
    assert sum(taken) <= 5
    assert await store.slots_held("voice", now) == sum(taken)


# SLA watch


async def test_sla_breaches_are_open_overdue_and_not_yet_recorded(store: Store) -> None:
    now = T0 + 100 * HOUR
    overdue = make_complaint(1, sla_due_at=T0 + 10 * HOUR)
    later = make_complaint(2, sla_due_at=T0 + 200 * HOUR)
    closed = make_complaint(3, sla_due_at=T0 + 10 * HOUR, status=Status.CLOSED)
    recorded = make_complaint(4, sla_due_at=T0 + 10 * HOUR, sla_breached_at=T0 + 11 * HOUR)
    oldest = make_complaint(5, sla_due_at=T0 + 5 * HOUR, status=Status.IN_PROGRESS)
    await store.insert_complaints([overdue, later, closed, recorded, oldest])
    due = await store.sla_breaches(now, limit=10)
    assert [c.reference for c in due] == [oldest.reference, overdue.reference]
    assert [c.reference for c in await store.sla_breaches(now, limit=1)] == [oldest.reference]


async def test_recording_a_breach_or_resolving_ends_the_watch(store: Store) -> None:
    now = T0 + 100 * HOUR
    first = make_complaint(1, sla_due_at=T0 + 10 * HOUR)
    second = make_complaint(2, sla_due_at=T0 + 10 * HOUR)
    await store.insert_complaints([first, second])
    breached = first.model_copy(update={"sla_breached_at": now, "version": 2})
    await store.replace_complaint(breached, expected_version=1)
    await store.replace_complaint(resolved(second, 50 * HOUR), expected_version=1)
    assert await store.sla_breaches(now, limit=10) == []


async def test_kpi_summary_of_an_empty_store(store: Store) -> None:
    summary = await store.kpi_summary()
    assert (summary.total, summary.resolved_count, summary.median_resolution_hours) == (0, 0, None)
    assert summary.by_status == summary.by_category == summary.by_district == {}


async def test_kpi_summary_follows_replacements(store: Store) -> None:
    complaints = [
        make_complaint(1),
        make_complaint(2, category="lighting", district="south"),
        make_complaint(3, category=None, district="south"),
        make_complaint(4),
    ]
    await store.insert_complaints(complaints)
    await store.replace_complaint(resolved(complaints[0], 2 * HOUR), expected_version=1)
    await store.replace_complaint(resolved(complaints[1], 10 * HOUR), expected_version=1)
    moved = complaints[2].model_copy(update={"category": "waste", "version": 2})
    await store.replace_complaint(moved, expected_version=1)

    summary = await store.kpi_summary()
    assert summary.total == 4
    assert summary.by_status == {"new": 2, "resolved": 2}
    assert summary.by_category == {"roads": 2, "lighting": 1, "waste": 1}
    assert summary.by_district == {"north": 2, "south": 2}
    assert summary.resolved_count == 2
    assert summary.median_resolution_hours == 10  # the upper middle of an even count

    await store.replace_complaint(resolved(complaints[3], 4 * HOUR), expected_version=1)
    summary = await store.kpi_summary()
    assert summary.resolved_count == 3
    assert summary.median_resolution_hours == 4


async def test_kpi_summary_counts_a_missing_category_as_empty(store: Store) -> None:
    await store.insert_complaint(make_complaint(1, category=None, district=None))
    summary = await store.kpi_summary()
    assert summary.by_category == summary.by_district == {"": 1}


# Staff users and sessions


def make_user(username: str = "sara.agent") -> StaffUser:
    return StaffUser(
        username=username,
        display_name="Sara",
        role=Role.AGENT,
        password_hash="scrypt$abc",
        team="roads",
        created_at=T0,
    )


async def test_users_insert_get_replace(store: Store) -> None:
    user = make_user()
    await store.insert_user(user)
    assert await store.get_user(user.username) == user
    assert await store.get_user("nobody") is None
    with pytest.raises(DuplicateUser):
        await store.insert_user(user.model_copy(update={"display_name": "Other"}))
    changed = user.model_copy(update={"display_name": "Sara A.", "active": False})
    await store.replace_user(changed)
    assert await store.get_user(user.username) == changed
    contacts = {"phone": "+966551234567", "telegram_chat_id": "-1001234"}
    contact = {"contacts": contacts, "language": "en"}
    reachable = changed.model_copy(update=contact)
    await store.replace_user(reachable)
    assert await store.get_user(user.username) == reachable
    assert await store.list_users() == [reachable]


async def test_sessions_insert_get_touch_delete(store: Store) -> None:
    # Relative to now: MongoDB's TTL index removes sessions whose expires_at has passed.
    now = utc_now()
    session = StaffSession(
        token_hash="a" * 64,
        username="sara.agent",
        created_at=now,
        last_seen_at=now,
        expires_at=now + 8 * HOUR,
    )
    await store.insert_session(session)
    assert await store.get_session(session.token_hash) == session
    await store.touch_session(session.token_hash, now + HOUR)
    assert await store.get_session(session.token_hash) == session.model_copy(
        update={"last_seen_at": now + HOUR}
    )
    await store.touch_session("b" * 64, now)
    await store.delete_session(session.token_hash)
    await store.delete_session(session.token_hash)
    assert await store.get_session(session.token_hash) is None


# Values from outside


@pytest.mark.parametrize("hostile", [{"$ne": ""}, {"$gt": ""}, ["+966500000001"]])
async def test_operator_values_never_match(store: Store, hostile: Any) -> None:
    """MongoStore refuses a non-scalar with TypeError; SQLite cannot bind one at all."""
    await store.insert_complaint(make_complaint(1, phone="+966500000001"))
    refusal = TypeError if isinstance(store, MongoStore) else (TypeError, sqlite3.Error)
    with pytest.raises(refusal):
        await store.get_complaint(hostile)
    with pytest.raises(refusal):
        await store.list_complaints(
            ComplaintFilter.model_construct(phone=hostile), limit=10, cursor=None
        )
