"""deploy/haproxy.cfg running in Debian's HAProxy, in front of two stand-in replicas that
answer with their name: pages go round the replicas, each socket.io endpoint (the web chat's,
the staff inbox's) keeps a client on one replica, as Engine.IO's long polls need, each
conversation stays on one Rasa replica, which holds its tracker in memory, and requests that
each come on a connection of their own (Twilio's webhooks) share kept connections to the
replicas."""

import asyncio
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route

from channels.dialogue import DialogueClient, Metadata, dialogue_session
from tests.e2e.servers import start_haproxy
from tests.ports import free_port
from tests.servers import serve

ASKED = 6
CHECKS_TO_FAIL_SECONDS = 5  # deploy/haproxy.cfg: a check a second, out after three failures
CONVERSATIONS = 400  # Twilio's call ids: CA and 32 hex digits
TURNS = 3


def replica(name: str) -> Starlette:
    """Answers every path (its health checks too) with its name."""

    async def answer(request: Request) -> PlainTextResponse:
        return PlainTextResponse(name)

    return Starlette(routes=[Route("/{path:path}", answer, methods=["GET"])])


def connection_reporting_replica(name: str) -> Starlette:
    """Answers with its name and the port the balancer's connection comes from (served with
    `proxy_headers=False`: the client's own address, not the one HAProxy forwards)."""

    async def answer(request: Request) -> PlainTextResponse:
        assert request.client is not None
        return PlainTextResponse(f"{name}:{request.client.port}")

    return Starlette(routes=[Route("/{path:path}", answer, methods=["GET", "POST"])])


def not_ready_replica(name: str) -> Starlette:
    """A replica that lost the dialogue core: live, not ready; answers the rest with its name."""

    async def answer(request: Request) -> PlainTextResponse:
        return PlainTextResponse(name)

    async def not_ready(request: Request) -> JSONResponse:
        return JSONResponse({"status": "not ready", "dialogue": "down"}, status_code=503)

    return Starlette(
        routes=[
            Route("/health/ready", not_ready),
            Route("/{path:path}", answer, methods=["GET", "POST"]),
        ]
    )


def rasa_replica(name: str) -> Starlette:
    """Rasa's REST channel answering every turn with its name; `/` for its health check."""

    async def turn(request: Request) -> JSONResponse:
        return JSONResponse([{"text": name}])

    async def health(request: Request) -> PlainTextResponse:
        return PlainTextResponse("Hello from Rasa")

    return Starlette(
        routes=[Route("/webhooks/rest/webhook", turn, methods=["POST"]), Route("/", health)]
    )


@asynccontextmanager
async def balancer(
    tmp_path: Path, services: tuple[str, str], rasas: tuple[str, str]
) -> AsyncIterator[dict[str, str]]:
    """HAProxy in front of the two service and two Rasa stand-ins: its addresses by name."""
    ports = {name: free_port() for name in ("public", "actions", "dialogue")}
    haproxy = await asyncio.to_thread(
        start_haproxy,
        tmp_path,
        ports,
        [url.removeprefix("http://") for url in services],
        [url.removeprefix("http://") for url in rasas],
    )
    try:
        yield {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    finally:
        await asyncio.to_thread(haproxy.stop)


async def test_pages_go_round_the_replicas_and_sockets_stay_on_one(tmp_path):
    async with (
        serve(replica("one")) as one,
        serve(replica("two")) as two,
        balancer(tmp_path, (one, two), ("http://127.0.0.1:1", "http://127.0.0.1:1")) as lb,
        httpx.AsyncClient(base_url=lb["public"]) as http,
    ):

        async def answered(path: str) -> set[str]:
            return {(await http.get(path)).text for _ in range(ASKED)}

        assert await answered("/staff/inbox") == {"one", "two"}
        assert len(await answered("/socket.io/?EIO=4&transport=polling")) == 1
        assert len(await answered("/staff/socket.io/?EIO=4&transport=polling")) == 1


async def test_replicas_that_are_live_but_none_ready_still_answer(tmp_path):
    """Both replicas report not ready (the dialogue core is down): the voice fallback's
    apology, the pages and the chat still reach one, rather than HAProxy's 503."""
    async with (
        serve(not_ready_replica("one")) as one,
        serve(not_ready_replica("two")) as two,
        balancer(tmp_path, (one, two), ("http://127.0.0.1:1", "http://127.0.0.1:1")) as lb,
        httpx.AsyncClient(base_url=lb["public"]) as http,
    ):
        await asyncio.sleep(CHECKS_TO_FAIL_SECONDS)  # both out of `service` by then
        fallback = await http.post("/channels/twilio/voice/fallback", data={"CallSid": "CA1"})
        assert fallback.status_code == 200
        assert fallback.text in {"one", "two"}
        assert (await http.get("/staff/inbox")).status_code == 200
        assert (await http.get("/socket.io/?EIO=4&transport=polling")).status_code == 200
        async with httpx.AsyncClient(base_url=lb["actions"]) as rasa:
            assert (await rasa.post("/webhook", json={})).status_code == 200


async def test_requests_on_connections_of_their_own_share_kept_connections_to_replicas(tmp_path):
    async with (
        serve(connection_reporting_replica("one"), proxy_headers=False) as one,
        serve(connection_reporting_replica("two"), proxy_headers=False) as two,
        balancer(tmp_path, (one, two), ("http://127.0.0.1:1", "http://127.0.0.1:1")) as lb,
    ):
        connections = set()
        for _ in range(ASKED):  # one after another, each on a new connection, as Twilio sends
            async with httpx.AsyncClient(base_url=lb["public"]) as twilio:
                answer = await twilio.post("/channels/twilio/voice", data={"CallSid": "CA1"})
                connections.add(answer.raise_for_status().text)
        assert len(connections) <= 2  # one to each replica, reused


async def test_each_conversation_stays_on_one_rasa_replica_and_they_share_evenly(tmp_path):
    async with (
        serve(replica("service")) as service,
        serve(rasa_replica("rasa1")) as rasa1,
        serve(rasa_replica("rasa2")) as rasa2,
        balancer(tmp_path, (service, service), (rasa1, rasa2)) as lb,
        dialogue_session() as session,
    ):
        client = DialogueClient(lb["dialogue"], 5.0, session)

        async def replicas_of(sender: str) -> set[str]:
            metadata = Metadata(channel="voice")
            return {
                (await client.send(sender, "/menu", metadata, "voice"))[0].text
                for _ in range(TURNS)
            }

        answering = await asyncio.gather(
            *(
                replicas_of(f"CA{uuid.uuid5(uuid.NAMESPACE_URL, str(n)).hex}")
                for n in range(CONVERSATIONS)
            )
        )
        assert all(len(replicas) == 1 for replicas in answering)
        shares = Counter(replica for replicas in answering for replica in replicas)
        # neither replica carries more than its half and a tenth of it
        assert max(shares.values()) <= CONVERSATIONS * 0.55, shares
