"""Local fakes of everything the chat channels talk to, over real HTTP, recording what they get.

- FakeRasa: Rasa's REST channel with a tiny scripted bilingual bot, and its tracker events
  API: a conversation paused with Rasa's `pause` event records messages and answers nothing.
- FakeTwilio: the Messages API (`Messages.json`) and media URLs that need basic auth and
  redirect to an unauthenticated CDN, as Twilio's do.
- FakeTelegram: the Bot API (`/bot<token>/<method>`) and its file endpoint.

The service under test runs on a temporary store with these URLs in its settings.
"""

import base64
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route
from twilio.request_validator import RequestValidator

from bot.settings import Settings
from tests.servers import serve

ACCOUNT_SID = "AC" + "1" * 32
AUTH_TOKEN = "twilio-test-auth-token"
BOT_TOKEN = "123456:TEST-token"
SECRET_TOKEN = "telegram-webhook-secret_1"
PUBLIC = "https://localhost"
WHATSAPP_NUMBER = "whatsapp:+14155238886"
SMS_NUMBER = "+14155238887"
CITIZEN = "+966501234567"
JPEG = b"\xff\xd8\xff\xe0" + b"\x00\x10JFIF" + b"\x01" * 600
OGG = b"OggS" + b"\x00" * 400

MENU = {
    "ar": ("أهلاً بك في بلاغ ٩٤٠. كيف أقدر أخدمك؟", ["تقديم بلاغ", "متابعة بلاغ", "التحدث مع موظف"]),
    "en": (
        "Welcome to Balagh 940. How can I help?",
        ["Report a problem", "Follow a report", "Talk to an employee"],
    ),
}
PAYLOADS = ["/report_complaint", "/check_status", "/talk_to_agent"]
LONG_WORD = "كلمة "


def menu(language: str) -> dict[str, Any]:
    text, titles = MENU[language]
    return {
        "text": text,
        "buttons": [{"title": t, "payload": p} for t, p in zip(titles, PAYLOADS, strict=True)],
    }


@dataclass
class FakeRasa:
    """Greets with a menu in the message's language; otherwise says what it got."""

    url: str = ""
    received: list[dict[str, Any]] = field(default_factory=list)
    request_ids: list[str | None] = field(default_factory=list)  # kept apart from `received`
    replies: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    down: bool = False
    events: list[tuple[str, str]] = field(default_factory=list)  # (sender, event name)
    paused: set[str] = field(default_factory=set)

    async def tracker_events(self, request: Request) -> Response:
        sender = request.path_params["sender"]
        event = (await request.json())["event"]
        self.events.append((sender, event))
        if event == "pause":
            self.paused.add(sender)
        elif event == "resume":
            self.paused.discard(sender)
        return JSONResponse({"sender_id": sender, "paused": sender in self.paused})

    async def webhook(self, request: Request) -> Response:
        body = await request.json()
        self.request_ids.append(body.get("metadata", {}).pop("request_id", None))
        body.get("metadata", {}).pop("turn_id", None)  # a new one each turn (channels/dialogue.py)
        self.received.append(body)
        if self.down:
            return Response("Rasa is restarting", status_code=503)
        if body["sender"] in self.paused:
            return JSONResponse([])
        message = body["message"]
        language = body.get("metadata", {}).get("language") or "ar"
        if message in self.replies:
            answer = self.replies[message]
        elif message in ("/greet", "مرحبا", "hello"):
            answer = [menu(language)]
        elif message == "/talk_to_agent":
            handoff = {"reason": "requested", "available": True, "language": language}
            answer = [{"text": "جاري تحويلك لأحد موظفينا."}, {"custom": {"handoff": handoff}}]
        elif message == "long":
            answer = [{"text": LONG_WORD * 1500}]
        else:
            prefix = "وصلني" if language == "ar" else "Got"
            answer = [{"text": f"{prefix}: {message}"}]
        return JSONResponse([{"recipient_id": body["sender"], **part} for part in answer])

    @property
    def messages(self) -> list[str]:
        return [body["message"] for body in self.received]


@dataclass
class FakeTwilio:
    url: str = ""
    sent: list[dict[str, str]] = field(default_factory=list)
    media: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    media_requests: list[str] = field(default_factory=list)
    busy: int = 0  # answer this many message creations with 429 first

    async def create_message(self, request: Request) -> Response:
        if request.headers.get("authorization") != basic_auth(ACCOUNT_SID, AUTH_TOKEN):
            return JSONResponse({"code": 20003, "message": "Authenticate"}, status_code=401)
        if self.busy:
            self.busy -= 1
            return JSONResponse({"code": 20429, "message": "Too Many Requests"}, status_code=429)
        form = {key: str(value) for key, value in (await request.form()).items()}
        self.sent.append(form)
        sid = f"SM{len(self.sent):032d}"
        return JSONResponse(
            {
                "sid": sid,
                "status": "queued",
                "to": form["To"],
                "from": form["From"],
                "body": form.get("Body", ""),  # none for a template (ContentSid)
            },
            status_code=201,
        )

    async def media_file(self, request: Request) -> Response:
        """Twilio answers an authenticated media URL with a redirect to its CDN."""
        self.media_requests.append(request.url.path)
        if request.headers.get("authorization") != basic_auth(ACCOUNT_SID, AUTH_TOKEN):
            return Response(status_code=401)
        cdn = f"http://localhost:{request.url.port}/cdn/{request.path_params['media_sid']}"
        return RedirectResponse(cdn, status_code=307)  # another host: credentials stay behind

    async def cdn(self, request: Request) -> Response:
        if "authorization" in request.headers:
            return Response("credentials must not follow the redirect", status_code=400)
        data, media_type = self.media[request.path_params["media_sid"]]
        return Response(data, media_type=media_type)

    @property
    def bodies(self) -> list[str]:
        return [form.get("Body", "") for form in self.sent]

    def app(self) -> Starlette:
        base = f"/2010-04-01/Accounts/{ACCOUNT_SID}"
        return Starlette(
            routes=[
                Route(f"{base}/Messages.json", self.create_message, methods=["POST"]),
                Route(f"{base}/Messages/{{message_sid}}/Media/{{media_sid}}", self.media_file),
                Route("/cdn/{media_sid}", self.cdn),
            ]
        )


