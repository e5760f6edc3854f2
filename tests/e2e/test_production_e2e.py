"""End to end in production: the real dialogue core and the service started as a municipality
would run them (BALAGH_ENVIRONMENT=production, its own secret key, the actions token sent by
Rasa in a header, Twilio's webhooks signed with the configured token, the simulator off), with
a local fake of Twilio's Messages API recording every SMS and WhatsApp message.

A call, a WhatsApp report, a web chat report (its typed phone proven with the code the SMS
brought) and a staff status change, then the resident's notifications: all still work.
"""

import asyncio
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import socketio
from twilio.request_validator import RequestValidator

from bot.catalogue import load_catalogue
from bot.settings import ROOT
from bot.staff_accounts import create_staff_user
from bot.store.base import ComplaintFilter
from bot.store.sqlite import SqliteStore
from bot.types import Role
from channels.voice.speech import read_digits
from tests.channels.voice.caller import SimulatedCall, new_sid
from tests.conftest import PASSWORD
from tests.e2e.servers import Stack, missing_prerequisite
from tests.notifications.fakes import FakeTwilio
from tests.servers import serve

pytestmark = pytest.mark.skipif(
    missing_prerequisite() is not None, reason=str(missing_prerequisite())
)
PUBLIC = "https://balagh.alahsa.example"
ACCOUNT_SID = "AC" + "5" * 32
AUTH_TOKEN = "production-twilio-auth-token-0123456789"
WHATSAPP_LINE = "+14155238886"
SMS_LINE = "+14155238887"
CALLER = "+966551230001"
WHATSAPP_USER = "+966551230002"
WEB_USER = "0551230003"
WEB_USER_E164 = "+966551230003"
OPENING = "ابي ابلغ عن حفرة كبيرة وخطيرة قدام مدرسة البنات في حي الكوت"
WAIT = 30.0


def production_settings(twilio_api: str) -> dict[str, str]:
    return {
        "BALAGH_ENVIRONMENT": "production",
        "BALAGH_SECRET_KEY": "a-municipality-secret-key-of-forty-eight-chars-xx",
        "BALAGH_ACTIONS_TOKEN": "the-dialogue-core-actions-token-0123456789",
        "BALAGH_PUBLIC_BASE_URL": PUBLIC,
        "BALAGH_TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "BALAGH_TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "BALAGH_TWILIO_SMS_FROM": SMS_LINE,
        "BALAGH_TWILIO_WHATSAPP_FROM": WHATSAPP_LINE,
        "BALAGH_TWILIO_API_BASE_URL": twilio_api,
        "BALAGH_NOTIFICATION_POLL_SECONDS": "0.2",
    }


async def eventually(check: Callable[[], Any], what: str) -> Any:
    """The first truthy value of `check()` within WAIT seconds."""
    async with asyncio.timeout(WAIT):
        while not (found := check()):  # noqa: ASYNC110 - polling another process
            await asyncio.sleep(0.2)
    assert found, what
    return found


def sent_to(twilio: FakeTwilio, to: str) -> list[str]:
    return [str(message["body"]) for message in twilio.accepted if message["to"] == to]


async def stored(stack: Stack, **filters: Any) -> list[Any]:
    store = SqliteStore(stack.workdir / "balagh.db")
    await store.open()
    try:
        return (await store.list_complaints(ComplaintFilter(**filters), 10, None)).items
    finally:
        await store.close()


async def whatsapp(http: httpx.AsyncClient, stack: Stack, sid: int, body: str) -> None:
    """A message from the resident's WhatsApp, posted and signed as Twilio does."""
    params = {
        "MessageSid": f"SM{sid:032d}",
        "AccountSid": ACCOUNT_SID,
        "From": f"whatsapp:{WHATSAPP_USER}",
        "To": f"whatsapp:{WHATSAPP_LINE}",
        "Body": body,
        "NumMedia": "0",
        "ApiVersion": "2010-04-01",
    }
    path = "/channels/twilio/messaging"
    signature = RequestValidator(AUTH_TOKEN).compute_signature(PUBLIC + path, params)
    response = await http.post(
        stack.service.url + path, data=params, headers={"X-Twilio-Signature": signature}
    )
    assert response.status_code == 200, stack.service.tail()


class Chat:
    """The web chat as a browser on the municipality's site opens it."""

    def __init__(self) -> None:
        self.sio = socketio.AsyncClient()
        self.uttered: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.confirmed: asyncio.Queue[str] = asyncio.Queue()
        self.sio.on("bot_uttered", self.uttered.put_nowait)
        self.sio.on("session_confirm", self.confirmed.put_nowait)
        self.session = ""

    async def open(self, url: str) -> None:
        await self.sio.connect(url, headers={"Origin": PUBLIC}, transports=["websocket"])
        await self.sio.emit("session_request", {"session_id": None})
        async with asyncio.timeout(WAIT):
            self.session = await self.confirmed.get()

    async def say(self, text: str, until: Callable[[str], bool]) -> list[dict[str, Any]]:
        """Send a message; the events uttered until one whose text satisfies `until`."""
        await self.sio.emit("user_uttered", {"message": text, "session_id": self.session})
        events: list[dict[str, Any]] = []
        async with asyncio.timeout(WAIT):
            while not events or not until(str(events[-1].get("text", ""))):
                events.append(await self.uttered.get())
        return events


async def test_a_municipality_in_production(tmp_path: Path) -> None:
    twilio = FakeTwilio()
    async with serve(twilio.app()) as twilio_api:
        stack = await asyncio.to_thread(Stack.start, tmp_path, production_settings(twilio_api))
        try:
            async with httpx.AsyncClient(timeout=WAIT) as http:
                await run_scenario(stack, twilio, http)
        finally:
            await asyncio.to_thread(stack.stop)


