"""Web chat: a real socket.io client against the service served by uvicorn, speaking Rasa's
socketio protocol the way rasa-webchat does."""

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import socketio
from fastapi import FastAPI

from bot.app import create_app
from bot.complaint_record import Attachment
from bot.complaints import CITIZEN, NewComplaint
from bot.handoffs import RECORD_KIND, HandoffRequest
from bot.notifications.message import MessageFilter
from bot.services import Services
from bot.settings import Settings
from bot.upload_claims import RECORD_KIND as UNCLAIMED
from bot.upload_claims import UnclaimedUpload
from bot.words import text
from channels.webchat_http import upload_token, uploaded_attachment
from tests.channels.chat.conftest import JPEG, menu
from tests.servers import serve

WAIT_SECONDS = 5


@dataclass
class Browser:
    """One chat client: what the server confirmed and what the bot uttered."""

    sio: socketio.AsyncClient
    confirmed: asyncio.Queue[str] = field(default_factory=asyncio.Queue)
    uttered: asyncio.Queue[dict[str, Any]] = field(default_factory=asyncio.Queue)

    async def session(self, session_id: str | None = None) -> str:
        await self.sio.emit("session_request", {"session_id": session_id})
        async with asyncio.timeout(WAIT_SECONDS):
            return await self.confirmed.get()

    async def say(self, message: str, count: int = 1, **data: Any) -> list[dict[str, Any]]:
        await self.sio.emit("user_uttered", {"message": message, **data})
        async with asyncio.timeout(WAIT_SECONDS):
            return [await self.uttered.get() for _ in range(count)]


@pytest.fixture
async def served(settings: Settings) -> AsyncIterator[tuple[str, FastAPI]]:
    app = create_app(settings)
    async with serve(app) as url:
        yield url, app


@pytest.fixture
async def browser(served) -> AsyncIterator[Browser]:
    url, _ = served
    sio = socketio.AsyncClient()
    chat = Browser(sio)
    sio.on("session_confirm", chat.confirmed.put_nowait)
    sio.on("bot_uttered", chat.uttered.put_nowait)
    await sio.connect(url, socketio_path="socket.io", transports=["websocket"])
    yield chat
    await sio.disconnect()


def services_of(served) -> Services:
    services: Services = served[1].state.services
    return services


async def test_a_session_is_confirmed_and_kept(browser):
    new = await browser.session()
    assert len(new) == 32
    assert await browser.session(new) == new
    assert await browser.session("../../etc/passwd") not in (new, "../../etc/passwd")


async def test_rasa_webchat_messages_get_rasas_bot_uttered_events(browser, fake_rasa):
    session = await browser.session()
    events = await browser.say("/greet", session_id=session, customData={"language": "en"})
    english = menu("en")
    assert events == [
        {
            "text": english["text"],
            "quick_replies": [{"content_type": "text", **button} for button in english["buttons"]],
        }
    ]
    [received] = fake_rasa.received
    client = received["metadata"].pop("client")  # the address's pseudonym (bot/intake.py)
    assert len(client) == 24
    assert "127.0.0.1" not in client
    assert received == {
        "sender": f"webchat:{session}",
        "message": "/greet",
        "metadata": {
            "channel": "webchat",
            "language": "en",
            "media": [],
            "sources": {"webchat_session": session},
        },
    }


async def test_text_parts_and_images_are_emitted_as_rasa_emits_them(browser, fake_rasa):
    fake_rasa.replies["صورة"] = [
        {"text": "السطر الأول\n\nالسطر الثاني"},
        {"image": "https://localhost/static/map.png"},
        {"custom": {"expect": "digits"}},
    ]
    await browser.session()
    events = await browser.say("صورة", count=3)
    assert events == [
        {"text": "السطر الأول"},
        {"text": "السطر الثاني"},
        {
            "attachment": {
                "type": "image",
                "payload": {"src": "https://localhost/static/map.png"},
            }
        },
    ]


async def test_arabic_is_detected_from_the_text_and_rasas_metadata_key_is_read(browser, fake_rasa):
    session = await browser.session()
    await browser.say("مرحبا", metadata={"location": {"lat": 25.38, "lng": 49.58}, "userId": "7"})
    metadata = fake_rasa.received[0]["metadata"]
    assert (metadata["language"], metadata["location"]) == ("ar", {"lat": 25.38, "lng": 49.58})
    assert fake_rasa.received[0]["sender"] == f"webchat:{session}"


