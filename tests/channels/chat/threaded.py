"""A fake Bot API on its own thread and event loop, for commands that run `asyncio.run`."""

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.routing import Route

from tests.channels.chat.conftest import FakeTelegram
from tests.servers import bound_socket, local_url


@contextmanager
def fake_bot_api_in_a_thread() -> Iterator[tuple[str, list[tuple[str, dict[str, Any]]]]]:
    fake = FakeTelegram()
    app = Starlette(routes=[Route("/bot{token}/{method}", fake.method, methods=["POST"])])
    sock = bound_socket()
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=asyncio.run, args=(server.serve([sock]),), daemon=True)
    thread.start()
    while not server.started:
        threading.Event().wait(0.01)
    try:
        yield local_url(sock), fake.calls
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
