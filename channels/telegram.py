"""Telegram through python-telegram-bot: `POST /channels/telegram/webhook`.

Telegram calls the webhook with the secret token given to `setWebhook` in the
`X-Telegram-Bot-Api-Secret-Token` header; anything else gets 403. The webhook is set once,
by `balagh telegram set-webhook`, never per message or at start-up.

Private chats only (a report is personal). A digit answering a notification's question
("is it fixed? 1 / 2", the 1–5 rating; Eastern Arabic digits too) is handled without the
dialogue, matched by this chat id. Text, inline-keyboard taps, a shared location,
a shared contact (only the sender's own number counts as their phone), photos and voice
messages; replies carry the bot's buttons as an inline keyboard. The Bot API base URL is a
setting, so tests point python-telegram-bot at a local fake Bot API.
"""

import asyncio
import hmac
import logging
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any, Final, TypeVar

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import Response
from telegram import (
    Bot,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
    User,
)
from telegram.error import RetryAfter, TelegramError
from telegram.request import HTTPXRequest
from telegram.warnings import PTBDeprecationWarning

from bot.api.deps import ServicesDep
from bot.api.errors import ApiError
from bot.clock import utc_now
from bot.complaint import Attachment
from bot.notifications.replies import handle_telegram_reply
from bot.phone import InvalidPhone, normalise_phone
from bot.services import Services
from bot.settings import Settings
from bot.types import Channel, Language
from channels.chat import ChatTurns, shown
from channels.chat_texts import say, script_language
from channels.deps import DialogueDep
from channels.dialogue import BotMessage, Button, Metadata
from channels.media import MediaRefused, check_size, explain, keep
from channels.notification_answers import notification_answer
from channels.rendering import split_message

log = logging.getLogger(__name__)

PATH: Final = "/channels/telegram/webhook"
SECRET_HEADER: Final = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name
ALLOWED_UPDATES: Final = ("message", "callback_query")
TEXT_LIMIT: Final = 4096  # characters of one message (Bot API sendMessage)
CALLBACK_DATA_LIMIT: Final = 64  # bytes of an inline button's callback_data
INDEX_PREFIX: Final = "#"  # callback_data "#2": the second option of the last menu shown
START_PAYLOAD: Final = "/greet"  # what Telegram's /start means to the dialogue
MAX_RETRY_WAIT_SECONDS: Final = 10.0
RETRIES: Final = 2
Result = TypeVar("Result")


def telegram_bot(settings: Settings) -> Bot:
    """A Bot on the configured Bot API (files included); nothing is called until used."""
    if settings.telegram_bot_token is None:
        raise ValueError("BALAGH_TELEGRAM_BOT_TOKEN is not set")
    api = settings.telegram_api_base_url.rstrip("/")
    request = HTTPXRequest(read_timeout=settings.provider_timeout_seconds)
    return Bot(
        settings.telegram_bot_token.get_secret_value(),
        base_url=f"{api}/bot",
        base_file_url=f"{api}/file/bot",
        request=request,
        get_updates_request=request,  # never polled: one connection pool, closed at exit
    )


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
    async with telegram_bot(settings) as bot:
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


def selected_payload(data: str, buttons: tuple[Button, ...]) -> str | None:
    """The payload an inline button stands for; None for an option of an older menu."""
    if not data.startswith(INDEX_PREFIX):
        return data
    number = data.removeprefix(INDEX_PREFIX)
    if number.isdigit() and 1 <= int(number) <= len(buttons):
        return buttons[int(number) - 1].payload
    return None


@dataclass(frozen=True)
class Incoming:
    """What a Telegram update says, in the dialogue's terms."""

    text: str
    language: Language | None = None
    phone: str | None = None
    location: dict[str, Any] | None = None
    media: tuple[Attachment, ...] = ()


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """One Bot for the webhook's replies, when a bot token is configured."""
    settings = app.state.services.settings
    bot = telegram_bot(settings) if settings.telegram_bot_token else None
    app.state.telegram_bot = bot
    try:
        yield
    finally:
        if bot is not None:
            await bot.request.shutdown()


async def get_bot(request: Request) -> Bot:
    bot: Bot | None = request.app.state.telegram_bot
    if bot is None:
        raise ApiError(503, "not_configured", "BALAGH_TELEGRAM_BOT_TOKEN is not set")
    return bot


async def check_secret(request: Request, services: ServicesDep) -> None:
    """403 unless the header carries our secret token (compared in constant time)."""
    secret = services.settings.telegram_secret_token
    sent = request.headers.get(SECRET_HEADER, "")
    if secret is None or not hmac.compare_digest(sent.encode(), secret.get_secret_value().encode()):
        log.warning("refused a Telegram webhook without our secret token")
        raise ApiError(403, "forbidden", "the request does not carry the webhook's secret token")


BotDep = Annotated[Bot, Depends(get_bot)]
router = APIRouter(tags=["channels"], lifespan=lifespan)


@router.post(PATH, summary="Telegram: one update", dependencies=[Depends(check_secret)])
async def webhook(
    request: Request, services: ServicesDep, dialogue: DialogueDep, bot: BotDep
) -> Response:
    try:
        data = await request.json()
        update = Update.de_json(data, bot) if isinstance(data, dict) else None
    except (ValueError, KeyError, TypeError):
        update = None
    if update is None:
        raise ApiError(422, "invalid_request", "the body is not a Telegram update")
    key = f"telegram:update:{update.update_id}"
    claim = await services.store.claim_inbound(key, utc_now())
    if claim.first:
        await TelegramConversation(services, ChatTurns(services, dialogue), bot).answer(update)
        await services.store.complete_inbound(key, "answered")
    else:
        log.info("Telegram retried update %s; already handled", update.update_id)
    return Response(status_code=200)


