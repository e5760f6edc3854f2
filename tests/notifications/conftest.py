"""Shared pieces: outbox messages, settings pointing at fakes."""

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.attachments import AttachmentStorage
from bot.catalogue import Catalogue
from bot.clock import utc_now
from bot.complaint_record import Complaint
from bot.complaints import CITIZEN, ComplaintService, NewComplaint
from bot.notifications.dispatcher import Dispatcher, build_dispatcher
from bot.notifications.message import IN_FLIGHT, MessageFilter, OutboxMessage
from bot.notifications.planner import NotificationPlanner
from bot.notifications.providers.registry import staff_contacts
from bot.platforms import Platforms, build_platforms
from bot.settings import Settings
from bot.store.base import MAX_PAGE_SIZE, Store
from bot.store.sqlite import SqliteStore
from channels.registry import directory
from tests.conftest import RULES

TWILIO_SID = "ACtest"
TWILIO_TOKEN = "twilio-auth-token"
SMS_FROM = "+15550001111"
WHATSAPP_FROM = "+15550002222"
PHONE = "+966551234567"


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=5) as client:
        yield client


def message(number: int, **fields: Any) -> OutboxMessage:
    now = utc_now()
    values: dict[str, Any] = {
        "id": f"1000000018.2.{number}",
        "channel": "sms",
        "to": PHONE,
        "event": "created",
        "language": "en",
        "reference": "1000000018",
        "body": f"message number {number}",
        "template_variables": ["1000000018"],
        "due_at": now,
        "created_at": now,
        "updated_at": now,
        **fields,
    }
    return OutboxMessage.model_validate(values)


def provider_settings(tmp_path: Path, **overrides: Any) -> Settings:
    """Fast retries; pass twilio_api_base_url / telegram_api_base_url to use the fakes."""
    values: dict[str, Any] = {
        "store_url": f"sqlite:///{tmp_path / 'balagh.db'}",  # the `store` fixture's file
        "public_base_url": "https://localhost",
        "notification_backoff_seconds": 0.01,
        "notification_backoff_max_seconds": 0.05,
        "notification_lease_seconds": 5,
        "provider_timeout_seconds": 2,
        **overrides,
    }
    if "twilio_api_base_url" in overrides:
        values |= {
            "twilio_account_sid": TWILIO_SID,
            "twilio_auth_token": TWILIO_TOKEN,
            "twilio_sms_from": SMS_FROM,
            "twilio_whatsapp_from": WHATSAPP_FROM,
        }
    return Settings(**values)


def notifying_service(store: Store, catalogue: Catalogue) -> ComplaintService:
    """A complaint service whose changes queue their notifications, as the running service's
    do (links to https://balagh.example)."""
    planner = NotificationPlanner(
        store,
        catalogue,
        directory(),
        staff_contacts(),
        public_base_url="https://balagh.example",
        secret_key="test-secret",
    )
    return ComplaintService(store, catalogue, planner, rules=RULES)


async def street_light(service: ComplaintService, channel: str = "sms") -> Complaint:
    """A citizen's English report of a street light out in Al Hofuf (the lighting_south
    team's), from 0551234567."""
    report = NewComplaint(
        channel=channel,
        language="en",
        description="street light out",
        district="al_hofuf",
        phone="0551234567",
    )
    return (await service.create(report, CITIZEN)).complaint


async def deliver_all(
    dispatcher: Dispatcher, store: Store, within: float = 10
) -> list[OutboxMessage]:
    """Run delivery passes until no message waits in the outbox; return every message."""
    async with asyncio.timeout(within):
        while True:
            await dispatcher.run_once()
            messages = await all_messages(store)
            if all(m.state not in IN_FLIGHT for m in messages):
                return messages
            await asyncio.sleep(0.02)


async def all_messages(store: Store, **filters: Any) -> list[OutboxMessage]:
    """Every message matching the filters, oldest first."""
    page = await store.list_messages(MessageFilter(**filters), MAX_PAGE_SIZE, None)
    assert page.next_cursor is None, "more messages than one page"
    return page.items[::-1]


@pytest.fixture
async def dispatcher_for(store: SqliteStore, http: httpx.AsyncClient, tmp_path: Path):
    """A dispatcher built from settings, as the service builds it; its clients closed after."""
    built: list[Platforms] = []

    def build(**overrides: Any) -> Dispatcher:
        settings = provider_settings(tmp_path, **overrides)
        platforms = build_platforms(settings, store, http, AttachmentStorage(tmp_path / "files"))
        built.append(platforms)
        return build_dispatcher(platforms)

    yield build
    for platforms in built:
        await platforms.close()
