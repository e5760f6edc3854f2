"""Store benchmark: the embedded SQLite store filled with realistic complaints.

Prints one JSON line last: bulk and durable insert rates, lookup-by-reference
p50/p99, a filtered staff list page p95 and the KPI summary time.
Targets at 1,000,000 complaints: lookup p99 ≤ 5 ms, list p95 ≤ 50 ms, KPI ≤ 200 ms.
"""

import argparse
import asyncio
import json
import random
import statistics
import tempfile
import time
from collections.abc import Awaitable
from pathlib import Path

from bot.catalogue import load_catalogue
from bot.clock import utc_now
from bot.complaints import SYSTEM, ComplaintService, NewComplaint
from bot.demo import DemoFactory
from bot.settings import ROOT
from bot.store.base import ComplaintFilter
from bot.store.sqlite import SqliteStore
from bot.types import Channel, Status


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def timed(call: Awaitable[object]) -> float:
    started = time.perf_counter()
    await call
    return (time.perf_counter() - started) * 1000


async def main(count: int, lookups: int, pages: int, folder: Path) -> dict[str, object]:
    catalogue = load_catalogue(ROOT / "catalogue.yml")
    store = SqliteStore(folder / "bench.db")
    await store.open()
    rng = random.Random(940)
    factory = DemoFactory(catalogue, rng, utc_now())

    insert_seconds = 0.0
    references: list[str] = []
    first = await store.next_sequence("complaint_reference", count)
    for batch in factory.batches(first, count):
        started = time.perf_counter()
        await store.insert_complaints(batch)
        insert_seconds += time.perf_counter() - started
        references.extend(rng.sample([c.reference for c in batch], k=min(20, len(batch))))

    service = ComplaintService(store, catalogue)
    durable = 500
    started = time.perf_counter()
    for index in range(durable):
        await service.create(
            NewComplaint(
                channel=Channel.VOICE,
                language="ar",
                description=f"حفرة كبيرة في الشارع رقم {index}",
                district="al_mubarraz",
                phone="0501234567",
            ),
            SYSTEM,
        )
    durable_rate = durable / (time.perf_counter() - started)

    lookup_ms = [await timed(store.get_complaint(rng.choice(references))) for _ in range(lookups)]

    categories = list(catalogue.categories)
    districts = list(catalogue.districts)
    teams = list(catalogue.teams)
    filter_makers = [
        lambda: ComplaintFilter(
            status=(Status.NEW, Status.ASSIGNED), category=rng.choice(categories)
        ),
        lambda: ComplaintFilter(district=rng.choice(districts), status=(Status.IN_PROGRESS,)),
        lambda: ComplaintFilter(team=rng.choice(teams), status=(Status.ASSIGNED,)),
        lambda: ComplaintFilter(category=rng.choice(categories), district=rng.choice(districts)),
        lambda: ComplaintFilter(
            priority="P1", status=(Status.NEW, Status.ASSIGNED, Status.IN_PROGRESS)
        ),
        lambda: ComplaintFilter(text=rng.choice(["حفره", "انارة", "pothole", "نفايات"])),
    ]
    page_ms = [
        await timed(store.list_complaints(rng.choice(filter_makers)(), 50, None))
        for _ in range(pages)
    ]
    kpi_ms = [await timed(store.kpi_summary()) for _ in range(5)]
    await store.close()
    return {
        "bench": "store",
        "backend": "sqlite",
        "complaints": count + durable,
        "bulk_insert_per_s": round(count / insert_seconds),
        "durable_insert_per_s": round(durable_rate),
        "lookup_p50_ms": round(percentile(lookup_ms, 0.50), 3),
        "lookup_p99_ms": round(percentile(lookup_ms, 0.99), 3),
        "list_page_p95_ms": round(percentile(page_ms, 0.95), 2),
        "kpi_summary_ms": round(statistics.median(kpi_ms), 2),
        "kpi_summary_max_ms": round(max(kpi_ms), 2),
        "db_mb": round((folder / "bench.db").stat().st_size / 1e6),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--complaints", type=int, default=1_000_000)
    parser.add_argument("--lookups", type=int, default=10_000)
    parser.add_argument("--pages", type=int, default=1_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="balagh-bench-") as folder:
        result = asyncio.run(main(args.complaints, args.lookups, args.pages, Path(folder)))
    print(json.dumps(result))
