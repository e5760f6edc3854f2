"""Telegram through python-telegram-bot: `POST /channels/telegram/webhook`.

Telegram calls the webhook with the secret token given to `setWebhook` in the
`X-Telegram-Bot-Api-Secret-Token` header; anything else gets 403. The webhook is set once,
by `balagh telegram set-webhook`, never per message or at start-up.

Private chats only (a report is personal). Text, inline-keyboard taps, a shared location,
a shared contact (only the sender's own number counts as their phone), photos and voice
messages; replies carry the bot's buttons as an inline keyboard. Notifications reach the
citizen in this chat, so a digit answering their question is matched by the chat id
(channels/chat.py). The Bot API base URL is a setting, so tests point python-telegram-bot at
a local fake Bot API.
"""

import asyncio
import hmac
import logging
import warnings
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, ClassVar, Final, TypeVar

from fastapi import Request
from telegram import (
    Bot,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
    User,
)
from telegram.constants import ChatAction
from telegram.error import RetryAfter, TelegramError
from telegram.warnings import PTBDeprecationWarning

from bot.api.errors import ApiError
from bot.channel_directory import ChannelInfo
from bot.complaint_record import Attachment
from bot.phone import InvalidPhone, normalise_phone
from bot.platforms import Platforms, telegram_bot
from bot.settings import Settings
from bot.types import Language
from bot.words import N_
from channels.chat_channel import Inbound, Reply, WebhookChannel
from channels.dialogue import BotMessage, Button
from channels.media import MediaRefused, check_size, keep
from channels.rendering import split_message

log = logging.getLogger(__name__)

PATH: Final = "/channels/telegram/webhook"
SECRET_HEADER: Final = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name
CHAT_SOURCE: Final = "telegram_chat_id"  # the complaint source holding the citizen's chat
TELEGRAM: Final = ChannelInfo(
    "telegram", N_("channel.telegram"), "chat", notify_via="telegram", contact_source=CHAT_SOURCE
)
ALLOWED_UPDATES: Final = ("message", "callback_query")
TEXT_LIMIT: Final = 4096  # characters of one message (Bot API sendMessage)
CALLBACK_DATA_LIMIT: Final = 64  # bytes of an inline button's callback_data
INDEX_PREFIX: Final = "#"  # callback_data "#2": the second option of the last menu shown
START_PAYLOAD: Final = "/greet"  # what Telegram's /start means to the dialogue
MAX_RETRY_WAIT_SECONDS: Final = 10.0
RETRIES: Final = 2
Result = TypeVar("Result")


def retry_after_seconds(exc: RetryAfter) -> float:
    """`retry_after` is an int today and a timedelta in the next major version."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


async def honouring_flood_control(call: Callable[[], Awaitable[Result]]) -> Result:
    """Run a Bot API call; on 429 wait exactly `retry_after` (when short) and try again."""
    attempts = 0
    while True:
        try:
            return await call()
        except RetryAfter as exc:
            wait = retry_after_seconds(exc)
            attempts += 1
            if attempts > RETRIES or wait > MAX_RETRY_WAIT_SECONDS:
                raise
            log.info("Telegram flood control: waiting %.1f s", wait)
            await asyncio.sleep(wait)


async def set_webhook(settings: Settings) -> str:
    """Register this service's webhook with Telegram (once, from the command line)."""
    secret = settings.telegram_secret_token
    if secret is None:
        raise ValueError("BALAGH_TELEGRAM_SECRET_TOKEN is not set")
    url = settings.public_base_url.rstrip("/") + PATH
    if not url.startswith("https://"):
        raise ValueError(f"Telegram only calls https addresses; BALAGH_PUBLIC_BASE_URL is {url}")
    bot = telegram_bot(settings)
    if bot is None:
        raise ValueError("BALAGH_TELEGRAM_BOT_TOKEN is not set")
    async with bot:
        await bot.set_webhook(
            url, secret_token=secret.get_secret_value(), allowed_updates=list(ALLOWED_UPDATES)
        )
    return url


