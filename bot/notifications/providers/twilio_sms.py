"""SMS through Twilio: the channel every citizen with a phone number can receive."""

from bot.notifications.message import OutboxMessage
from bot.notifications.providers.base import Accepted
from bot.notifications.providers.contact import ContactField
from bot.notifications.providers.twilio_messaging import TwilioMessaging
from bot.phone import normalise_phone
from bot.platforms import Platforms
from bot.words import N_

# A staff member's mobile, typed in any digits, local (05…) or international, kept in E.164.
STAFF_CONTACT = ContactField(
    "phone", N_("contact.phone"), "sms", normalise_phone, input_type="tel", example="+9665…"
)


def build(platforms: Platforms) -> "TwilioSmsProvider | None":
    sender = platforms.settings.twilio_sms_from
    if platforms.twilio is None or not sender:
        return None
    return TwilioSmsProvider(platforms.twilio, sender)


class TwilioSmsProvider:
    name = "twilio_sms"
    channel = "sms"

    def __init__(self, messaging: TwilioMessaging, sender: str) -> None:
        self._messaging = messaging
        self._sender = sender

    async def send(self, message: OutboxMessage) -> Accepted:
        return await self._messaging.create(to=message.to, from_=self._sender, body=message.body)

    async def find_accepted(self, message: OutboxMessage) -> list[str]:
        return await self._messaging.sids_sent(
            to=message.to, from_=self._sender, body=message.body, since=message.created_at
        )
