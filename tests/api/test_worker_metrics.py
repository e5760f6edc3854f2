"""The worker's own /metrics (`balagh worker --metrics-port`): the service's rule, over real
HTTP: loopback and local use without a token, the bearer token otherwise, never open in
production."""

import asyncio
import io
import os
import signal
from collections.abc import Callable, Iterator
from wsgiref.simple_server import WSGIServer
from wsgiref.util import setup_testing_defaults

import httpx
import pytest
from pydantic import SecretStr
from typer.testing import CliRunner

from bot.api.worker_metrics import serve_worker_metrics
from bot.cli import app as cli
from bot.settings import Settings, UnsafeSettings, get_settings
from tests.e2e.servers import BALAGH
from tests.ports import free_port
from tests.test_production import SECRET, TOKEN, production

SCRAPE_TOKEN = "prometheus-scrape-token-0123456789abcdef"


@pytest.fixture
def serving() -> Iterator[list[WSGIServer]]:
    servers: list[WSGIServer] = []
    yield servers
    for server in servers:
        server.shutdown()
        server.server_close()


def url(server: WSGIServer) -> str:
    return f"http://127.0.0.1:{server.server_port}/metrics"  # where these tests bind it


def status_from(server: WSGIServer, address: str) -> str:
    """What the server's application answers a scrape from `address` (no such peer here)."""
    environ: dict[str, object] = {"REMOTE_ADDR": address, "PATH_INFO": "/metrics"}
    setup_testing_defaults(environ)
    environ["wsgi.input"] = io.BytesIO()
    statuses: list[str] = []

    def start_response(
        status: str, headers: list[tuple[str, str]], exc_info: object = None, /
    ) -> Callable[[bytes], object]:
        statuses.append(status)
        return lambda data: None

    app = server.get_app()
    assert app is not None
    app(environ, start_response)
    return statuses[0]


async def test_without_a_token_it_listens_on_loopback_and_answers_this_machine(settings, serving):
    server = serve_worker_metrics(settings, 0)
    serving.append(server)
    assert server.server_address[0] == "127.0.0.1"  # BALAGH_HOST's default, not every interface
    async with httpx.AsyncClient(timeout=5) as http:
        scrape = await http.get(url(server))
    assert scrape.status_code == 200
    assert "balagh_notifications_total" in scrape.text
    assert status_from(server, "203.0.113.9").startswith("403")
    assert status_from(server, "127.0.0.1").startswith("200")


async def test_with_a_token_every_scrape_must_send_it(settings, serving):
    secured = settings.model_copy(update={"metrics_token": SecretStr(SCRAPE_TOKEN)})
    server = serve_worker_metrics(secured, 0)
    serving.append(server)
    async with httpx.AsyncClient(timeout=5) as http:
        for headers in ({}, {"Authorization": "Bearer guess"}):
            refused = await http.get(url(server), headers=headers)
            assert refused.status_code == 403, headers
            assert "balagh_" not in refused.text
        allowed = await http.get(url(server), headers={"Authorization": f"Bearer {SCRAPE_TOKEN}"})
        assert allowed.status_code == 200
        assert "balagh_notifications_total" in allowed.text


@pytest.mark.parametrize("token", [None, ""])
def test_production_does_not_serve_it_without_the_token(tmp_path, token):
    unsafe = production(tmp_path, metrics_token=None if token is None else SecretStr(token))
    with pytest.raises(UnsafeSettings) as refused:
        serve_worker_metrics(unsafe, 0)
    [line] = refused.value.problems
    assert line.startswith("BALAGH_METRICS_TOKEN must be set")


def test_an_empty_token_opens_nothing(settings: Settings, serving):
    """`BALAGH_METRICS_TOKEN=` is no token: still this machine only, in local use."""
    server = serve_worker_metrics(settings.model_copy(update={"metrics_token": SecretStr("")}), 0)
    serving.append(server)
    assert status_from(server, "203.0.113.9").startswith("403")


def test_balagh_worker_refuses_the_port_in_production_without_the_token(tmp_path, monkeypatch):
    environment = {
        "BALAGH_ENVIRONMENT": "production",
        "BALAGH_STORE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
        "BALAGH_SECRET_KEY": SECRET,
        "BALAGH_ACTIONS_TOKEN": TOKEN,
    }
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("BALAGH_METRICS_TOKEN", raising=False)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli, ["worker", "--metrics-port", "9100"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 2, result.output
    assert result.output.startswith("refusing to start: BALAGH_METRICS_TOKEN must be set")
    assert not (tmp_path / "cli.db").exists()  # nothing started


async def test_a_production_worker_serves_its_metrics_to_the_token_only(tmp_path):
    """A real `balagh worker` process as deploy/ runs it (production, BALAGH_HOST given)."""
    port = free_port()
    env = {
        **os.environ,
        "BALAGH_ENVIRONMENT": "production",
        "BALAGH_HOST": "127.0.0.1",
        "BALAGH_STORE_URL": f"sqlite:///{tmp_path / 'balagh.db'}",
        "BALAGH_SECRET_KEY": SECRET,
        "BALAGH_ACTIONS_TOKEN": TOKEN,
        "BALAGH_METRICS_TOKEN": SCRAPE_TOKEN,
        "BALAGH_PUBLIC_BASE_URL": "https://balagh.alahsa.gov.sa",
    }
    with (tmp_path / "worker.log").open("w") as log:
        worker = await asyncio.create_subprocess_exec(
            str(BALAGH), "worker", "--metrics-port", str(port), env=env, stdout=log, stderr=log
        )
    try:
        async with httpx.AsyncClient(timeout=5) as http, asyncio.timeout(60):
            while True:
                try:
                    refused = await http.get(f"http://127.0.0.1:{port}/metrics")
                    break
                except httpx.ConnectError:
                    await asyncio.sleep(0.2)
            assert refused.status_code == 403
            allowed = await http.get(
                f"http://127.0.0.1:{port}/metrics",
                headers={"Authorization": f"Bearer {SCRAPE_TOKEN}"},
            )
            assert allowed.status_code == 200
            assert "balagh_notifications_total" in allowed.text
    finally:
        worker.send_signal(signal.SIGTERM)
        await worker.wait()
