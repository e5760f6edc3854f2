"""The dialogue client against a local fake of Rasa's REST channel over real HTTP."""

import asyncio
import re
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.words import text
from channels.dialogue import (
    IDLE_SECONDS,
    Button,
    DialogueClient,
    DialogueUnavailable,
    Metadata,
    dialogue_session,
)
from tests.aiohttp_servers import serving, serving_in_a_thread
from tests.servers import serve

RECEIVED: list[dict[str, Any]] = []


async def rest_webhook(request: Request) -> Response:
    body = await request.json()
    RECEIVED.append(body)
    if body["message"] == "slow":
        await asyncio.sleep(2)
    if body["message"] == "broken":
        return Response("oops", status_code=500)
    if body["message"] == "garbage":
        return Response("not json")
    if body["message"] == "thanks":  # what Rasa sends for the domain's responses
        menu = [{"title": "button.report", "payload": "/report_complaint"}]
        return JSONResponse(
            [
                {"recipient_id": body["sender"], "custom": {"say": "dialogue.goodbye"}},
                {
                    "recipient_id": body["sender"],
                    "custom": {"say": "dialogue.anything_else", "language": "en", "menu": menu},
                },
            ]
        )
    return JSONResponse(
        [
            {
                "recipient_id": body["sender"],
                "text": "أهلاً",
                "buttons": [{"title": "بلاغ", "payload": "/report"}],
            },
            {"recipient_id": body["sender"], "custom": {"expect": "digits", "max_digits": 10}},
        ]
    )


@pytest.fixture
async def fake_rasa() -> AsyncIterator[str]:
    RECEIVED.clear()
    app = Starlette(routes=[Route("/webhooks/rest/webhook", rest_webhook, methods=["POST"])])
    async with serve(app) as url:
        yield url


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with dialogue_session() as session:
        yield session


async def test_messages_and_metadata_cross_the_wire(fake_rasa, http):
    client = DialogueClient(fake_rasa, 1.0, http)
    metadata = Metadata(channel="voice", language="ar", phone="+966501234567", message_id="CA1")
    messages = await client.send("caller-1", "مرحبا", metadata, "voice")
    assert messages[0].text == "أهلاً"
    assert messages[0].buttons[0].payload == "/report"
    assert messages[1].custom == {"expect": "digits", "max_digits": 10}
    assert re.fullmatch(r"[0-9a-f]{32}", RECEIVED[0]["metadata"].pop("turn_id"))
    assert RECEIVED[0] == {
        "sender": "caller-1",
        "message": "مرحبا",
        "metadata": {
            "channel": "voice",
            "language": "ar",
            "phone": "+966501234567",
            "media": [],
            "message_id": "CA1",
            "sources": {},
        },
    }


async def test_a_response_naming_its_words_gets_them_in_its_language_and_medium(fake_rasa, http):
    client = DialogueClient(fake_rasa, 1.0, http)
    goodbye, more = await client.send("chat-1", "thanks", Metadata(channel="webchat"), "chat")
    assert (goodbye.text, goodbye.custom) == (text("dialogue.goodbye", "ar"), {})
    assert more.text == text("dialogue.anything_else", "en", "chat")
    assert more.buttons == (Button(title="Report a problem", payload="/report_complaint"),)


@pytest.mark.parametrize("message", ["slow", "broken", "garbage"])
async def test_failures_become_dialogue_unavailable(fake_rasa, http, message):
    client = DialogueClient(fake_rasa, 0.5, http)
    with pytest.raises(DialogueUnavailable):
        await client.send("caller-1", message, Metadata(channel="sms"), "sms")
    # answered (an error), or perhaps still at work on it (slow): never sent twice
    assert len(RECEIVED) == 1


async def replica_lost_then(first: str, then: str, sent: list[dict[str, Any]]) -> Any:
    """A dialogue core whose first answer is `first` ("drop": the connection closes
    unanswered, as when its replica is killed; a status, as a load balancer answers then),
    then `then` ("ok" or again one of those); what a send ended with."""

    async def webhook(request: web.Request) -> web.StreamResponse:
        sent.append(await request.json())
        answer = first if len(sent) == 1 else then
        if answer == "drop":
            assert request.transport is not None
            request.transport.close()
            await asyncio.sleep(0.1)
        if answer.isdigit():
            return web.Response(text="<h1>Bad Gateway</h1>", status=int(answer))
        return web.json_response([{"recipient_id": "caller-1", "text": "أهلاً"}])

    async with serving("/webhooks/rest/webhook", webhook) as url, dialogue_session() as http:
        client = DialogueClient(url, 5.0, http)
        try:
            return await client.send("caller-1", "1", Metadata(channel="voice"), "voice")
        except DialogueUnavailable as exc:
            return exc


