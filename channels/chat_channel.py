"""The one interface a chat channel implements, and what passes through it.

A chat channel is one module (WhatsApp and SMS through Twilio, Telegram, the web chat…)
with one class implementing `ChatChannel`, registered in `channels/registry.py`:

- `infos`: the channel(s) it carries, as the core knows them (code, the words key of its name,
  medium, how its citizens hear back): `bot.channel_directory.ChannelInfo`;
- `verify(request)`: whether the platform really sent the request (a signature, a secret);
- `parse(request)`: the request as `Inbound` messages in the dialogue's terms (files fetched
  and kept, a platform's retry carrying the same message id);
- `send(inbound, reply)`: the dialogue's messages in the platform's form, to that user;
- `mount(app)`: how the platform reaches the service, each request handed to `receive`. A
  `WebhookChannel` (the common case) answers `POST {path}`; the web chat mounts socket.io.
- `reach(inbound)`, `push(to, reply)` and `typing(to)`: an employee writing to the user
  unprompted (the agent inbox, channels/inbox.py). By default what answered their message
  reaches them later too, a push is a send and typing shows nothing; a channel changes any of
  them where its platform differs.

Everything between parse and send is the same on every channel and lives once in
`channels/chat.py`: retries, notification answers, menus, the dialogue, hand-offs.
"""

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

from fastapi import FastAPI, Request
from fastapi.responses import Response

from bot.api.errors import ApiError
from bot.channel_directory import ChannelInfo
from bot.complaint_record import Attachment
from bot.platforms import Platforms
from bot.types import Language
from channels.dialogue import BotMessage

if TYPE_CHECKING:
    from channels.chat import Chats


class NotDelivered(Exception):
    """A push the platform refused; `reason` is a words key the employee reads."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


PlatformRequest = TypeVar("PlatformRequest")


@dataclass(frozen=True)
class Inbound:
    """One message a user sent, as a channel read it from its platform."""

    channel: str  # the code of the ChannelInfo it came on
    user: str  # the platform's id of the user or chat: "+9665…", "12345", a web session
    message_id: str | None  # the platform's id of this message: a retry carries the same
    text: str = ""  # the user's words, or a button payload
    option: int | None = None  # a tap on option N of the menu shown last
    language: Language | None = None  # what the platform knows (the app's language)
    phone: str | None = None  # a number the platform vouches for, in E.164
    location: dict[str, Any] | None = None
    media: tuple[Attachment, ...] = ()
    notices: tuple[str, ...] = ()  # words keys the user is told first (a file not kept)
    sources: dict[str, str] = field(default_factory=dict)  # ids kept on a complaint
    reply_to: Any = None  # whatever the channel needs to answer (a Twilio number, a query id)
    client: str | None = None  # the web chat's client, pseudonymised: reports are limited by it

    @property
    def conversation_id(self) -> str:
        """The dialogue's sender id: `whatsapp:+9665…`, `telegram:12345`, `webchat:<session>`."""
        return f"{self.channel}:{self.user}"

    @property
    def for_dialogue(self) -> bool:
        return bool(self.text or self.option or self.media or self.location)


@dataclass(frozen=True)
class Reply:
    """What the user gets back: the channel's own notices, then the dialogue's messages."""

    language: Language
    notices: tuple[str, ...] = ()
    messages: tuple[BotMessage, ...] = ()

    @property
    def shown(self) -> list[BotMessage]:
        """The messages a user sees; custom-only messages are hints for channels."""
        return [m for m in self.messages if m.text or m.buttons or m.image]


class ChatChannel(ABC, Generic[PlatformRequest]):
    """One chat platform. What it reaches beyond the core (the Twilio and Telegram clients,
    the store, the attachments…) comes in `Platforms`, built once by the composition."""

    infos: ClassVar[tuple[ChannelInfo, ...]]

    @abstractmethod
    async def verify(self, request: PlatformRequest, platforms: Platforms) -> bool:
        """Whether the platform really sent this request."""

    @abstractmethod
    async def parse(self, request: PlatformRequest, platforms: Platforms) -> Sequence[Inbound]:
        """The messages in the request (none for a request that carries no message)."""

    @abstractmethod
    async def send(self, inbound: Inbound, reply: Reply, platforms: Platforms) -> None:
        """The reply in the platform's form, to the user who sent `inbound`."""

    @abstractmethod
    def mount(self, app: FastAPI) -> None:
        """Make the service reachable by the platform."""

    def reach(self, inbound: Inbound) -> Any:
        """What `push` needs to write to this user later (kept on their conversation as
        JSON): by default what answered `inbound`."""
        return inbound.reply_to

    async def push(self, to: Inbound, reply: Reply, platforms: Platforms) -> str | None:
        """Messages nobody asked for (an employee writing) to the user `to` stands for (its
        `reply_to` is what `reach` kept); the platform's id of the message when it reports
        deliveries. `NotDelivered` when the platform refuses it."""
        await self.send(to, reply, platforms)
        return None

    async def typing(self, to: Inbound, platforms: Platforms) -> None:
        """An employee is writing to the user: shown where the platform can (nothing here)."""

    async def receive(self, request: PlatformRequest, chats: "Chats") -> bool:
        """Every message of one platform request answered; False when it is not authentic."""
        if not await self.verify(request, chats.platforms):
            return False
        for inbound in await self.parse(request, chats.platforms):
            await chats.handle(self, inbound)
        return True


class WebhookChannel(ChatChannel[Request]):
    """A platform that posts each update to a webhook of the service."""

    path: ClassVar[str]

    def answer(self) -> Response:
        """What the webhook answers once every message of the request is handled."""
        return Response(status_code=200)

    def mount(self, app: FastAPI) -> None:
        async def webhook(request: Request) -> Response:
            if not await self.receive(request, request.app.state.chats):
                raise ApiError(403, "forbidden", "the request is not from the platform")
            return self.answer()

        name = type(self).__name__
        app.add_api_route(
            self.path, webhook, methods=["POST"], tags=["channels"], summary=f"{name}: a webhook"
        )
