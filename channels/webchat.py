"""The web chat: a socket.io endpoint at `/socket.io/` that speaks Rasa's socketio channel
(its widget's files and photo uploads: channels/webchat_http.py).

Existing Rasa web widgets (rasa-webchat, botfront's, the ones written against Rasa's docs)
connect unchanged, and so does this project's widget (`/webchat/widget.js`):

- `session_request` `{session_id}` → `session_confirm` with the session id (a new one when
  none or an invalid one was sent). Sessions persist: the session id, not the socket, is the
  conversation, so a reload or a second tab continues it.
- `user_uttered` `{message, session_id, customData}` → one `bot_uttered` per message part,
  exactly as Rasa emits them: `{"text"}`, `{"text", "quick_replies": [{content_type,
  title, payload}]}`, `{"attachment": {"type": "image", "payload": {"src"}}}`.
- `customData` (rasa-webchat's name; Rasa's default `metadata` is read too) may carry
  `language` ("ar"/"en"), `location` `{lat, lng}` and `media` (upload tokens from
  `POST /webchat/uploads`); anything else in it is ignored.
- `user_typing` `{}`: the visitor is typing; the employee who has the conversation sees it.
  `agent_typing` `{}` the other way: the employee is writing to the visitor.

Across service replicas (`BALAGH_REDIS_URL`): the bot's messages, and an employee's
(channels/inbox.py), go to the session's room, through Redis, so every socket of that chat
gets them whichever replica holds it (a second tab, or a socket that reconnected elsewhere
while its turn was answered). A socket itself lives in one process: Engine.IO's long-polling
requests must reach the replica that opened the socket, so the load balancer keeps each
client on one replica (deploy/haproxy.cfg).
"""

import logging
import secrets
from collections.abc import Mapping
from typing import Any, ClassVar, Final, NamedTuple

import socketio
from fastapi import FastAPI
from pydantic import ValidationError

from bot.channel_directory import ChannelInfo
from bot.client_address import UNKNOWN
from bot.complaint_record import Attachment, Location
from bot.intake import client_key
from bot.logs import new_request_id, request_id
from bot.platforms import Platforms
from bot.types import Language
from bot.words import N_
from channels import webchat_http
from channels.chat_channel import ChatChannel, Inbound, Reply
from channels.dialogue import BotMessage
from channels.webchat_http import SESSION_ID, allowed_origins, uploaded_attachment

log = logging.getLogger(__name__)

WEBCHAT: Final = ChannelInfo("webchat", N_("channel.webchat"), "chat")
SOCKET_PATH: Final = "socket.io"
MAX_TEXT: Final = 4000
MAX_MEDIA: Final = 5


class Utterance(NamedTuple):
    """One `user_uttered` event: the socket it came on, its session, its data, where its
    answer goes (the session's room when this socket joined it, else the socket alone), and
    who connected it (bot/intake.py's pseudonym of the address: reports are limited by it)."""

    sid: str
    session_id: str
    data: Mapping[str, Any]
    room: str
    client: str | None = None


def bot_uttered(message: BotMessage) -> list[dict[str, Any]]:
    """The `bot_uttered` events Rasa's socketio channel emits for one bot message."""
    events: list[dict[str, Any]] = []
    if message.buttons:
        events = [
            {"text": part, "quick_replies": []} for part in message.text.strip().split("\n\n")
        ]
        events[-1]["quick_replies"] = [
            {"content_type": "text", "title": button.title, "payload": button.payload}
            for button in message.buttons
        ]
    elif message.text.strip():
        events = [{"text": part} for part in message.text.strip().split("\n\n")]
    if message.image:
        events.append({"attachment": {"type": "image", "payload": {"src": message.image}}})
    return events


def custom_data(data: Mapping[str, Any]) -> Mapping[str, Any]:
    value = data.get("customData") or data.get("metadata") or {}
    return value if isinstance(value, Mapping) else {}


def shared_location(value: Any) -> dict[str, Any] | None:
    if not isinstance(value, Mapping):
        return None
    try:
        pin = Location.model_validate({"lat": value.get("lat"), "lng": value.get("lng")})
    except ValidationError:
        return None
    return pin.model_dump(exclude_none=True) if pin.lat is not None else None