class TelegramConversation:
    """One update's way through: read it, ask the dialogue, answer in the chat."""

    def __init__(self, services: Services, turns: ChatTurns, bot: Bot) -> None:
        self.services = services
        self.turns = turns
        self.bot = bot

    async def answer(self, update: Update) -> None:
        if update.callback_query is not None:
            await self.tapped(update, update.callback_query)
        elif update.message is not None and update.message.chat.type == "private":
            await self.wrote(update, update.message)

    async def tapped(self, update: Update, query: CallbackQuery) -> None:
        chat = query.message.chat if query.message is not None else None
        if chat is None or chat.type != "private" or not query.data:
            await self.send(lambda: self.bot.answer_callback_query(query.id))
            return
        conversation_id = f"telegram:{chat.id}"
        state = await self.turns.state(conversation_id)
        payload = selected_payload(query.data, state.buttons)
        notice = None if payload else say("menu_expired", state.language)
        await self.send(lambda: self.bot.answer_callback_query(query.id, text=notice))
        if payload:
            await self.converse(update, chat.id, Incoming(text=payload))

    async def wrote(self, update: Update, message: Message) -> None:
        conversation_id = f"telegram:{message.chat.id}"
        state = await self.turns.state(conversation_id)
        language = script_language(message.text or message.caption or "") or state.language
        try:
            incoming = await self.read(message)
        except MediaRefused as refused:
            max_bytes = self.services.settings.max_upload_bytes
            await self.say(message.chat.id, explain(refused, language, max_bytes))
            return
        if incoming is None:
            await self.say(message.chat.id, say("message_unsupported", language))
            return
        if not (state.menu_open(utc_now()) or incoming.media or incoming.location):
            chat_id = str(message.chat.id)
            answered = await notification_answer(
                lambda: handle_telegram_reply(self.services.complaints, chat_id, incoming.text),
                language,
                f"telegram:{chat_id}",
            )
            if answered is not None:
                if answered:
                    await self.say(message.chat.id, answered)
                return
        if incoming.text or incoming.media or incoming.location:
            await self.converse(update, message.chat.id, incoming)
        else:
            await self.say(message.chat.id, say("contact_not_yours", language))

    async def read(self, message: Message) -> Incoming | None:
        """The message in the dialogue's terms; None for kinds we do not read."""
        sender = message.from_user
        if message.text:
            if message.text.partition(" ")[0].partition("@")[0] == "/start":
                return Incoming(START_PAYLOAD, language=app_language(sender))
            return Incoming(message.text)
        if message.location is not None:
            pin: dict[str, Any] = {
                "lat": message.location.latitude,
                "lng": message.location.longitude,
            }
            if message.venue is not None:
                pin["address"] = message.venue.address[:300]
            return Incoming(message.caption or "", location=pin)
        if message.contact is not None:
            own = sender is not None and message.contact.user_id == sender.id
            phone = own_phone(message.contact.phone_number) if own else None
            return Incoming(phone or "", phone=phone)
        if message.photo:
            return Incoming(message.caption or "", media=(await self.photo(message),))
        if message.voice is not None:
            media = await self.download(message.voice.file_id, message.voice.file_size)
            return Incoming(message.caption or "", media=(media,))
        return None

    async def photo(self, message: Message) -> Attachment:
        """The largest size of the photo that fits the upload limit."""
        limit = self.services.settings.max_upload_bytes
        fitting = [size for size in message.photo if (size.file_size or 0) <= limit]
        if not fitting:
            raise MediaRefused("media_too_large")
        best = max(fitting, key=lambda size: size.width * size.height)
        return await self.download(best.file_id, best.file_size)

    async def download(self, file_id: str, declared_size: int | None) -> Attachment:
        limit = self.services.settings.max_upload_bytes
        check_size(declared_size, limit)
        try:
            file = await honouring_flood_control(lambda: self.bot.get_file(file_id))
            check_size(file.file_size, limit)
            data = bytes(await file.download_as_bytearray())
        except TelegramError as exc:
            log.warning("Telegram file not fetched: %s", exc)
            raise MediaRefused("media_failed") from None
        check_size(len(data), limit)
        return await keep(self.services.attachments, data)

    async def converse(self, update: Update, chat_id: int, incoming: Incoming) -> None:
        conversation_id = f"telegram:{chat_id}"
        metadata = Metadata(
            channel=Channel.TELEGRAM,
            language=incoming.language,
            phone=incoming.phone,
            location=incoming.location,
            media=[attachment.model_dump() for attachment in incoming.media],
            message_id=str(update.update_id),
            sources={"update_id": str(update.update_id), "telegram_chat_id": str(chat_id)},
        )
        reply = await self.turns.take(conversation_id, incoming.text, metadata)
        for message in shown(reply.messages):
            await self.show(chat_id, message)

    async def show(self, chat_id: int, message: BotMessage) -> None:
        """Text in pieces within the limit, the keyboard on the last piece, then any image."""
        pieces = split_message(message.text, TEXT_LIMIT) or (["•"] if message.buttons else [])
        for number, piece in enumerate(pieces, 1):
            markup = keyboard(message.buttons) if number == len(pieces) else None
            await self.say(chat_id, piece, markup)
        if message.image:
            image = message.image
            await self.send(lambda: self.bot.send_photo(chat_id, photo=image))

    async def say(
        self, chat_id: int, text: str, markup: InlineKeyboardMarkup | None = None
    ) -> None:
        await self.send(lambda: self.bot.send_message(chat_id, text, reply_markup=markup))

    async def send(self, call: Callable[[], Awaitable[object]]) -> None:
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
