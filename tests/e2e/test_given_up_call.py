"""A caller's "send it" turn outlives the phone line's limit: they hear the dialogue is down and
leave a voicemail, the worker files it, and only then does the turn go on and file the report.
The call still has one complaint, with the voicemail and the recorded description on it.

The real service (`balagh run --no-dialogue`, its worker embedded) and a real Rasa replica with
the trained model; Rasa reaches the actions through a proxy that holds this call's submission
until the test lets it go.
"""

import asyncio
import json
import threading
from collections.abc import Iterator

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.store.base import ComplaintFilter
from bot.store.sqlite import SqliteStore
from bot.voicemails import pending_voicemails
from tests.channels.voice.caller import Answer, SimulatedCall, new_sid
from tests.e2e.servers import Server, missing_prerequisite, start_rasa, start_service
from tests.ports import free_port
from tests.servers import serve_in_a_thread

pytestmark = pytest.mark.skipif(
    missing_prerequisite() is not None, reason=str(missing_prerequisite())
)
PUBLIC = "https://localhost"
CALLER = "+966551230077"
SUBMIT = "action_submit_complaint"
APOLOGY = "نعتذر منك، نظامنا متعطل مؤقتاً."
TURN_LIMIT_SECONDS = 4


class HeldSubmission:
    """The service's action endpoint, behind a proxy that holds the first submission until
    `release` (`holding` says it came)."""

    def __init__(self, target: str) -> None:
        self.target = target
        self.holding = threading.Event()
        self.release = threading.Event()
        self.answered = threading.Event()

    def app(self) -> Starlette:
        async def webhook(request: Request) -> Response:
            body = await request.body()
            held = json.loads(body).get("next_action") == SUBMIT and not self.holding.is_set()
            if held:
                self.holding.set()
                await asyncio.to_thread(self.release.wait, 120)
            async with httpx.AsyncClient(timeout=30) as client:
                answer = await client.post(
                    self.target, content=body, headers={"content-type": "application/json"}
                )
            if held:
                self.answered.set()
            return Response(answer.content, answer.status_code, media_type="application/json")

        return Starlette(routes=[Route("/webhook", webhook, methods=["POST"])])


@pytest.fixture
def line(tmp_path) -> Iterator[tuple[Server, HeldSubmission]]:
    rasa_port = free_port()
    env = {
        "BALAGH_PUBLIC_BASE_URL": PUBLIC,
        "BALAGH_ATTACHMENTS_DIR": str(tmp_path / "attachments"),
        "BALAGH_TWILIO_API_BASE_URL": "http://127.0.0.1:9",  # recordings stay to be fetched
        "BALAGH_VOICE_HOLD_AFTER_SECONDS": "1",
        "BALAGH_VOICE_TURN_LIMIT_SECONDS": str(TURN_LIMIT_SECONDS),
        "BALAGH_WORKER_INTERVAL_SECONDS": "0.5",
    }
    service = start_service(tmp_path, rasa_port, env=env)
    submission = HeldSubmission(f"{service.url}/webhook")
    try:
        with serve_in_a_thread(submission.app()) as proxy:
            rasa = start_rasa(tmp_path, None, port=rasa_port, actions_url=f"{proxy}/webhook")
            try:
                yield service, submission
            finally:
                submission.release.set()
                rasa.stop()
    finally:
        service.stop()


async def held_on(call: SimulatedCall, answer: Answer) -> Answer:
    """The answer once the holds ("one moment") are over, followed as Twilio follows them."""
    while answer.is_hold:
        answer = await call.hold_on()
    return answer


async def test_a_report_filed_after_its_voicemail_joins_it(tmp_path, line):
    service, submission = line
    store = SqliteStore(tmp_path / "balagh.db")
    await store.open()
    try:
        async with httpx.AsyncClient(timeout=30) as http:
            call = SimulatedCall(http, PUBLIC, caller=CALLER, server=service.url)
            await call.dial()
            for key in ("1", "1", "1", "1"):  # Arabic, report, roads, Al Hofuf
                answer = await held_on(call, await call.press(key))
            assert answer.has("Record"), answer.xml
            await call.record(new_sid("RE"))  # the description
            await held_on(call, await call.press("1"))  # yes, my number
            offer = await held_on(call, await call.press("1"))  # send it: held past the limit
            assert submission.holding.is_set()
            assert offer.said[0] == APOLOGY
            assert offer.has("Record")
            kept = await call.record(new_sid("RE"), ended_by="hangup")
            assert kept.has("Hangup")
            await call.hang_up()

            async def filed() -> bool:
                return not await pending_voicemails(store)

            await until(filed)  # the worker filed the voicemail: one complaint
            submission.release.set()
            assert await asyncio.to_thread(submission.answered.wait, 60)
        reports = (await store.list_complaints(ComplaintFilter(phone=CALLER), 5, None)).items
        assert len(reports) == 1, [r.description for r in reports]
        kinds = sorted(attachment.kind for attachment in reports[0].attachments)
        assert kinds == ["voice", "voice"]  # the voicemail and the description
    finally:
        await store.close()


async def until(condition, seconds: float = 30) -> None:
    for _ in range(int(seconds * 10)):
        if await condition():
            return
        await asyncio.sleep(0.1)
    raise AssertionError("not within the time")
