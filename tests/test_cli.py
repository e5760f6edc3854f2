"""The `balagh` command line, run as an operator would, on a temporary store."""

import asyncio
import json
from datetime import timedelta

import pytest
from typer.testing import CliRunner

from bot.auth import Authenticator
from bot.cli import app
from bot.settings import LOCAL_SECRET, ROOT, get_settings
from bot.store.sqlite import SqliteStore

runner = CliRunner()


@pytest.fixture(autouse=True)
def temporary_store(tmp_path, monkeypatch):
    monkeypatch.setenv("BALAGH_STORE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    get_settings.cache_clear()
    yield tmp_path / "cli.db"
    get_settings.cache_clear()


def read_store(path, query):
    async def run():
        store = SqliteStore(path)
        await store.open()
        try:
            return await query(store)
        finally:
            await store.close()

    return asyncio.run(run())


def test_catalogue_check_summarises_the_shipped_catalogue():
    result = runner.invoke(app, ["catalogue", "check"])
    assert result.exit_code == 0, result.output
    assert "10 categories" in result.output
    assert "3 transaction types" in result.output


def test_catalogue_check_tries_the_systems_settings(tmp_path):
    """A system's connector settings are checked too, not only the catalogue's shape."""
    text = (ROOT / "catalogue.yml").read_text(encoding="utf-8")
    broken = tmp_path / "catalogue.yml"
    broken.write_text(text.replace("/api/transactions/{number}", "/api/transactions"), "utf-8")
    result = runner.invoke(app, ["catalogue", "check", str(broken)])
    assert result.exit_code == 1
    assert "transaction_systems.demo_records.config.url" in result.output


def test_catalogue_check_names_the_problem(tmp_path):
    broken = tmp_path / "broken.yml"
    broken.write_text("municipality: [\n", encoding="utf-8")
    result = runner.invoke(app, ["catalogue", "check", str(broken)])
    assert result.exit_code == 1
    assert "broken.yml" in result.output


def test_user_create_reads_the_password_from_stdin(temporary_store):
    result = runner.invoke(
        app,
        ["user", "create", "noura", "--role", "supervisor", "--name", "Noura", "--password-stdin"],
        input="a long password\n",
    )
    assert result.exit_code == 0, result.output

    async def login(store):
        auth = Authenticator(store, timedelta(minutes=5), timedelta(hours=1))
        return await auth.login("noura", "a long password")

    issued = read_store(temporary_store, login)
    assert issued is not None
    assert issued.user.role == "supervisor"


def test_user_create_refuses_a_short_password():
    result = runner.invoke(
        app,
        ["user", "create", "ali", "--role", "agent", "--name", "Ali", "--password-stdin"],
        input="short\n",
    )
    assert result.exit_code == 1
    assert "not created: a password needs at least 10 characters" in result.output


def test_seed_adds_the_asked_number_of_complaints(temporary_store):
    result = runner.invoke(app, ["seed", "--complaints", "1500"])
    assert result.exit_code == 0, result.output
    summary = read_store(temporary_store, lambda store: store.kpi_summary())
    assert summary.total == 1500
    assert len(summary.by_category) == 10


def test_seed_creates_the_catalogues_supervisors_once(temporary_store):
    first = runner.invoke(app, ["seed", "--complaints", "1"])
    assert first.exit_code == 0, first.output
    assert "created supervisors callcenter.supervisor, roads.supervisor," in first.output
    password = first.output.split("their password (shown once): ")[1].split()[0]

    async def login(store):
        auth = Authenticator(store, timedelta(minutes=5), timedelta(hours=1))
        return await auth.login("roads.supervisor", password)

    issued = read_store(temporary_store, login)
    assert issued is not None
    assert issued.user.phone is not None
    again = runner.invoke(app, ["seed", "--complaints", "1"])
    assert again.exit_code == 0, again.output
    assert "created supervisors" not in again.output


def test_seed_refuses_while_notices_would_really_be_sent(temporary_store, monkeypatch):
    monkeypatch.setenv("BALAGH_TWILIO_ACCOUNT_SID", "AC" + "0" * 32)
    get_settings.cache_clear()
    refused = runner.invoke(app, ["seed", "--complaints", "1"])
    assert refused.exit_code == 1
    assert "--live-providers" in refused.output
    assert not temporary_store.exists()
    allowed = runner.invoke(app, ["seed", "--complaints", "1", "--live-providers"])
    assert allowed.exit_code == 0, allowed.output


def test_config_show_masks_the_secret():
    result = runner.invoke(app, ["config", "show"])
    assert result.exit_code == 0
    shown = json.loads(result.output)
    assert shown["port"] == 8000
    assert LOCAL_SECRET not in result.output
