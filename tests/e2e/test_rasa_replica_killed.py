"""A Rasa replica killed in the middle of a turn, behind deploy/haproxy.cfg: the user still gets
the answer, and the conversation has the turn once.

Two real Rasa replicas share the conversations in Redis (Debian's redis-server); the actions
are the real service's. Each replica reaches them through a proxy of its own, which holds the
first action call of one conversation: the replica holding that turn is then SIGKILLed.
HAProxy answers the service's dialogue client 502; the client sends the turn again
(channels/dialogue.py), and the other replica takes it once the dead one's lock has expired
(nlu_components/lock_store.py) — it had not saved it (nlu_components/resent_turns.py: a turn it
had saved would be answered from the conversation instead).
"""

import asyncio
import json
import signal
import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from channels.dialogue import DialogueClient, Metadata, dialogue_session
from tests.e2e.servers import Server, missing_prerequisite, start_haproxy, start_rasa, start_service
from tests.ports import free_port
from tests.redis_server import start_redis
from tests.servers import serve_in_a_thread

pytestmark = pytest.mark.skipif(
    missing_prerequisite() is not None, reason=str(missing_prerequisite())
)
HELD = "whatsapp:+966551234567"
METADATA = Metadata(channel="whatsapp", phone="+966551234567")


class HeldActions:
    """The service's action endpoint behind one proxy per replica; the first call of the HELD
    conversation is held (`holding` set, `held_by` its replica) until `release`."""

    def __init__(self, target: str) -> None:
        self.target = target
        self.holding = threading.Event()
        self.release = threading.Event()
        self.held_by: int | None = None

    def app(self, replica: int) -> Starlette:
        async def webhook(request: Request) -> Response:
            body = await request.body()
            if json.loads(body).get("sender_id") == HELD and self.held_by is None:
                self.held_by = replica
                self.holding.set()
                await asyncio.to_thread(self.release.wait, 60)
            async with httpx.AsyncClient(timeout=30) as client:
                answer = await client.post(
                    self.target, content=body, headers={"content-type": "application/json"}
                )
            return Response(answer.content, answer.status_code, media_type="application/json")

        return Starlette(routes=[Route("/webhook", webhook, methods=["POST"])])


def user_messages(replica: Server, sender: str) -> list[str]:
    tracker = httpx.get(f"{replica.url}/conversations/{sender}/tracker", timeout=30).json()
    return [event["text"] for event in tracker["events"] if event["event"] == "user"]


async def test_a_turn_whose_replica_is_killed_is_answered_by_the_other_once(tmp_path):
    ports = {name: free_port() for name in ("public", "actions", "dialogue")}
    redis = start_redis(tmp_path)
    servers: list[Server] = []
    actions: HeldActions | None = None
    try:
        service = await asyncio.to_thread(start_service, tmp_path, ports["dialogue"])
        servers.append(service)
        actions = HeldActions(f"{service.url}/webhook")
        with (
            serve_in_a_thread(actions.app(0)) as first_actions,
            serve_in_a_thread(actions.app(1)) as second_actions,
            ThreadPoolExecutor(2) as starting,
        ):
            rasa = list(
                starting.map(
                    lambda url: start_rasa(
                        tmp_path, None, redis_port=redis.port, actions_url=f"{url}/webhook"
                    ),
                    (first_actions, second_actions),
                )
            )
            servers += rasa
            service_address = service.url.removeprefix("http://")
            replicas = [server.url.removeprefix("http://") for server in rasa]
            servers.append(
                await asyncio.to_thread(
                    start_haproxy, tmp_path, ports, [service_address] * 2, replicas
                )
            )
            async with dialogue_session() as http:
                client = DialogueClient(f"http://127.0.0.1:{ports['dialogue']}", 30, http)
                turn = asyncio.create_task(client.send(HELD, "/greet", METADATA, "chat"))
                assert await asyncio.to_thread(actions.holding.wait, 60), "no action call held"
                assert actions.held_by is not None
                killed, survivor = rasa[actions.held_by], rasa[1 - actions.held_by]
                killed.process.send_signal(signal.SIGKILL)
                killed.process.wait()
                answer = await turn  # raised DialogueUnavailable before the turn was resent
                expected = await client.send("whatsapp:+966557654321", "/greet", METADATA, "chat")
            actions.release.set()
        assert [m.text for m in answer] == [m.text for m in expected]
        assert answer[0].text  # the greeting
        assert await asyncio.to_thread(user_messages, survivor, HELD) == ["/greet"]
    finally:
        if actions is not None:
            actions.release.set()
        for server in reversed(servers):
            server.stop()
        redis.stop()
