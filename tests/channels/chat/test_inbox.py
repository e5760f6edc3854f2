"""The agent inbox on WhatsApp and Telegram, through the real service: Twilio's signed
webhooks and python-telegram-bot against the local fakes, employees signed in to the back
office. A resident asks for an employee, two employees take it at once (one gets it), the
bot is paused with Rasa's own event and says nothing while they write both ways, WhatsApp's
24-hour rule holds, and the bot answers again once the employee hands back."""

import asyncio
import re
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
import socketio
from fastapi import FastAPI

from bot.api.deps import SESSION_COOKIE
from bot.app import create_app
from bot.clock import utc_now
from bot.conversations import Conversation
from bot.notifications.whatsapp_session import RECORD_KIND as WHATSAPP_CONTACT
from bot.notifications.whatsapp_session import WhatsAppContact
from bot.services import Services
from bot.settings import Settings
from bot.types import Role
from bot.web.inbox_live import NAMESPACE, SOCKET_PATH
from channels.messaging import STATUS_PATH
from tests.channels.chat.conftest import (
    CITIZEN,
    JPEG,
    OGG,
    PUBLIC,
    SMS_NUMBER,
    WHATSAPP_NUMBER,
    FakeRasa,
    FakeTelegram,
    FakeTwilio,
)
from tests.channels.chat.test_handoff import add_staff
from tests.channels.chat.test_messaging import post as post_twilio
from tests.channels.chat.test_messaging import sms, whatsapp
from tests.channels.chat.test_telegram import CHAT_ID, callback_update, message_update
from tests.channels.chat.test_telegram import post as post_telegram
from tests.conftest import PASSWORD
from tests.servers import serve
from tests.web.conftest import post_form, sign_in

TEMPLATE_SID = "HX" + "7" * 32
WHATSAPP_KEY = f"whatsapp:{CITIZEN}"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The approved WhatsApp template of an employee's message, in Arabic only."""
    return settings.model_copy(
        update={"twilio_whatsapp_templates": {"agent_reply.ar": TEMPLATE_SID}}
    )


