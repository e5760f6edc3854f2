"""Logging set-up: phones and secrets masked in every record, and the request id of the turn.

Channels log caller ids and message bodies, and HTTP client libraries log the URLs they call
(python-telegram-bot's carry the bot token: `…/bot<token>/sendMessage`). Masking at the
handler, message and traceback alike, means no code path can leak a citizen's number or a
credential into the logs, whatever it formats.

A request id names one turn from the channel's webhook through the dialogue core (it rides in
the message's metadata) to the actions Rasa calls and back: every record logged meanwhile
carries it. With `BALAGH_LOG_FORMAT=json` each record is one JSON object per line.
"""

import json
import logging
import re
import secrets
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import IO, Final

from bot.digits import strip_number, to_ascii_digits
from bot.phone import mask_phone
from bot.settings import Settings

# Phone numbers as people and systems write them (Eastern Arabic digits are read as Latin
# ones), with spaces or dashes between the groups: international (+966…, 00966…, or %2B966… inside
# a logged URL), 966 then a Saudi mobile, or a local mobile (05…). References (ten digits
# starting with 1-9) stay readable: staff need them in the logs.
_SEP = r"[ \-]?"
_PHONE = re.compile(
    rf"(?:\+|%2B|(?<!\d)00){_SEP}[1-9](?:{_SEP}\d){{7,14}}"
    rf"|(?<!\d)966{_SEP}5(?:{_SEP}\d){{8}}(?!\d)"
    rf"|(?<!\d)0{_SEP}5(?:{_SEP}\d){{8}}(?!\d)",
    re.IGNORECASE,
)
# Credentials whatever their value: Telegram bot tokens, Authorization headers, and the query
# parameters that carry tokens (tracking links, API keys).
_TELEGRAM_TOKEN = re.compile(r"\b\d{6,12}:[A-Za-z0-9_-]{30,}")
_AUTHORIZATION = re.compile(r"\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+", re.IGNORECASE)
_TOKEN_PARAMETER = re.compile(r"([?&](?:t|token|api_key)=)[^&\s\"']+", re.IGNORECASE)
HIDDEN = "•••"


def _masked_phone(match: re.Match[str]) -> str:
    raw = match.group()
    digits = strip_number(raw.replace("%2B", "+").replace("%2b", "+")).lstrip("+")
    if raw.startswith(("+", "%")):
        return mask_phone("+" + digits)
    if digits.startswith("00"):
        return mask_phone("+" + digits[2:])
    return mask_phone(("+" if digits.startswith("966") else "") + digits)


# What a load balancer or another system may hand us as a request id (HAProxy: a UUID).
REQUEST_ID_HEADER: Final = "X-Request-ID"
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{8,64}$")
_current: ContextVar[str | None] = ContextVar("request_id", default=None)


def mask_phones(text: str) -> str:
    # Digits are matched on a Latin-digit twin of the text (one character for one), so the
    # rest of the line keeps its own digits.
    latin = to_ascii_digits(text)
    pieces, end = [], 0
    for match in _PHONE.finditer(latin):
        pieces += [text[end : match.start()], _masked_phone(match)]
        end = match.end()
    return "".join([*pieces, text[end:]])


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


class Masker:
    """Hides phone numbers, the configured secrets and anything shaped like a credential."""

    def __init__(self, hidden: Iterable[str] = ()) -> None:
        # Longest first, so a secret containing another is hidden whole.
        self.secrets = sorted({secret for secret in hidden if len(secret) >= 4}, key=len)[::-1]

    def __call__(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, HIDDEN)
        text = _TELEGRAM_TOKEN.sub(HIDDEN, text)
        text = _AUTHORIZATION.sub(lambda match: f"{match.group(1)} {HIDDEN}", text)
        text = _TOKEN_PARAMETER.sub(lambda match: match.group(1) + HIDDEN, text)
        return mask_phones(text)


def secrets_of(settings: Settings) -> list[str]:
    """Every credential the service holds, as it could appear in a log line."""
    values = [
        settings.secret_key,
        settings.actions_token,
        settings.twilio_auth_token,
        settings.telegram_bot_token,
        settings.telegram_secret_token,
    ]
    found = [value.get_secret_value() for value in values if value is not None]
    return [*found, *([settings.twilio_account_sid] if settings.twilio_account_sid else [])]


class MaskingFilter(logging.Filter):
    """Masks the message and any traceback before a handler writes them; adds the request id.

    `record.request_id` is the turn's, "-" when none.
    """

    def __init__(self, masker: Masker) -> None:
        super().__init__()
        self.masker = masker

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self.masker(record.getMessage())
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.masker(record.exc_text)
        if record.stack_info:
            record.stack_info = self.masker(record.stack_info)
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
        if record.exc_text:  # already masked by the filter
            entry["exception"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False)


def masking_handler(
    settings: Settings | None = None, stream: IO[str] | None = None
) -> logging.Handler:
    """A handler (to stderr, or `stream`) that masks phones and these settings' secrets,
    in the settings' log format."""
    handler = logging.StreamHandler(stream)
    if settings is not None and settings.log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s")
        )
    handler.addFilter(MaskingFilter(Masker(secrets_of(settings) if settings else ())))
    return handler


# HTTP client libraries that log every request at INFO: twilio's write six lines per API call
# (URL, headers, status), httpx one. That is debugging detail (a worker sending 5,000 SMS
# logged 16,000 lines of it), written only when the level is DEBUG.
REQUEST_DUMPING_LOGGERS: Final = ("twilio", "httpx")


def configure_logging(
    level: str, settings: Settings | None = None, stream: IO[str] | None = None
) -> None:
    logging.basicConfig(level=level, handlers=[masking_handler(settings, stream)], force=True)
    debugging = logging.getLogger().getEffectiveLevel() <= logging.DEBUG
    for name in REQUEST_DUMPING_LOGGERS:
        logging.getLogger(name).setLevel(logging.NOTSET if debugging else logging.WARNING)