async def run_scenario(stack: Stack, twilio: FakeTwilio, http: httpx.AsyncClient) -> None:
    service = stack.service.url
    # production's own face: no simulator, unsigned webhooks refused, no loopback exception
    assert (await http.get(f"{service}/simulator")).status_code == 404
    assert (await http.get(f"{service}/docs")).status_code == 404
    unsigned = await http.post(f"{service}/channels/twilio/voice", data={"CallSid": "CA1"})
    assert unsigned.status_code == 403
    action_call = {"next_action": "action_programs", "tracker": {"events": []}}
    assert (await http.post(f"{service}/webhook", json=action_call)).status_code == 403

    await a_call(stack, twilio, http)
    whatsapp_reference = await a_whatsapp_report(stack, twilio, http)
    await a_web_chat_report(stack, twilio, service)
    await a_status_change(stack, twilio, http, whatsapp_reference)


async def a_call(stack: Stack, twilio: FakeTwilio, http: httpx.AsyncClient) -> None:
    call = SimulatedCall(
        http,
        PUBLIC,
        token=AUTH_TOKEN,
        account_sid=ACCOUNT_SID,
        caller=CALLER,
        server=stack.service.url,
    )
    await call.dial()
    await call.press("1")  # Arabic
    await call.press("1")  # report a problem
    await call.press("1")  # roads
    described = await call.press("1")  # Al Hofuf
    assert described.has("Record"), (described.said, stack.service.tail(), stack.rasa.tail())
    await call.record(new_sid("RE"))
    await call.press("1")  # yes, this number
    created = await call.press("1")  # send it
    [complaint] = await stored(stack, phone=CALLER)
    assert complaint.channel == "voice"
    assert complaint.phone_verified  # the caller id proves it
    spoken = read_digits(complaint.reference, "ar")
    assert any(spoken in line for line in created.said), created.said
    await call.hang_up()
    texts = await eventually(lambda: sent_to(twilio, CALLER), "the caller's SMS")
    assert complaint.reference in texts[0]
    assert f"{PUBLIC}/track/{complaint.reference}?t=" in texts[0]


async def a_whatsapp_report(stack: Stack, twilio: FakeTwilio, http: httpx.AsyncClient) -> str:
    to = f"whatsapp:{WHATSAPP_USER}"
    await whatsapp(http, stack, 1, "السلام عليكم")
    await whatsapp(http, stack, 2, OPENING)
    asked = await eventually(lambda: sent_to(twilio, to)[1:], "the phone question")
    assert "رقمك المنتهي بـ 0002" in asked[-1]
    await whatsapp(http, stack, 3, "1")  # yes, this number
    await whatsapp(http, stack, 4, "1")  # send the report
    [complaint] = await stored(stack, phone=WHATSAPP_USER)
    assert (complaint.channel, complaint.phone_verified) == ("whatsapp", True)
    notices = await eventually(
        lambda: [t for t in sent_to(twilio, to) if "استلمنا بلاغك" in t], "the created notice"
    )
    assert complaint.reference in notices[0]
    return str(complaint.reference)


async def a_web_chat_report(stack: Stack, twilio: FakeTwilio, service: str) -> None:
    chat = Chat()
    await chat.open(service)
    try:
        await chat.say(OPENING, until=lambda text: "رقم" in text)
        await chat.say(WEB_USER, until=lambda text: "الكوت" in text)  # the summary
        done = await chat.say("/affirm", until=lambda text: "ستة أرقام" in text)
        [complaint] = await stored(stack, phone=WEB_USER_E164)
        assert not complaint.phone_verified
        assert any(complaint.reference in str(event.get("text")) for event in done)
        [code_sms] = await eventually(lambda: sent_to(twilio, WEB_USER_E164), "the code")
        code = re.search(r"\b\d{6}\b", code_sms)
        assert code is not None
        await asyncio.sleep(1)  # nothing else reaches the number before the code is entered
        assert len(sent_to(twilio, WEB_USER_E164)) == 1
        eastern = code.group().translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
        verified = await chat.say(eastern, until=lambda text: "تم التحقق" in text)
        assert complaint.reference in verified[-1]["text"]
        released = await eventually(lambda: sent_to(twilio, WEB_USER_E164)[1:], "the notice")
        assert f"/track/{complaint.reference}?t=" in released[0]
    finally:
        await chat.sio.disconnect()


async def a_status_change(
    stack: Stack, twilio: FakeTwilio, http: httpx.AsyncClient, reference: str
) -> None:
    store = SqliteStore(stack.workdir / "balagh.db")
    await store.open()
    try:
        await create_staff_user(
            store,
            load_catalogue(ROOT / "catalogue.yml"),
            username="noura",
            display_name="Noura",
            role=Role.SUPERVISOR,
            password=PASSWORD,
        )
    finally:
        await store.close()
    login = {"username": "noura", "password": PASSWORD}
    token = (await http.post(f"{stack.service.url}/api/auth/login", json=login)).json()["token"]
    changed = await http.post(
        f"{stack.service.url}/api/staff/complaints/{reference}/status",
        json={"status": "in_progress", "note": "الفرقة في الطريق"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert changed.status_code == 200, changed.text
    to = f"whatsapp:{WHATSAPP_USER}"
    notices = await eventually(
        lambda: [t for t in sent_to(twilio, to) if "العمل جارٍ على بلاغك" in t], "in progress"
    )
    assert reference in notices[0]
