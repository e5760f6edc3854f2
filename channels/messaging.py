"""WhatsApp and SMS through Twilio Messaging.

`POST /channels/twilio/messaging` receives every inbound message (the number's or the
Messaging Service's "a message comes in" webhook); `POST /channels/twilio/messaging/status`
receives delivery reports.

Replies leave through Twilio's Messages API rather than as TwiML `<Message>` in the webhook's
answer: the same client and error handling as the notifications, a delivery report for every
reply, and a retried webhook that is answered with empty TwiML can never send a reply twice.
A turn's messages go out as one body (split only past the platform's limit), so they cannot
arrive out of order.
"""

import asyncio
import logging
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Annotated, Final

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field
from twilio.twiml.messaging_response import MessagingResponse

from bot.api.deps import ServicesDep
from bot.api.errors import ApiError
from bot.clock import utc_now
from bot.complaint import Attachment
from bot.notifications.providers.base import Rejected, RetryLater
from bot.notifications.providers.twilio_messaging import TwilioMessaging
from bot.notifications.replies import handle_citizen_reply
from bot.notifications.status_callbacks import apply_twilio_status
from bot.notifications.whatsapp_session import note_inbound
from bot.phone import InvalidPhone, mask_phone, normalise_phone
from bot.services import Services
from bot.types import Channel
from channels.chat import ChatTurns, shown
from channels.chat_texts import say, script_language
from channels.deps import DialogueDep
from channels.dialogue import Metadata
from channels.media import MediaRefused, check_declared_type, explain, fetch, keep
from channels.notification_answers import notification_answer
from channels.rendering import as_plain_text, split_message
from channels.twilio_account import public_url
from channels.twilio_webhook import TwilioForm, parse

log = logging.getLogger(__name__)

PATH: Final = "/channels/twilio/messaging"
STATUS_PATH: Final = f"{PATH}/status"
LIMITS: Final = {Channel.WHATSAPP: 4096, Channel.SMS: 1600}
WHATSAPP_PREFIX: Final = "whatsapp:"
MAX_MEDIA: Final = 5
TWILIO_API: Final = "https://api.twilio.com"
RETRY_WAIT_LIMIT_SECONDS: Final = 5.0
EMPTY_TWIML: Final = str(MessagingResponse())


class InboundMessage(BaseModel):
    """The parts of Twilio's inbound-message webhook we use (Twilio adds others freely)."""

    model_config = ConfigDict(extra="ignore")

    sid: Annotated[str, Field(alias="MessageSid", min_length=2, max_length=64)]
    sender: Annotated[str, Field(alias="From", min_length=1, max_length=64)]
    recipient: Annotated[str, Field(alias="To", min_length=1, max_length=64)]
    body: Annotated[str, Field(alias="Body", max_length=5000)] = ""
    num_media: Annotated[int, Field(alias="NumMedia", ge=0, le=10)] = 0
    latitude: Annotated[float | None, Field(alias="Latitude", ge=-90, le=90)] = None
    longitude: Annotated[float | None, Field(alias="Longitude", ge=-180, le=180)] = None
    address: Annotated[str | None, Field(alias="Address", max_length=300)] = None
    button_payload: Annotated[str | None, Field(alias="ButtonPayload", max_length=500)] = None

    @property
    def channel(self) -> Channel:
        return Channel.WHATSAPP if self.sender.startswith(WHATSAPP_PREFIX) else Channel.SMS

    @property
    def phone(self) -> str | None:
        """The sender's number in E.164; None for short codes and alphanumeric senders."""
        try:
            return normalise_phone(self.sender.removeprefix(WHATSAPP_PREFIX))
        except InvalidPhone:
            return None

    @property
    def location(self) -> dict[str, float | str] | None:
        if self.latitude is None or self.longitude is None:
            return None
        pin: dict[str, float | str] = {"lat": self.latitude, "lng": self.longitude}
        if self.address:
            pin["address"] = self.address
        return pin


class DeliveryReport(BaseModel):
    model_config = ConfigDict(extra="ignore")

    sid: Annotated[str, Field(alias="MessageSid", min_length=2, max_length=64)]
    status: Annotated[str, Field(alias="MessageStatus", max_length=30)]
    error_code: Annotated[str | None, Field(alias="ErrorCode", max_length=20)] = None


def media_urls(form: Mapping[str, str], count: int) -> list[tuple[str, str]]:
    """(URL, declared media type) of each attached file, at most MAX_MEDIA."""
    found = []
    for index in range(min(count, MAX_MEDIA)):
        url = form.get(f"MediaUrl{index}")
        if url:
            found.append((url, form.get(f"MediaContentType{index}", "")))
    return found


def api_url(url: str, api_base_url: str) -> str:
    """A Twilio media URL on the configured API base (a local fake Twilio in tests).

    Only Twilio's own API host is fetched: the URL comes from a signed request, but it is
    still never followed anywhere else with our credentials.
    """
    if not url.startswith(TWILIO_API + "/"):
        raise MediaRefused("media_failed")
    return api_base_url.rstrip("/") + url.removeprefix(TWILIO_API)


def twiml(body: str) -> Response:
    return Response(body, media_type="application/xml")


