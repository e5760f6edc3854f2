"""`balagh run`: the dialogue core, the service and the worker in one foreground command.

The dialogue core is Rasa in its own Python 3.10 environment, so it runs as a child
process; the service (and, on embedded defaults, the worker) runs in this process. For local
use the demonstration system of record (bot/transactions/demo_system.py) runs as a second
child, the way a municipality's own system runs apart from Balagh.
Ctrl-C stops the service gracefully, then the children.
"""

import asyncio
import contextlib
import logging
import os
import signal
import socket
import sys
import time
from pathlib import Path
from types import FrameType
from urllib.parse import urlsplit

import httpx
import uvicorn
import yaml
from fastapi import FastAPI

from bot.app import create_app
from bot.catalogue import load_catalogue
from bot.collector import freeze_what_is_built
from bot.logs import configure_logging
from bot.settings import ROOT, Settings

logger = logging.getLogger(__name__)

RASA_STOP_SECONDS = 10
DEMO_SYSTEM = "demo_records"  # the catalogue's system `balagh run` starts the demo for
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost"})
RASA_START_SECONDS = 180
# The dialogue model is small: TensorFlow's thread pools only add hand-offs between cores that
# the service needs (one thread each: 15-20 % more turns per second on two cores). Rasa's
# telemetry is on by default: nothing about a municipality's assistant leaves for Rasa's servers.
RASA_RUNTIME_ENV = {
    "TF_INTER_OP_PARALLELISM_THREADS": "1",
    "TF_INTRA_OP_PARALLELISM_THREADS": "1",
    "RASA_TELEMETRY_ENABLED": "false",
}


# Rasa expands `${…}` in endpoints.yml from its environment: the token is never on disk.
ACTIONS_TOKEN_HEADER = {"Authorization": "Bearer ${BALAGH_ACTIONS_TOKEN}"}


def endpoints_for(settings: Settings) -> Path:
    """endpoints.yml with the action endpoint on this service's port (and the actions token
    in a header, when there is one), written under var/."""
    endpoints = yaml.safe_load((ROOT / "endpoints.yml").read_text(encoding="utf-8"))
    endpoints["action_endpoint"]["url"] = f"http://127.0.0.1:{settings.port}/webhook"
    if settings.actions_token is not None and settings.actions_token.get_secret_value():
        endpoints["action_endpoint"]["headers"] = ACTIONS_TOKEN_HEADER
    path = ROOT / "var" / "endpoints.yml"
    path.write_text(yaml.safe_dump(endpoints, allow_unicode=True), encoding="utf-8")
    return path


def rasa_command(settings: Settings, endpoints: Path) -> list[str]:
    port = urlsplit(settings.rasa_url).port or 5005
    return [
        str(settings.rasa_bin),
        "run",
        "--enable-api",
        "--interface",
        "127.0.0.1",  # only this machine: the service is the way in
        "--port",
        str(port),
        "--model",
        str(ROOT / "models"),
        "--endpoints",
        str(endpoints),
        "--credentials",
        str(ROOT / "credentials.yml"),
    ]


def rasa_environment(settings: Settings) -> dict[str, str]:
    """The Rasa process's environment: the runtime settings and the actions token (which may
    come from the .env file rather than the environment)."""
    env = {**os.environ, **RASA_RUNTIME_ENV, "PYTHONPATH": str(ROOT)}
    if settings.actions_token is not None:
        env["BALAGH_ACTIONS_TOKEN"] = settings.actions_token.get_secret_value()
    return env


async def _start_rasa(settings: Settings) -> asyncio.subprocess.Process:
    env = rasa_environment(settings)
    endpoints = await asyncio.to_thread(endpoints_for, settings)
    log = await asyncio.to_thread((ROOT / "var" / "rasa.log").open, "ab")
    return await asyncio.create_subprocess_exec(
        *rasa_command(settings, endpoints), cwd=ROOT, env=env, stdout=log, stderr=log
    )


def demo_system_port(settings: Settings, with_dialogue: bool) -> int | None:
    """Where the demonstration system of record must listen: the port of the catalogue's
    `demo_records` system when it is on this machine, for the whole contact center in local
    use only (else None). A replica (`--no-dialogue`, as containers, benchmarks and tests run
    the service, several at once) starts none: they would all claim the one port."""
    if settings.environment != "local" or not with_dialogue:
        return None
    system = load_catalogue(settings.catalogue_path).transaction_systems.get(DEMO_SYSTEM)
    url = urlsplit(str(system.config.get("url", ""))) if system else None
    if url is None or url.hostname not in LOCAL_HOSTS:
        return None
    return url.port


async def _start_demo_system(port: int) -> asyncio.subprocess.Process:
    log = await asyncio.to_thread((ROOT / "var" / "demo_system.log").open, "ab")
    command = [sys.executable, "-m", "bot.transactions.demo_system", "--port", str(port)]
    return await asyncio.create_subprocess_exec(*command, cwd=ROOT, stdout=log, stderr=log)


