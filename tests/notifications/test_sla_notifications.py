"""SLA timers tell the right people once: reminder to the responsible, breach to supervisors."""

from datetime import timedelta

import pytest

from bot.clock import utc_now
from bot.complaints import ComplaintService
from bot.staff import StaffUser
from bot.types import Language, Role
from bot.worker import Worker
from tests.notifications.conftest import all_messages, notifying_service, street_light


def staff(username: str, language: Language = "ar", **contacts: str) -> StaffUser:
    return StaffUser(
        username=username,
        display_name=username,
        role=Role.SUPERVISOR,
        password_hash="not-used",
        created_at=utc_now(),
        contacts=contacts,
        language=language,
    )


@pytest.fixture
async def service(store, catalogue):
    teams = dict(catalogue.teams)
    teams["lighting_south"] = teams["lighting_south"].model_copy(
        update={"supervisors": ("team.lead",)}
    )
    departments = dict(catalogue.departments)
    departments["lighting"] = departments["lighting"].model_copy(
        update={"supervisors": ("dept.head", "team.lead")}
    )
    custom = catalogue.model_copy(update={"teams": teams, "departments": departments})
    await store.insert_user(staff("team.lead", telegram_chat_id="1001", language="en"))
    await store.insert_user(staff("dept.head", phone="+966550000001"))
    return notifying_service(store, custom)


async def move_timers(service: ComplaintService, reference: str, **moments) -> None:
    current = await service.get(reference)
    moved = current.model_copy(update={**moments, "version": current.version + 1})
    await service.store.replace_complaint(moved, current.version)


async def sent(store, event: str) -> list[tuple[str, str, str]]:
    return [(m.channel, m.to, m.language) for m in await all_messages(store) if m.event == event]


async def test_creation_tells_the_citizen_and_the_team(service, store):
    complaint = await street_light(service, "whatsapp")
    assert complaint.team == "lighting_south"
    assert await sent(store, "created") == [("whatsapp", "+966551234567", "en")]
    assert await sent(store, "assignment") == [("telegram", "1001", "en")]


async def test_the_reminder_and_the_breach_are_each_sent_once(service, store):
    complaint = await street_light(service, "whatsapp")
    past = utc_now() - timedelta(minutes=1)
    await move_timers(service, complaint.reference, sla_remind_at=past)
    assert await Worker(service, 30).run_once() == 1
    assert await Worker(service, 30).run_once() == 0  # a restart repeats nothing
    assert await sent(store, "sla_reminder") == [("telegram", "1001", "en")]
    (reminder,) = [m for m in await all_messages(store) if m.event == "sla_reminder"]
    assert reminder.body.startswith(f"Reminder: report {complaint.reference} (Street lighting")

    await move_timers(service, complaint.reference, sla_due_at=past)
    assert await Worker(service, 30).run_once() == 1
    assert await Worker(service, 30).run_once() == 0
    assert sorted(await sent(store, "sla_breach")) == [
        ("sms", "+966550000001", "ar"),
        ("telegram", "1001", "en"),
    ]
    breach = {m.to: m.body for m in await all_messages(store) if m.event == "sla_breach"}
    assert breach["+966550000001"].startswith(f"تجاوز المهلة: البلاغ {complaint.reference}")


async def test_a_complaint_found_already_overdue_gets_no_late_reminder(service, store):
    complaint = await street_light(service, "whatsapp")
    past = utc_now() - timedelta(minutes=1)
    await move_timers(service, complaint.reference, sla_remind_at=past, sla_due_at=past)
    assert await Worker(service, 30).run_once() == 1
    assert await sent(store, "sla_reminder") == []
    assert len(await sent(store, "sla_breach")) == 2
    stored = await service.get(complaint.reference)
    assert stored.sla_breached_at is not None
    assert stored.sla_reminded_at is None


async def test_without_reachable_staff_the_message_waits_at_the_desk(store, catalogue):
    service = notifying_service(store, catalogue)
    complaint = await street_light(service, "whatsapp")
    past = utc_now() - timedelta(minutes=1)
    await move_timers(service, complaint.reference, sla_due_at=past)
    await Worker(service, 30).run_once()
    assert await sent(store, "sla_breach") == [("local", "team:lighting_south", "ar")]
