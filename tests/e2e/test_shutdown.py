"""A replica told to stop (SIGTERM, as Kubernetes and compose do) finishes the webhooks it is
answering and the call steps it holds, takes no new ones, then exits: `balagh run
--no-dialogue` as a container runs it."""

import asyncio
import signal

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from bot.store.sqlite import SqliteStore
from channels.voice.state import load_call
from tests.channels.voice.caller import SimulatedCall
from tests.e2e.servers import start_service
from tests.ports import free_port
from tests.servers import serve

TURN_SECONDS = 4.0  # longer than the hold (BALAGH_VOICE_HOLD_AFTER_SECONDS)


async def refuses_new_connections(url: str) -> bool:
    for _ in range(20):
        try:
            async with httpx.AsyncClient(timeout=1) as fresh:
                await fresh.get(f"{url}/health/live")
        except httpx.ConnectError:
            return True
        await asyncio.sleep(0.1)
    return False


async def test_a_stopping_replica_answers_the_call_it_is_serving(tmp_path):
    turn_started = asyncio.Event()

    async def slow_rasa(request: Request) -> JSONResponse:
        turn_started.set()
        await asyncio.sleep(TURN_SECONDS)
        return JSONResponse([{"text": "أهلاً بك"}])

    rasa = Starlette(routes=[Route("/webhooks/rest/webhook", slow_rasa, methods=["POST"])])
    async with serve(rasa) as rasa_url:
        port = free_port()
        public = f"http://127.0.0.1:{port}"  # local mode: this machine's own address
        env = {
            "BALAGH_PUBLIC_BASE_URL": public,
            "BALAGH_RASA_URL": rasa_url,
            "BALAGH_DIALOGUE_TIMEOUT_SECONDS": "5",
            "BALAGH_VOICE_HOLD_AFTER_SECONDS": "2",
        }
        replica = await asyncio.to_thread(start_service, tmp_path, port, env=env)
        try:
            async with httpx.AsyncClient(timeout=30) as http:
                call = SimulatedCall(http, public, server=replica.url)
                await call.dial()
                answer = asyncio.create_task(call.press("1"))  # Arabic: the first turn
                await turn_started.wait()
                replica.process.send_signal(signal.SIGTERM)
                assert await refuses_new_connections(replica.url)
                assert not answer.done()  # still being answered after it stopped listening
                held = await answer  # the webhook in flight gets its answer: a hold
            code = await asyncio.to_thread(replica.process.wait, 30)
        finally:
            replica.stop()
    assert held.is_hold
    assert code in (0, -signal.SIGTERM)  # uvicorn ends as the signal asked, once drained
    store = SqliteStore(tmp_path / "balagh.db")
    await store.open()
    try:
        state = await load_call(store, call.call_sid)
    finally:
        await store.close()
    # the held step was worked out before the replica exited: its redirect, on any replica,
    # collects the answer from the store
    assert state is not None
    assert "أهلاً بك" in state.reply
