"""The long-lived objects of one service process, shared by requests and built once by the
composition (bot/composition.py)."""

from collections.abc import Mapping
from dataclasses import dataclass

import aiohttp
import httpx

from bot.attachments import AttachmentStorage
from bot.auth import Authenticator
from bot.catalogue import Catalogue
from bot.channel_directory import ChannelDirectory
from bot.complaints import ComplaintService
from bot.notifications.dispatcher import Dispatcher
from bot.notifications.providers.contact import StaffContacts
from bot.platforms import Platforms
from bot.settings import Settings
from bot.store.base import Store
from bot.transactions.desk import TransactionDesk
from bot.transactions.followup import FollowUps
from bot.worker import Worker


@dataclass(frozen=True)
class Services:
    settings: Settings
    store: Store
    catalogue: Catalogue
    channels: ChannelDirectory  # every channel complaints come from: names, media, contacts
    staff_contacts: StaffContacts  # the providers' contact fields: where staff are reached
    provider_labels: Mapping[str, str]  # each provider's label key by name (the outbox page)
    complaints: ComplaintService
    auth: Authenticator
    worker: Worker
    http: httpx.AsyncClient  # one connection pool for outbound calls (providers, recordings)
    dialogue_http: aiohttp.ClientSession  # the dialogue core's turns (channels/dialogue.py)
    attachments: AttachmentStorage
    platforms: Platforms  # the Twilio and Telegram clients, shared by providers and channels
    dispatcher: Dispatcher  # delivers the notification outbox (run by the worker)
    transactions: TransactionDesk  # answers residents' questions about their transactions
    transaction_sms: FollowUps  # the answers owed by SMS (sent by the worker)

    async def stop(self) -> None:
        await self.platforms.close()
        await self.dialogue_http.close()
        await self.http.aclose()
        await self.store.close()
