"""KPI benchmark: the dashboard's JSON API over 90 days with 1,000,000 complaints embedded.

Fills a temporary SQLite store with realistic demo complaints (the same factory as
`balagh seed`), then times `GET /api/staff/kpi` for the last 90 days through the real
ASGI app with a supervisor's token: whole city, one district, one category.
Prints one JSON line last. Target: ≤ 300 ms at 1,000,000 complaints.

    python bench/kpi.py [--complaints 1000000] [--rounds 20] [--db FILE]

Filling a million complaints takes a long while: with `--db FILE` the store is filled the
first time and measured as it is on later runs (the first request of a run is cold: the
service has just started).
"""

import argparse
import asyncio
import contextlib
import json
import random
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import httpx

from bot.app import create_app
from bot.catalogue import load_catalogue
from bot.clock import utc_now
from bot.demo import DemoFactory
from bot.reference import ReferenceKey
from bot.services import Services
from bot.settings import ROOT, Settings
from bot.staff_accounts import create_staff_user
from bot.store.base import DuplicateUser
from bot.store.sqlite import SqliteStore
from bot.types import Role

PASSWORD = "benchmark password"  # noqa: S105 - a throwaway account in a temporary store


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def fill(path: Path, count: int) -> float:
    """Seconds spent inserting `count` demo complaints (rollups written in the same commits)."""
    catalogue = load_catalogue(ROOT / "catalogue.yml")
    store = SqliteStore(path, catalogue.municipality.timezone)
    await store.open()
    references = ReferenceKey(Settings().secret_key.get_secret_value())
    factory = DemoFactory(catalogue, random.Random(940), utc_now(), references)
    first = await store.next_sequence("complaint_reference", count)
    seconds = 0.0
    for batch in factory.batches(first, count):
        started = time.perf_counter()
        await store.insert_complaints(batch)
        seconds += time.perf_counter() - started
    await store.close()
    return seconds


async def measure(path: Path, rounds: int) -> dict[str, float]:
    settings = Settings(
        store_url=f"sqlite:///{path}", rasa_url="http://127.0.0.1:9", embedded_worker=False
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        services: Services = app.state.services
        with contextlib.suppress(DuplicateUser):  # a reused store has the account already
            await create_staff_user(
                services.store,
                services.catalogue,
                username="bench.supervisor",
                display_name="bench",
                role=Role.SUPERVISOR,
                password=PASSWORD,
            )
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="https://bench") as client:
            login = await client.post(
                "/api/auth/login", json={"username": "bench.supervisor", "password": PASSWORD}
            )
            headers = {"Authorization": f"Bearer {login.json()['token']}"}
            today = utc_now().date()
            window = {"from": (today - timedelta(days=89)).isoformat(), "to": today.isoformat()}
            queries = {
                "city": window,
                "district": {**window, "district": "al_mubarraz"},
                "category": {**window, "category": "roads"},
            }
            timings: dict[str, list[float]] = {name: [] for name in queries}
            total = 0
            for _ in range(rounds):
                for name, params in queries.items():
                    started = time.perf_counter()
                    response = await client.get("/api/staff/kpi", params=params, headers=headers)
                    timings[name].append((time.perf_counter() - started) * 1000)
                    response.raise_for_status()
                    if name == "city":
                        total = response.json()["total"]
    everything = [ms for samples in timings.values() for ms in samples]
    return {
        "complaints_in_90_days": total,
        "city_median_ms": round(statistics.median(timings["city"]), 1),
        "district_median_ms": round(statistics.median(timings["district"]), 1),
        "category_median_ms": round(statistics.median(timings["category"]), 1),
        "p95_ms": round(percentile(everything, 0.95), 1),
        "max_ms": round(max(everything), 1),
    }


async def main(count: int, rounds: int, path: Path, reuse: bool) -> dict[str, object]:
    seconds = None if reuse else await fill(path, count)
    figures = await measure(path, rounds)
    return {
        "bench": "kpi",
        "backend": "sqlite",
        "complaints": count if seconds is not None else "reused",
        "bulk_insert_per_s": round(count / seconds) if seconds else None,
        **figures,
        "target_ms": 300,
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--complaints", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--db", type=Path, help="fill this file once, reuse it afterwards")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="balagh-bench-") as folder:
        path = args.db or Path(folder) / "kpi.db"
        result = asyncio.run(main(args.complaints, args.rounds, path, reuse=path.exists()))
        result["db_mb"] = round(path.stat().st_size / 1e6)
    print(json.dumps(result))
