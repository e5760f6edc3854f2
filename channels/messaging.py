"""WhatsApp and SMS through Twilio Messaging: one chat channel module for both.

`POST /channels/twilio/messaging` receives every inbound message (the number's or the
Messaging Service's "a message comes in" webhook); `POST /channels/twilio/messaging/status`
receives delivery reports.

Replies leave through Twilio's Messages API rather than as TwiML `<Message>` in the webhook's
answer: the same client and error handling as the notifications, a delivery report for every
reply, and a retried webhook that is answered with empty TwiML can never send a reply twice.
A turn's messages go out as one body (split only past the platform's limit), so they cannot
arrive out of order.

An employee's message (channels/inbox.py) keeps WhatsApp's rule: free text within 24 hours
of the resident's last message, after that the approved template that reopens the
conversation (`agent_reply.<language>` in BALAGH_TWILIO_WHATSAPP_TEMPLATES, its `{{1}}` the
employee's words). Its delivery reports reach the inbox's transcript.
"""

import asyncio
import json
import logging
from collections.abc import Mapping
from typing import Annotated, ClassVar, Final

from fastapi import FastAPI, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field
from twilio.twiml.messaging_response import MessagingResponse

from bot.api.deps import StoreDep
from bot.api.errors import ApiError
from bot.channel_directory import ChannelInfo
from bot.clock import utc_now
from bot.complaint_record import Attachment
from bot.conversations import as_delivery
from bot.notifications.providers.base import Accepted, Rejected, RetryLater
from bot.notifications.providers.twilio_messaging import TWILIO_STATES, TwilioMessaging
from bot.notifications.status_callbacks import apply_twilio_status
from bot.notifications.whatsapp_session import in_session, note_inbound
from bot.phone import InvalidPhone, normalise_phone
from bot.platforms import Platforms
from bot.twilio_signature import genuine_twilio_form
from bot.words import N_
from channels.chat_channel import Inbound, NotDelivered, Reply, WebhookChannel
from channels.dependencies import InboxDep
from channels.media import MediaRefused, check_declared_type, fetch, keep
from channels.rendering import as_plain_text, split_message
from channels.twilio_account import auth_token, public_url
from channels.twilio_webhook import TwilioForm, parse

log = logging.getLogger(__name__)

PATH: Final = "/channels/twilio/messaging"
STATUS_PATH: Final = f"{PATH}/status"
WHATSAPP: Final = ChannelInfo("whatsapp", N_("channel.whatsapp"), "chat", notify_via="whatsapp")
SMS: Final = ChannelInfo("sms", N_("channel.sms"), "sms")
LIMITS: Final = {WHATSAPP.code: 4096, SMS.code: 1600}  # characters of one message
WHATSAPP_PREFIX: Final = "whatsapp:"
MAX_MEDIA: Final = 5
TWILIO_API: Final = "https://api.twilio.com"
RETRY_WAIT_LIMIT_SECONDS: Final = 5.0
EMPTY_TWIML: Final = str(MessagingResponse())
AGENT_TEMPLATE: Final = "agent_reply"  # the WhatsApp template of an employee's message


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
    def channel(self) -> ChannelInfo:
        return WHATSAPP if self.sender.startswith(WHATSAPP_PREFIX) else SMS

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
        raise MediaRefused(N_("chat.media_failed"))
    return api_base_url.rstrip("/") + url.removeprefix(TWILIO_API)


def twilio(platforms: Platforms) -> TwilioMessaging:
    if platforms.twilio is None:
        raise ApiError(503, "not_configured", "BALAGH_TWILIO_ACCOUNT_SID is not set")
    return platforms.twilio


