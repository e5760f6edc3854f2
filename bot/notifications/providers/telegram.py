"""Telegram through python-telegram-bot's `Bot.send_message`.

Flood control (HTTP 429) carries `retry_after`; the next attempt waits exactly that long.
The Bot API cannot list what a bot already sent, so an attempt in doubt is sent again:
Telegram delivery is at-least-once.
"""

import re
import warnings
from datetime import timedelta

from telegram import Bot
from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError, TimedOut
from telegram.warnings import PTBDeprecationWarning

from bot.digits import to_ascii_digits
from bot.notifications.message import OutboxMessage
from bot.notifications.providers.base import Accepted, Rejected, RetryLater
from bot.notifications.providers.contact import ContactField
from bot.platforms import Platforms
from bot.words import N_


def chat_id(typed: str) -> str:
    """A chat id in any digits (Eastern Arabic accepted), negative for a group."""
    value = to_ascii_digits(typed)
    if not re.fullmatch(r"-?[0-9]{1,20}", value):
        raise ValueError("a Telegram chat id is digits only")
    return value


STAFF_CONTACT = ContactField(
    "telegram_chat_id", N_("contact.telegram_chat_id"), "telegram", chat_id
)


def build(platforms: Platforms) -> "TelegramProvider | None":
    return TelegramProvider(platforms.telegram) if platforms.telegram is not None else None


class TelegramProvider:
    name = "telegram"
    channel = "telegram"

    def __init__(self, bot: Bot) -> None:
        self._bot = bot

    async def send(self, message: OutboxMessage) -> Accepted:
        try:
            sent = await self._bot.send_message(chat_id=message.to, text=message.body)
        except RetryAfter as exc:
            raise RetryLater("Telegram flood control", retry_after=_seconds(exc)) from exc
        except TimedOut as exc:
            raise RetryLater(f"Telegram timed out: {exc}", in_doubt=True) from exc
        except BadRequest as exc:  # a NetworkError subclass, but final: bad chat id, text
            raise Rejected(f"Telegram refused: {exc}") from exc
        except NetworkError as exc:
            raise RetryLater(f"Telegram unreachable: {exc}", in_doubt=True) from exc
        except TelegramError as exc:  # Forbidden (bot blocked), invalid token, chat migrated
            raise Rejected(f"Telegram refused: {exc}") from exc
        return Accepted(f"{sent.chat.id}:{sent.message_id}", "sent")

    async def find_accepted(self, message: OutboxMessage) -> list[str]:
        return []


def _seconds(exc: RetryAfter) -> float:
    """`retry_after` is an int today and a timedelta in the next major version."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)
