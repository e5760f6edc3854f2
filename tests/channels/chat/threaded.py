"""A fake Bot API on its own thread and event loop, for commands that run `asyncio.run`."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.routing import Route

from tests.channels.chat.conftest import FakeTelegram
from tests.servers import serve_in_a_thread


@contextmanager
def fake_bot_api_in_a_thread() -> Iterator[tuple[str, list[tuple[str, dict[str, Any]]]]]:
    fake = FakeTelegram()
    app = Starlette(routes=[Route("/bot{token}/{method}", fake.method, methods=["POST"])])
    with serve_in_a_thread(app) as url:
        yield url, fake.calls
