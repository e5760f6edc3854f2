"""What the service reaches beyond itself, built once per process by the composition
(bot/composition.py) and shared by the notification providers and the chat channels: the
settings, the store, the one HTTP connection pool, the attachments, and the Twilio and
Telegram clients.

Without an account configured its client is None: notifications for it go to the local
outbox, and its channel's webhook answers 503.
"""

from dataclasses import dataclass

import httpx
from telegram import Bot
from telegram.request import HTTPXRequest

from bot.attachments import AttachmentStorage
from bot.notifications.providers.twilio_messaging import STATUS_CALLBACK_PATH, TwilioMessaging
from bot.settings import Settings
from bot.store.base import Store


@dataclass(frozen=True)
class Platforms:
    settings: Settings
    store: Store
    http: httpx.AsyncClient
    attachments: AttachmentStorage
    twilio: TwilioMessaging | None
    telegram: Bot | None

    async def close(self) -> None:
        if self.twilio is not None:
            await self.twilio.close()
        if self.telegram is not None:  # never initialised (no getMe), so close its pool itself
            await self.telegram.request.shutdown()


def build_platforms(
    settings: Settings, store: Store, http: httpx.AsyncClient, attachments: AttachmentStorage
) -> Platforms:
    return Platforms(
        settings, store, http, attachments, twilio_client(settings), telegram_bot(settings)
    )


def twilio_client(settings: Settings) -> TwilioMessaging | None:
    """The Twilio Messages API of the configured account; delivery reports come back to the
    notifications' status route unless a send names another."""
    if not (settings.twilio_account_sid and settings.twilio_auth_token):
        return None
    return TwilioMessaging(
        settings.twilio_account_sid,
        settings.twilio_auth_token.get_secret_value(),
        api_base_url=settings.twilio_api_base_url,
        status_callback_url=settings.public_base_url.rstrip("/") + STATUS_CALLBACK_PATH,
        timeout_seconds=settings.provider_timeout_seconds,
    )


def telegram_bot(settings: Settings) -> Bot | None:
    """A Bot on the configured Bot API (files included); nothing is called until used."""
    if settings.telegram_bot_token is None:
        return None
    api = settings.telegram_api_base_url.rstrip("/")
    request = HTTPXRequest(read_timeout=settings.provider_timeout_seconds)
    return Bot(
        settings.telegram_bot_token.get_secret_value(),
        base_url=f"{api}/bot",
        base_file_url=f"{api}/file/bot",
        request=request,
        get_updates_request=request,  # never polled: one connection pool, closed at exit
    )