@dataclass
class FakeTelegram:
    url: str = ""
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    files: dict[str, bytes] = field(default_factory=dict)
    flood: int = 0  # answer this many sendMessage calls with 429 first
    next_id: int = 100

    async def method(self, request: Request) -> Response:
        if request.path_params["token"] != BOT_TOKEN:
            return JSONResponse(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, 401
            )
        name = request.path_params["method"]
        params = {key: decoded(str(value)) for key, value in (await request.form()).items()}
        if name == "sendMessage" and self.flood:
            self.flood -= 1
            self.calls.append(("429", params))
            return JSONResponse(
                {
                    "ok": False,
                    "error_code": 429,
                    "description": "Too Many Requests: retry after 1",
                    "parameters": {"retry_after": 1},
                },
                status_code=429,
            )
        self.calls.append((name, params))
        return JSONResponse({"ok": True, "result": self.result(name, params)})

    def result(self, name: str, params: dict[str, Any]) -> Any:
        if name in ("sendMessage", "sendPhoto"):
            self.next_id += 1
            chat = {"id": int(params["chat_id"]), "type": "private"}
            return {
                "message_id": self.next_id,
                "date": 1_700_000_000,
                "chat": chat,
                "text": params.get("text", ""),
            }
        if name == "getFile":
            file_id = params["file_id"]
            size = len(self.files[file_id])
            return {
                "file_id": file_id,
                "file_unique_id": f"u{file_id}",
                "file_size": size,
                "file_path": f"media/{file_id}",
            }
        if name == "getMe":
            return {
                "id": 123456,
                "is_bot": True,
                "first_name": "Balagh 940",
                "username": "balagh940_bot",
            }
        return True

    async def file(self, request: Request) -> Response:
        if request.path_params["token"] != BOT_TOKEN:
            return Response(status_code=401)
        return Response(self.files[request.path_params["file_id"]])

    def sent(self, name: str = "sendMessage") -> list[dict[str, Any]]:
        return [params for method, params in self.calls if method == name]


def basic_auth(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def decoded(value: str) -> Any:
    """python-telegram-bot posts objects (keyboards) as JSON text; plain values stay text."""
    if value[:1] in "[{":
        return json.loads(value)
    return value


@pytest.fixture
async def fake_rasa() -> AsyncIterator[FakeRasa]:
    fake = FakeRasa()
    app = Starlette(
        routes=[
            Route("/webhooks/rest/webhook", fake.webhook, methods=["POST"]),
            Route(
                "/conversations/{sender:path}/tracker/events", fake.tracker_events, methods=["POST"]
            ),
        ]
    )
    async with serve(app) as url:
        fake.url = url
        yield fake


@pytest.fixture
async def fake_twilio() -> AsyncIterator[FakeTwilio]:
    fake = FakeTwilio()
    async with serve(fake.app()) as url:
        fake.url = url
        yield fake


@pytest.fixture
async def fake_telegram() -> AsyncIterator[FakeTelegram]:
    fake = FakeTelegram()
    app = Starlette(
        routes=[
            Route("/bot{token}/{method}", fake.method, methods=["POST"]),
            Route("/file/bot{token}/media/{file_id}", fake.file),
        ]
    )
    async with serve(app) as url:
        fake.url = url
        yield fake


@pytest.fixture
def settings(
    tmp_path: Path, fake_rasa: FakeRasa, fake_twilio: FakeTwilio, fake_telegram: FakeTelegram
) -> Settings:
    return Settings(
        store_url=f"sqlite:///{tmp_path / 'balagh.db'}",
        attachments_dir=tmp_path / "attachments",
        rasa_url=fake_rasa.url,
        dialogue_timeout_seconds=2,
        public_base_url=PUBLIC,
        embedded_worker=False,
        max_upload_bytes=1_048_576,
        twilio_account_sid=ACCOUNT_SID,
        twilio_auth_token=SecretStr(AUTH_TOKEN),
        twilio_sms_from=SMS_NUMBER,
        twilio_whatsapp_from=WHATSAPP_NUMBER.removeprefix("whatsapp:"),
        twilio_api_base_url=fake_twilio.url,
        telegram_bot_token=SecretStr(BOT_TOKEN),
        telegram_secret_token=SecretStr(SECRET_TOKEN),
        telegram_api_base_url=fake_telegram.url,
    )


def twilio_signature(path: str, params: dict[str, str]) -> str:
    """What Twilio puts in X-Twilio-Signature for a post to this service's public URL."""
    return str(RequestValidator(AUTH_TOKEN).compute_signature(PUBLIC + path, params))