@pytest.fixture
async def colleague(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A second employee's browser."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as http:
        yield http


async def conversation(services: Services, key: str) -> Conversation:
    found = await services.store.find_conversation(key)
    assert found is not None
    return found


async def act(client: httpx.AsyncClient, found: Conversation, action: str, **data: str) -> str:
    """An employee's form on the conversation's page; where it sent them back."""
    action_url = f"/staff/inbox/{found.id}/{action}"
    response = await post_form(client, "/staff/inbox", action_url, data)
    assert response.status_code == 303, response.text
    return str(response.headers["location"])


async def take_at_once(
    client: httpx.AsyncClient, colleague: httpx.AsyncClient, services: Services, key: str
) -> None:
    found = await conversation(services, key)
    assert found.desk.state == "queued"
    outcomes = await asyncio.gather(act(client, found, "take"), act(colleague, found, "take"))
    assert sorted(outcome.rsplit("?", 1)[1] for outcome in outcomes) == [
        "error=taken",
        "notice=taken",
    ]


async def test_whatsapp_an_employee_takes_the_conversation_and_writes_both_ways(
    client, colleague, services, fake_rasa: FakeRasa, fake_twilio: FakeTwilio
):
    await sign_in(client, services, "amal")
    await sign_in(colleague, services, "badr")
    await post_twilio(client, whatsapp("SM1", "مرحبا"))
    await post_twilio(client, whatsapp("SM2", "3"))  # "talk to an employee"
    assert "خلال 2 دقيقة تقريباً" in fake_twilio.bodies[-1]  # the expected wait, one in line

    waiting = await client.get("/staff/inbox")
    found = await conversation(services, WHATSAPP_KEY)
    assert f'data-id="{found.id}"' in waiting.text
    assert "+966•••••••67" in waiting.text  # the phone masked
    assert CITIZEN not in waiting.text
    assert "ينتظر منذ 0 دقيقة" in waiting.text  # how long, kept current by the page
    assert '<span class="pill">العربية</span>' in waiting.text  # their language, by its name

    await take_at_once(client, colleague, services, WHATSAPP_KEY)
    taken = await conversation(services, WHATSAPP_KEY)
    assert taken.desk.state == "assigned"
    assert fake_rasa.events == [(WHATSAPP_KEY, "pause")]
    assert f"معك الآن {taken.desk.assignee} من موظفي الأمانة" in fake_twilio.bodies[-1]
    employee, other = (client, colleague) if taken.desk.assignee == "amal" else (colleague, client)

    sent_before = len(fake_twilio.sent)
    await post_twilio(client, whatsapp("SM3", "عندي حفرة قدام البيت"))
    assert fake_rasa.messages[-1] == "عندي حفرة قدام البيت"  # Rasa records it, paused
    assert len(fake_twilio.sent) == sent_before  # the bot says nothing

    panel = await employee.get(f"/staff/inbox/{taken.id}/panel")
    assert "عندي حفرة قدام البيت" in panel.text
    assert "التحدث مع موظف" in panel.text  # the menu as the resident saw it
    assert (await other.get(f"/staff/inbox/{taken.id}/panel")).status_code == 403  # not theirs
    english_page = (await employee.get(f"/staff/inbox/{taken.id}/panel?lang=en")).text
    canned = '<option value="need_location" data-text="{}">Location needed</option>'
    arabic = services.catalogue.reply_templates["need_location"].text.ar
    assert canned.format(arabic) in english_page  # titled for the employee, said for the resident

    assert (await act(employee, taken, "reply", text="أرسل لي الموقع لو سمحت")).endswith(
        "notice=saved"
    )
    reply = fake_twilio.sent[-1]
    assert (reply["To"], reply["From"], reply["Body"]) == (
        WHATSAPP_KEY,
        WHATSAPP_NUMBER,
        "أرسل لي الموقع لو سمحت",
    )
    assert reply["StatusCallback"] == f"{PUBLIC}{STATUS_PATH}"
    sid = f"SM{len(fake_twilio.sent):032d}"
    report = {"MessageSid": sid, "MessageStatus": "delivered", "AccountSid": "AC1"}
    assert (await post_twilio(client, report, STATUS_PATH)).status_code == 204
    delivered = (await employee.get(f"/staff/inbox/{taken.id}/panel?lang=en")).text
    assert re.search(r'data-delivery="delivered">Delivered<', delivered)

    # a day later the window is shut: the approved template reopens the conversation
    day_ago = WhatsAppContact(last_inbound_at=utc_now() - timedelta(hours=25))
    await services.store.put_record(WHATSAPP_CONTACT, CITIZEN, day_ago)
    await act(employee, taken, "reply", text="هل ما زلت تحتاج المساعدة؟")
    template = fake_twilio.sent[-1]
    assert template["ContentSid"] == TEMPLATE_SID
    assert template["ContentVariables"] == '{"1": "هل ما زلت تحتاج المساعدة؟"}'
    assert "Body" not in template
    await post_twilio(client, whatsapp("SM4", "نعم، ما زالت الحفرة"))  # the window reopens
    assert fake_twilio.sent[-1] is template  # to the employee, not the bot

    await act(employee, taken, "hand-back")
    assert fake_rasa.events[-1] == (WHATSAPP_KEY, "resume")
    assert "أعادك الموظف إلى المساعد الآلي" in fake_twilio.bodies[-1]
    await post_twilio(client, whatsapp("SM5", "مرحبا"))
    assert fake_twilio.bodies[-1].startswith("أهلاً بك في بلاغ ٩٤٠")  # the bot answers again
    back = await conversation(services, WHATSAPP_KEY)
    assert back.desk.state == "bot"
    assert back.desk.first_response_at is not None


async def test_past_24_hours_without_a_template_the_employee_is_told_it_was_not_sent(
    client, services, fake_twilio: FakeTwilio
):
    await sign_in(client, services, "amal")
    await post_twilio(client, whatsapp("SM1", "hello"))
    await post_twilio(client, whatsapp("SM2", "3"))
    found = await conversation(services, WHATSAPP_KEY)
    await act(client, found, "take")
    # the conversation went on in English; only an Arabic template is approved
    english = found.contact.model_copy(update={"language": "en"})
    await services.store.record_conversation(found.model_copy(update={"contact": english}), [])
    day_ago = WhatsAppContact(last_inbound_at=utc_now() - timedelta(hours=25))
    await services.store.put_record(WHATSAPP_CONTACT, CITIZEN, day_ago)
    sent_before = len(fake_twilio.sent)

    outcome = await act(client, found, "reply", text="Are you still there?")
    assert outcome.endswith("error=not_delivered")
    assert len(fake_twilio.sent) == sent_before
    panel = (await client.get(f"/staff/inbox/{found.id}/panel")).text
    assert "no approved WhatsApp template" in panel


async def test_telegram_an_employee_takes_the_conversation_and_writes_both_ways(
    app, client, colleague, services, fake_rasa: FakeRasa, fake_telegram: FakeTelegram
):
    key = f"telegram:{CHAT_ID}"
    await sign_in(client, services, "amal")
    await sign_in(colleague, services, "badr")
    await post_telegram(client, callback_update(1, "/talk_to_agent"))
    await take_at_once(client, colleague, services, key)
    taken = await conversation(services, key)
    employee, other = (client, colleague) if taken.desk.assignee == "amal" else (colleague, client)
    assert fake_rasa.events == [(key, "pause")]
    told = fake_telegram.sent()[-1]
    assert (told["chat_id"], "من موظفي الأمانة" in told["text"]) == (str(CHAT_ID), True)

    sent_before = len(fake_telegram.sent())
    await post_telegram(client, message_update(2, text="الإنارة طافية في شارعنا"))
    assert len(fake_telegram.sent()) == sent_before  # the bot says nothing
    assert "الإنارة طافية في شارعنا" in (await employee.get(f"/staff/inbox/{taken.id}/panel")).text
    fake_telegram.files["v1"] = OGG
    voice = {"file_id": "v1", "file_unique_id": "uv1", "duration": 4, "file_size": len(OGG)}
    await post_telegram(client, message_update(5, voice=voice))
    panel = (await employee.get(f"/staff/inbox/{taken.id}/panel")).text
    [played] = re.findall(r'<audio controls preload="none" src="([^"]+)">', panel)  # playable
    assert (await employee.get(played)).content == OGG

    await act(employee, taken, "reply", text="سنبلغ فريق الإنارة الآن")
    assert fake_telegram.sent()[-1] == {"chat_id": str(CHAT_ID), "text": "سنبلغ فريق الإنارة الآن"}

    action = f"/staff/inbox/{taken.id}/reply"
    photo = {"photo": ("hole.jpg", JPEG, "image/jpeg")}
    await post_form(employee, "/staff/inbox", action, {"text": ""}, files=photo)
    sent = fake_telegram.sent("sendPhoto")[-1]["photo"]
    assert sent.startswith(f"{PUBLIC}/inbox-media/")  # the platform fetches it
    public = sent.removeprefix(PUBLIC)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=PUBLIC) as anyone:
        assert (await anyone.get(public)).content == JPEG  # no staff session needed
    forged = public.replace("/inbox-media/", "/inbox-media/A")
    assert (await client.get(forged)).status_code == 404
    assert 'alt="صورة"' in (await employee.get(f"/staff/inbox/{taken.id}/panel")).text

    await act(employee, taken, "close")
    assert fake_rasa.events[-1] == (key, "resume")
    question = fake_telegram.sent()[-1]
    assert "كيف تقيّم المحادثة" in question["text"]
    stars = question["reply_markup"]["inline_keyboard"]
    assert [row[0]["callback_data"] for row in stars][-1] == "/rate_conversation 5"

    await post_telegram(client, callback_update(3, "/rate_conversation 4"))
    rated = await conversation(services, key)
    assert (rated.desk.state, rated.desk.rating) == ("closed", 4)
    assert "شكراً لتقييمك" in fake_telegram.sent()[-1]["text"]
    await post_telegram(client, message_update(4, text="مرحبا"))
    assert fake_telegram.sent()[-1]["text"].startswith("أهلاً بك في بلاغ ٩٤٠")

    await add_staff(services, "noura", Role.SUPERVISOR)  # the figures, for a supervisor
    login = {"username": "noura", "password": PASSWORD, "next": "/staff/kpi"}
    await post_form(other, "/staff/login", "/staff/login", login)
    figures = (await other.get("/staff/kpi?lang=en")).text
    section = figures[figures.index('id="kpi-inbox"') :]
    assert "<dt>Needed an employee</dt><dd>1 (100%)</dd>" in section
    assert "<dd>4.0 / 5 (1)</dd>" in section
    assert f"<dt>{taken.desk.assignee}</dt><dd>1</dd>" in section
    inbox = (await other.get("/api/staff/kpi")).json()["inbox"]  # the same for other systems
    assert (inbox["needed_employee"], inbox["employee_share"], inbox["rating"]) == (1, 1.0, 4.0)
    exported = (await other.get("/staff/kpi.csv")).text
    assert f"inbox.per_agent,{taken.desk.assignee},1" in exported.splitlines()


