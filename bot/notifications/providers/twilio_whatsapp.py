"""WhatsApp through Twilio: free text inside the 24-hour window, a template outside it.

Templates are Twilio Content templates approved by Meta, one per event and language
(`BALAGH_TWILIO_WHATSAPP_TEMPLATES`, e.g. `{"created.ar": "HX…"}`); their variables
`{{1}}`, `{{2}}`… are the message's `template_variables` in order. With no template for
an event, a message outside the window is rejected, and the dispatcher falls back to SMS.
"""

import json

from bot.clock import utc_now
from bot.notifications.message import OutboxMessage
from bot.notifications.providers.base import Accepted, Rejected
from bot.notifications.providers.twilio_messaging import TwilioMessaging
from bot.notifications.whatsapp_session import in_session
from bot.platforms import Platforms
from bot.store.base import Store


def whatsapp_address(phone: str) -> str:
    return f"whatsapp:{phone}"


def build(platforms: Platforms) -> "TwilioWhatsAppProvider | None":
    settings = platforms.settings
    if platforms.twilio is None or not settings.twilio_whatsapp_from:
        return None
    return TwilioWhatsAppProvider(
        platforms.twilio,
        settings.twilio_whatsapp_from,
        settings.twilio_whatsapp_templates,
        platforms.store,
    )


class TwilioWhatsAppProvider:
    name = "twilio_whatsapp"
    channel = "whatsapp"

    def __init__(
        self, messaging: TwilioMessaging, sender: str, templates: dict[str, str], store: Store
    ) -> None:
        self._messaging = messaging
        self._sender = whatsapp_address(sender)
        self._templates = templates
        self._store = store

    async def send(self, message: OutboxMessage) -> Accepted:
        to = whatsapp_address(message.to)
        if await in_session(self._store, message.to, utc_now()):
            return await self._messaging.create(to=to, from_=self._sender, body=message.body)
        content_sid = self._templates.get(f"{message.event}.{message.language}")
        if content_sid is None:
            raise Rejected(
                f"outside the 24-hour window and no template for {message.event}.{message.language}"
            )
        variables = {str(n): value for n, value in enumerate(message.template_variables, 1)}
        return await self._messaging.create(
            to=to,
            from_=self._sender,
            content_sid=content_sid,
            content_variables=json.dumps(variables, ensure_ascii=False),
        )

    async def find_accepted(self, message: OutboxMessage) -> list[str]:
        """Recognised by its text, so only a free-text send is found; a template send in
        doubt is sent again (Twilio keeps the rendered template, not our variables)."""
        return await self._messaging.sids_sent(
            to=whatsapp_address(message.to),
            from_=self._sender,
            body=message.body,
            since=message.created_at,
        )
