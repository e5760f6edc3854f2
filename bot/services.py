"""The long-lived objects of one service process, built at start-up and shared by requests."""

import asyncio
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

import aiohttp
import httpx

from bot.attachments import AttachmentStorage
from bot.auth import Authenticator
from bot.catalogue import Catalogue, load_catalogue
from bot.complaints import ComplaintService
from bot.notifications.dispatcher import Dispatcher, build_dispatcher
from bot.notifications.planner import NotificationPlanner
from bot.settings import Settings
from bot.store import create_store
from bot.store.base import Store
from bot.worker import Worker
from channels.dialogue import dialogue_session
from channels.recordings import Recordings
from channels.voice.followup import follow_up_calls


@dataclass(frozen=True)
class Services:
    settings: Settings
    store: Store
    catalogue: Catalogue
    complaints: ComplaintService
    auth: Authenticator
    worker: Worker
    http: httpx.AsyncClient  # one connection pool for outbound calls (providers, recordings)
    dialogue_http: aiohttp.ClientSession  # the dialogue core's turns (channels/dialogue.py)
    attachments: AttachmentStorage
    dispatcher: Dispatcher  # delivers the notification outbox (run by the worker)

    @classmethod
    async def start(cls, settings: Settings) -> "Services":
        catalogue = await asyncio.to_thread(load_catalogue, settings.catalogue_path)
        store = create_store(settings.store_url, catalogue.municipality.timezone)
        await store.open()
        planner = NotificationPlanner(
            store,
            catalogue,
            public_base_url=settings.public_base_url,
            secret_key=settings.secret_key.get_secret_value(),
        )
        complaints = ComplaintService(store, catalogue, planner)
        http = httpx.AsyncClient(timeout=10)
        attachments = AttachmentStorage(settings.attachments_dir)
        recordings = Recordings(store, attachments, http, settings)
        dispatcher = build_dispatcher(settings, store, http)
        return cls(
            settings=settings,
            store=store,
            catalogue=catalogue,
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
                follow_ups=(partial(follow_up_calls, complaints, recordings),),
            ),
            http=http,
            dialogue_http=dialogue_session(),
            dispatcher=dispatcher,
            attachments=attachments,
        )

    async def stop(self) -> None:
        await self.dispatcher.providers.close()
        await self.dialogue_http.close()
        await self.http.aclose()
        await self.store.close()
