"""Run an ASGI app on a free localhost port for the length of a test (real HTTP)."""

import asyncio
import socket
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import uvicorn
from starlette.types import ASGIApp


def bound_socket() -> socket.socket:
    """A socket bound to a free localhost port, for a server to listen on. The port is held
    from the moment it is chosen: no other process can take it before the server starts (a
    port only looked up, then bound by the server later, can be)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    return sock


def local_url(sock: socket.socket) -> str:
    return f"http://127.0.0.1:{sock.getsockname()[1]}"


@asynccontextmanager
async def serve(app: ASGIApp, **options: Any) -> AsyncIterator[str]:
    """`options` go to uvicorn's configuration."""
    with bound_socket() as sock:
        server = uvicorn.Server(uvicorn.Config(app, log_level="warning", **options))
        task = asyncio.create_task(server.serve(sockets=[sock]))
        while not server.started:  # noqa: ASYNC110 - uvicorn offers no start-up event
            await asyncio.sleep(0.01)
        try:
            yield local_url(sock)
        finally:
            server.should_exit = True
            await task


@contextmanager
def serve_in_a_thread(app: ASGIApp) -> Iterator[str]:
    """The same, on its own thread and event loop: for code under test that runs its own loop
    (`asyncio.run`) or for servers that outlive one test's loop (module fixtures)."""
    with bound_socket() as sock:
        server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
        thread = threading.Thread(target=asyncio.run, args=(server.serve([sock]),), daemon=True)
        thread.start()
        while not server.started:
            threading.Event().wait(0.01)
        try:
            yield local_url(sock)
        finally:
            server.should_exit = True
            thread.join(timeout=10)
