"""Notification benchmark: the worker delivering the outbox to the local provider.

Fills the embedded SQLite outbox with citizen SMS notifications (the "created" text in
both languages), then times the dispatcher as the service builds it — leases, one
durable commit per outcome — until every message is delivered.
Prints one JSON line last. Target: ≥ 200 notifications/s.
"""

import argparse
import asyncio
import json
import tempfile
import time
from pathlib import Path

import httpx

from bot.attachments import AttachmentStorage
from bot.clock import utc_now
from bot.notifications.dispatcher import build_dispatcher
from bot.notifications.message import MessageFilter, OutboxMessage
from bot.notifications.templates import CITIZEN, render
from bot.platforms import build_platforms
from bot.settings import Settings
from bot.store.sqlite import SqliteStore
from bot.tracking_link import tracking_url
from bot.types import Language

TARGET_PER_SECOND = 200
SEED_BATCH = 1000


def notification(number: int) -> OutboxMessage:
    now = utc_now()
    reference = f"{1_000_000_000 + number}"
    language: Language = "ar" if number % 3 else "en"
    link = tracking_url("https://balagh.example", "bench-secret", reference)
    body, variables = render(
        CITIZEN["created"], language, "sms", {"reference": reference, "link": link}
    )
    return OutboxMessage(
        id=f"{reference}.1.0",
        channel="sms",
        to=f"+9665512{number % 100_000:05d}",
        event="created",
        language=language,
        reference=reference,
        body=body,
        template_variables=variables,
        due_at=now,
        created_at=now,
        updated_at=now,
    )


async def main(count: int, folder: Path) -> dict[str, object]:
    settings = Settings(store_url=f"sqlite:///{folder / 'bench.db'}")
    store = SqliteStore(folder / "bench.db")
    await store.open()
    for start in range(0, count, SEED_BATCH):
        await store.insert_messages(
            [notification(n) for n in range(start, min(start + SEED_BATCH, count))]
        )
    async with httpx.AsyncClient() as http:
        platforms = build_platforms(settings, store, http, AttachmentStorage(folder / "files"))
        dispatcher = build_dispatcher(platforms)
        started = time.perf_counter()
        delivered = await dispatcher.run_once()
        seconds = time.perf_counter() - started
        await platforms.close()
    left = [
        bool((await store.list_messages(MessageFilter(state=state), 1, None)).items)
        for state in ("pending", "sending", "failed")
    ]
    await store.close()
    rate = delivered / seconds
    return {
        "bench": "notifications",
        "backend": "sqlite",
        "provider": "local",
        "notifications": delivered,
        "all_delivered": not any(left),
        "seconds": round(seconds, 2),
        "per_second": round(rate),
        "target_per_second": TARGET_PER_SECOND,
        "meets_target": rate >= TARGET_PER_SECOND and delivered == count and not any(left),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--notifications", type=int, default=20_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="balagh-bench-") as folder:
        result = asyncio.run(main(args.notifications, Path(folder)))
    print(json.dumps(result))
