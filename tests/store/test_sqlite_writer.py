"""SQLite only: every write runs whole on the store's one writer thread, writes queued
together share a commit."""

import asyncio
import sqlite3
import threading
import time
from collections.abc import AsyncIterator
from functools import partial
from pathlib import Path

import pytest

from bot.notifications.message import MessageFilter
from bot.store.sqlite import SqliteStore
from tests.store.test_contract import HOUR, T0, make_complaint
from tests.store.test_outbox_contract import message


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    backend = SqliteStore(tmp_path / "balagh.db")
    await backend.open()
    try:
        yield backend
    finally:
        await backend.close()


def writer_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("sqlite-writer")]


async def test_a_write_failing_midway_leaves_nothing_and_the_next_commits(
    store: SqliteStore,
) -> None:
    # The complaint row is written before the second message fails to bind.
    unbindable = message("bad").model_copy(update={"body": object()})
    with pytest.raises(sqlite3.Error):
        await store.insert_complaint(make_complaint(1), [message("a"), unbindable])
    assert await store.get_complaint(make_complaint(1).reference) is None
    assert (await store.kpi_summary()).total == 0
    assert (await store.list_messages(MessageFilter(), 10, None)).items == []

    assert (await store.insert_complaint(make_complaint(1), [message("a")])).created
    assert (await store.kpi_summary()).total == 1
    assert [m.id for m in (await store.list_messages(MessageFilter(), 10, None)).items] == ["a"]


async def test_writes_sharing_a_commit_fail_alone(store: SqliteStore) -> None:
    busy = asyncio.create_task(store._on_writer(partial(time.sleep, 0.2)))
    await asyncio.sleep(0.05)  # the writer thread is busy: what follows queues for one commit
    unbindable = message("bad").model_copy(update={"body": object()})
    good, bad, counted = await asyncio.gather(
        store.insert_complaint(make_complaint(1), [message("a")]),
        store.insert_complaint(make_complaint(2), [message("b"), unbindable]),
        store.hit_counter("caller", T0, T0 + HOUR),
        return_exceptions=True,
    )
    await busy
    assert isinstance(bad, sqlite3.Error)
    assert not isinstance(good, BaseException)
    assert good.created
    assert counted == 1
    assert await store.get_complaint(make_complaint(2).reference) is None
    assert (await store.kpi_summary()).total == 1
    assert [m.id for m in (await store.list_messages(MessageFilter(), 10, None)).items] == ["a"]


async def test_a_write_whose_caller_gave_up_before_it_ran_is_not_run(store: SqliteStore) -> None:
    busy = asyncio.create_task(store._on_writer(partial(time.sleep, 0.2)))
    await asyncio.sleep(0.05)
    given_up = asyncio.create_task(store.next_sequence("n"))
    await asyncio.sleep(0)
    given_up.cancel()
    await busy
    assert await store.next_sequence("n") == 1


async def test_many_concurrent_writers_all_commit(store: SqliteStore) -> None:
    callers = range(1, 201)
    inserted, hits = await asyncio.gather(
        asyncio.gather(*(store.insert_complaint(make_complaint(n)) for n in callers)),
        asyncio.gather(*(store.hit_counter("caller", T0, T0 + HOUR) for _ in callers)),
    )
    assert all(result.created for result in inserted)
    assert sorted(hits) == list(callers)
    assert (await store.kpi_summary()).total == len(callers)


async def test_close_commits_queued_writes_stops_the_thread_and_reopens(
    store: SqliteStore,
) -> None:
    queued = [asyncio.create_task(store.next_sequence("n")) for _ in range(20)]
    await asyncio.sleep(0)  # every task hands its write to the writer thread
    await store.close()
    assert sorted(await asyncio.gather(*queued)) == list(range(1, 21))
    assert writer_threads() == []
    with pytest.raises(RuntimeError, match="not open"):
        await store.next_sequence("n")

    await store.open()
    assert await store.next_sequence("n") == 21
