"""The one way every channel talks to the dialogue core: Rasa's REST channel.

A channel sends the user's text (or a button payload) with metadata and gets the bot's
messages back. Rasa's own timeout is not ours: every call is bounded (the chat channels by
the client's timeout, the phone by its own longer one: it holds the caller meanwhile), and
failures surface as one exception channels handle.

Every turn of every channel passes here, hundreds at once when everyone calls: they share
one aiohttp session (`Services.dialogue_http`), whose pool hands out connections at a
constant cost (httpx's looks through every queued request and every connection each time).
Here each turn is counted (by channel and outcome), and the turn's request id joins the
metadata: the actions Rasa calls log under it too. Every request names its conversation in a
header, by which a load balancer keeps a conversation on one Rasa replica
(deploy/haproxy.cfg): that replica hands out the tracker it kept in memory instead of
parsing the conversation from the shared store (nlu_components/redis_tracker_store.py).

A turn whose dialogue core went away before answering (its connection dropped, or the load
balancer's 502/503 for a replica that died or for none ready) is sent once more, to whichever
replica is there. Rasa may have saved that turn before it died, so the turn carries an id
(`turn_id`) and the second send says it is one (`resent`); the Rasa side
(nlu_components/resent_turns.py), under the conversation's lock, answers a turn it already has
with what it said then instead of taking it twice. A turn that timed out is not sent again:
its replica may still be working on it.

The custom actions say their words themselves (actions/messages.py); the few responses Rasa
utters from the domain name a words key instead (`{"say": key, "language": …, "menu": […]}`),
which is filled in here in the medium the channel gave, so they too are reworded in the
catalogues without retraining.

While an employee talks with a resident, the conversation is paused and later resumed with
Rasa's own events (`pause`, `resume`) through its HTTP API (`rasa run --enable-api`): a
paused conversation records what the resident says and answers nothing.
"""

import logging
import time
from typing import Any, Final, Literal
from urllib.parse import quote
from uuid import uuid4

import aiohttp
from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError

from bot.logs import current_request_id
from bot.metrics import TURNS
from bot.text import clean_text
from bot.types import LANGUAGES, Channel, Language
from bot.words import Medium, text

log = logging.getLogger(__name__)


class DialogueUnavailable(Exception):
    """The dialogue core did not answer in time or answered nonsense."""


