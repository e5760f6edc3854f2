"""A citizen's digit answers the last question a notification asked, or nothing."""

from datetime import timedelta

import pytest

from bot.channel_directory import PORTAL
from bot.clock import utc_now
from bot.complaints import Actor, ChangeRefused, ComplaintService, NewComplaint
from bot.notifications.replies import ReplyOutcome, handle_citizen_reply, handle_contact_reply
from bot.staff import StaffUser
from bot.types import Role, Status
from tests.conftest import RULES
from tests.notifications.conftest import notifying_service

PHONE = "+966551234567"
CREW = Actor("crew", Role.SUPERVISOR)


@pytest.fixture
def service(store, catalogue):
    return ComplaintService(store, catalogue, rules=RULES)


async def complaint_in(service: ComplaintService, *statuses: Status) -> str:
    new = NewComplaint(
        channel="sms",
        language="ar",
        description="عمود انارة طافي",
        district="al_hofuf",
        phone=PHONE,
        phone_verified=True,  # the SMS sender
    )
    reference = (await service.create(new, CREW)).complaint.reference
    for status in statuses:
        await service.change_status(reference, status, CREW, "work")
    return reference


DONE = (Status.IN_PROGRESS, Status.RESOLVED)


@pytest.mark.parametrize("text", ["hello", "12", "", "1 2", "نعم"])
async def test_anything_but_one_digit_is_left_to_the_dialogue(service, text):
    await complaint_in(service, *DONE)
    assert await handle_citizen_reply(service, PHONE, text) is None


async def test_no_pending_question_means_no_answer(service):
    assert await handle_citizen_reply(service, PHONE, "1") is None  # no complaint at all
    await complaint_in(service, Status.IN_PROGRESS)
    assert await handle_citizen_reply(service, PHONE, "1") is None
    resolved = await complaint_in(service, *DONE)
    assert await handle_citizen_reply(service, PHONE, "3") is None  # not 1 or 2
    assert (await service.get(resolved)).status == Status.RESOLVED


async def test_the_most_recently_asked_question_is_answered(service):
    closed = await complaint_in(service, *DONE, Status.CLOSED)
    resolved = await complaint_in(service, *DONE)
    outcome = await handle_citizen_reply(service, PHONE, "١")
    assert outcome is not None
    assert (outcome.reference, outcome.action) == (resolved, "confirmed")
    assert (await service.get(closed)).satisfaction is None
    rated = await handle_citizen_reply(service, PHONE, "4")  # now: rate the latest closed one
    assert rated is not None
    assert rated.reference == resolved
    assert (await service.get(resolved)).satisfaction == 4


async def test_a_reopen_after_the_window_is_refused(service, monkeypatch):
    reference = await complaint_in(service, *DONE)
    later = (await service.get(reference)).resolved_at + timedelta(days=30)
    monkeypatch.setattr("bot.complaints.utc_now", lambda: later)
    with pytest.raises(ChangeRefused):
        await handle_citizen_reply(service, PHONE, "2")


# Telegram: the chat the questions were sent to answers them, phone or no phone.

CHAT = "987654321"


@pytest.fixture
def notifying(store, catalogue):
    """A service whose changes queue their notifications, as the running service's do."""
    return notifying_service(store, catalogue)


async def telegram_complaint_in(service: ComplaintService, *statuses: Status, chat=CHAT) -> str:
    new = NewComplaint(
        channel="telegram",
        language="ar",
        description="عمود انارة طافي",
        district="al_hofuf",
        sources={"telegram_chat_id": chat},
    )
    reference = (await service.create(new, CREW)).complaint.reference
    for status in statuses:
        await service.change_status(reference, status, CREW, "work")
    return reference


async def test_a_telegram_chat_answers_the_questions_sent_to_it(notifying):
    reference = await telegram_complaint_in(notifying, *DONE)
    reopened = await handle_contact_reply(notifying, "telegram", CHAT, "٢")  # Eastern Arabic 2
    assert reopened == ReplyOutcome(reference, "reopened")
    assert (await notifying.get(reference)).status == Status.IN_PROGRESS
    await notifying.change_status(reference, Status.RESOLVED, CREW, "again")
    assert await handle_contact_reply(notifying, "telegram", CHAT, "١") == ReplyOutcome(
        reference, "confirmed"
    )
    assert await handle_contact_reply(notifying, "telegram", CHAT, "٥") == ReplyOutcome(
        reference, "rated"
    )
    assert (await notifying.get(reference)).satisfaction == 5
    assert await handle_contact_reply(notifying, "telegram", CHAT, "4") is None  # asked once


async def test_another_chat_or_text_answers_nothing(notifying):
    reference = await telegram_complaint_in(notifying, *DONE)
    assert await handle_contact_reply(notifying, "telegram", "111222333", "1") is None
    assert await handle_contact_reply(notifying, "telegram", CHAT, "نعم") is None
    assert await handle_contact_reply(notifying, "telegram", CHAT, "12") is None
    assert (await notifying.get(reference)).status == Status.RESOLVED


async def test_a_staff_chat_cannot_answer_for_the_citizen(notifying, store):
    """Staff are told on Telegram too: their chat got notices about the complaint."""
    await store.insert_user(
        StaffUser(
            username="crew.lead",
            display_name="Crew lead",
            role=Role.FIELD,
            password_hash="not-used",
            team="lighting_south",
            created_at=utc_now(),
            contacts={"telegram_chat_id": "4040"},
        )
    )
    reference = await telegram_complaint_in(notifying)
    await notifying.assign(reference, CREW, assignee="crew.lead")
    for status in DONE:
        await notifying.change_status(reference, status, CREW, "work")
    assert await handle_contact_reply(notifying, "telegram", "4040", "1") is None
    assert (await notifying.get(reference)).status == Status.RESOLVED


async def test_without_a_question_sent_to_the_chat_nothing_is_answered(service):
    """No planner, no notification: the chat was never asked."""
    await telegram_complaint_in(service, *DONE)
    assert await handle_contact_reply(service, "telegram", CHAT, "1") is None


async def test_a_report_whose_typed_phone_was_never_proven_is_not_answered(service):
    """Someone typed this number into a web form: its owner's "1" is not an answer to it."""
    new = NewComplaint(
        channel=PORTAL,
        language="ar",
        description="عمود انارة طافي",
        district="al_hofuf",
        phone=PHONE,
    )
    reference = (await service.create(new, CREW)).complaint.reference
    for status in DONE:
        await service.change_status(reference, status, CREW, "work")
    assert await handle_citizen_reply(service, PHONE, "1") is None
    assert (await service.get(reference)).status == Status.RESOLVED