def callback_data(button: Button, index: int) -> str:
    """The payload itself when it fits Telegram's 64 bytes, else the option's number."""
    if len(button.payload.encode()) <= CALLBACK_DATA_LIMIT:
        return button.payload
    return f"{INDEX_PREFIX}{index}"


def keyboard(buttons: tuple[Button, ...]) -> InlineKeyboardMarkup | None:
    """One option per row: Arabic titles are long and read best full width."""
    if not buttons:
        return None
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(button.title, callback_data=callback_data(button, index))]
            for index, button in enumerate(buttons, 1)
        ]
    )


def bot(platforms: Platforms) -> Bot:
    if platforms.telegram is None:
        raise ApiError(503, "not_configured", "BALAGH_TELEGRAM_BOT_TOKEN is not set")
    return platforms.telegram


class TelegramChannel(WebhookChannel):
    infos: ClassVar[tuple[ChannelInfo, ...]] = (TELEGRAM,)
    path: ClassVar[str] = PATH

    async def verify(self, request: Request, platforms: Platforms) -> bool:
        """The secret token given to setWebhook, compared in constant time."""
        secret = platforms.settings.telegram_secret_token
        sent = request.headers.get(SECRET_HEADER, "").encode()
        if secret is None or not hmac.compare_digest(sent, secret.get_secret_value().encode()):
            log.warning("refused a Telegram webhook without our secret token")
            return False
        return True

    async def parse(self, request: Request, platforms: Platforms) -> list[Inbound]:
        telegram = bot(platforms)
        try:
            data = await request.json()
            update = Update.de_json(data, telegram) if isinstance(data, dict) else None
        except (ValueError, KeyError, TypeError):
            update = None
        if update is None:
            raise ApiError(422, "invalid_request", "the body is not a Telegram update")
        if update.callback_query is not None:
            return await self.tapped(update, update.callback_query, telegram)
        message = update.message
        if message is None or message.chat.type != "private":
            return []
        return [await self.wrote(update, message, telegram, platforms)]

    async def tapped(self, update: Update, query: CallbackQuery, telegram: Bot) -> list[Inbound]:
        """An inline-keyboard tap: its payload, or the number of an option of the last menu."""
        chat = query.message.chat if query.message is not None else None
        if chat is None or chat.type != "private" or not query.data:
            await send(lambda: telegram.answer_callback_query(query.id))
            return []
        chat_fields = self.chat(update, chat.id)
        if query.data.startswith(INDEX_PREFIX):  # an option too long for callback_data
            number = query.data.removeprefix(INDEX_PREFIX)
            option = int(number) if number.isdigit() else 0  # 0: no option of any menu
            return [Inbound(**chat_fields, option=option, reply_to=query.id)]
        return [Inbound(**chat_fields, text=query.data, reply_to=query.id)]

    async def wrote(
        self, update: Update, message: Message, telegram: Bot, platforms: Platforms
    ) -> Inbound:
        chat = self.chat(update, message.chat.id)
        sender = message.from_user
        if message.text:
            if message.text.partition(" ")[0].partition("@")[0] == "/start":
                return Inbound(**chat, text=START_PAYLOAD, language=app_language(sender))
            return Inbound(**chat, text=message.text)
        caption = message.caption or ""
        if message.location is not None:
            pin: dict[str, Any] = {
                "lat": message.location.latitude,
                "lng": message.location.longitude,
            }
            if message.venue is not None:
                pin["address"] = message.venue.address[:300]
            return Inbound(**chat, text=caption, location=pin)
        if message.contact is not None:
            own = sender is not None and message.contact.user_id == sender.id
            phone = own_phone(message.contact.phone_number) if own else None
            if phone is None:
                return Inbound(**chat, notices=(N_("chat.contact_not_yours"),))
            return Inbound(**chat, text=phone, phone=phone)
        try:
            if message.photo:
                media = await photo(message, telegram, platforms)
            elif message.voice is not None:
                voice = message.voice
                media = await download(voice.file_id, voice.file_size, telegram, platforms)
            else:
                return Inbound(**chat)  # a sticker, a poll…: nothing we read
        except MediaRefused as refused:
            return Inbound(**chat, text=caption, notices=(refused.reason,))
        return Inbound(**chat, text=caption, media=(media,))

    @staticmethod
    def chat(update: Update, chat_id: int) -> dict[str, Any]:
        """What every message of one update in one chat shares."""
        return {
            "channel": TELEGRAM.code,
            "user": str(chat_id),
            "message_id": str(update.update_id),
            "sources": {"update_id": str(update.update_id), CHAT_SOURCE: str(chat_id)},
        }

    def reach(self, inbound: Inbound) -> Any:
        """The chat id (the user) is enough; a tap's query id answers only that tap."""
        return None

    async def typing(self, to: Inbound, platforms: Platforms) -> None:
        """Telegram's own "typing…" in the chat (it lasts a few seconds)."""
        telegram = bot(platforms)
        await send(lambda: telegram.send_chat_action(int(to.user), ChatAction.TYPING))

    async def send(self, inbound: Inbound, reply: Reply, platforms: Platforms) -> None:
        """A tap is answered first (with the notice when it was an old menu's); then the
        notices and the dialogue's messages, each text within the limit, the keyboard on the
        last piece, then any image."""
        telegram = bot(platforms)
        chat_id = int(inbound.user)
        notices = list(reply.notices)
        if inbound.reply_to is not None:
            alert = " ".join(notices) if not reply.messages else None
            await send(lambda: telegram.answer_callback_query(inbound.reply_to, text=alert))
            notices = [] if alert else notices
        for notice in notices:
            await say(telegram, chat_id, notice)
        for message in reply.shown:
            await show(telegram, chat_id, message)


