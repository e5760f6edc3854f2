"""The web chat: a socket.io endpoint at `/socket.io/` that speaks Rasa's socketio channel.

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

Across service replicas (`BALAGH_REDIS_URL`): the bot's messages go to the session's room,
through Redis, so every socket of that chat gets them whichever replica holds it (a second
tab, or a socket that reconnected elsewhere while its turn was answered). A socket itself
lives in one process: Engine.IO's long-polling requests must reach the replica that opened
the socket, so the load balancer keeps each client on one replica (deploy/haproxy.cfg).
"""

import logging
import secrets
from collections.abc import Mapping
from typing import Any, Final
from urllib.parse import urlsplit

import socketio
from fastapi import FastAPI
from pydantic import ValidationError

from bot.complaint import Location
from bot.logs import new_request_id, request_id
from bot.services import Services
from bot.settings import Settings
from bot.types import Channel, Language
from channels.chat import ChatTurns
from channels.deps import dialogue_client
from channels.dialogue import BotMessage, Metadata
from channels.webchat_http import SESSION_ID, uploaded_attachment

log = logging.getLogger(__name__)

SOCKET_PATH: Final = "socket.io"
MAX_TEXT: Final = 4000
MAX_MEDIA: Final = 5


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


class WebChat:
    """The socket.io server; it reaches the services through the app once it runs."""

    def __init__(self, app: FastAPI, allowed_origins: list[str], redis_url: str | None) -> None:
        self.app = app
        self.allowed_origins = allowed_origins
        self.sio = socketio.AsyncServer(
            async_mode="asgi",
            cors_allowed_origins=self.origin_allowed,
            logger=False,
            client_manager=socketio.AsyncRedisManager(redis_url) if redis_url else None,
        )
        self.sio.on("session_request", self.session_request)
        self.sio.on("user_uttered", self.user_uttered)

    def asgi(self) -> socketio.ASGIApp:
        return socketio.ASGIApp(self.sio, socketio_path=SOCKET_PATH)

    def origin_allowed(self, origin: str | None, environ: Mapping[str, Any]) -> bool:
        """The service's own pages (whatever address they were reached at) and the sites
        configured in BALAGH_WEBCHAT_ORIGINS."""
        own = f"{environ.get('wsgi.url_scheme', 'http')}://{environ.get('HTTP_HOST', '')}"
        return origin is None or origin == own or origin in self.allowed_origins

    @property
    def services(self) -> Services:
        services: Services = self.app.state.services
        return services

    async def session_request(self, sid: str, data: Any) -> None:
        asked = data.get("session_id") if isinstance(data, Mapping) else None
        session_id = asked if isinstance(asked, str) and SESSION_ID.match(asked) else None
        session_id = session_id or secrets.token_hex(16)
        earlier = (await self.sio.get_session(sid)).get("session_id")
        if earlier and earlier != session_id:
            await self.sio.leave_room(sid, earlier)
        await self.sio.save_session(sid, {"session_id": session_id})
        await self.sio.enter_room(sid, session_id)  # the chat's sockets, on every replica
        await self.sio.emit("session_confirm", session_id, to=sid)

    async def user_uttered(self, sid: str, data: Any) -> None:
        if not isinstance(data, Mapping):
            return
        text = data.get("message") or ""
        if not isinstance(text, str) or len(text) > MAX_TEXT:
            log.info("web chat message refused: not text or over %s characters", MAX_TEXT)
            return
        session = await self.sio.get_session(sid)
        session_id = data.get("session_id") or session.get("session_id") or sid
        if not isinstance(session_id, str) or not SESSION_ID.match(session_id):
            session_id = sid
        metadata = self.metadata(session_id, custom_data(data))
        if not (text.strip() or metadata.media or metadata.location):
            return
        services = self.services
        turns = ChatTurns(services, dialogue_client(services))
        with request_id(new_request_id()):
            reply = await turns.take(f"webchat:{session_id}", text.strip(), metadata)
        # the chat's room when this socket joined it; else (no session confirmed) the socket
        room = session_id if session.get("session_id") == session_id else sid
        for message in reply.messages:
            for event in bot_uttered(message):
                await self.sio.emit("bot_uttered", event, room=room)

    def metadata(self, session_id: str, custom: Mapping[str, Any]) -> Metadata:
        named = custom.get("language")
        language: Language | None = "ar" if named == "ar" else "en" if named == "en" else None
        secret = self.services.settings.secret_key.get_secret_value()
        tokens = custom.get("media")
        media = []
        for token in tokens[:MAX_MEDIA] if isinstance(tokens, list) else []:
            attachment = isinstance(token, str) and uploaded_attachment(secret, session_id, token)
            if not attachment:
                log.warning("web chat upload token refused for session %s", session_id)
                continue
            media.append(attachment.model_dump())
        return Metadata(
            channel=Channel.WEBCHAT,
            language=language,
            location=shared_location(custom.get("location")),
            media=media,
            sources={"webchat_session": session_id},
        )


def mount(app: FastAPI, settings: Settings) -> None:
    """Serve the web chat's socket.io endpoint at /socket.io/ inside the service."""
    public = urlsplit(settings.public_base_url)
    origins = [f"{public.scheme}://{public.netloc}", *settings.webchat_origins]
    app.mount(f"/{SOCKET_PATH}", WebChat(app, origins, settings.redis_url).asgi())
