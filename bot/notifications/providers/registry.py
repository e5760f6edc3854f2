"""Which provider carries each channel, from the settings.

With no accounts configured (the embedded default) every channel but webhooks goes to
the local outbox, so a fresh install notifies without any account.
"""

from dataclasses import dataclass, field

import httpx
from telegram import Bot

from bot.notifications.message import MessageChannel
from bot.notifications.providers.base import Provider
from bot.notifications.providers.local import LocalProvider
from bot.notifications.providers.telegram import TelegramProvider
from bot.notifications.providers.twilio_messaging import STATUS_CALLBACK_PATH, TwilioMessaging
from bot.notifications.providers.twilio_sms import TwilioSmsProvider
from bot.notifications.providers.twilio_whatsapp import TwilioWhatsAppProvider
from bot.notifications.providers.webhook import WebhookProvider
from bot.notifications.webhook_target import WebhookTargets
from bot.settings import Settings
from bot.store.base import Store


@dataclass
class Providers:
    by_channel: dict[MessageChannel, Provider]
    twilio: TwilioMessaging | None = None
    telegram: Bot | None = None
    local: LocalProvider = field(default_factory=LocalProvider)

    def for_channel(self, channel: MessageChannel) -> Provider:
        return self.by_channel.get(channel, self.local)

    async def close(self) -> None:
        if self.twilio is not None:
            await self.twilio.close()
        if self.telegram is not None:
            await self.telegram.shutdown()


def webhook_targets(settings: Settings) -> WebhookTargets:
    return WebhookTargets(
        guarded=settings.environment == "production", allowed=settings.webhook_allowed_networks
    )


def build_providers(settings: Settings, store: Store, http: httpx.AsyncClient) -> Providers:
    providers = Providers(
        by_channel={"webhook": WebhookProvider(store, http, webhook_targets(settings))}
    )
    if settings.twilio_account_sid and settings.twilio_auth_token:
        twilio = TwilioMessaging(
            settings.twilio_account_sid,
            settings.twilio_auth_token.get_secret_value(),
            api_base_url=settings.twilio_api_base_url,
            status_callback_url=settings.public_base_url.rstrip("/") + STATUS_CALLBACK_PATH,
            timeout_seconds=settings.provider_timeout_seconds,
        )
        providers.twilio = twilio
        if settings.twilio_sms_from:
            providers.by_channel["sms"] = TwilioSmsProvider(twilio, settings.twilio_sms_from)
        if settings.twilio_whatsapp_from:
            providers.by_channel["whatsapp"] = TwilioWhatsAppProvider(
                twilio, settings.twilio_whatsapp_from, settings.twilio_whatsapp_templates, store
            )
    if settings.telegram_bot_token:
        bot = Bot(
            settings.telegram_bot_token.get_secret_value(),
            base_url=settings.telegram_api_base_url.rstrip("/") + "/bot",
        )
        providers.telegram = bot
        providers.by_channel["telegram"] = TelegramProvider(bot)
    return providers
