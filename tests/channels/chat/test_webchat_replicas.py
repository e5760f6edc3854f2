"""The web chat across two service replicas: one store, one Redis, real socket.io over HTTP.

Each replica is the whole service (its own socket.io server and store connections); Redis
comes from Debian's redis-server, started here.
"""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AsyncExitStack
from pathlib import Path

import pytest
import socketio

from bot.app import create_app
from bot.settings import Settings
from tests.channels.chat.conftest import FakeRasa, menu
from tests.channels.chat.test_webchat import Browser
from tests.redis_server import start_redis
from tests.servers import serve


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    server = start_redis(tmp_path)
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture
async def replicas(settings: Settings, redis_url: str) -> AsyncIterator[list[str]]:
    shared = settings.model_copy(update={"redis_url": redis_url})
    async with AsyncExitStack() as stack:
        urls = []
        for _ in range(2):
            app = create_app(shared)
            await stack.enter_async_context(app.router.lifespan_context(app))
            urls.append(await stack.enter_async_context(serve(app)))
        yield urls


@pytest.fixture
async def open_chat() -> AsyncIterator[Callable[[str], Awaitable[Browser]]]:
    clients: list[socketio.AsyncClient] = []

    async def connect(url: str) -> Browser:
        sio = socketio.AsyncClient()
        chat = Browser(sio)
        sio.on("session_confirm", chat.confirmed.put_nowait)
        sio.on("bot_uttered", chat.uttered.put_nowait)
        await sio.connect(url, socketio_path="socket.io", transports=["websocket"])
        clients.append(sio)
        return chat

    yield connect
    for sio in clients:
        await sio.disconnect()


async def test_a_chat_goes_on_where_it_left_off_on_the_other_replica(
    replicas, open_chat, fake_rasa: FakeRasa
):
    first = await open_chat(replicas[0])
    session = await first.session()
    assert await first.say("hello", 1) == [
        {
            "text": menu("en")["text"],
            "quick_replies": [
                {"content_type": "text", "title": button["title"], "payload": button["payload"]}
                for button in menu("en")["buttons"]
            ],
        }
    ]
    await first.sio.disconnect()

    reloaded = await open_chat(replicas[1])  # the page reloaded and reached the other replica
    assert await reloaded.session(session) == session
    await reloaded.say("2", 1)  # the menu the first replica showed is the one answered
    assert fake_rasa.messages == ["hello", "/check_status"]
    assert {body["sender"] for body in fake_rasa.received} == {f"webchat:{session}"}


async def test_the_bots_answer_reaches_every_socket_of_the_chat_on_any_replica(
    replicas, open_chat, fake_rasa: FakeRasa
):
    tab_here = await open_chat(replicas[0])
    tab_there = await open_chat(replicas[1])
    stranger = await open_chat(replicas[1])
    session = await tab_here.session()
    assert await tab_there.session(session) == session
    await stranger.session()

    await tab_here.say("hello", 1)
    async with asyncio.timeout(5):
        seen_there = await tab_there.uttered.get()
    assert seen_there["text"] == menu("en")["text"]
    await asyncio.sleep(0.3)  # what Redis would deliver to the stranger is in by now
    assert stranger.uttered.empty()