@pytest.mark.parametrize("first", ["drop", "502", "503"])
async def test_a_turn_no_replica_answered_is_sent_once_more_said_to_be_resent(first):
    sent: list[dict[str, Any]] = []
    [answer] = await replica_lost_then(first, "ok", sent)
    assert answer.text == "أهلاً"
    once, again = sent
    assert once["metadata"]["turn_id"] == again["metadata"]["turn_id"]  # the same turn
    assert "resent" not in once["metadata"]
    assert again["metadata"]["resent"] is True
    assert again["message"] == once["message"]


async def test_a_turn_lost_twice_is_unavailable_and_sent_no_third_time():
    sent: list[dict[str, Any]] = []
    assert isinstance(await replica_lost_then("502", "drop", sent), DialogueUnavailable)
    assert len(sent) == 2


async def test_a_resent_turn_has_only_the_time_left():
    sent: list[dict[str, Any]] = []

    async def webhook(request: web.Request) -> web.StreamResponse:
        sent.append(await request.json())
        await asyncio.sleep(0.6)
        return web.Response(status=502)

    async with serving("/webhooks/rest/webhook", webhook) as url, dialogue_session() as http:
        client = DialogueClient(url, 1.0, http)
        # the second send, given 0.4 s, times out: given 1 s, it would be lost again (502)
        with pytest.raises(DialogueUnavailable, match="TimeoutError"):
            await client.send("caller-1", "1", Metadata(channel="sms"), "sms")
    assert len(sent) == 2


async def test_nothing_listening_is_unavailable(http):
    client = DialogueClient("http://127.0.0.1:9", 0.5, http)
    with pytest.raises(DialogueUnavailable):
        await client.send("caller-1", "hi", Metadata(channel="sms"), "sms")


async def test_a_turn_waiting_for_a_free_connection_is_not_a_core_down(
    monkeypatch: pytest.MonkeyPatch,
):
    """Past the pool's connections, turns queue for one within their own time: a slow
    dialogue core under a surge is not down (its callers would hear the apology)."""
    monkeypatch.setattr("channels.dialogue.CONNECT_SECONDS", 0.2)

    async def webhook(request: web.Request) -> web.StreamResponse:
        await request.read()
        await asyncio.sleep(0.5)  # slow, as a core under a surge is
        return web.json_response([{"recipient_id": "caller-1", "text": "أهلاً"}])

    connector = aiohttp.TCPConnector(limit=1)
    async with (
        serving("/webhooks/rest/webhook", webhook) as url,
        aiohttp.ClientSession(connector=connector) as http,
    ):
        client = DialogueClient(url, 5.0, http)
        turns = [
            client.send(f"caller-{n}", "1", Metadata(channel="voice"), "voice") for n in (1, 2)
        ]
        first, second = await asyncio.gather(*turns)
    assert first[0].text == second[0].text == "أهلاً"


@pytest.fixture
def closing_server() -> Iterator[tuple[str, float]]:
    """A dialogue core in a thread of its own that closes idle connections after 0.5 s."""
    keep_alive = 0.5

    async def webhook(request: web.Request) -> web.Response:
        await request.read()
        return web.json_response([{"recipient_id": "caller-1", "text": "أهلاً"}])

    with serving_in_a_thread("/webhooks/rest/webhook", webhook, keep_alive) as url:
        yield url, keep_alive


async def test_a_connection_the_server_has_just_closed_is_never_reused(
    closing_server: tuple[str, float], monkeypatch: pytest.MonkeyPatch
):
    url, keep_alive = closing_server
    monkeypatch.setattr("channels.dialogue.IDLE_SECONDS", keep_alive / 2)
    async with dialogue_session() as session:
        client = DialogueClient(url, 5.0, session)
        assert await client.send("caller-1", "hi", Metadata(channel="sms"), "sms")
        # blocking on purpose, as a busy service: the server closes the connection meanwhile
        time.sleep(keep_alive + 0.3)  # noqa: ASYNC251
        assert await client.send("caller-1", "hi", Metadata(channel="sms"), "sms")


def test_idle_connections_live_shorter_than_the_load_balancer_keeps_them():
    config = (Path(__file__).resolve().parents[2] / "deploy" / "haproxy.cfg").read_text()
    (seconds,) = re.findall(r"timeout http-keep-alive (\d+)s", config)
    assert int(seconds) > IDLE_SECONDS
