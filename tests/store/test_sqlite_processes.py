"""One SQLite file written by several real processes at once (service replicas and workers
on one machine): references stay unique, no write is lost, a blocked write gives up in time."""

import asyncio
import sqlite3
import sys
import time
from pathlib import Path

import pytest

from bot.catalogue import Catalogue
from bot.complaints import Actor, ComplaintService, NewComplaint
from bot.store.sqlite import BUSY_TIMEOUT_MS, SqliteStore
from tests.conftest import RULES
from tests.store.test_contract import make_complaint

PROCESSES = 4
EACH = 25


async def shared_complaint(database: Path, catalogue: Catalogue) -> str:
    store = SqliteStore(database)
    await store.open()
    try:
        report = NewComplaint(
            channel="api", language="en", description="shared", district="al_hofuf"
        )
        result = await ComplaintService(store, catalogue, rules=RULES).create(
            report, Actor("citizen", "citizen")
        )
        return result.complaint.reference
    finally:
        await store.close()


async def test_processes_writing_at_once_lose_nothing_and_share_no_reference(tmp_path, catalogue):
    database = tmp_path / "shared.db"
    shared = await shared_complaint(database, catalogue)
    processes = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.store.sqlite_process",
            *(str(database), shared, f"p{n}", str(EACH)),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        for n in range(PROCESSES)
    ]
    outputs = await asyncio.gather(*(process.communicate() for process in processes))
    for process, (_, errors) in zip(processes, outputs, strict=True):
        assert process.returncode == 0, errors.decode()[-2000:]
    said = [[tuple(line.split()) for line in out.decode().splitlines()] for out, _ in outputs]
    references = [value for lines in said for kind, value in lines if kind == "reference"]
    assert len(references) == len(set(references)) == PROCESSES * EACH
    acknowledged = {
        f"p{n} note {k}" for n, lines in enumerate(said) for kind, k in lines if kind == "noted"
    }
    assert len(acknowledged) > PROCESSES * EACH // 2  # contention refuses some, not most

    store = SqliteStore(database)
    await store.open()
    try:
        assert (await store.kpi_summary()).total == PROCESSES * EACH + 1
        complaint = await store.get_complaint(shared)
        assert complaint is not None
        notes = {entry.reason for entry in complaint.history if entry.field == "note"}
        assert notes == acknowledged  # every acknowledged read-change-write kept, no other
    finally:
        await store.close()


async def test_a_write_blocked_past_the_busy_timeout_fails_instead_of_waiting_forever(tmp_path):
    database = tmp_path / "shared.db"
    store = SqliteStore(database)
    await store.open()
    holder = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        "import sqlite3, sys, time; db = sqlite3.connect(sys.argv[1], isolation_level=None); "
        "db.execute('BEGIN IMMEDIATE'); print('held', flush=True); time.sleep(60)",
        str(database),
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert holder.stdout is not None
        assert await holder.stdout.readline() == b"held\n"
        started = time.monotonic()
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            await store.insert_complaint(make_complaint(1))
        waited = time.monotonic() - started
        assert BUSY_TIMEOUT_MS / 1000 * 0.8 < waited < BUSY_TIMEOUT_MS / 1000 * 4
    finally:
        holder.kill()
        await holder.wait()
    await store.insert_complaint(make_complaint(1))  # the lock gone, writes go on
    await store.close()
