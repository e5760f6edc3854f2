"""A local action server for Rasa's own HTTP client: an aiohttp app on a free port."""

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from aiohttp import web
from rasa.utils.endpoints import EndpointConfig

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@asynccontextmanager
async def action_server(webhook: Handler) -> AsyncIterator[EndpointConfig]:
    """Rasa's endpoint for a server answering `POST /webhook` with `webhook`, while it runs."""
    app = web.Application()
    app.router.add_post("/webhook", webhook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield EndpointConfig(f"http://127.0.0.1:{port}/webhook")
    finally:
        await runner.cleanup()
