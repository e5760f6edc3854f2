"""The one place a service process is put together: clients, core services, channels.

`start_services` builds everything long-lived once: the catalogue, the store, the clients of
the outside platforms (Twilio and Telegram, shared by the notification providers and the
chat channels), the complaint service with the intake rules, the notification dispatcher, and
the worker with the phone line's follow-ups and the clean-ups (recordings past their retention,
uploads no complaint took). `bot/app.py` serves it over HTTP and `bot/cli.py` runs its worker.

The core never builds what it depends on and imports no channel: what it needs of the
channels (their directory, the phone line's recordings and voicemails) is handed to it here.
"""

import asyncio
from collections.abc import Iterable
from datetime import datetime, timedelta
from functools import partial
from typing import Any

import httpx

from actions.formatting import moment
from bot.attachments import AttachmentStorage
from bot.auth import Authenticator
from bot.catalogue import load_catalogue
from bot.clock import utc_now
from bot.complaints import ComplaintService, IntakeRules
from bot.notifications.dispatcher import build_dispatcher
from bot.notifications.planner import NotificationPlanner
from bot.notifications.providers.registry import (
    PROVIDERS,
    Registration,
    provider_labels,
    staff_contacts,
)
from bot.platforms import build_platforms
from bot.retention import delete_old_recordings
from bot.services import Services
from bot.settings import Settings
from bot.store import create_store
from bot.transactions.desk import TransactionDesk
from bot.transactions.followup import FollowUps
from bot.transactions.registry import build_connectors
from bot.types import Language
from bot.upload_claims import delete_unclaimed
from bot.voicemails import GIVEN_UP_KEPT, forget_given_up
from bot.words import check_all
from bot.worker import Worker
from channels import registry
from channels.chat import Chats
from channels.chat_channel import ChatChannel
from channels.dialogue import DialogueClient, dialogue_session
from channels.inbox import Inbox, Live
from channels.recordings import Recordings
from channels.voice.followup import follow_up_calls


async def start_services(
    settings: Settings,
    channels: tuple[type[registry.Channel], ...] = registry.CHANNELS,
    providers: tuple[Registration, ...] = PROVIDERS,
) -> Services:
    """Everything long-lived, for the channels registered in `channels/registry.py` and the
    notification providers in `bot/notifications/providers/registry.py`."""
    catalogue = await asyncio.to_thread(load_catalogue, settings.catalogue_path)
    await asyncio.to_thread(check_all)  # a catalogue of words that cannot be read stops us now
    store = create_store(settings.store_url, catalogue.municipality.timezone)
    await store.open()
    directory = registry.directory(channels)
    http = httpx.AsyncClient(timeout=10)
    attachments = AttachmentStorage(settings.attachments_dir)
    platforms = build_platforms(settings, store, http, attachments)
    contacts = staff_contacts(providers)
    planner = NotificationPlanner(
        store,
        catalogue,
        directory,
        contacts,
        public_base_url=settings.public_base_url,
        secret_key=settings.secret_key.get_secret_value(),
    )
    rules = IntakeRules.from_settings(settings, directory)
    complaints = ComplaintService(store, catalogue, planner, rules=rules)
    recordings = Recordings(store, attachments, http, settings)
    dispatcher = build_dispatcher(platforms, providers)
    unclaimed_upload_lifetime = timedelta(hours=settings.unclaimed_upload_hours)
    connectors = build_connectors(catalogue, http, settings.catalogue_path)
    desk = TransactionDesk(catalogue, connectors, store, settings)

    def say_date(value: datetime, language: Language) -> str:
        return moment(value, language, catalogue.municipality.timezone)

    transaction_sms = FollowUps(
        store, desk, timedelta(hours=settings.transaction_followup_hours), say_date
    )
    return Services(
        settings=settings,
        store=store,
        catalogue=catalogue,
        channels=directory,
        staff_contacts=contacts,
        provider_labels=provider_labels(providers),
        complaints=complaints,
        auth=Authenticator(
            store,
            idle=timedelta(minutes=settings.session_idle_minutes),
            absolute=timedelta(hours=settings.session_absolute_hours),
        ),
        worker=Worker(
            complaints,
            settings.worker_interval_seconds,
            dispatcher,
            follow_ups=(
                partial(follow_up_calls, complaints, recordings),
                lambda: delete_old_recordings(
                    complaints, attachments, settings.recording_retention_days, utc_now()
                ),
                lambda: delete_unclaimed(store, attachments, utc_now() - unclaimed_upload_lifetime),
                lambda: forget_given_up(store, utc_now() - GIVEN_UP_KEPT),
                transaction_sms.run_once,
            ),
        ),
        http=http,
        dialogue_http=dialogue_session(),
        attachments=attachments,
        platforms=platforms,
        dispatcher=dispatcher,
        transactions=desk,
        transaction_sms=transaction_sms,
    )


def dialogue_client(services: Services) -> DialogueClient:
    settings = services.settings
    return DialogueClient(
        settings.rasa_url, settings.dialogue_timeout_seconds, services.dialogue_http
    )


def inbox(
    services: Services, dialogue: DialogueClient, channels: Iterable[object], live: Live
) -> Inbox:
    """The agent inbox (channels/inbox.py), writing through the mounted chat channels."""
    chat_channels: dict[str, ChatChannel[Any]] = {
        info.code: channel
        for channel in channels
        if isinstance(channel, ChatChannel)
        for info in channel.infos
    }
    return Inbox(
        services.platforms,
        dialogue,
        services.complaints,
        chat_channels,
        services.channels.medium,
        live,
    )


def chats(services: Services, dialogue: DialogueClient, agents: Inbox) -> Chats:
    """What every chat channel's messages go through (channels/chat.py)."""
    return Chats(
        services.platforms,
        dialogue,
        services.complaints,
        services.catalogue,
        services.channels,
        services.staff_contacts,
        agents,
    )