async def test_a_complaint_filed_from_the_conversation_keeps_what_the_bot_gathered(
    client, services, fake_rasa: FakeRasa, fake_twilio: FakeTwilio
):
    summary = {"category": "roads", "district": "al_kut", "description": "حفرة كبيرة"}
    handoff = {"reason": "requested", "available": True, "language": "ar", "summary": summary}
    fake_rasa.replies["/talk_to_agent"] = [
        {"text": "جاري تحويلك."},
        {"custom": {"handoff": handoff}},
    ]
    await sign_in(client, services, "amal")
    await post_twilio(client, whatsapp("SM1", "مرحبا"))
    await post_twilio(client, whatsapp("SM2", "3"))
    found = await conversation(services, WHATSAPP_KEY)
    await act(client, found, "take")
    pin = {"Latitude": "25.3831", "Longitude": "49.587", "Address": "شارع الملك فهد"}
    await post_twilio(client, whatsapp("SM3", "", **pin))

    panel = (await client.get(f"/staff/inbox/{found.id}/panel")).text
    assert re.search(r'<option value="roads" selected>', panel)  # pre-filled from the slots
    assert re.search(r'<option value="al_kut" selected>', panel)
    assert ">حفرة كبيرة</textarea>" in panel
    assert "شارع الملك فهد" in panel  # the location as the resident shared it, on a map
    assert (
        'data-map data-tiles="https://tile.openstreetmap.org/{z}/{x}/{y}.png" data-lat="25.3831"'
        in panel
    )

    page = f"/staff/inbox/{found.id}"
    form = {"category": "roads", "district": "al_kut", "description": "حفرة كبيرة قدام البيت"}
    created = await post_form(client, page, f"{page}/complaint", form)
    assert created.status_code == 303
    reference = created.headers["location"].split("/")[-1].split("?")[0]
    complaint = await services.complaints.get(reference)
    assert (complaint.category, complaint.district, complaint.phone) == ("roads", "al_kut", CITIZEN)
    assert complaint.location is not None
    assert complaint.location.address == "شارع الملك فهد"
    assert complaint.sources["conversation"] == found.id
    [note] = [entry for entry in complaint.history if entry.field == "note"]
    assert "resident: مرحبا" in note.reason
    assert "amal: → amal" in note.reason

    linked = await act(client, found, "link", reference=reference)  # again: kept once
    assert linked.endswith("notice=saved")
    assert (await conversation(services, WHATSAPP_KEY)).desk.complaints == [reference]
    assert (await act(client, found, "link", reference="0000000000")).endswith("error=gone")