class TwilioMessagingChannel(WebhookChannel):
    infos: ClassVar[tuple[ChannelInfo, ...]] = (WHATSAPP, SMS)
    path: ClassVar[str] = PATH

    async def verify(self, request: Request, platforms: Platforms) -> bool:
        settings = platforms.settings
        form = await genuine_twilio_form(request, auth_token(settings), settings.public_base_url)
        return form is not None

    async def parse(self, request: Request, platforms: Platforms) -> list[Inbound]:
        client = twilio(platforms)
        form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
        message = parse(InboundMessage, form)
        channel, phone = message.channel, message.phone
        if channel is WHATSAPP and phone:
            await note_inbound(platforms.store, phone, utc_now())
        media: list[Attachment] = []
        notices: list[str] = []
        for url, declared in media_urls(form, message.num_media):
            try:
                media.append(await self.fetch_media(url, declared, client, platforms))
            except MediaRefused as refused:
                notices.append(refused.reason)
        return [
            Inbound(
                channel=channel.code,
                user=phone or message.sender,
                message_id=message.sid,
                text=message.button_payload or message.body,
                phone=phone,
                location=message.location,
                media=tuple(media),
                notices=tuple(notices),
                sources={"MessageSid": message.sid},
                reply_to=(message.sender, message.recipient),
            )
        ]

    async def fetch_media(
        self, url: str, declared_type: str, client: TwilioMessaging, platforms: Platforms
    ) -> Attachment:
        check_declared_type(declared_type)
        settings = platforms.settings
        data = await fetch(
            platforms.http,
            api_url(url, settings.twilio_api_base_url),
            settings.max_upload_bytes,
            auth=client.credentials,
        )
        return await keep(platforms.attachments, data)

    async def send(self, inbound: Inbound, reply: Reply, platforms: Platforms) -> None:
        """The reply, from the number the user wrote to, in pieces within the limit."""
        to, from_ = inbound.reply_to
        body = "\n\n".join([*reply.notices, as_plain_text(reply.shown)])
        client = twilio(platforms)
        callback = public_url(platforms.settings, STATUS_PATH)
        for piece in split_message(body, LIMITS[inbound.channel]):
            try:
                await create(client, to, from_, piece, callback)
            except RetryLater as exc:
                log.warning("reply to %s not sent: %s", inbound.message_id, exc)
                return
            except Rejected as exc:
                log.warning("reply to %s refused by Twilio: %s", inbound.message_id, exc)
                return

    async def push(self, to: Inbound, reply: Reply, platforms: Platforms) -> str | None:
        """An employee's message; past WhatsApp's 24 hours, the template that reopens the
        conversation. The id of its last piece (delivery reports name it)."""
        recipient, sender = to.reply_to
        client = twilio(platforms)
        callback = public_url(platforms.settings, STATUS_PATH)
        words = as_plain_text(reply.shown)
        outside = to.channel == WHATSAPP.code and not (
            to.phone and await in_session(platforms.store, to.phone, utc_now())
        )
        try:
            if outside:
                template = f"{AGENT_TEMPLATE}.{reply.language}"
                content_sid = platforms.settings.twilio_whatsapp_templates.get(template)
                if content_sid is None:
                    raise NotDelivered(N_("inbox.error.whatsapp_window"))
                variables = json.dumps({"1": words}, ensure_ascii=False)
                accepted = await client.create(
                    to=recipient,
                    from_=sender,
                    content_sid=content_sid,
                    content_variables=variables,
                    status_callback=callback,
                )
                return accepted.provider_message_id
            sent = [
                await create(client, recipient, sender, piece, callback)
                for piece in split_message(words, LIMITS[to.channel])
            ]
        except (RetryLater, Rejected) as exc:
            log.warning("employee's message not sent by Twilio: %s", exc)
            raise NotDelivered(N_("inbox.error.not_sent")) from exc
        return sent[-1].provider_message_id if sent else None

    def answer(self) -> Response:
        return Response(EMPTY_TWIML, media_type="application/xml")

    def mount(self, app: FastAPI) -> None:
        super().mount(app)
        app.add_api_route(
            STATUS_PATH,
            delivery_report,
            methods=["POST"],
            status_code=204,
            tags=["channels"],
            summary="Twilio: the delivery status of a message we sent",
        )


async def delivery_report(form: TwilioForm, store: StoreDep, inbox: InboxDep) -> Response:
    report = parse(DeliveryReport, form)
    if report.status in ("failed", "undelivered"):
        log.warning("Twilio could not deliver %s (error %s)", report.sid, report.error_code)
    await apply_twilio_status(store, report.sid, report.status, report.error_code)
    delivery = as_delivery(TWILIO_STATES.get(report.status))
    if delivery is not None:
        await inbox.delivered(report.sid, delivery)
    return Response(status_code=204)


async def create(
    client: TwilioMessaging, to: str, from_: str, body: str, callback: str
) -> Accepted:
    """One message; a refusal Twilio asks us to retry (429, never in doubt) is retried once
    after the wait it names, if that is short."""
    try:
        return await client.create(to=to, from_=from_, body=body, status_callback=callback)
    except RetryLater as exc:
        wait = exc.retry_after or 1.0
        if exc.in_doubt or wait > RETRY_WAIT_LIMIT_SECONDS:
            raise
        await asyncio.sleep(wait)
        return await client.create(to=to, from_=from_, body=body, status_callback=callback)