async def _stop(child: asyncio.subprocess.Process) -> None:
    if child.returncode is None:
        child.terminate()
        try:
            await asyncio.wait_for(child.wait(), RASA_STOP_SECONDS)
        except TimeoutError:
            child.kill()
            await child.wait()


async def _wait_until_up(url: str, seconds: float) -> bool:
    async with httpx.AsyncClient(timeout=2) as client:
        for _ in range(int(seconds * 2)):
            with contextlib.suppress(httpx.HTTPError):
                if (await client.get(url)).status_code == 200:
                    return True
            await asyncio.sleep(0.5)
    return False


# How long an idle connection to the service stays open. The load balancer (deploy/haproxy.cfg)
# sends new callers' webhooks over its idle connections to a replica, and a connection the
# replica closes at the moment one is sent on it fails that webhook: the replica keeps them
# far longer than the balancer does (HAProxy closed its idle ones within 15 s of the last
# use here, against uvicorn's default of 5 s), so the balancer is always the side that closes.
KEEP_ALIVE_SECONDS = 75


class _Server(uvicorn.Server):
    """uvicorn's server, whose garbage collector is tuned once it has started (bot/collector.py:
    a full collection walking everything the service built paused every webhook for 0.1 s),
    and which drains before it stops on SIGTERM.

    Stopping at once closes the connections a load balancer keeps to the replica, and HAProxy
    may be sending a webhook on one at that moment: the caller's webhook fails. Draining, the
    replica reports not ready for `drain_seconds` (HAProxy takes it out after three failed
    checks, one a second) while it serves whatever still comes, then stops as uvicorn does.
    A second SIGTERM, or Ctrl-C, stops it at once."""

    def __init__(self, config: uvicorn.Config, app: FastAPI, drain_seconds: float) -> None:
        super().__init__(config)
        self.app, self.drain_seconds = app, drain_seconds
        self.drained_at: float | None = None

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        freeze_what_is_built()

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if sig == signal.SIGTERM and self.drain_seconds > 0 and self.drained_at is None:
            self.app.state.draining = True
            self.drained_at = time.monotonic() + self.drain_seconds
            return  # no logging in a signal handler: on_tick logs the drain's end
        super().handle_exit(sig, frame)

    async def on_tick(self, counter: int) -> bool:
        drained = self.drained_at is not None and time.monotonic() >= self.drained_at
        if drained and not self.should_exit:
            logger.info("drained for %g s (not ready, still serving): stopping", self.drain_seconds)
            super().handle_exit(signal.SIGTERM, None)
        return await super().on_tick(counter)


def _announce(settings: Settings, demo_port: int | None) -> None:
    base = f"http://{settings.host}:{settings.port}"
    print(
        "\nBalagh 940 is running (Ctrl-C stops everything):\n"
        f"  Citizen portal             {base}/\n"
        f"  Staff back office          {base}/staff\n"
        f"  KPI dashboard              {base}/staff/kpi\n"
        f"  Open311 GeoReport v2       {base}/open311/v2/services.json\n"
        f"  Phone simulator (940 line) {base}/simulator\n"
        f"  API and its documentation  {base}/docs\n"
        f"  Health of every component  {base}/health\n"
        f"  Dialogue core (Rasa)       {settings.rasa_url}\n"
        + (
            f"  Demo system of record      http://127.0.0.1:{demo_port}/api/transactions/41000017\n"
            if demo_port
            else ""
        )
        + f"  Logs                       {ROOT / 'var'}\n",
        flush=True,
    )


async def run_all(settings: Settings, *, with_dialogue: bool = True) -> None:
    configure_logging(settings.log_level, settings)
    await asyncio.to_thread((ROOT / "var").mkdir, exist_ok=True)
    rasa = await _start_rasa(settings) if with_dialogue else None
    demo_port = await asyncio.to_thread(demo_system_port, settings, with_dialogue)
    demo = await _start_demo_system(demo_port) if demo_port else None
    app = create_app(settings)
    server = _Server(
        uvicorn.Config(
            app,
            host=settings.host,
            port=settings.port,
            log_level=settings.log_level.lower(),
            log_config=None,  # our handler, which masks phone numbers and secrets
            proxy_headers=False,  # X-Forwarded-For: BALAGH_TRUSTED_PROXIES decides (the app)
            # on SIGTERM: stop listening, let the requests being answered finish (bounded)
            timeout_graceful_shutdown=settings.shutdown_grace_seconds,
            timeout_keep_alive=KEEP_ALIVE_SECONDS,
        ),
        app,
        settings.drain_seconds,
    )

    async def announce_when_ready() -> None:
        await _wait_until_up(f"http://127.0.0.1:{settings.port}/health", 60)
        _announce(settings, demo_port)
        if rasa and not await _wait_until_up(f"{settings.rasa_url}/status", RASA_START_SECONDS):
            print(
                f"the dialogue core did not start; see {ROOT / 'var' / 'rasa.log'}", file=sys.stderr
            )

    announcer = asyncio.create_task(announce_when_ready())
    try:
        await server.serve()
    finally:
        announcer.cancel()
        for child in (rasa, demo):
            if child is not None:
                await _stop(child)
