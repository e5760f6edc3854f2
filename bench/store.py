"""Store benchmark: the embedded SQLite store filled with realistic complaints.

Prints one JSON line last: bulk and durable insert rates, lookup-by-reference
p50/p99, a filtered staff list page p95 (overall and per kind of filter) and the KPI
summary time. Targets at 1,000,000 complaints: lookup p99 ≤ 5 ms, list page p95 ≤ 50 ms,
KPI summary ≤ 200 ms. `--db FILE` keeps the filled database for the next run.
"""

import argparse
import asyncio
import json
import random
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path

from bot.catalogue import Catalogue, load_catalogue
from bot.clock import utc_now
from bot.complaints import (
    REFERENCE_SEQUENCE,
    SYSTEM,
    ComplaintService,
    IntakeRules,
    NewComplaint,
)
from bot.demo import DemoFactory
from bot.settings import ROOT, Settings
from bot.store.base import ComplaintFilter
from bot.store.sqlite import SqliteStore
from bot.types import Status
from channels.registry import directory

DURABLE_INSERTS = 500
PAGE_SIZE = 50


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def timed(call: Awaitable[object]) -> float:
    started = time.perf_counter()
    await call
    return (time.perf_counter() - started) * 1000


async def fill(store: SqliteStore, factory: DemoFactory, count: int) -> float | None:
    """Add demo complaints up to `count`; the bulk insert rate, or None if already full."""
    missing = count - (await store.kpi_summary()).total
    if missing <= 0:
        return None
    insert_seconds = 0.0
    first = await store.next_sequence(REFERENCE_SEQUENCE, missing)
    for batch in factory.batches(first, missing):
        started = time.perf_counter()
        await store.insert_complaints(batch)
        insert_seconds += time.perf_counter() - started
    return missing / insert_seconds


async def durable_insert_rate(service: ComplaintService) -> float:
    """Complaints created one by one as a channel creates them: one commit each."""
    started = time.perf_counter()
    for index in range(DURABLE_INSERTS):
        report = NewComplaint(
            channel="voice",
            language="ar",
            description=f"حفرة كبيرة في الشارع رقم {index}",
            district="al_mubarraz",
            phone="0501234567",
        )
        await service.create(report, SYSTEM)
    return DURABLE_INSERTS / (time.perf_counter() - started)


def staff_filters(
    catalogue: Catalogue, rng: random.Random
) -> dict[str, Callable[[], ComplaintFilter]]:
    """The queue views staff open most, each with fresh random values."""
    categories = list(catalogue.categories)
    districts = list(catalogue.districts)
    teams = list(catalogue.teams)
    open_statuses = (Status.NEW, Status.ASSIGNED, Status.IN_PROGRESS)
    return {
        "open_by_category": lambda: ComplaintFilter(
            status=(Status.NEW, Status.ASSIGNED), category=rng.choice(categories)
        ),
        "district_in_progress": lambda: ComplaintFilter(
            district=rng.choice(districts), status=(Status.IN_PROGRESS,)
        ),
        "team_assigned": lambda: ComplaintFilter(team=rng.choice(teams), status=(Status.ASSIGNED,)),
        "category_district": lambda: ComplaintFilter(
            category=rng.choice(categories), district=rng.choice(districts)
        ),
        "open_p1": lambda: ComplaintFilter(priority="P1", status=open_statuses),
        "text": lambda: ComplaintFilter(text=rng.choice(["حفره", "انارة", "pothole", "نفايات"])),
        "last_30_days": lambda: ComplaintFilter(created_from=utc_now() - timedelta(days=30)),
    }


async def main(count: int, lookups: int, pages: int, path: Path) -> dict[str, object]:
    catalogue = load_catalogue(ROOT / "catalogue.yml")
    store = SqliteStore(path)
    await store.open()
    rng = random.Random(940)
    rules = IntakeRules.from_settings(Settings(), directory())
    factory = DemoFactory(catalogue, rng, utc_now(), rules.references)
    bulk_rate = await fill(store, factory, count)
    total = (await store.kpi_summary()).total
    references = [rules.references.reference(rng.randint(1, total)) for _ in range(lookups)]
    durable_rate = await durable_insert_rate(ComplaintService(store, catalogue, rules=rules))

    lookup_ms = [await timed(store.get_complaint(reference)) for reference in references]

    makers = staff_filters(catalogue, rng)
    page_ms: dict[str, list[float]] = {name: [] for name in makers}
    for _ in range(pages):
        name = rng.choice(list(makers))
        page_ms[name].append(await timed(store.list_complaints(makers[name](), PAGE_SIZE, None)))
    every_page = [sample for samples in page_ms.values() for sample in samples]

    kpi_ms = [await timed(store.kpi_summary()) for _ in range(5)]
    await store.close()
    size = await asyncio.to_thread(lambda: path.stat().st_size)
    return {
        "bench": "store",
        "backend": "sqlite",
        "complaints": total + DURABLE_INSERTS,
        "bulk_insert_per_s": round(bulk_rate) if bulk_rate else None,
        "durable_insert_per_s": round(durable_rate),
        "lookup_p50_ms": round(percentile(lookup_ms, 0.50), 3),
        "lookup_p99_ms": round(percentile(lookup_ms, 0.99), 3),
        "list_page_p95_ms": round(percentile(every_page, 0.95), 2),
        "list_page_p95_ms_by_filter": {
            name: round(percentile(samples, 0.95), 2) for name, samples in page_ms.items()
        },
        "kpi_summary_ms": round(statistics.median(kpi_ms), 2),
        "kpi_summary_max_ms": round(max(kpi_ms), 2),
        "db_mb": round(size / 1e6),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--complaints", type=int, default=1_000_000)
    parser.add_argument("--lookups", type=int, default=10_000)
    parser.add_argument("--pages", type=int, default=1_400)
    parser.add_argument("--db", type=Path, help="fill and keep this database file")
    args = parser.parse_args()
    if args.db:
        result = asyncio.run(main(args.complaints, args.lookups, args.pages, args.db))
    else:
        with tempfile.TemporaryDirectory(prefix="balagh-bench-") as folder:
            path = Path(folder) / "bench.db"
            result = asyncio.run(main(args.complaints, args.lookups, args.pages, path))
    print(json.dumps(result, ensure_ascii=False))
