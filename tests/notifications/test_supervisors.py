"""The supervisors the catalogue names, as `balagh seed` creates them, and staff contact
details set by an admin: employee and supervisor notices reach a person, in the embedded
default's local outbox, instead of waiting at the team's desk."""

from datetime import timedelta

import pytest

from bot.clock import utc_now
from bot.complaints import Actor, ComplaintService
from bot.demo import named_supervisors, seed_supervisors
from bot.notifications.providers.registry import staff_contacts
from bot.staff_accounts import create_staff_user, set_staff_contact
from bot.types import Role
from bot.worker import Worker
from tests.conftest import PASSWORD
from tests.notifications.conftest import (
    all_messages,
    deliver_all,
    notifying_service,
    street_light,
)

DESK = Actor("noura", Role.SUPERVISOR)
# The shipped catalogue: the lighting department's supervisor; its teams name nobody.
LIGHTING_SUPERVISOR = "lighting.supervisor"


@pytest.fixture
async def service(store, catalogue):
    return notifying_service(store, catalogue)


async def to_whom(store, event: str) -> list[tuple[str, str, str]]:
    return [(m.channel, m.to, m.language) for m in await all_messages(store) if m.event == event]


async def overdue(service: ComplaintService, reference: str, **timers: object) -> None:
    current = await service.get(reference)
    moved = current.model_copy(update={**timers, "version": current.version + 1})
    await service.store.replace_complaint(moved, current.version)


async def test_the_seed_creates_each_named_supervisor_once_with_a_contact(store, catalogue):
    named = named_supervisors(catalogue)
    assert LIGHTING_SUPERVISOR in named
    assert set(named) >= {d.supervisors[0] for d in catalogue.departments.values()}
    created = await seed_supervisors(store, catalogue, staff_contacts(), PASSWORD)
    assert created == list(named)
    assert (
        await seed_supervisors(store, catalogue, staff_contacts(), PASSWORD) == []
    )  # a second seed adds none
    phones = set()
    for username in created:
        user = await store.get_user(username)
        assert user is not None
        assert (user.role, user.active, user.language) == (Role.SUPERVISOR, True, "ar")
        phones.add(user.contacts["phone"])
    assert len(phones) == len(created)


async def test_a_breach_reaches_the_seeded_supervisor_in_the_local_outbox(
    service, store, catalogue, dispatcher_for
):
    await seed_supervisors(store, catalogue, staff_contacts(), PASSWORD)
    supervisor = await store.get_user(LIGHTING_SUPERVISOR)
    assert supervisor is not None
    phone = supervisor.contacts["phone"]
    reference = (await street_light(service)).reference
    # Nobody assigned and the team names nobody: the department's supervisor hears of it.
    assert await to_whom(store, "assignment") == [("sms", phone, "ar")]

    await overdue(service, reference, sla_due_at=utc_now() - timedelta(minutes=1))
    assert await Worker(service, 30).run_once() == 1
    assert await to_whom(store, "sla_breach") == [("sms", phone, "ar")]
    await deliver_all(dispatcher_for(), store)  # no Twilio account: the local provider
    (breach,) = [m for m in await all_messages(store) if m.event == "sla_breach"]
    assert (breach.state, breach.provider) == ("delivered", "local")
    assert breach.body.startswith(f"تجاوز المهلة: البلاغ {reference} (إنارة الشوارع")


async def test_assignment_and_reminder_follow_the_assignees_contact(service, store, catalogue):
    await create_staff_user(
        store,
        catalogue,
        username="crew.lead",
        display_name="Crew lead",
        role=Role.FIELD,
        password=PASSWORD,
        team="lighting_south",
    )
    reference = (await street_light(service)).reference
    await service.assign(reference, DESK, assignee="crew.lead")
    # No contact yet: the local outbox, addressed to the person.
    assert ("local", "staff:crew.lead", "ar") in await to_whom(store, "assignment")

    typed = {"phone": "0559876543", "telegram_chat_id": "٣٠٣٠"}
    contact = staff_contacts().contact(typed, "en")
    await set_staff_contact(store, "crew.lead", contact)
    await overdue(service, reference, sla_remind_at=utc_now() - timedelta(minutes=1))
    assert await Worker(service, 30).run_once() == 1
    assert await to_whom(store, "sla_reminder") == [("telegram", "3030", "en")]

    await set_staff_contact(
        store, "crew.lead", staff_contacts().contact({"phone": "0559876543"}, "en")
    )
    await service.assign(reference, DESK, assignee="noura")
    await service.assign(reference, DESK, assignee="crew.lead")
    assert ("sms", "+966559876543", "en") in await to_whom(store, "assignment")
