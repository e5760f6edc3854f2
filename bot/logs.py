"""Logging set-up: phone numbers masked in every record, and the request id of the turn.

Channels log caller ids and message bodies; masking at the handler means no code path
can leak a citizen's number into the logs, whatever it formats.

A request id names one turn from the channel's webhook through the dialogue core (it rides in
the message's metadata) to the actions Rasa calls and back: every record logged meanwhile
carries it. With `BALAGH_LOG_FORMAT=json` each record is one JSON object per line.
"""

import json
import logging
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Final

from bot.phone import mask_phone

# International (+966…, or %2B966… inside a logged URL) or Saudi local mobile (05…) numbers;
# references (10 digits starting with 1-9, no plus) stay readable: staff need them in the logs.
_PHONE = re.compile(r"(?:\+|%2B)\d{8,15}|(?<!\d)05\d{8}(?!\d)")
# What a load balancer or another system may hand us as a request id (HAProxy: a UUID).
REQUEST_ID_HEADER: Final = "X-Request-ID"
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{8,64}$")
_current: ContextVar[str | None] = ContextVar("request_id", default=None)


def mask_phones(text: str) -> str:
    return _PHONE.sub(lambda match: mask_phone(match.group()), text)


def new_request_id() -> str:
    return secrets.token_hex(8)


def valid_request_id(value: object) -> str | None:
    """An id from outside, if it is shaped like one (it is logged and sent on)."""
    return value if isinstance(value, str) and _REQUEST_ID.match(value) else None


def current_request_id() -> str | None:
    return _current.get()


@contextmanager
def request_id(value: str) -> Iterator[str]:
    """Everything logged inside (in this task and tasks it starts) carries `value`."""
    token = _current.set(value)
    try:
        yield value
    finally:
        _current.reset(token)


class PhoneMaskingFilter(logging.Filter):
    """Masks phone numbers and adds the request id (`record.request_id`, "-" when none)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = mask_phones(record.getMessage())
        record.args = None
        record.request_id = _current.get() or "-"
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
        }
        if record.exc_info:
            entry["exception"] = mask_phones(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(level: str, log_format: str = "text") -> None:
    handler = logging.StreamHandler()
    if log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s")
        )
    handler.addFilter(PhoneMaskingFilter())
    logging.basicConfig(level=level, handlers=[handler], force=True)
