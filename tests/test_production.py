"""Configuration that cannot be unsafe: local mode on loopback only, production with its own
secrets, and what production hides or adds (API docs, the simulator, the chat demo, HSTS,
health details)."""

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr
from typer.testing import CliRunner

from bot.app import create_app
from bot.cli import app as cli
from bot.settings import LOCAL_SECRET, Settings, UnsafeSettings, get_settings, problems
from bot.types import Role
from tests.conftest import StaffLogin

SECRET = "s" * 48
TOKEN = "t" * 40


def production(tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "environment": "production",
        "store_url": f"sqlite:///{tmp_path / 'balagh.db'}",
        "rasa_url": "http://127.0.0.1:9",
        "public_base_url": "https://balagh.alahsa.gov.sa",
        "host": "0.0.0.0",  # noqa: S104 - behind the load balancer
        "secret_key": SecretStr(SECRET),
        "actions_token": SecretStr(TOKEN),
        **overrides,
    }
    return Settings(_env_file=None, **values)


def test_production_with_its_own_secrets_starts(tmp_path):
    assert problems(production(tmp_path)) == []


@pytest.mark.parametrize(
    ("overrides", "starts_with"),
    [
        ({"secret_key": SecretStr(LOCAL_SECRET)}, "BALAGH_SECRET_KEY must be"),
        ({"secret_key": SecretStr("short-but-random")}, "BALAGH_SECRET_KEY must be"),
        ({"actions_token": None}, "BALAGH_ACTIONS_TOKEN must be"),
        ({"actions_token": SecretStr("")}, "BALAGH_ACTIONS_TOKEN must be"),
        ({"twilio_account_sid": "AC" + "1" * 32}, "BALAGH_TWILIO_AUTH_TOKEN must be"),
        ({"agents_number": "+966131234567"}, "BALAGH_TWILIO_AUTH_TOKEN must be"),
        ({"telegram_bot_token": SecretStr("1:abc")}, "BALAGH_TELEGRAM_SECRET_TOKEN must be"),
        (
            {"telegram_bot_token": SecretStr("1:abc"), "telegram_secret_token": SecretStr("")},
            "BALAGH_TELEGRAM_SECRET_TOKEN must be",
        ),
    ],
)
def test_each_missing_secret_is_one_clear_line(tmp_path, overrides, starts_with):
    [line] = problems(production(tmp_path, **overrides))
    assert line.startswith(starts_with)
    assert "\n" not in line
    with pytest.raises(UnsafeSettings):
        create_app(production(tmp_path, **overrides))


@pytest.mark.parametrize(
    ("overrides", "starts_with"),
    [
        ({"host": "0.0.0.0"}, "BALAGH_HOST=0.0.0.0 listens beyond this machine"),  # noqa: S104
        ({"host": "192.168.1.20"}, "BALAGH_HOST=192.168.1.20 listens beyond this machine"),
        (
            {"public_base_url": "https://balagh.alahsa.gov.sa"},
            "BALAGH_PUBLIC_BASE_URL=https://balagh.alahsa.gov.sa is not a loopback address",
        ),
    ],
)
def test_local_mode_is_for_loopback_only(tmp_path, overrides, starts_with):
    settings = Settings(
        _env_file=None, store_url=f"sqlite:///{tmp_path / 'balagh.db'}", **overrides
    )
    [line] = problems(settings)
    assert line.startswith(starts_with)
    assert line.endswith("set BALAGH_ENVIRONMENT=production")


@pytest.mark.parametrize(
    ("host", "public"),
    [("127.0.0.1", "http://localhost:8000"), ("::1", "http://[::1]:8000"), ("localhost", "")],
)
def test_local_mode_on_loopback_starts(tmp_path, host, public):
    extra = {"public_base_url": public} if public else {}
    assert problems(Settings(_env_file=None, host=host, **extra)) == []


def test_balagh_run_refuses_with_one_line_per_problem(tmp_path, monkeypatch):
    """What an operator sees: every refusal at once, one line each, and nothing started."""
    monkeypatch.setenv("BALAGH_ENVIRONMENT", "production")
    monkeypatch.setenv("BALAGH_STORE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("BALAGH_TELEGRAM_BOT_TOKEN", "1:abc")
    get_settings.cache_clear()
    try:
        for command in (["run", "--no-dialogue"], ["worker"]):
            result = CliRunner().invoke(cli, command)
            assert result.exit_code == 2, result.output
            lines = result.output.strip().splitlines()
            assert [line.split(":")[1].split()[0] for line in lines] == [
                "BALAGH_SECRET_KEY",
                "BALAGH_ACTIONS_TOKEN",
                "BALAGH_TELEGRAM_SECRET_TOKEN",
            ]
    finally:
        get_settings.cache_clear()
    assert not (tmp_path / "cli.db").exists()


@pytest.fixture
async def production_app(tmp_path: Path) -> AsyncIterator[FastAPI]:
    application = create_app(production(tmp_path))
    async with application.router.lifespan_context(application):
        yield application


def client_for(application: FastAPI, address: str = "203.0.113.7") -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=application, client=(address, 51000))
    return httpx.AsyncClient(transport=transport, base_url="https://balagh.alahsa.gov.sa")


@pytest.mark.parametrize(
    "path", ["/docs", "/redoc", "/openapi.json", "/simulator", "/webchat/demo"]
)
async def test_production_hides_the_pages_for_trying_things(production_app, path):
    async with client_for(production_app) as http:
        assert (await http.get(path)).status_code == 404


async def test_each_page_can_be_switched_on(tmp_path):
    settings = production(tmp_path, api_docs=True, simulator=True, webchat_demo=True)
    application = create_app(settings)
    async with application.router.lifespan_context(application), client_for(application) as http:
        for path in ("/docs", "/openapi.json", "/simulator", "/webchat/demo"):
            assert (await http.get(path)).status_code == 200, path


async def test_production_answers_with_hsts_local_does_not(production_app, client):
    async with client_for(production_app) as http:
        for path in ("/", "/health", "/api/complaints/1234567890?digits=1"):
            response = await http.get(path)
            assert response.headers["strict-transport-security"].startswith("max-age="), path
    assert "strict-transport-security" not in (await client.get("/")).headers


async def test_health_details_are_for_staff_and_loopback(production_app):
    async with client_for(production_app) as outsider:
        anonymous = (await outsider.get("/health")).json()
    assert anonymous["components"] == {}
    assert anonymous["status"] == "degraded"  # the dialogue is down: the status still says so
    async with client_for(production_app, "127.0.0.1") as here:
        assert "store" in (await here.get("/health")).json()["components"]


async def test_health_details_for_a_signed_in_employee(client, staff_headers: StaffLogin, app):
    headers = await staff_headers(Role.AGENT)
    async with client_for(app) as outsider:
        assert (await outsider.get("/health")).json()["components"] == {}
        detailed = await outsider.get("/health", headers=headers)
    assert detailed.json()["components"]["store"]["state"] == "up"