async def photo(message: Message, telegram: Bot, platforms: Platforms) -> Attachment:
    """The largest size of the photo that fits the upload limit."""
    limit = platforms.settings.max_upload_bytes
    fitting = [size for size in message.photo if (size.file_size or 0) <= limit]
    if not fitting:
        raise MediaRefused(N_("chat.media_too_large"))
    best = max(fitting, key=lambda size: size.width * size.height)
    return await download(best.file_id, best.file_size, telegram, platforms)


async def download(
    file_id: str, declared_size: int | None, telegram: Bot, platforms: Platforms
) -> Attachment:
    limit = platforms.settings.max_upload_bytes
    check_size(declared_size, limit)
    try:
        file = await honouring_flood_control(lambda: telegram.get_file(file_id))
        check_size(file.file_size, limit)
        data = bytes(await file.download_as_bytearray())
    except TelegramError as exc:
        log.warning("Telegram file not fetched: %s", exc)
        raise MediaRefused(N_("chat.media_failed")) from None
    check_size(len(data), limit)
    return await keep(platforms.attachments, data)


async def show(telegram: Bot, chat_id: int, message: BotMessage) -> None:
    """Text in pieces within the limit, the keyboard on the last piece, then any image."""
    pieces = split_message(message.text, TEXT_LIMIT) or (["•"] if message.buttons else [])
    for number, piece in enumerate(pieces, 1):
        markup = keyboard(message.buttons) if number == len(pieces) else None
        await say(telegram, chat_id, piece, markup)
    if message.image:
        image = message.image
        await send(lambda: telegram.send_photo(chat_id, photo=image))


async def say(
    telegram: Bot, chat_id: int, words: str, markup: InlineKeyboardMarkup | None = None
) -> None:
    await send(lambda: telegram.send_message(chat_id, words, reply_markup=markup))


async def send(call: Callable[[], Awaitable[object]]) -> None:
    """A reply that cannot be sent is logged; the update stays answered (no retry)."""
    try:
        await honouring_flood_control(call)
    except TelegramError as exc:
        log.warning("Telegram reply not sent: %s", exc)


def app_language(user: User | None) -> Language | None:
    """The language of the user's Telegram app ("ar", "en-GB"…), when it is one of ours."""
    code = (user.language_code or "")[:2] if user else ""
    return "ar" if code == "ar" else "en" if code == "en" else None


def own_phone(raw: str) -> str | None:
    """A contact's number in E.164 (Telegram sends it with or without the plus)."""
    try:
        return normalise_phone(raw if raw.startswith("+") else f"+{raw}")
    except InvalidPhone:
        return None
