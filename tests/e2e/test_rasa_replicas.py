"""Two real Rasa replicas sharing conversations through Redis (Debian's redis-server).

nlu_components.redis_tracker_store holds the conversations (as Rasa's Redis tracker store does)
and nlu_components.lock_store the one-turn-at-a-time lock. The actions are the real service's,
reached through a proxy that holds each action call 0.3 s and records when it ran: two replicas
answering one conversation at once would show as overlapping calls.
"""

import asyncio
import itertools
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.reference import parse_reference
from tests.e2e.servers import Server, missing_prerequisite, start_rasa, start_service
from tests.ports import free_port
from tests.redis_server import start_redis

pytestmark = pytest.mark.skipif(
    missing_prerequisite() is not None, reason=str(missing_prerequisite())
)
HOLD_SECONDS = 0.3
WHATSAPP = {"channel": "whatsapp", "phone": "+966551234567"}


@dataclass
class SlowActions:
    """The action endpoint, 0.3 s slower: (sender, started, ended) of every call."""

    target: str
    calls: list[tuple[str, float, float]] = field(default_factory=list)

    async def webhook(self, request: Request) -> Response:
        body = await request.body()
        started = time.monotonic()
        await asyncio.sleep(HOLD_SECONDS)
        async with httpx.AsyncClient(timeout=30) as client:
            answer = await client.post(
                self.target, content=body, headers={"content-type": "application/json"}
            )
        sender = httpx.Response(200, content=body).json().get("sender_id", "")
        self.calls.append((sender, started, time.monotonic()))
        return Response(answer.content, answer.status_code, media_type="application/json")


@dataclass
class Replicas:
    rasa: list[Server]
    actions: SlowActions
    workdir: Path


def serve_in_thread(app: Starlette, port: int) -> uvicorn.Server:
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    return server


@pytest.fixture(scope="module")
def replicas(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Replicas]:
    workdir = tmp_path_factory.mktemp("replicas")
    redis = start_redis(workdir)
    servers: list[Server] = []
    proxy = None
    try:
        service = start_service(workdir, rasa_port=free_port())
        servers.append(service)
        actions = SlowActions(f"{service.url}/webhook")
        proxy_port = free_port()
        proxy = serve_in_thread(
            Starlette(routes=[Route("/webhook", actions.webhook, methods=["POST"])]), proxy_port
        )
        with ThreadPoolExecutor(2) as starting:  # both load the same trained model at once
            rasa = list(
                starting.map(
                    lambda _: start_rasa(
                        workdir,
                        None,
                        redis_port=redis.port,
                        actions_url=f"http://127.0.0.1:{proxy_port}/webhook",
                    ),
                    range(2),
                )
            )
        servers += rasa
        yield Replicas(rasa, actions, workdir)
    finally:
        if proxy is not None:
            proxy.should_exit = True
        for server in reversed(servers):
            server.stop()
        redis.stop()


def say(
    replica: Server, sender: str, text: str, metadata: dict[str, Any] = WHATSAPP
) -> list[dict[str, Any]]:
    response = httpx.post(
        f"{replica.url}/webhooks/rest/webhook",
        json={"sender": sender, "message": text, "metadata": metadata},
        timeout=60,
    )
    assert response.status_code == 200, replica.tail()
    messages: list[dict[str, Any]] = response.json()
    return messages


def user_messages(replica: Server, sender: str) -> list[str]:
    tracker = httpx.get(f"{replica.url}/conversations/{sender}/tracker", timeout=30).json()
    return [event["text"] for event in tracker["events"] if event["event"] == "user"]


def test_a_conversation_goes_on_on_the_other_replica(replicas: Replicas) -> None:
    first, second = replicas.rasa
    sender = "replicas-report"
    say(first, sender, "السلام عليكم")
    asked = say(second, sender, "ابي ابلغ عن حفرة كبيرة قدام مدرسة البنات في حي الكوت")
    assert asked[-1]["text"] == "نتواصل معك على رقمك المنتهي بـ 4567؟"  # it knew the phone
    summary = say(first, sender, "/affirm")
    assert "- الحي: الكوت" in summary[0]["text"]
    done = say(second, sender, "نعم")
    [reference] = [
        m["custom"]["reference"]["value"] for m in done if "reference" in m.get("custom", {})
    ]
    assert parse_reference(reference) == reference
    assert len(user_messages(first, sender)) == len(user_messages(second, sender)) == 4


def test_two_replicas_never_answer_one_conversation_at_once(replicas: Replicas) -> None:
    first, second = replicas.rasa
    sender = "replicas-race"
    replicas.actions.calls.clear()
    with ThreadPoolExecutor(2) as both:
        for _ in range(3):
            list(both.map(lambda replica: say(replica, sender, "/greet"), (first, second)))
    spans = sorted((start, end) for who, start, end in replicas.actions.calls if who == sender)
    assert len(spans) >= 6  # at least one action per turn, six turns
    overlapping = [(a, b) for a, b in itertools.pairwise(spans) if b[0] < a[1]]
    assert overlapping == []
    assert user_messages(first, sender).count("/greet") == 6  # no turn lost either


def test_a_turn_sent_again_is_answered_as_before_and_taken_once(replicas: Replicas) -> None:
    """As the service sends a turn no replica answered (channels/dialogue.py): here the first
    replica had taken it, and the other one gets it again."""
    first, second = replicas.rasa
    sender = "replicas-resent"
    turn = {**WHATSAPP, "turn_id": "5e" * 16}
    replicas.actions.calls.clear()
    answer = say(first, sender, "/greet", turn)
    calls = len(replicas.actions.calls)
    assert calls  # the greeting ran its actions
    assert say(second, sender, "/greet", {**turn, "resent": True}) == answer
    assert len(replicas.actions.calls) == calls  # no action ran again
    assert user_messages(first, sender) == ["/greet"]
    # a turn no replica had is taken as any other
    assert say(second, sender, "/greet", {**turn, "turn_id": "6f" * 16, "resent": True})
    assert len(replicas.actions.calls) > calls
    assert user_messages(first, sender) == ["/greet", "/greet"]