async def test_a_supervisor_sees_each_employees_load_reads_and_reassigns(
    client, colleague, services, fake_twilio: FakeTwilio
):
    await sign_in(client, services, "amal")
    await add_staff(services, "badr", Role.AGENT)
    await add_staff(services, "noura", Role.SUPERVISOR)
    login = {"username": "noura", "password": PASSWORD, "next": "/staff/inbox"}
    await post_form(colleague, "/staff/login", "/staff/login", login)
    await post_twilio(client, whatsapp("SM1", "مرحبا"))
    await post_twilio(client, whatsapp("SM2", "3"))
    found = await conversation(services, WHATSAPP_KEY)
    await act(client, found, "take")

    inbox = (await colleague.get("/staff/inbox?view=all&lang=en")).text
    load = inbox[inbox.index('id="inbox-load"') :]
    assert "<dt>amal</dt><dd>1</dd>" in load
    assert "<dt>badr</dt><dd>0</dd>" in load
    assert "مرحبا" in (await colleague.get(f"/staff/inbox/{found.id}/panel")).text
    assert 'id="inbox-load"' not in (await client.get("/staff/inbox")).text  # agents: no

    assert (await act(colleague, found, "reassign", username="badr")).endswith("notice=saved")
    assert "معك الآن badr من موظفي الأمانة" in fake_twilio.bodies[-1]
    assert (await conversation(services, WHATSAPP_KEY)).desk.assignee == "badr"
    refused = await act(client, found, "reply", text="ما زلت معك")
    assert refused.endswith("error=refused")  # amal no longer has it
    assert (await act(client, found, "reassign", username="amal")).endswith("error=refused")


