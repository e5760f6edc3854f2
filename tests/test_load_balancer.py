"""deploy/haproxy.cfg running in Debian's HAProxy, in front of two stand-in replicas that
answer with their name: pages go round the replicas, and each socket.io endpoint (the web
chat's, the staff inbox's) keeps a client on one replica, as Engine.IO's long polls need."""

import asyncio

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from tests.e2e.servers import free_port, start_haproxy
from tests.servers import serve

ASKED = 6


def replica(name: str) -> Starlette:
    """Answers every path (its health checks too) with its name."""

    async def answer(request: Request) -> PlainTextResponse:
        return PlainTextResponse(name)

    return Starlette(routes=[Route("/{path:path}", answer, methods=["GET"])])


async def test_pages_go_round_the_replicas_and_sockets_stay_on_one(tmp_path):
    async with serve(replica("one")) as one, serve(replica("two")) as two:
        public = free_port()
        addresses = {
            "BALAGH_LB_PUBLIC": f"127.0.0.1:{public}",
            "BALAGH_LB_ACTIONS": f"127.0.0.1:{free_port()}",
            "BALAGH_LB_DIALOGUE": f"127.0.0.1:{free_port()}",
            "BALAGH_SERVICE_1": one.removeprefix("http://"),
            "BALAGH_SERVICE_2": two.removeprefix("http://"),
            "BALAGH_RASA_1": "127.0.0.1:1",  # not asked here
            "BALAGH_RASA_2": "127.0.0.1:1",
        }
        haproxy = await asyncio.to_thread(start_haproxy, tmp_path, addresses, public)
        try:
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{public}") as http:

                async def answered(path: str) -> set[str]:
                    return {(await http.get(path)).text for _ in range(ASKED)}

                assert await answered("/staff/inbox") == {"one", "two"}
                assert len(await answered("/socket.io/?EIO=4&transport=polling")) == 1
                assert len(await answered("/staff/socket.io/?EIO=4&transport=polling")) == 1
        finally:
            await asyncio.to_thread(haproxy.stop)