async def test_an_impossible_location_is_dropped(browser, fake_rasa):
    await browser.session()
    await browser.say("هنا", customData={"location": {"lat": 200, "lng": "east"}})
    assert "location" not in fake_rasa.received[0]["metadata"]


async def test_an_empty_message_is_not_a_turn(browser, fake_rasa):
    await browser.session()
    await browser.sio.emit("user_uttered", {"message": "  ", "customData": {"media": ["x.y"]}})
    await browser.say("مرحبا")
    assert fake_rasa.messages == ["مرحبا"]


async def upload(
    url: str, session: str, data: bytes, lang: str = "ar", origin: str | None = None
) -> httpx.Response:
    """As the widget uploads from a page of the service itself (its Origin), by default."""
    async with httpx.AsyncClient() as http:
        return await http.post(
            f"{url}/webchat/uploads?lang={lang}",
            data={"session_id": session},
            files={"file": ("photo.jpg", data, "image/jpeg")},
            headers={"Origin": url if origin is None else origin},
        )


async def test_an_uploaded_photo_travels_with_the_message_by_token(served, browser, fake_rasa):
    url, _ = served
    session = await browser.session()
    response = await upload(url, session, JPEG)
    assert response.status_code == 200, response.text
    token = response.json()["token"]
    await browser.say("", session_id=session, customData={"media": [token], "language": "ar"})
    (media,) = fake_rasa.received[0]["metadata"]["media"]
    assert (media["kind"], media["media_type"], media["size"]) == ("photo", "image/jpeg", len(JPEG))
    assert await services_of(served).attachments.read(media["storage_key"]) == JPEG


async def test_a_token_from_another_session_or_forged_is_ignored(served, browser, fake_rasa):
    url, _ = served
    session = await browser.session()
    other = (await upload(url, "another-session-id", JPEG)).json()["token"]
    services = services_of(served)
    secret = services.settings.secret_key.get_secret_value()
    invented = Attachment(
        kind="photo", media_type="image/jpeg", size=1, storage_key=f"2025/01/{'a' * 32}.jpg"
    )
    body, _, signature = upload_token(secret, session, invented).partition(".")
    forged = f"{body}.{signature[::-1]}"
    await browser.say("الصورة", session_id=session, customData={"media": [other, forged, 42]})
    assert fake_rasa.received[0]["metadata"]["media"] == []


@pytest.mark.parametrize(("lang", "language"), [("ar", "ar"), ("en", "en")])
async def test_an_upload_that_is_not_a_photo_is_refused_in_the_users_language(
    served, lang, language
):
    url, _ = served
    response = await upload(url, "session-0001", b"%PDF-1.7 not a photo", lang=lang)
    assert response.status_code == 415
    assert response.json()["error"]["message"] == text("chat.media_unsupported", language)


async def test_an_upload_over_the_limit_is_refused(served):
    url, _ = served
    response = await upload(url, "session-0001", JPEG + b"\x00" * 1_100_000)
    assert response.status_code == 413


async def test_an_employee_request_is_recorded_and_alerted(served, browser):
    session = await browser.session()
    events = await browser.say("/talk_to_agent", session_id=session)
    assert events == [{"text": "جاري تحويلك لأحد موظفينا."}]
    services = services_of(served)
    (request,) = await services.store.list_records(RECORD_KIND, HandoffRequest)
    assert (request.channel, request.conversation_id) == ("webchat", f"webchat:{session}")
    (alert,) = (await services.store.list_messages(MessageFilter(), 10, None)).items
    assert (alert.event, alert.to) == ("chat_handoff", "desk:handoffs")
    assert alert.body.startswith("مواطن يطلب موظفاً عبر المحادثة في الموقع (—).")


async def test_dialogue_down_apologises(browser, fake_rasa):
    fake_rasa.down = True
    await browser.session()
    events = await browser.say("hello, is anyone there?")
    assert events == [{"text": text("chat.dialogue_down", "en")}]


@pytest.mark.parametrize(
    ("origin", "allowed"),
    [("https://localhost", True), ("own", True), ("https://evil.example", False)],
)
async def test_only_the_service_itself_may_connect_from_a_browser(served, origin, allowed):
    url, _ = served
    origin = url if origin == "own" else origin
    sio = socketio.AsyncClient()
    try:
        await sio.connect(url, headers={"Origin": origin}, transports=["websocket"], wait_timeout=3)
        connected = True
    except socketio.exceptions.ConnectionError:
        connected = False
    finally:
        await sio.disconnect()
    assert connected is allowed