@dataclass(frozen=True)
class TwilioAccount:
    """The Messages API client for replies, and the credentials that fetch media."""

    messages: TwilioMessaging
    auth: tuple[str, str]
    api_base_url: str


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """One Twilio client for the replies, when an account is configured."""
    settings = app.state.services.settings
    account: TwilioAccount | None = None
    if settings.twilio_account_sid and settings.twilio_auth_token:
        token = settings.twilio_auth_token.get_secret_value()
        messages = TwilioMessaging(
            settings.twilio_account_sid,
            token,
            api_base_url=settings.twilio_api_base_url,
            status_callback_url=public_url(settings, STATUS_PATH),
            timeout_seconds=settings.provider_timeout_seconds,
        )
        account = TwilioAccount(
            messages, (settings.twilio_account_sid, token), settings.twilio_api_base_url
        )
    app.state.twilio_account = account
    try:
        yield
    finally:
        if account is not None:
            await account.messages.close()


async def get_twilio(request: Request) -> TwilioAccount:
    account: TwilioAccount | None = request.app.state.twilio_account
    if account is None:
        raise ApiError(503, "not_configured", "BALAGH_TWILIO_ACCOUNT_SID is not set")
    return account


TwilioDep = Annotated[TwilioAccount, Depends(get_twilio)]
router = APIRouter(prefix=PATH, tags=["channels"], lifespan=lifespan)


@router.post("", summary="Twilio: an inbound WhatsApp or SMS message")
async def inbound(
    form: TwilioForm, services: ServicesDep, dialogue: DialogueDep, twilio: TwilioDep
) -> Response:
    message = parse(InboundMessage, form)
    key = f"twilio:message:{message.sid}"
    claim = await services.store.claim_inbound(key, utc_now())
    if not claim.first:
        log.info("Twilio retried %s; already handled", message.sid)
        return twiml(EMPTY_TWIML)
    conversation = MessagingConversation(services, ChatTurns(services, dialogue), twilio)
    await conversation.answer(message, form)
    await services.store.complete_inbound(key, EMPTY_TWIML)
    return twiml(EMPTY_TWIML)


@router.post("/status", summary="Twilio: the delivery status of a message we sent")
async def status(form: TwilioForm, services: ServicesDep) -> Response:
    report = parse(DeliveryReport, form)
    if report.status in ("failed", "undelivered"):
        log.warning("Twilio could not deliver %s (error %s)", report.sid, report.error_code)
    await apply_twilio_status(services.store, report.sid, report.status, report.error_code)
    return Response(status_code=204)


class MessagingConversation:
    """One inbound message's way through: notification answers, media, the dialogue."""

    def __init__(self, services: Services, turns: ChatTurns, twilio: TwilioAccount) -> None:
        self.services = services
        self.turns = turns
        self.twilio = twilio

    async def answer(self, message: InboundMessage, form: Mapping[str, str]) -> None:
        channel, phone = message.channel, message.phone
        conversation_id = f"{channel.value}:{phone or message.sender}"
        now = utc_now()
        if channel is Channel.WHATSAPP and phone:
            await note_inbound(self.services.store, phone, now)
        state = await self.turns.state(conversation_id)
        language = script_language(message.body) or state.language

        if phone and message.body and not state.menu_open(now):
            body = message.body
            answered = await notification_answer(
                lambda: handle_citizen_reply(self.services.complaints, phone, body),
                language,
                mask_phone(phone),
            )
            if answered is not None:
                await self.send(message, answered)
                return

        notices: list[str] = []
        media: list[Attachment] = []
        for url, declared in media_urls(form, message.num_media):
            try:
                media.append(await self.fetch_media(url, declared))
            except MediaRefused as refused:
                max_bytes = self.services.settings.max_upload_bytes
                notices.append(explain(refused, language, max_bytes))
        text = message.button_payload or message.body
        if not (text or media or message.location):
            await self.send(message, "\n\n".join(notices) or say("message_unsupported", language))
            return
        metadata = Metadata(
            channel=channel,
            language=language,
            phone=phone,
            location=message.location,
            media=[attachment.model_dump() for attachment in media],
            message_id=message.sid,
            sources={"MessageSid": message.sid},
        )
        reply = await self.turns.take(conversation_id, text, metadata)
        await self.send(message, "\n\n".join([*notices, as_plain_text(shown(reply.messages))]))

    async def fetch_media(self, url: str, declared_type: str) -> Attachment:
        check_declared_type(declared_type)
        data = await fetch(
            self.services.http,
            api_url(url, self.twilio.api_base_url),
            self.services.settings.max_upload_bytes,
            auth=self.twilio.auth,
        )
        return await keep(self.services.attachments, data)

    async def send(self, message: InboundMessage, text: str) -> None:
        """The reply, from the number the user wrote to, in pieces within the limit."""
        for piece in split_message(text, LIMITS[message.channel]):
            try:
                await self.create(message, piece)
            except RetryLater as exc:
                log.warning("reply to %s not sent: %s", message.sid, exc)
                return
            except Rejected as exc:
                log.warning("reply to %s refused by Twilio: %s", message.sid, exc)
                return

    async def create(self, message: InboundMessage, body: str) -> None:
        """One message; a refusal Twilio asks us to retry (429, never in doubt) is retried
        once after the wait it names, if that is short."""
        try:
            await self.twilio.messages.create(to=message.sender, from_=message.recipient, body=body)
        except RetryLater as exc:
            wait = exc.retry_after or 1.0
            if exc.in_doubt or wait > RETRY_WAIT_LIMIT_SECONDS:
                raise
            await asyncio.sleep(wait)
            await self.twilio.messages.create(to=message.sender, from_=message.recipient, body=body)
