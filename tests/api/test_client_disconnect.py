"""A client that leaves before its request is whole (a dialogue core replica killed in the
middle of an action call) is logged as what it is, not as an error of ours with a traceback."""

import asyncio
import logging

import pytest

from bot.app import create_app
from bot.settings import Settings
from tests.servers import serve

CUT_SHORT = (
    b"POST /webhook HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
    b'Content-Length: 20000\r\n\r\n{"next_action": "action_submit_complaint", "tracker": {'
)


async def test_an_action_call_cut_short_is_no_error(settings: Settings, caplog):
    caplog.set_level(logging.INFO)
    async with serve(create_app(settings)) as url:
        host, port = url.removeprefix("http://").split(":")
        _, writer = await asyncio.open_connection(host, int(port))
        writer.write(CUT_SHORT)
        await writer.drain()
        writer.close()
        for _ in range(100):
            if any("left before its request was whole" in r.getMessage() for r in caplog.records):
                break
            await asyncio.sleep(0.02)
        else:
            pytest.fail("the request cut short was not noticed")
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
