"""A citizen's digit answers the last question a notification asked, or nothing."""

from datetime import timedelta

import pytest

from bot.complaints import Actor, ChangeRefused, ComplaintService, NewComplaint
from bot.notifications.replies import handle_citizen_reply
from bot.types import Channel, Role, Status

PHONE = "+966551234567"
CREW = Actor("crew", Role.SUPERVISOR)


@pytest.fixture
def service(store, catalogue):
    return ComplaintService(store, catalogue)


async def complaint_in(service: ComplaintService, *statuses: Status) -> str:
    new = NewComplaint(
        channel=Channel.SMS,
        language="ar",
        description="عمود انارة طافي",
        district="al_hofuf",
        phone=PHONE,
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
