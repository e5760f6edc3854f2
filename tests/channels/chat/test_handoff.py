"""A chat user asks for an employee: through the real service, the request is recorded, the
agents are alerted through the outbox (once, however often the webhook comes) with a link to
the agent inbox, where the conversation waits (tests/channels/chat/test_inbox.py takes it)."""

from bot.auth import hash_password
from bot.clock import utc_now
from bot.handoffs import RECORD_KIND, HandoffRequest
from bot.notifications.handoff import next_opening
from bot.notifications.message import MessageFilter, OutboxMessage
from bot.services import Services
from bot.staff import StaffUser
from bot.types import Language, Role
from tests.channels.chat.conftest import CITIZEN
from tests.channels.chat.test_messaging import post as post_twilio
from tests.channels.chat.test_messaging import whatsapp
from tests.channels.chat.test_telegram import CHAT_ID, callback_update
from tests.channels.chat.test_telegram import post as post_telegram
from tests.conftest import PASSWORD
from tests.web.conftest import sign_in

MASKED_CITIZEN = "+966•••••••67"


async def add_staff(
    services: Services,
    username: str,
    role: Role,
    *,
    language: Language = "ar",
    active: bool = True,
    **contacts: str,
) -> None:
    """An account reached at `contacts` (by contact field key: phone=…, telegram_chat_id=…)."""
    await services.store.insert_user(
        StaffUser(
            username=username,
            display_name=username,
            role=role,
            password_hash=hash_password(PASSWORD),
            active=active,
            created_at=utc_now(),
            contacts=contacts,
            language=language,
        )
    )


async def handoff_alerts(services: Services) -> list[OutboxMessage]:
    page = await services.store.list_messages(MessageFilter(), 50, None)
    return sorted(
        (message for message in page.items if message.event == "chat_handoff"),
        key=lambda message: message.channel,
    )


async def test_a_whatsapp_request_alerts_each_agent_once_in_their_language(
    client, services, fake_rasa
):
    await add_staff(services, "huda", Role.AGENT, telegram_chat_id="5551234", language="en")
    await add_staff(services, "salem", Role.AGENT, phone="+966509876543")
    await add_staff(services, "retired", Role.AGENT, phone="+966509999999", active=False)
    await add_staff(services, "noura", Role.SUPERVISOR, phone="+966508888888")

    await post_twilio(client, whatsapp("SM1", "مرحبا"))
    asked = whatsapp("SM2", "3")  # "talk to an employee" in the numbered menu
    assert (await post_twilio(client, asked)).status_code == 200
    assert (await post_twilio(client, asked)).status_code == 200  # Twilio retries

    (request,) = await services.store.list_records(RECORD_KIND, HandoffRequest)
    assert (request.channel, request.phone) == ("whatsapp", CITIZEN)
    assert fake_rasa.messages == ["مرحبا", "/talk_to_agent"]
    sms, telegram = await handoff_alerts(services)
    link = "https://localhost/staff/inbox"
    assert (telegram.to, telegram.language, telegram.body) == (
        "5551234",
        "en",
        f"A citizen asks for an employee on WhatsApp ({MASKED_CITIZEN}).\n"
        f"Reason: Asked to talk to an employee\nTake it: {link}",
    )
    assert (sms.to, sms.language, sms.body) == (
        "+966509876543",
        "ar",
        f"مواطن يطلب موظفاً عبر واتساب ({MASKED_CITIZEN}).\n"
        f"السبب: طلب التحدث مع موظف\nلاستلام الطلب: {link}",
    )
    due = next_opening(services.catalogue.working_hours, request.requested_at)
    assert {(message.due_at, message.reference) for message in (sms, telegram)} == {(due, None)}


async def test_agents_see_the_waiting_conversation_in_the_inbox(client, services):
    await post_twilio(client, whatsapp("SM1", "مرحبا"))
    await post_twilio(client, whatsapp("SM2", "3"))
    await sign_in(client, services, "agent.desk")

    page = await client.get("/staff/inbox")
    assert page.status_code == 200
    assert 'dir="rtl"' in page.text
    assert "بانتظار موظف" in page.text
    assert "+966•••••••67" in page.text
    english = await client.get("/staff/inbox?lang=en")
    assert 'dir="ltr"' in english.text
    assert "Waiting for an employee" in english.text
    assert "WhatsApp" in english.text
    moved = await client.get("/staff/handoffs")  # the address earlier alerts gave
    assert (moved.status_code, moved.headers["location"]) == (308, "/staff/inbox")

    conversation = await services.store.find_conversation(f"whatsapp:{CITIZEN}")
    assert conversation is not None
    opened = (await client.get(f"/staff/inbox/{conversation.id}?lang=en")).text
    assert "Asked to talk to an employee" in opened  # why the dialogue handed it over


async def test_with_no_agent_the_supervisors_are_alerted(client, services):
    await add_staff(services, "noura", Role.SUPERVISOR, phone="+966508888888", language="en")
    await post_telegram(client, callback_update(1, "/talk_to_agent"))
    (alert,) = await handoff_alerts(services)
    assert (alert.channel, alert.to) == ("sms", "+966508888888")
    assert alert.body.startswith("A citizen asks for an employee on Telegram (—).")


async def test_with_nobody_to_alert_the_message_waits_in_the_local_outbox(client, services):
    await post_telegram(client, callback_update(1, "/talk_to_agent"))
    (request,) = await services.store.list_records(RECORD_KIND, HandoffRequest)
    assert request.conversation_id == f"telegram:{CHAT_ID}"
    (alert,) = await handoff_alerts(services)
    assert (alert.channel, alert.to, alert.language) == ("local", "desk:handoffs", "ar")
    assert alert.body.startswith("مواطن يطلب موظفاً عبر تيليجرام (—).")

    await sign_in(client, services, "agent.desk")
    outbox = (await client.get("/staff/outbox")).text
    assert "مكتب طلبات الموظف" in outbox  # desk:handoffs, in words
    assert "مواطن يطلب موظفاً عبر تيليجرام" in outbox
