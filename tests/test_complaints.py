"""The complaint service on a real temporary SQLite store."""

import asyncio
from datetime import timedelta

import pytest

from bot.complaints import (
    SYSTEM,
    Actor,
    ChangeRefused,
    ComplaintService,
    NewComplaint,
)
from bot.reference import parse_reference
from bot.types import Role, Status
from bot.workflow import TransitionRefused
from tests.conftest import RULES

CITIZEN = Actor("citizen", "citizen")
SUPERVISOR = Actor("noura", Role.SUPERVISOR)


@pytest.fixture
async def service(store, catalogue):
    return ComplaintService(store, catalogue, rules=RULES)


def report(**overrides):
    values = {
        "channel": "voice",
        "language": "ar",
        "description": "عمود انارة طايح والسلك مكشوف جنب المدرسة",
        "district": "al_mubarraz",
        "phone": "0551234567",
        "sources": {"CallSid": "CA0123"},
    }
    return NewComplaint(**{**values, **overrides})


async def test_create_classifies_prioritises_dispatches_and_explains(service):
    result = await service.create(report(), CITIZEN)
    complaint = result.complaint
    assert result.created
    assert parse_reference(complaint.reference) == complaint.reference
    assert complaint.category == "lighting"
    assert complaint.priority == "P1"
    assert complaint.team is not None
    assert complaint.status == Status.ASSIGNED
    assert complaint.phone == "+966551234567"
    assert complaint.sources == {"CallSid": "CA0123"}
    reasons = {entry.field: entry for entry in complaint.history}
    assert "lighting" in reasons["category"].reason
    assert "P1" in reasons["priority"].reason
    assert complaint.team in reasons["team"].reason
    assert all(reasons[key].internal for key in ("category", "priority", "team"))
    stored = await service.store.get_complaint(complaint.reference)
    assert stored == complaint


async def test_sla_due_follows_category_and_priority(service, catalogue):
    complaint = (await service.create(report(), CITIZEN)).complaint
    hours = catalogue.category("lighting").sla_hours["P1"]
    assert complaint.sla_due_at - complaint.created_at == timedelta(hours=hours)


async def test_unclassifiable_text_goes_to_the_intake_queue(service, catalogue):
    complaint = (await service.create(report(description="ابغى اكلم احد"), CITIZEN)).complaint
    assert complaint.category is None
    assert complaint.status == Status.NEW
    assert complaint.team is None
    assert complaint.department == catalogue.intake_department


async def test_dispatch_spreads_work_over_the_teams_that_serve_a_place(service, catalogue):
    category, district, teams = next(
        (category, district, teams)
        for category in catalogue.categories
        for district in catalogue.districts
        if len(teams := catalogue.teams_serving(category, district)) > 1
    )
    chosen = [
        (
            await service.create(
                report(description="بلاغ", category=category, district=district), CITIZEN
            )
        ).complaint.team
        for _ in range(len(teams) * 3)
    ]
    assert set(chosen) == {team.code for team in teams}


async def test_same_idempotency_key_never_creates_a_second_complaint(service):
    first, second = await asyncio.gather(
        service.create(report(idempotency_key="voice:CA0123"), CITIZEN),
        service.create(report(idempotency_key="voice:CA0123"), CITIZEN),
    )
    assert first.complaint.reference == second.complaint.reference
    assert sorted([first.created, second.created]) == [False, True]
    assert (await service.store.kpi_summary()).total == 1


async def test_citizen_reopens_within_the_window_only(service, catalogue):
    complaint = (await service.create(report(), CITIZEN)).complaint
    for status in (Status.IN_PROGRESS, Status.RESOLVED):
        await service.change_status(complaint.reference, status, SUPERVISOR, "work")
    reopened = await service.change_status(
        complaint.reference, Status.IN_PROGRESS, CITIZEN, "still dark"
    )
    assert reopened.status == Status.IN_PROGRESS
    assert reopened.resolved_at is None

    resolved = await service.change_status(
        complaint.reference, Status.RESOLVED, SUPERVISOR, "fixed"
    )
    late = resolved.model_copy(
        update={"resolved_at": resolved.resolved_at - timedelta(days=catalogue.reopen_days + 1)}
    )
    late.version += 1
    await service.store.replace_complaint(late, expected_version=resolved.version)
    with pytest.raises(ChangeRefused, match="reopened within"):
        await service.change_status(complaint.reference, Status.IN_PROGRESS, CITIZEN, "again")


async def test_concurrent_changes_both_land_in_history(service):
    complaint = (await service.create(report(), CITIZEN)).complaint
    await asyncio.gather(
        *(service.add_note(complaint.reference, SUPERVISOR, f"note {i}") for i in range(5))
    )
    stored = await service.store.get_complaint(complaint.reference)
    notes = sorted(entry.reason for entry in stored.history if entry.field == "note")
    assert notes == [f"note {i}" for i in range(5)]
    assert stored.version == complaint.version + 5


async def test_refused_change_leaves_the_complaint_untouched(service):
    complaint = (await service.create(report(), CITIZEN)).complaint
    with pytest.raises(TransitionRefused):
        await service.change_status(complaint.reference, Status.CLOSED, SYSTEM, "")
    assert await service.store.get_complaint(complaint.reference) == complaint


async def test_a_reference_made_before_references_were_keyed_is_skipped(service, catalogue):
    """An old reference equal to the next new one: the new complaint takes the one after,
    and the old complaint is untouched."""
    first = (await service.create(report(), CITIZEN)).complaint
    taken = RULES.references.reference(first.sequence + 1)
    old = first.model_copy(update={"reference": taken, "sequence": None, "idempotency_key": "x"})
    await service.store.insert_complaints([old])
    second = (await service.create(report(), CITIZEN)).complaint
    assert second.sequence == first.sequence + 2
    assert second.reference == RULES.references.reference(first.sequence + 2)
    assert (await service.get(taken)).idempotency_key == "x"