async def test_the_widget_files_and_the_demo_page_are_served(served):
    url, _ = served
    async with httpx.AsyncClient(base_url=url) as http:
        widget = await http.get("/webchat/widget.js")
        style = await http.get("/webchat/widget.css")
        client = await http.get("/webchat/socket.io.min.js")
        demo = await http.get("/webchat/demo")
        missing = await http.get("/webchat/../settings.py")
    assert widget.status_code == style.status_code == client.status_code == 200
    assert widget.headers["content-type"].startswith("text/javascript")
    assert "session_request" in widget.text
    assert "user_uttered" in widget.text
    assert style.headers["content-type"].startswith("text/css")
    assert "Socket.IO v4" in client.text
    assert '<script src="/webchat/widget.js" data-lang="ar" async></script>' in demo.text
    assert "script-src 'self'" in demo.headers["content-security-policy"]
    assert missing.status_code == 404


async def test_uploads_come_only_from_the_chats_own_pages(served, settings):
    url, _ = served
    for origin in ("", "https://evil.example", "null"):
        refused = await upload(url, "session-0001", JPEG, origin=origin)
        assert refused.status_code == 403, origin
        assert refused.json()["error"]["code"] == "origin_refused"
    public = await upload(url, "session-0001", JPEG, origin=settings.public_base_url)
    assert public.status_code == 200


async def test_a_site_allowed_to_embed_the_chat_may_upload_and_read_the_answer(settings, tmp_path):
    allowed = settings.model_copy(update={"webchat_origins": ["https://alahsa.gov.sa"]})
    async with serve(create_app(allowed)) as url:
        response = await upload(url, "session-0001", JPEG, origin="https://alahsa.gov.sa")
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "https://alahsa.gov.sa"


async def test_uploads_are_limited_per_chat_session_and_per_address(settings):
    limited = settings.model_copy(
        update={"webchat_uploads_per_session": 2, "webchat_uploads_per_address": 4}
    )
    async with serve(create_app(limited)) as url:
        first, second, third = [await upload(url, "session-0001", JPEG) for _ in range(3)]
        assert [r.status_code for r in (first, second)] == [200, 200]
        assert third.status_code == 429
        assert third.json()["error"]["code"] == "too_many_uploads"
        assert "صوراً كثيرة" in third.json()["error"]["message"]
        assert (await upload(url, "session-0002", JPEG)).status_code == 200  # 4th this address
        assert (await upload(url, "session-0003", JPEG)).status_code == 429


async def test_an_upload_is_kept_unclaimed_until_a_report_takes_it(served):
    url, _ = served
    response = await upload(url, "session-0001", JPEG)
    services = services_of(served)
    [unclaimed] = await services.store.list_records(UNCLAIMED, UnclaimedUpload)
    token = response.json()["token"]
    attachment = uploaded_attachment(
        services.settings.secret_key.get_secret_value(), "session-0001", token
    )
    assert attachment is not None
    assert unclaimed.storage_key == attachment.storage_key


async def test_the_code_typed_in_the_chat_proves_the_phone(served, browser, fake_rasa):
    """The dialogue says a code was sent; six digits typed next are that code, checked
    without a dialogue turn, and the messages held for the phone leave."""
    services = services_of(served)
    typed = NewComplaint(
        channel="webchat", language="ar", description="حفرة كبيرة", phone="0551234567"
    )
    complaint = (await services.complaints.create(typed, CITIZEN)).complaint
    hint = {"phone_code": {"reference": complaint.reference}}
    fake_rasa.replies["نعم"] = [{"text": "أرسلنا رمز تحقق، اكتبه هنا"}, {"custom": hint}]
    session = await browser.session()
    await browser.say("نعم", session_id=session)
    [wrong] = await browser.say("٠٠٠٠٠٠", session_id=session)
    assert wrong == {"text": text("phone_code.wrong", "ar", "chat")}
    code = services.complaints.rules.phone_codes.code(complaint.reference)
    eastern = code.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    [verified] = await browser.say(eastern, session_id=session)
    assert verified["text"].startswith("تم التحقق من رقم جوالك")
    assert fake_rasa.messages == ["نعم"]  # the codes never went to the dialogue
    assert (await services.complaints.get(complaint.reference)).phone_verified
    held = await services.store.list_messages(
        MessageFilter(reference=complaint.reference, state="held"), 10, None
    )
    assert held.items == []
    [after] = await browser.say("123456", session_id=session)  # now just text for the dialogue
    assert fake_rasa.messages[-1] == "123456"
    assert after["text"] == "وصلني: 123456"
