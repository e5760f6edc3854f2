"""Telegram: a citizen answers "is it fixed?" and the 1–5 rating from the chat the questions
were sent to, with no phone shared, through the real webhook."""

from bot.complaints import Actor, NewComplaint
from bot.services import Services
from bot.types import Role, Status
from bot.words import text
from tests.channels.chat.conftest import FakeRasa, FakeTelegram
from tests.channels.chat.test_telegram import CHAT_ID, message_update, post

CREW = Actor("crew", Role.SUPERVISOR)


async def resolved_on_telegram(services: Services) -> str:
    report = NewComplaint(
        channel="telegram",
        language="ar",
        description="عمود انارة طافي",
        district="al_hofuf",
        sources={"telegram_chat_id": str(CHAT_ID)},
    )
    reference = (await services.complaints.create(report, CREW)).complaint.reference
    for status in (Status.IN_PROGRESS, Status.RESOLVED):
        await services.complaints.change_status(reference, status, CREW, "crew on site")
    return reference


async def test_digits_in_the_chat_reopen_confirm_and_rate(
    client, services: Services, fake_rasa: FakeRasa, fake_telegram: FakeTelegram
) -> None:
    reference = await resolved_on_telegram(services)
    assert (await post(client, message_update(1, text="٢"))).status_code == 200
    assert (await services.complaints.get(reference)).status == Status.IN_PROGRESS
    assert fake_rasa.received == []
    assert fake_telegram.sent() == []  # the reopening notifies by itself, through the outbox

    await services.complaints.change_status(reference, Status.RESOLVED, CREW, "fixed again")
    await post(client, message_update(2, text="١"))
    await post(client, message_update(3, text="٥"))
    complaint = await services.complaints.get(reference)
    assert (complaint.status, complaint.satisfaction) == (Status.CLOSED, 5)
    (thanks,) = fake_telegram.sent()
    assert thanks["text"] == text("chat.rating_thanks", "ar", reference=reference)
    assert fake_rasa.received == []


async def test_a_digit_from_another_chat_goes_to_the_dialogue(
    client, services: Services, fake_rasa: FakeRasa
) -> None:
    reference = await resolved_on_telegram(services)
    update = message_update(1, text="1")
    stranger = {"id": 123123, "first_name": "x", "type": "private"}
    update["message"]["chat"] = stranger
    update["message"]["from"] = {"id": 123123, "is_bot": False, "first_name": "x"}
    await post(client, update)
    assert fake_rasa.messages == ["1"]
    assert (await services.complaints.get(reference)).status == Status.RESOLVED


async def test_with_a_menu_open_a_digit_answers_the_menu(
    client, services: Services, fake_rasa: FakeRasa
) -> None:
    reference = await resolved_on_telegram(services)
    await post(client, message_update(1, text="مرحبا"))
    await post(client, message_update(2, text="2"))
    assert fake_rasa.messages == ["مرحبا", "/check_status"]
    assert (await services.complaints.get(reference)).status == Status.RESOLVED
