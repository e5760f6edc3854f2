"""A replica told to stop (SIGTERM, as Kubernetes and compose do) finishes the webhooks it is
answering, takes no new ones, then exits: `balagh run --no-dialogue` as a container runs it."""

import asyncio
import signal

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.channels.voice.caller import SimulatedCall
from tests.e2e.servers import free_port, start_service
from tests.servers import serve

TURN_SECONDS = 3.0


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
                greeted = await answer
            code = await asyncio.to_thread(replica.process.wait, 30)
        finally:
            replica.stop()
    assert greeted.said[0] == "أهلاً بك"
    assert code in (0, -signal.SIGTERM)  # uvicorn ends as the signal asked, once drained
