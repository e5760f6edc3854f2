"""Local stand-ins for Twilio's Messages API, Telegram's Bot API and a webhook receiver.

Each is a small ASGI app served over real HTTP (tests/servers.py) that records what it
received and can be told to fail the next requests, so the real twilio-python,
python-telegram-bot and httpx code paths run against it.
"""

import asyncio
import email.utils
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

MESSAGES_PATH = "/2010-04-01/Accounts/{account}/Messages.json"


@dataclass
class FakeTwilio:
    """`failures`: status codes for the next create requests (then 201s).
    `delay`: seconds between recording a message and answering (a slow provider)."""

    failures: list[int] = field(default_factory=list)
    delay: float = 0.0
    refuse_whatsapp: bool = False
    accepted: list[dict[str, Any]] = field(default_factory=list)
    create_requests: int = 0
    list_requests: int = 0

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route(MESSAGES_PATH, self._create, methods=["POST"]),
                Route(MESSAGES_PATH, self._list, methods=["GET"]),
            ]
        )

    def sent_counts(self) -> Counter[tuple[str, str]]:
        """How many times each (recipient, text or template) was accepted."""
        return Counter(
            (message["to"], message["body"] or message["content_sid"]) for message in self.accepted
        )

    async def _create(self, request: Request) -> Response:
        self.create_requests += 1
        form = await request.form()
        if self.failures:
            status = self.failures.pop(0)
            return _twilio_error(status, "simulated failure")
        to = str(form["To"])
        if self.refuse_whatsapp and to.startswith("whatsapp:"):
            return _twilio_error(400, "Twilio could not find a Channel with the To address")
        message = {
            "sid": f"SM{uuid4().hex}",
            "status": "queued",
            "to": to,
            "from": str(form["From"]),
            "body": form.get("Body"),
            "content_sid": form.get("ContentSid"),
            "content_variables": form.get("ContentVariables"),
            "status_callback": form.get("StatusCallback"),
            "date_created": email.utils.format_datetime(datetime.now(UTC)),
        }
        self.accepted.append(message)
        await asyncio.sleep(self.delay)
        return JSONResponse(message, status_code=201)

    async def _list(self, request: Request) -> Response:
        self.list_requests += 1
        to, sender = request.query_params.get("To"), request.query_params.get("From")
        found = [
            message
            for message in reversed(self.accepted)
            if (to is None or message["to"] == to) and (sender is None or message["from"] == sender)
        ]
        return JSONResponse({"messages": found, "next_page_uri": None, "page": 0, "page_size": 50})


def _twilio_error(status: int, message: str) -> Response:
    return JSONResponse(
        {"code": 20000 + status, "message": message, "more_info": "", "status": status},
        status_code=status,
    )


@dataclass
class FakeTelegram:
    """`flood`: how many next sendMessage calls answer 429 with `retry_after` seconds."""

    flood: int = 0
    retry_after: int = 1
    sent: list[dict[str, Any]] = field(default_factory=list)
    attempts_at: list[float] = field(default_factory=list)

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/bot{token}/sendMessage", self._send, methods=["POST"])])

    async def _send(self, request: Request) -> Response:
        self.attempts_at.append(asyncio.get_running_loop().time())
        body = {key: str(value) for key, value in (await request.form()).items()}
        if self.flood:
            self.flood -= 1
            return JSONResponse(
                {
                    "ok": False,
                    "error_code": 429,
                    "description": f"Too Many Requests: retry after {self.retry_after}",
                    "parameters": {"retry_after": self.retry_after},
                },
                status_code=429,
            )
        self.sent.append(body)
        chat = {"id": int(body["chat_id"]), "type": "private"}
        result = {"message_id": len(self.sent), "date": 0, "chat": chat, "text": body["text"]}
        return JSONResponse({"ok": True, "result": result})


@dataclass
class WebhookReceiver:
    """Records every delivery; `failures`: status codes for the next deliveries."""

    failures: list[int] = field(default_factory=list)
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/hook", self._receive, methods=["POST"])])

    async def _receive(self, request: Request) -> Response:
        if self.failures:
            return Response(status_code=self.failures.pop(0))
        self.received.append((dict(request.headers), await request.body()))
        return Response(status_code=204)