class WebChatChannel(ChatChannel[Utterance]):
    """The socket.io server. Sockets are checked once, when they connect (their page's
    origin); each event then comes on a socket already let in."""

    infos: ClassVar[tuple[ChannelInfo, ...]] = (WEBCHAT,)
    sio: socketio.AsyncServer  # made by mount(), from the service's settings

    def __init__(self) -> None:
        self.allowed_origins: list[str] = []

    def mount(self, app: FastAPI) -> None:
        """Serve the socket.io endpoint at /socket.io/ inside the service."""
        settings = app.state.settings
        self.allowed_origins = allowed_origins(settings)
        secret = settings.secret_key.get_secret_value()
        redis_url = settings.redis_url
        self.sio = socketio.AsyncServer(
            async_mode="asgi",
            cors_allowed_origins=self.origin_allowed,
            logger=False,
            client_manager=socketio.AsyncRedisManager(redis_url) if redis_url else None,
        )

        async def connect(sid: str, environ: Mapping[str, Any], auth: Any = None) -> None:
            """Remember who connected (as bot/intake.py's pseudonym): reports are limited
            by it."""
            scope = environ.get("asgi.scope") or {}
            address = scope["client"][0] if scope.get("client") else UNKNOWN
            await self.sio.save_session(sid, {"client": client_key(secret, address)})

        async def user_uttered(sid: str, data: Any) -> None:
            session = await self.sio.get_session(sid)
            utterance = self.utterance(sid, session, data)
            if utterance is not None:
                with request_id(new_request_id()):
                    await self.receive(utterance, app.state.chats)

        async def user_typing(sid: str, data: Any) -> None:
            session = await self.sio.get_session(sid)
            if session.get("session_id"):
                await app.state.inbox.typing(f"{WEBCHAT.code}:{session['session_id']}")

        self.sio.on("connect", connect)
        self.sio.on("session_request", self.session_request)
        self.sio.on("user_uttered", user_uttered)
        self.sio.on("user_typing", user_typing)
        app.mount(f"/{SOCKET_PATH}", socketio.ASGIApp(self.sio, socketio_path=SOCKET_PATH))
        app.include_router(webchat_http.router)  # the widget's files, its demo page, uploads

    def origin_allowed(self, origin: str | None, environ: Mapping[str, Any]) -> bool:
        """The service's own pages (whatever address they were reached at) and the sites
        configured in BALAGH_WEBCHAT_ORIGINS."""
        own = f"{environ.get('wsgi.url_scheme', 'http')}://{environ.get('HTTP_HOST', '')}"
        return origin is None or origin == own or origin in self.allowed_origins

    async def session_request(self, sid: str, data: Any) -> None:
        asked = data.get("session_id") if isinstance(data, Mapping) else None
        session_id = asked if isinstance(asked, str) and SESSION_ID.match(asked) else None
        session_id = session_id or secrets.token_hex(16)
        session = await self.sio.get_session(sid)
        earlier = session.get("session_id")
        if earlier and earlier != session_id:
            await self.sio.leave_room(sid, earlier)
        await self.sio.save_session(sid, {**session, "session_id": session_id})
        await self.sio.enter_room(sid, session_id)  # the chat's sockets, on every replica
        await self.sio.emit("session_confirm", session_id, to=sid)

    @staticmethod
    def utterance(sid: str, session: Mapping[str, Any], data: Any) -> Utterance | None:
        """The event on socket `sid`, whose socket.io session (its confirmed chat session,
        its client) is `session`."""
        if not isinstance(data, Mapping):
            return None
        confirmed = session.get("session_id")
        asked = data.get("session_id") or confirmed or sid
        if not isinstance(asked, str) or not SESSION_ID.match(asked):
            asked = sid
        room = asked if asked == confirmed else sid
        return Utterance(sid, asked, data, room, session.get("client"))

    async def verify(self, request: Utterance, platforms: Platforms) -> bool:
        """The text is text, and not too long (the socket itself was let in by its origin)."""
        message = request.data.get("message") or ""
        if not isinstance(message, str) or len(message) > MAX_TEXT:
            log.info("web chat message refused: not text or over %s characters", MAX_TEXT)
            return False
        return True

    async def parse(self, request: Utterance, platforms: Platforms) -> list[Inbound]:
        custom = custom_data(request.data)
        named = custom.get("language")
        language: Language | None = "ar" if named == "ar" else "en" if named == "en" else None
        text = str(request.data.get("message") or "").strip()
        media = self.uploads(request.session_id, custom.get("media"), platforms)
        location = shared_location(custom.get("location"))
        if not (text or media or location):
            return []
        return [
            Inbound(
                channel=WEBCHAT.code,
                user=request.session_id,
                message_id=None,
                text=text,
                language=language,
                location=location,
                media=tuple(media),
                sources={"webchat_session": request.session_id},
                reply_to=request.room,
                client=request.client,
            )
        ]

    @staticmethod
    def uploads(session_id: str, tokens: Any, platforms: Platforms) -> list[Attachment]:
        """The photos uploaded for this session, by the tokens the upload handed out."""
        secret = platforms.settings.secret_key.get_secret_value()
        found = []
        for token in tokens[:MAX_MEDIA] if isinstance(tokens, list) else []:
            attachment = isinstance(token, str) and uploaded_attachment(secret, session_id, token)
            if not attachment:
                log.warning("web chat upload token refused for session %s", session_id)
                continue
            found.append(attachment)
        return found

    def reach(self, inbound: Inbound) -> Any:
        """Later, every socket of the session (a socket's own id does not outlive a reload)."""
        return None

    async def typing(self, to: Inbound, platforms: Platforms) -> None:
        """`agent_typing`: the widget shows that someone is writing."""
        await self.sio.emit("agent_typing", {}, to=to.user)  # the session's room

    async def send(self, inbound: Inbound, reply: Reply, platforms: Platforms) -> None:
        to = inbound.reply_to or inbound.user  # an employee's: the session's room
        for notice in reply.notices:
            await self.sio.emit("bot_uttered", {"text": notice}, to=to)
        for message in reply.messages:
            for event in bot_uttered(message):
                await self.sio.emit("bot_uttered", event, to=to)
