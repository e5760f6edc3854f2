"""A replica keeps an idle connection open longer than the load balancer keeps one: HAProxy
sends new webhooks over its idle connections (deploy/haproxy.cfg), and one the replica closed
just then would fail a caller's webhook."""

import asyncio

from tests.e2e.servers import start_service
from tests.ports import free_port

# HAProxy 2.6 closed its idle connections to a replica within 15 s of their last use here
IDLE_SECONDS = 16.0
REQUEST = b"GET /health/live HTTP/1.1\r\nHost: replica\r\n\r\n"


async def answer_status(reader: asyncio.StreamReader) -> bytes:
    head = await reader.readuntil(b"\r\n\r\n")
    length = next(
        int(line.split(b":", 1)[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    await reader.readexactly(length)
    return head.split(b" ", 2)[1]


async def test_a_replica_answers_on_a_connection_idle_longer_than_the_balancer_keeps_one(tmp_path):
    replica = await asyncio.to_thread(start_service, tmp_path, free_port())
    try:
        port = int(replica.url.rsplit(":", 1)[1])
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            writer.write(REQUEST)
            assert await answer_status(reader) == b"200"
            await asyncio.sleep(IDLE_SECONDS)
            writer.write(REQUEST)
            assert await answer_status(reader) == b"200"
        finally:
            writer.close()
    finally:
        await asyncio.to_thread(replica.stop)
