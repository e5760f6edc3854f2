"""The long-lived objects of one service process, built at start-up and shared by requests."""

import asyncio
from dataclasses import dataclass
from datetime import timedelta

import httpx

from bot.auth import Authenticator
from bot.catalogue import Catalogue, load_catalogue
from bot.complaints import ComplaintService
from bot.settings import Settings
from bot.store import create_store
from bot.store.base import Store
from bot.worker import Worker


@dataclass(frozen=True)
class Services:
    settings: Settings
    store: Store
    catalogue: Catalogue
    complaints: ComplaintService
    auth: Authenticator
    worker: Worker
    http: httpx.AsyncClient  # one connection pool for every outbound call (Rasa, providers)

    @classmethod
    async def start(cls, settings: Settings) -> "Services":
        catalogue = await asyncio.to_thread(load_catalogue, settings.catalogue_path)
        store = create_store(settings.store_url)
        await store.open()
        complaints = ComplaintService(store, catalogue)
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
            worker=Worker(complaints, settings.worker_interval_seconds),
            http=httpx.AsyncClient(timeout=10),
        )

    async def stop(self) -> None:
        await self.http.aclose()
        await self.store.close()
