"""A small aiohttp server on a free localhost port, answering POSTs to one path, for the
tests of HTTP clients (the service's dialogue client, Rasa's action-server client). Only
asyncio and aiohttp: both environments, the service's and Rasa's, import it."""

import asyncio
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


async def _started(path: str, handler: Handler, **runner: Any) -> tuple[web.AppRunner, str]:
    app = web.Application()
    app.router.add_post(path, handler)
    started = web.AppRunner(app, **runner)
    await started.setup()
    site = web.TCPSite(started, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return started, f"http://127.0.0.1:{port}"


@asynccontextmanager
async def serving(path: str, handler: Handler) -> AsyncIterator[str]:
    """The server's base URL, served on the caller's event loop while the block runs."""
    runner, url = await _started(path, handler)
    try:
        yield url
    finally:
        await runner.cleanup()


@contextmanager
def serving_in_a_thread(path: str, handler: Handler, keep_alive: float) -> Iterator[str]:
    """The server's base URL, served on an event loop in a thread of its own, so it answers
    and closes connections idle for `keep_alive` seconds while the caller's loop is blocked."""
    loop = asyncio.new_event_loop()
    runner, url = loop.run_until_complete(_started(path, handler, keepalive_timeout=keep_alive))
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        yield url
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(5)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
