"""The answer by SMS: asked again by the worker until the system answers, queued once."""

from datetime import timedelta

import pytest

from bot.clock import utc_now
from bot.kpi import KpiFilter
from bot.services import Services
from bot.transactions.followup import RECORD_KIND, PendingAnswer

PHONE = "+966551234567"


def pending(number: str, proof: str, language="en", asked_ago=timedelta(0)) -> PendingAnswer:
    now = utc_now()
    return PendingAnswer(
        id=f"conversation-1:{number}",
        kind={"41": "building_permit", "42": "shop_licence", "43": "excavation_permit"}[number[:2]],
        number=number,
        proof=proof,
        phone=PHONE,
        language=language,
        channel="voice",
        asked_at=now - asked_ago,
        next_try_at=now,
    )


async def owed(services: Services) -> list[PendingAnswer]:
    return await services.store.list_records(RECORD_KIND, PendingAnswer)


async def inquiries(services: Services) -> dict[str, int]:
    today = utc_now().date()
    totals = await services.store.kpi_totals(
        KpiFilter(start=today - timedelta(days=1), end=today + timedelta(days=1))
    )
    return totals.inquiries


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", "Your building permit, number 41000090, is received and waiting for review."),
        ("ar", "معاملتك (رخصة البناء) رقم 41000090: تم استلام الطلب وهو بانتظار المراجعة."),
    ],
)
async def test_the_slow_systems_answer_is_sent_by_sms_once(services, language, words):
    follow_ups = services.transaction_sms
    await follow_ups.promise(pending("41000090", "9012", language))
    assert await follow_ups.run_once() == 1  # waits the demo's slowness, within 8 s
    message = await services.store.get_message("transaction.conversation-1:41000090")
    assert (message.channel, message.to, message.language) == ("sms", PHONE, language)
    assert message.body.startswith(words), message.body
    assert await owed(services) == []
    assert await follow_ups.run_once() == 0  # nothing is owed twice
    assert await inquiries(services) == {"building_permit:sms_answered:voice": 1}


async def test_a_wrong_proof_is_told_by_sms_without_the_stage(services):
    await services.transaction_sms.promise(pending("41000090", "0000"))
    assert await services.transaction_sms.run_once() == 1
    message = await services.store.get_message("transaction.conversation-1:41000090")
    assert "don't match" in message.body
    assert "received" not in message.body


async def test_a_failing_system_is_asked_again_later_then_given_up(services):
    follow_ups = services.transaction_sms
    await follow_ups.promise(pending("42000090", "0123"))
    assert await follow_ups.run_once() == 0
    [later] = await owed(services)
    assert later.attempts == 1
    assert later.next_try_at > utc_now()
    assert await follow_ups.run_once() == 0  # not due yet: not asked
    assert (await owed(services))[0].attempts == 1

    await follow_ups.promise(pending("42000090", "0123", asked_ago=timedelta(hours=25)))
    assert await follow_ups.run_once() == 1
    message = await services.store.get_message("transaction.conversation-1:42000090")
    assert "still can't answer" in message.body
    assert await owed(services) == []
    assert await inquiries(services) == {"shop_licence:sms_gave_up:voice": 1}


async def test_the_worker_runs_the_follow_ups(services):
    await services.transaction_sms.promise(pending("41000017", "5678"))
    assert await services.worker.run_once() >= 1
    assert await services.store.get_message("transaction.conversation-1:41000017") is not None


async def test_a_number_held_back_by_others_guesses_is_asked_again_later(services):
    desk = services.transactions
    permit = services.catalogue.transactions["building_permit"]
    for n in range(services.settings.track_attempts_per_reference):
        await desk.answer(permit, "41000017", "0000", f"+96650000000{n}", 2)
    await services.transaction_sms.promise(pending("41000017", "5678"))
    assert await services.transaction_sms.run_once() == 0  # no "wrong proof" SMS for the owner
    [later] = await owed(services)
    assert later.attempts == 1
