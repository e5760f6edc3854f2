"""Group commit: writes that arrive while one is in flight share the next one.

SQLite makes each commit durable with an fsync, and a busy disk allows only so many a
second. Outcomes of concurrent sends that finish together are written in one commit,
and each caller still returns only once its own outcome is durable.
"""

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")


class GroupCommit(Generic[Item, Result]):
    def __init__(self, write_all: Callable[[Sequence[Item]], Awaitable[list[Result]]]) -> None:
        self._write_all = write_all
        self._waiting: list[tuple[Item, asyncio.Future[Result]]] = []
        self._lock = asyncio.Lock()

    async def write(self, item: Item) -> Result:
        future: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        self._waiting.append((item, future))
        async with self._lock:
            if not future.done():  # nobody took it along: write everything waiting now
                batch, self._waiting = self._waiting, []
                try:
                    results = await self._write_all([waiting for waiting, _ in batch])
                except Exception as exc:
                    for _, pending in batch:
                        if not pending.done():
                            pending.set_exception(exc)
                else:
                    for (_, pending), result in zip(batch, results, strict=True):
                        if not pending.done():
                            pending.set_result(result)
        return await future