async def test_only_a_desk_employees_page_hears_the_inbox_live(
    settings: Settings, fake_telegram: FakeTelegram
):
    app = create_app(settings)
    async with serve(app) as url:
        services: Services = app.state.services
        await add_staff(services, "amal", Role.AGENT)
        await add_staff(services, "fahd", Role.FIELD)
        stranger = socketio.AsyncClient()
        with pytest.raises(socketio.exceptions.ConnectionError):
            await stranger.connect(url, namespaces=[NAMESPACE], socketio_path=SOCKET_PATH)

        async with httpx.AsyncClient(base_url=url) as http:
            sessions = {
                name: (
                    await http.post(
                        "/api/auth/login", json={"username": name, "password": PASSWORD}
                    )
                ).json()["token"]
                for name in ("amal", "fahd")
            }
        field = socketio.AsyncClient()
        with pytest.raises(socketio.exceptions.ConnectionError):
            await field.connect(
                url,
                namespaces=[NAMESPACE],
                socketio_path=SOCKET_PATH,
                headers={"Cookie": f"{SESSION_COOKIE}={sessions['fahd']}"},
            )

        heard: asyncio.Queue[dict[str, str]] = asyncio.Queue()
        agent = socketio.AsyncClient()
        agent.on("changed", heard.put_nowait, namespace=NAMESPACE)
        await agent.connect(
            url,
            namespaces=[NAMESPACE],
            socketio_path=SOCKET_PATH,
            headers={"Cookie": f"{SESSION_COOKIE}={sessions['amal']}"},
        )
        async with httpx.AsyncClient(base_url=url) as http:
            await post_telegram(http, callback_update(1, "/talk_to_agent"))
        async with asyncio.timeout(5):
            event = await heard.get()
        found = await conversation(services, f"telegram:{CHAT_ID}")
        assert event == {"id": found.id}  # only which one: the page reads the rest itself

        amal = await services.store.get_user("amal")
        assert amal is not None
        await app.state.inbox.take(found.id, amal)
        await agent.emit("typing", {"id": found.id}, namespace=NAMESPACE)
        async with asyncio.timeout(5):
            while not fake_telegram.sent("sendChatAction"):  # noqa: ASYNC110 - the fake records
                await asyncio.sleep(0.05)
        assert fake_telegram.sent("sendChatAction") == [
            {"chat_id": str(CHAT_ID), "action": "typing"}
        ]
        await agent.disconnect()


async def test_asked_outside_working_hours_it_waits_marked_so_without_a_promised_wait(
    client, services, fake_rasa: FakeRasa, fake_twilio: FakeTwilio
):
    closed = {"reason": "requested", "available": False, "language": "ar"}
    office_shut = "موظفونا متاحون من الأحد إلى الخميس. سيتواصل معك موظف عند بدء الدوام."
    fake_rasa.replies["/talk_to_agent"] = [{"text": office_shut}, {"custom": {"handoff": closed}}]
    await sign_in(client, services, "amal")
    await post_twilio(client, whatsapp("SM1", "مرحبا"))
    await post_twilio(client, whatsapp("SM2", "3"))
    assert fake_twilio.bodies[-1] == office_shut  # what the dialogue said, no wait promised
    waiting = (await client.get("/staff/inbox")).text
    assert "طُلب خارج وقت الدوام" in waiting  # an employee answers it when the office opens
    assert (await conversation(services, WHATSAPP_KEY)).desk.state == "queued"


async def test_sms_an_employee_writes_free_text_whenever_the_resident_last_wrote(
    client, services, fake_twilio: FakeTwilio
):
    await sign_in(client, services, "amal")
    await post_twilio(client, sms("SM1", "مرحبا"))
    await post_twilio(client, sms("SM2", "3"))
    found = await conversation(services, f"sms:{CITIZEN}")
    await act(client, found, "take")
    await act(client, found, "reply", text="وصلنا بلاغك، نتابعه الآن")
    reply = fake_twilio.sent[-1]
    assert (reply["To"], reply["From"], reply["Body"]) == (
        CITIZEN,
        SMS_NUMBER,
        "وصلنا بلاغك، نتابعه الآن",
    )  # SMS has no 24-hour rule: never a template
