"""SQLite only: complaints stored before the KPI rollup existed are summed into it once."""

from datetime import date
from pathlib import Path

import aiosqlite
import pytest

from bot.kpi import KpiFilter
from bot.store import sqlite
from bot.store.sqlite import KPI_ROLLUP_VERSION, SqliteStore
from tests.store.test_kpi_contract import known_complaints


async def test_the_rollup_migration_backfills_existing_complaints(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "old.db"
    store = SqliteStore(path)
    await store.open()
    await store.insert_complaints(known_complaints())
    await store.close()
    async with aiosqlite.connect(path) as db:  # as if the rollup migration had never run
        for table in ("kpi_daily", "call_events", "rate_counters", "records"):
            await db.execute(f"DROP TABLE {table}")
        await db.execute(f"PRAGMA user_version = {KPI_ROLLUP_VERSION - 1}")
        await db.commit()
    # Only the rollup migration runs again (later ones already shaped this file).
    monkeypatch.setattr(sqlite, "MIGRATIONS", sqlite.MIGRATIONS[:KPI_ROLLUP_VERSION])

    store = SqliteStore(path)
    await store.open()
    totals = await store.kpi_totals(KpiFilter(start=date(2025, 3, 1), end=date(2025, 3, 3)))
    await store.close()
    assert sum(totals.created_by_day.values()) == 3
    assert sum(totals.open_by_day.values()) == 2
