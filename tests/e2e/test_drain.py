"""A replica told to stop behind the load balancer (SIGTERM: compose's `stop`, a rolling
update) drains first: it reports not ready while it still serves, so HAProxy takes it out
before it closes the connections HAProxy keeps to it. Stopping at once, a webhook HAProxy sent
on one of those just as it was closed failed (a 502: the caller hears the fallback's
apology). Two `balagh run --no-dialogue` replicas behind deploy/haproxy.cfg."""

import asyncio
import signal
from collections import Counter

import httpx

from tests.e2e.servers import start_haproxy, start_service
from tests.ports import free_port

# HAProxy's checks take a replica out after three failures, one a second (deploy/haproxy.cfg)
DRAIN_SECONDS = 5
CLIENTS = 8


async def client(url: str, stop: asyncio.Event, answers: Counter[int | str]) -> None:
    """Requests one after another, each on a connection of its own, as Twilio sends webhooks."""
    limits = httpx.Limits(max_keepalive_connections=0)
    async with httpx.AsyncClient(timeout=10, limits=limits) as http:
        while not stop.is_set():
            try:
                answers[(await http.get(f"{url}/health/live")).status_code] += 1
            except httpx.HTTPError as problem:
                answers[type(problem).__name__] += 1


async def test_a_stopping_replica_leaves_the_balancer_before_it_stops_serving(tmp_path, rasa_url):
    rasa_port = int(rasa_url.rsplit(":", 1)[1])
    env = {"BALAGH_DRAIN_SECONDS": str(DRAIN_SECONDS)}
    ports = [free_port(), free_port()]
    replicas = [
        await asyncio.to_thread(start_service, tmp_path, rasa_port, port, env, f"service{n}")
        for n, port in enumerate(ports, 1)
    ]
    lb_ports = {name: free_port() for name in ("public", "actions", "dialogue")}
    haproxy = await asyncio.to_thread(
        start_haproxy,
        tmp_path,
        lb_ports,
        [f"127.0.0.1:{port}" for port in ports],
        ["127.0.0.1:1", "127.0.0.1:2"],  # no Rasa behind it: only pages are asked
    )
    stopping = replicas[0]
    stop, answers = asyncio.Event(), Counter[int | str]()
    public = f"http://127.0.0.1:{lb_ports['public']}"
    load = [asyncio.create_task(client(public, stop, answers)) for _ in range(CLIENTS)]
    try:
        await asyncio.sleep(2)
        stopping.process.send_signal(signal.SIGTERM)
        await asyncio.sleep(1)
        async with httpx.AsyncClient(timeout=5) as http:
            # still serving, on new connections too, but no longer ready
            assert (await http.get(f"{stopping.url}/health/live")).status_code == 200
            readiness = await http.get(f"{stopping.url}/health/ready")
        assert readiness.status_code == 503
        assert readiness.json() == {"status": "draining"}
        code = await asyncio.to_thread(stopping.process.wait, DRAIN_SECONDS + 20)
        await asyncio.sleep(1)  # and the other replica serves everything
    finally:
        stop.set()
        await asyncio.gather(*load)
        for server in (haproxy, *replicas):
            await asyncio.to_thread(server.stop)
    assert code in (0, -signal.SIGTERM)
    assert answers[200] > 100
    assert set(answers) == {200}, answers  # no request failed while the replica left


async def test_told_twice_a_draining_replica_stops_at_once(tmp_path, rasa_url):
    rasa_port = int(rasa_url.rsplit(":", 1)[1])
    env = {"BALAGH_DRAIN_SECONDS": "60"}
    replica = await asyncio.to_thread(start_service, tmp_path, rasa_port, free_port(), env)
    try:
        replica.process.send_signal(signal.SIGTERM)
        await asyncio.sleep(1)
        assert replica.process.poll() is None  # draining
        replica.process.send_signal(signal.SIGTERM)
        code = await asyncio.to_thread(replica.process.wait, 20)  # not the 60 s
    finally:
        await asyncio.to_thread(replica.stop)
    assert code in (0, -signal.SIGTERM)
