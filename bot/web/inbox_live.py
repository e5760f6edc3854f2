"""The agent inbox's live updates: a socket.io server at `/staff/socket.io/` for staff pages.

Only a signed-in desk employee's page connects (the staff session cookie, checked when the
socket connects; pages of other sites are refused by the same-origin check). It is told only
which conversation changed (`changed`, `said`, `typing` with its opaque id): the page then
reads the list or the transcript over HTTP, where each read checks what that employee may
see. The page says `typing` `{id}` while its employee writes a reply, and the resident sees
it where their platform can show it (the web chat, Telegram).

Across service replicas (`BALAGH_REDIS_URL`) its events go through Redis, on a channel of
their own (the web chat's are on socket.io's default one): a page connected to one replica
hears what happened on any other, and the load balancer keeps each page's socket on one
replica, as it does the web chat's (deploy/haproxy.cfg).
"""

from collections.abc import Mapping
from http.cookies import SimpleCookie
from typing import Any, Final

import socketio
from fastapi import FastAPI

from bot.api.deps import SESSION_COOKIE
from bot.auth import Authenticator
from bot.conversations import Conversation
from bot.web.security import DESK
from channels.inbox import Inbox

NAMESPACE: Final = "/staff"
SOCKET_PATH: Final = "staff/socket.io"
REDIS_CHANNEL: Final = "balagh-staff"


class InboxLive:
    """What staff pages hear (channels.inbox.Live)."""

    sio: socketio.AsyncServer  # made by mount(), from the service's settings

    def __init__(self) -> None:
        # what a page's session and its employee's typing go to, from serve()
        self.auth: Authenticator | None = None
        self.inbox: Inbox | None = None

    def mount(self, app: FastAPI) -> None:
        redis_url = app.state.settings.redis_url
        # no cross-origin pages: the default same-origin check of the handshake
        self.sio = socketio.AsyncServer(
            async_mode="asgi",
            logger=False,
            client_manager=(
                socketio.AsyncRedisManager(redis_url, channel=REDIS_CHANNEL) if redis_url else None
            ),
        )
        self.sio.on("connect", self.connect, namespace=NAMESPACE)
        self.sio.on("typing", self.employee_typing, namespace=NAMESPACE)
        app.mount(f"/{SOCKET_PATH}", socketio.ASGIApp(self.sio, socketio_path=SOCKET_PATH))

    def serve(self, auth: Authenticator, inbox: Inbox) -> None:
        """Once the service has started (the routes are mounted before): connections are
        checked with `auth`, an employee's typing goes to `inbox`."""
        self.auth, self.inbox = auth, inbox

    async def connect(self, sid: str, environ: Mapping[str, Any], auth: Any = None) -> bool:
        """A desk employee's live session, else refused."""
        if self.auth is None:
            return False
        cookies = SimpleCookie(str(environ.get("HTTP_COOKIE", "")))
        token = cookies[SESSION_COOKIE].value if SESSION_COOKIE in cookies else None
        user = await self.auth.resolve(token) if token else None
        if user is None or user.role not in DESK:
            return False
        await self.sio.save_session(sid, {"username": user.username}, namespace=NAMESPACE)
        return True

    async def employee_typing(self, sid: str, data: Any) -> None:
        """`typing` `{id}`: this employee writes in that conversation (theirs, else ignored)."""
        conversation_id = data.get("id") if isinstance(data, Mapping) else None
        if self.inbox is None or not isinstance(conversation_id, str):
            return
        session = await self.sio.get_session(sid, namespace=NAMESPACE)
        await self.inbox.employee_typing(conversation_id, session["username"])

    async def changed(self, conversation: Conversation) -> None:
        await self.sio.emit("changed", {"id": conversation.id}, namespace=NAMESPACE)

    async def said(self, conversation: Conversation) -> None:
        await self.sio.emit("said", {"id": conversation.id}, namespace=NAMESPACE)

    async def typing(self, conversation: Conversation) -> None:
        await self.sio.emit("typing", {"id": conversation.id}, namespace=NAMESPACE)
