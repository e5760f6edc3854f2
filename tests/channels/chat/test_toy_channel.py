"""A new chat channel is one class implementing `ChatChannel`, registered in one list: a toy
channel, written here against the interface alone, gets its webhook, its authenticity check,
retries recognised, the dialogue in its medium, its replies, notification answers and
hand-offs, and a name wherever the back office shows channels (its code until the
catalogues have words for it)."""

from collections.abc import AsyncIterator
from typing import ClassVar

import httpx
import pytest
from fastapi import FastAPI, Request

from bot.app import create_app
from bot.channel_directory import ChannelInfo
from bot.handoffs import RECORD_KIND, HandoffRequest
from bot.platforms import Platforms
from bot.services import Services
from bot.settings import Settings
from bot.types import Role
from bot.words import N_
from channels.chat_channel import Inbound, Reply, WebhookChannel
from channels.registry import CHANNELS
from tests.channels.chat.conftest import menu
from tests.channels.chat.test_handoff import add_staff, handoff_alerts

TOY = ChannelInfo("toy", N_("channel.toy"), "chat")
KEY = "toy-key"


class ToyChannel(WebhookChannel):
    """A platform that posts `{"id", "user", "text"}` with a key, and shows plain texts."""

    infos: ClassVar[tuple[ChannelInfo, ...]] = (TOY,)
    path: ClassVar[str] = "/channels/toy"
    sent: ClassVar[list[tuple[str, list[str]]]] = []  # (user, texts) the platform showed

    async def verify(self, request: Request, platforms: Platforms) -> bool:
        return request.headers.get("X-Toy-Key") == KEY

    async def parse(self, request: Request, platforms: Platforms) -> list[Inbound]:
        update = await request.json()
        return [
            Inbound(
                channel=TOY.code,
                user=update["user"],
                message_id=update["id"],
                text=update["text"],
                phone=update.get("phone"),
            )
        ]

    async def send(self, inbound: Inbound, reply: Reply, platforms: Platforms) -> None:
        texts = [*reply.notices, *(message.text for message in reply.shown)]
        self.sent.append((inbound.user, texts))


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(settings, channels=(*CHANNELS, ToyChannel))
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    ToyChannel.sent.clear()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as http:
        yield http


async def post(client: httpx.AsyncClient, update: dict[str, str], key: str = KEY) -> int:
    response = await client.post("/channels/toy", json=update, headers={"X-Toy-Key": key})
    return response.status_code


async def test_its_messages_reach_the_dialogue_and_its_replies_the_user(client, fake_rasa):
    assert await post(client, {"id": "1", "user": "ali", "text": "مرحبا"}, key="forged") == 403
    assert fake_rasa.received == []
    assert await post(client, {"id": "1", "user": "ali", "text": "مرحبا"}) == 200
    assert await post(client, {"id": "1", "user": "ali", "text": "مرحبا"}) == 200  # a retry
    assert fake_rasa.received == [
        {
            "sender": "toy:ali",
            "message": "مرحبا",
            "metadata": {
                "channel": "toy",
                "language": "ar",
                "media": [],
                "message_id": "1",
                "sources": {},
            },
        }
    ]
    assert ToyChannel.sent == [("ali", [menu("ar")["text"]])]


async def test_its_menus_answer_to_numbers(client, fake_rasa):
    await post(client, {"id": "1", "user": "ali", "text": "hello"})
    await post(client, {"id": "2", "user": "ali", "text": "3"})
    assert fake_rasa.messages == ["hello", "/talk_to_agent"]


async def test_a_hand_off_on_it_is_kept_and_named_by_its_code(
    client, services: Services, fake_rasa
):
    await add_staff(services, "agent.one", Role.AGENT, phone="+966550000010", language="en")
    update = {"id": "9", "user": "ali", "text": "/talk_to_agent", "phone": "+966501234567"}
    assert await post(client, update) == 200
    request = await services.store.get_record(RECORD_KIND, "toy:toy:ali", HandoffRequest)
    assert request is not None
    (alert,) = await handoff_alerts(services)
    assert alert.body.startswith("A citizen asks for an employee on toy (+966•••••••67).")
    assert services.channels.label("toy", "ar") == "toy"