class Button(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    title: str
    payload: str


class BotMessage(BaseModel):
    """One bot message as Rasa's REST channel returns it."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    text: str = ""
    buttons: tuple[Button, ...] = ()
    custom: dict[str, Any] = {}
    image: str | None = None


_MESSAGES = TypeAdapter(list[BotMessage])


class Metadata(BaseModel):
    """What a channel knows about a message; actions read it (actions/context.py)."""

    model_config = ConfigDict(extra="forbid")

    channel: Channel
    language: Language | None = None
    phone: str | None = None
    location: dict[str, Any] | None = None
    media: list[dict[str, Any]] = []
    transcript: str | None = None
    message_id: str | None = None
    sources: dict[str, str] = {}
    request_id: str | None = None
    client: str | None = None  # web chat: the client address's pseudonym (bot/intake.py)
    turn_id: str | None = None  # the same when the turn is sent again
    resent: bool | None = None  # sent again: Rasa may have taken it already


CONNECT_SECONDS: Final = 3.0  # a dialogue core that does not even accept a connection is down
CONNECTIONS: Final = 200  # turns in flight at once; more wait for a connection, within their time
# An idle connection is reused this long at most: less than the servers in front of the
# dialogue core keep one (HAProxy in deploy/, 10 s; Rasa itself, 120 s). A connection the
# server has just closed, its close not read yet by a busy process, would fail the turn.
IDLE_SECONDS = 4.0
CONVERSATION_HEADER: Final = "X-Balagh-Conversation"
# What a load balancer answers when the replica it sent a turn to gave no answer (502: closed
# the connection, killed mid-turn) or none was ready (503).
NO_REPLICA_ANSWERED: Final = frozenset({502, 503})


class _NoAnswer(Exception):
    """No dialogue core answered the turn: sending it again is safe."""


def dialogue_session() -> aiohttp.ClientSession:
    """The session every turn goes through (created inside the running event loop)."""
    connector = aiohttp.TCPConnector(limit=CONNECTIONS, keepalive_timeout=IDLE_SECONDS)
    return aiohttp.ClientSession(connector=connector)


class DialogueClient:
    def __init__(self, base_url: str, timeout_seconds: float, http: aiohttp.ClientSession) -> None:
        self.base_url = base_url.rstrip("/")
        self.url = f"{self.base_url}/webhooks/rest/webhook"
        self.timeout = timeout_seconds
        self.http = http

    async def send(
        self,
        sender_id: str,
        text: str,
        metadata: Metadata,
        medium: Medium,
        seconds: float | None = None,
    ) -> list[BotMessage]:
        """The bot's answer to one user message (its words for the channel's medium), or
        DialogueUnavailable: an error, or no answer within `seconds` (the client's timeout by
        default).

        Every channel's text passes here, so it is cleaned here (bot/text.py) once."""
        deadline = time.monotonic() + (seconds or self.timeout)
        metadata = metadata.model_copy(
            update={"request_id": current_request_id(), "turn_id": uuid4().hex}
        )
        body = {"sender": sender_id, "message": clean_text(text)}
        try:
            messages = await self._answer(sender_id, body, metadata, deadline)
        except (_NoAnswer, aiohttp.ClientError, TimeoutError, ValidationError) as exc:
            outcome = "timeout" if isinstance(exc, TimeoutError) else "unavailable"
            TURNS.labels(metadata.channel, outcome).inc()
            raise DialogueUnavailable(f"{type(exc).__name__}: {exc}") from exc
        TURNS.labels(metadata.channel, "answered").inc()
        return [with_words(message, medium) for message in messages]

    async def _answer(
        self, sender_id: str, body: dict[str, Any], metadata: Metadata, deadline: float
    ) -> list[BotMessage]:
        """The turn's answer: sent once more, said to be resent, when no core answered it."""
        try:
            return await self._post(sender_id, body, metadata, deadline)
        except _NoAnswer as lost:
            log.warning("turn %s got no answer (%s): sent again", metadata.turn_id, lost)
        resent = metadata.model_copy(update={"resent": True})
        return await self._post(sender_id, body, resent, deadline)

    async def _post(
        self, sender_id: str, body: dict[str, Any], metadata: Metadata, deadline: float
    ) -> list[BotMessage]:
        """One send of the turn, answered by `deadline`; `_NoAnswer` when no core answered."""
        seconds = deadline - time.monotonic()
        if seconds <= 0:
            raise TimeoutError("no time left to send the turn")
        body = {**body, "metadata": metadata.model_dump(mode="json", exclude_none=True)}
        # `sock_connect`, not `connect`: that one also counts the wait for a free connection
        # of the pool, and turns queued behind a slow core would be taken for a core down
        timeout = aiohttp.ClientTimeout(total=seconds, sock_connect=min(seconds, CONNECT_SECONDS))
        try:
            async with self.http.post(
                self.url, json=body, headers=conversation_header(sender_id), timeout=timeout
            ) as response:
                if response.status in NO_REPLICA_ANSWERED:
                    raise _NoAnswer(f"{response.status} {response.reason}")
                response.raise_for_status()
                return _MESSAGES.validate_json(await response.read())
        except aiohttp.ServerTimeoutError:  # a connection error, but the core may be working
            raise
        except aiohttp.ClientConnectionError as dropped:  # refused, reset, closed unanswered
            raise _NoAnswer(f"{type(dropped).__name__}: {dropped}") from dropped

    async def pause(self, sender_id: str) -> None:
        """The bot stays silent in this conversation until `resume`."""
        await self.append_event(sender_id, "pause")

    async def resume(self, sender_id: str) -> None:
        await self.append_event(sender_id, "resume")

    async def append_event(self, sender_id: str, event: Literal["pause", "resume"]) -> None:
        url = f"{self.base_url}/conversations/{quote(sender_id, safe='')}/tracker/events"
        timeout = aiohttp.ClientTimeout(total=self.timeout)
        try:
            async with self.http.post(
                url,
                params={"include_events": "NONE"},
                json={"event": event},
                headers=conversation_header(sender_id),
                timeout=timeout,
            ) as response:
                response.raise_for_status()
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise DialogueUnavailable(f"{event}: {type(exc).__name__}: {exc}") from exc


def conversation_header(sender_id: str) -> dict[str, str]:
    """The header naming the conversation (any sender id: headers carry ASCII only)."""
    return {CONVERSATION_HEADER: quote(sender_id, safe="")}


def with_words(message: BotMessage, medium: Medium) -> BotMessage:
    """A domain response that names its words (`custom.say`) with them filled in."""
    key = message.custom.get("say")
    if not isinstance(key, str):
        return message
    named = message.custom.get("language")
    language: Language = named if named in LANGUAGES else LANGUAGES[0]
    menu = message.custom.get("menu")
    buttons = tuple(
        Button(title=text(str(item["title"]), language, medium), payload=str(item["payload"]))
        for item in (menu if isinstance(menu, list) else [])
    )
    hints = {k: v for k, v in message.custom.items() if k not in ("say", "language", "menu")}
    return message.model_copy(
        update={"text": text(key, language, medium), "buttons": buttons, "custom": hints}
    )
