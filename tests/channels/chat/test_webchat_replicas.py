"""The web chat across two service replicas: one store, one Redis, real socket.io over HTTP.

Each replica is the whole service (its own socket.io servers and store connections); Redis
comes from Debian's redis-server, started here.
"""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AsyncExitStack
from pathlib import Path
from typing import NamedTuple

import httpx
import pytest
import socketio
from fastapi import FastAPI

from bot.api.deps import SESSION_COOKIE
from bot.app import create_app
from bot.settings import Settings
from bot.web.inbox_live import NAMESPACE, SOCKET_PATH
from tests.channels.chat.conftest import FakeRasa, menu
from tests.channels.chat.test_webchat import WAIT_SECONDS, Browser
from tests.redis_server import start_redis
from tests.servers import serve
from tests.web.conftest import post_form, sign_in


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    server = start_redis(tmp_path)
    try:
        yield server.url
    finally:
        server.stop()


class Replica(NamedTuple):
    url: str
    app: FastAPI


@pytest.fixture
async def replicas(settings: Settings, redis_url: str) -> AsyncIterator[list[Replica]]:
    shared = settings.model_copy(update={"redis_url": redis_url})
    async with AsyncExitStack() as stack:
        served = []
        for _ in range(2):
            app = create_app(shared)
            await stack.enter_async_context(app.router.lifespan_context(app))
            served.append(Replica(await stack.enter_async_context(serve(app)), app))
        yield served


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
    first = await open_chat(replicas[0].url)
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

    reloaded = await open_chat(replicas[1].url)  # the page reloaded and reached the other replica
    assert await reloaded.session(session) == session
    await reloaded.say("2", 1)  # the menu the first replica showed is the one answered
    assert fake_rasa.messages == ["hello", "/check_status"]
    assert {body["sender"] for body in fake_rasa.received} == {f"webchat:{session}"}


async def test_the_bots_answer_reaches_every_socket_of_the_chat_on_any_replica(
    replicas, open_chat, fake_rasa: FakeRasa
):
    tab_here = await open_chat(replicas[0].url)
    tab_there = await open_chat(replicas[1].url)
    stranger = await open_chat(replicas[1].url)
    session = await tab_here.session()
    assert await tab_there.session(session) == session
    await stranger.session()

    await tab_here.say("hello", 1)
    async with asyncio.timeout(5):
        seen_there = await tab_there.uttered.get()
    assert seen_there["text"] == menu("en")["text"]
    await asyncio.sleep(0.3)  # what Redis would deliver to the stranger is in by now
    assert stranger.uttered.empty()


async def heard(events: asyncio.Queue[tuple[str, str]], wanted: tuple[str, str]) -> None:
    """The staff page hears `wanted` (event, conversation id), whatever came before it."""
    async with asyncio.timeout(WAIT_SECONDS):
        while await events.get() != wanted:
            pass


async def test_an_employee_on_one_replica_talks_live_with_a_resident_on_the_other(
    replicas, open_chat, fake_rasa: FakeRasa
):
    here, there = replicas
    services = there.app.state.services
    transport = httpx.ASGITransport(app=there.app)  # the employee's requests reach `there`
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as employee:
        await sign_in(employee, services, "amal")
        events: asyncio.Queue[tuple[str, str]] = asyncio.Queue()
        page = socketio.AsyncClient()
        for name in ("changed", "said", "typing"):
            page.on(name, lambda data, name=name: events.put_nowait((name, data["id"])), NAMESPACE)
        await page.connect(
            there.url,
            namespaces=[NAMESPACE],
            socketio_path=SOCKET_PATH,
            transports=["websocket"],
            headers={"Cookie": f"{SESSION_COOKIE}={employee.cookies[SESSION_COOKIE]}"},
        )
        resident = await open_chat(here.url)
        writing: asyncio.Queue[object] = asyncio.Queue()
        resident.sio.on("agent_typing", writing.put_nowait)
        session = await resident.session()

        waiting = await resident.say("/talk_to_agent", 2)
        assert "خلال 2 دقيقة تقريباً" in waiting[-1]["text"]
        found = await services.store.find_conversation(f"webchat:{session}")
        await heard(events, ("changed", found.id))  # the hand-off on `here`, heard `there`

        take = f"/staff/inbox/{found.id}/take"
        assert (await post_form(employee, "/staff/inbox", take, {})).status_code == 303
        async with asyncio.timeout(WAIT_SECONDS):
            assert "معك الآن amal" in (await resident.uttered.get())["text"]

        await resident.sio.emit("user_typing", {})
        await heard(events, ("typing", found.id))
        await page.emit("typing", {"id": found.id}, namespace=NAMESPACE)
        async with asyncio.timeout(WAIT_SECONDS):
            await writing.get()

        reply = {"text": "أرسل لي الموقع لو سمحت"}
        await post_form(employee, "/staff/inbox", f"/staff/inbox/{found.id}/reply", reply)
        async with asyncio.timeout(WAIT_SECONDS):
            assert (await resident.uttered.get())["text"] == reply["text"]
        await resident.sio.emit("user_uttered", {"message": "عند المسجد"})
        panel = f"/staff/inbox/{found.id}/panel"
        async with asyncio.timeout(WAIT_SECONDS):  # as the page does: read again when told
            while "عند المسجد" not in (await employee.get(panel)).text:
                await heard(events, ("said", found.id))
        assert fake_rasa.messages[-1] == "عند المسجد"  # Rasa recorded it, paused
        await page.disconnect()
    assert resident.uttered.empty()  # the bot said nothing meanwhile
