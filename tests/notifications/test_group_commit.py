"""Group commit: outcomes finishing together share one store write."""

import asyncio

import pytest

from bot.notifications.group_commit import GroupCommit


async def test_writes_arriving_during_a_write_share_the_next_one():
    batches: list[list[int]] = []
    first_in_flight = asyncio.Event()
    release = asyncio.Event()

    async def write_all(items):
        batches.append(list(items))
        if len(batches) == 1:
            first_in_flight.set()
            await release.wait()
        return [item * 10 for item in items]

    commit = GroupCommit(write_all)
    first = asyncio.create_task(commit.write(1))
    await first_in_flight.wait()
    others = [asyncio.create_task(commit.write(n)) for n in (2, 3, 4)]
    await asyncio.sleep(0)
    release.set()
    assert await first == 10
    assert await asyncio.gather(*others) == [20, 30, 40]
    assert batches == [[1], [2, 3, 4]]


async def test_a_failed_write_fails_every_caller_it_carried():
    async def write_all(items):
        await asyncio.sleep(0)
        raise OSError("disk full")

    commit: GroupCommit[int, bool] = GroupCommit(write_all)
    results = await asyncio.gather(*(commit.write(n) for n in range(3)), return_exceptions=True)
    assert all(isinstance(result, OSError) for result in results)
    with pytest.raises(OSError, match="disk full"):
        await commit.write(9)
