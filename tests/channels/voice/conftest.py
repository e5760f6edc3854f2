"""The phone line under test: the real service on a temporary store, Rasa and Twilio's API as
local fakes over real HTTP that record what they receive, and calls signed as Twilio signs.

- FakeRasa: Rasa's REST channel; scripted replies, the report bot, down or slow on demand.
- FakeTwilioApi: the Recordings media endpoint (`…/Recordings/{sid}.wav`, basic auth).
"""

import asyncio
import base64
import subprocess
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.services import Services
from bot.settings import Settings
from channels.twilio_account import LOCAL_ACCOUNT_SID, LOCAL_AUTH_TOKEN
from channels.voice.followup import BACKGROUND
from tests.channels.voice.caller import SimulatedCall
from tests.channels.voice.report_bot import ReportBot
from tests.servers import serve

PUBLIC = "https://localhost"
ON_DUTY = datetime(2025, 6, 1, 7, 0, tzinfo=UTC)  # Sunday 10:00 in Al-Ahsa
AFTER_HOURS = datetime(2025, 6, 1, 17, 0, tzinfo=UTC)  # Sunday 20:00
AGENTS = "+966135550100"
SPOKEN_REPORT = "في حفرة كبيرة في الشارع قدام المدرسة"


@dataclass
class FakeRasa:
    url: str = ""
    received: list[dict[str, Any]] = field(default_factory=list)
    request_ids: list[str | None] = field(default_factory=list)  # kept apart from `received`
    replies: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    bot: ReportBot | None = None
    down: bool = False
    delay: float = 0.0

    @property
    def app(self) -> Starlette:
        async def webhook(request: Request) -> Response:
            body = await request.json()
            self.request_ids.append(body.get("metadata", {}).pop("request_id", None))
            body.get("metadata", {}).pop(
                "turn_id", None
            )  # a new one each turn (channels/dialogue.py)
            self.received.append(body)
            if self.down:
                return Response("Rasa is restarting", status_code=503)
            answer = await self.bot.reply(body) if self.bot else self.replies.get(body["message"])
            await asyncio.sleep(self.delay)  # slow to answer, after the turn's work is done
            return JSONResponse(answer or [])

        return Starlette(routes=[Route("/webhooks/rest/webhook", webhook, methods=["POST"])])

    @property
    def messages(self) -> list[str]:
        """What the phone line sent, turn after turn."""
        return [body["message"] for body in self.received]


@dataclass
class FakeTwilioApi:
    url: str = ""
    recordings: dict[str, bytes] = field(default_factory=dict)
    requests: list[tuple[str, str]] = field(default_factory=list)  # (path, basic-auth user)

    async def recording(self, request: Request) -> Response:
        auth = request.headers.get("authorization", "")
        user, _, password = base64.b64decode(auth.removeprefix("Basic ")).decode().partition(":")
        self.requests.append((request.url.path, user))
        if (user, password) != (LOCAL_ACCOUNT_SID, LOCAL_AUTH_TOKEN):
            return Response(status_code=401)
        data = self.recordings.get(request.path_params["sid"])
        return (
            Response(status_code=404) if data is None else Response(data, media_type="audio/x-wav")
        )


@pytest.fixture
async def fake_rasa() -> AsyncIterator[FakeRasa]:
    rasa = FakeRasa()
    async with serve(rasa.app) as rasa.url:
        yield rasa


@pytest.fixture
async def fake_twilio() -> AsyncIterator[FakeTwilioApi]:
    twilio = FakeTwilioApi()
    path = "/2010-04-01/Accounts/{account}/Recordings/{sid}.wav"
    async with serve(Starlette(routes=[Route(path, twilio.recording)])) as twilio.url:
        yield twilio


@pytest.fixture
def settings(tmp_path: Path, fake_rasa: FakeRasa, fake_twilio: FakeTwilioApi) -> Settings:
    return Settings(
        store_url=f"sqlite:///{tmp_path / 'balagh.db'}",
        attachments_dir=tmp_path / "attachments",
        rasa_url=fake_rasa.url,
        dialogue_timeout_seconds=1,
        public_base_url=PUBLIC,
        twilio_api_base_url=fake_twilio.url,
        agents_number=AGENTS,
        embedded_worker=False,
    )


@pytest.fixture
def report_bot(fake_rasa: FakeRasa, services: Services) -> ReportBot:
    fake_rasa.bot = ReportBot(services.complaints)
    return fake_rasa.bot


Caller = Callable[..., SimulatedCall]


async def background_finished() -> None:
    """Wait for the work the line started after answering (fetching recordings)."""
    while BACKGROUND:
        await asyncio.gather(*BACKGROUND)


@pytest.fixture
async def phone(client: httpx.AsyncClient) -> AsyncIterator[Caller]:
    """Place a call: `phone()` or `phone(caller="+9665…", call_sid=…)`."""

    def place(**options: Any) -> SimulatedCall:
        return SimulatedCall(client, PUBLIC, **options)

    yield place
    await background_finished()  # before the service stops


async def at_main_menu(place: Caller, language_key: str = "1", **options: Any) -> SimulatedCall:
    """A call that chose its language (1 Arabic, 2 English) and hears the main menu."""
    call = place(**options)
    await call.dial()
    await call.press(language_key)
    return call


async def at_description(place: Caller, language_key: str = "1", **options: Any) -> SimulatedCall:
    """A report under way: report a problem, roads, Al Hofuf; the description is asked for."""
    call = await at_main_menu(place, language_key, **options)
    for key in "111":
        await call.press(key)
    return call


def speech_wav(text: str, voice: str, folder: Path) -> bytes:
    """Real speech as Twilio records it: espeak-ng, then sox to 8 kHz mono 16-bit PCM."""
    spoken, recorded = folder / "spoken.wav", folder / "recorded.wav"
    subprocess.run(["espeak-ng", "-v", voice, "-w", str(spoken), text], check=True)
    subprocess.run(
        ["sox", str(spoken), "-r", "8000", "-c", "1", "-b", "16", str(recorded)], check=True
    )
    return recorded.read_bytes()


@pytest.fixture(scope="session")
def arabic_wav(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    return speech_wav(SPOKEN_REPORT, "ar", tmp_path_factory.mktemp("speech"))


@dataclass
class Clock:
    now: datetime = ON_DUTY

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """The phone line's time, within working hours unless a test moves it; the worker's
    follow-ups of its calls run on it too."""
    frozen = Clock()
    for module in ("channels.voice.call", "channels.voice.router", "bot.composition"):
        monkeypatch.setattr(f"{module}.utc_now", frozen)
    return frozen
