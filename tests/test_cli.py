"""The `balagh` command line, run as an operator would, on a temporary store."""

import asyncio
import getpass
import json
import subprocess
import sys
from datetime import timedelta

import pytest
from typer.testing import CliRunner

from bot.api_keys import check_api_key
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
    assert "11 categories" in result.output
    assert "3 transaction types" in result.output


def test_catalogue_check_tries_the_systems_settings(tmp_path):
    """A system's connector settings are checked too, not only the catalogue's shape."""
    text = (ROOT / "catalogue.yml").read_text(encoding="utf-8")
    broken = tmp_path / "catalogue.yml"
    broken.write_text(text.replace("/api/transactions/{number}", "/api/transactions"), "utf-8")
    result = runner.invoke(app, ["catalogue", "check", str(broken)])
    assert result.exit_code == 1
    assert "transaction_systems.demo_records.config.url" in result.output


def create_noura(role: str) -> None:
    result = runner.invoke(
        app,
        ["user", "create", "noura", "--role", role, "--name", "Noura", "--password-stdin"],
        input="a long password\n",
    )
    assert result.exit_code == 0, result.output


def test_user_contact_shows_checks_and_sets_the_providers_fields(temporary_store):
    create_noura("agent")
    shown = runner.invoke(app, ["user", "contact", "noura"])
    assert shown.output.splitlines() == [
        "telegram_chat_id (Telegram chat id): -",
        "phone (Mobile (SMS)): -",
        "language: ar",
    ]
    refused = runner.invoke(app, ["user", "contact", "noura", "phone=0551234567", "fax=1"])
    assert refused.exit_code == 1
    assert "not changed: fax: no provider has this field" in refused.output
    refused = runner.invoke(app, ["user", "contact", "noura", "phone=0512"])
    assert refused.exit_code == 1
    assert "not changed: phone: not a valid phone number" in refused.output
    changed = runner.invoke(
        app, ["user", "contact", "noura", "phone=٠٥٥٩٨٧٦٥٤٣", "--language", "en"]
    )
    assert changed.exit_code == 0, changed.output
    assert "phone (Mobile (SMS)): +966559876543" in changed.output
    cleared = runner.invoke(app, ["user", "contact", "noura", "phone=", "telegram_chat_id=42"])
    assert cleared.output.splitlines() == [
        "telegram_chat_id (Telegram chat id): 42",
        "phone (Mobile (SMS)): -",
        "language: en",
    ]

    async def contacts(store):
        user = await store.get_user("noura")
        return user.contacts, user.language

    assert read_store(temporary_store, contacts) == ({"telegram_chat_id": "42"}, "en")


def test_catalogue_check_names_the_problem(tmp_path):
    broken = tmp_path / "broken.yml"
    broken.write_text("municipality: [\n", encoding="utf-8")
    result = runner.invoke(app, ["catalogue", "check", str(broken)])
    assert result.exit_code == 1
    assert "broken.yml" in result.output


def test_user_create_reads_the_password_from_stdin(temporary_store):
    create_noura("supervisor")

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
    assert len(summary.by_category) == 11


def test_seed_creates_the_catalogues_supervisors_once(temporary_store):
    first = runner.invoke(app, ["seed", "--complaints", "1"])
    assert first.exit_code == 0, first.output
    assert "created supervisors callcenter.supervisor, roads.supervisor," in first.output
    password = first.output.split("supervisor accounts (shown once): ")[1].split()[0]

    async def login(store):
        auth = Authenticator(store, timedelta(minutes=5), timedelta(hours=1))
        return await auth.login("roads.supervisor", password)

    issued = read_store(temporary_store, login)
    assert issued is not None
    assert issued.user.contacts["phone"].startswith("+966")
    summary = first.output.strip().splitlines()[-1]
    assert summary.startswith("seeded 1 demo complaints; created supervisors callcenter.")
    assert summary.endswith("(their password is printed above)")
    again = runner.invoke(app, ["seed", "--complaints", "1"])
    assert again.exit_code == 0, again.output
    assert "created supervisors" not in again.output
    assert "shown once" not in again.output
    last = again.output.strip().splitlines()[-1]
    assert last.startswith("seeded 1 demo complaints; supervisors callcenter.supervisor,")
    assert "already existed (passwords unchanged; `balagh user password NAME` sets one)" in last


def test_seed_refuses_while_notices_would_really_be_sent(temporary_store, monkeypatch):
    monkeypatch.setenv("BALAGH_TWILIO_ACCOUNT_SID", "AC" + "0" * 32)
    get_settings.cache_clear()
    refused = runner.invoke(app, ["seed", "--complaints", "1"])
    assert refused.exit_code == 1
    assert "--live-providers" in refused.output
    assert not temporary_store.exists()
    allowed = runner.invoke(app, ["seed", "--complaints", "1", "--live-providers"])
    assert allowed.exit_code == 0, allowed.output


@pytest.mark.parametrize("command", [["run", "--no-dialogue"], ["worker"], ["backup", "copy.db"]])
def test_a_value_that_is_not_valid_is_named_without_a_traceback(command, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BALAGH_DRAIN_SECONDS", "-1")
    monkeypatch.setenv("BALAGH_SECRET_KEY", "short-but-secret-value")
    get_settings.cache_clear()
    result = runner.invoke(app, command)
    assert result.exit_code == 2
    assert (
        "refusing to start: BALAGH_DRAIN_SECONDS: Input should be greater than or equal to 0"
        in (result.output)
    )
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "short-but-secret-value" not in result.output  # values are not repeated
    assert not (tmp_path / "copy.db").exists()


def test_config_show_masks_the_secret():
    result = runner.invoke(app, ["config", "show"])
    assert result.exit_code == 0
    shown = json.loads(result.output)
    assert shown["port"] == 8000
    assert LOCAL_SECRET not in result.output


def create(username, role="agent", *extra):
    return runner.invoke(
        app,
        [
            "user",
            "create",
            username,
            "--role",
            role,
            "--name",
            username,
            *extra,
            "--password-stdin",
        ],
        input="a long password\n",
    )


def can_login(path, username, password):
    async def login(store):
        auth = Authenticator(store, timedelta(minutes=5), timedelta(hours=1))
        return await auth.login(username, password)

    return read_store(path, login) is not None


def test_the_password_rule_is_said_before_the_password_is_asked(monkeypatch):
    def typed(prompt):
        print(prompt, end="")  # the real getpass writes its prompt to the terminal
        return "a long password"

    monkeypatch.setattr(getpass, "getpass", typed)
    result = runner.invoke(app, ["user", "create", "ali", "--role", "agent", "--name", "Ali"])
    assert result.exit_code == 0, result.output
    rule = "The password needs at least 10 characters."
    assert rule in result.output
    assert result.output.index(rule) < result.output.index("Password:")


def test_creating_an_existing_user_says_so_before_asking_a_password():
    assert create("noura").exit_code == 0
    again = runner.invoke(
        app, ["user", "create", "noura", "--role", "admin", "--name", "Other"], input=""
    )
    assert again.exit_code == 1
    assert "not created: a user named noura already exists" in again.output
    assert "Password" not in again.output


def test_user_list_shows_every_account():
    assert runner.invoke(app, ["user", "list"]).output.startswith("no staff accounts yet")
    create("noura", "supervisor")
    create("crew1", "field", "--team", "roads_hofuf")
    listed = runner.invoke(app, ["user", "list"])
    assert listed.exit_code == 0, listed.output
    lines = listed.output.splitlines()
    assert lines[0].split() == ["crew1", "field", "roads_hofuf", "active", "crew1"]
    assert lines[1].split() == ["noura", "supervisor", "-", "active", "noura"]


def test_user_password_sets_a_new_password_and_ends_the_sessions(temporary_store):
    create("noura")

    async def sign_in(store):
        issued = await Authenticator(store, timedelta(hours=1), timedelta(hours=8)).login(
            "noura", "a long password"
        )
        assert issued is not None
        return issued.token

    token = read_store(temporary_store, sign_in)
    changed = runner.invoke(
        app, ["user", "password", "noura", "--password-stdin"], input="another long one\n"
    )
    assert changed.exit_code == 0, changed.output
    old_session = read_store(
        temporary_store,
        lambda store: Authenticator(store, timedelta(hours=1), timedelta(hours=8)).resolve(token),
    )
    assert old_session is None  # whoever had the old password is signed out
    assert can_login(temporary_store, "noura", "another long one")
    assert not can_login(temporary_store, "noura", "a long password")
    weak = runner.invoke(app, ["user", "password", "noura", "--password-stdin"], input="short\n")
    assert weak.exit_code == 1
    assert "not changed: a password needs at least 10 characters" in weak.output
    unknown = runner.invoke(app, ["user", "password", "nobody", "--password-stdin"], input="x\n")
    assert unknown.exit_code == 1
    assert "no staff account named nobody" in unknown.output


def test_api_keys_are_issued_listed_and_revoked(temporary_store):
    issued = runner.invoke(app, ["api-key", "issue", "city-app"])
    assert issued.exit_code == 0, issued.output
    plain = issued.output.split(": ")[-1].strip()
    assert read_store(temporary_store, lambda store: check_api_key(store, plain)) is not None
    partner = runner.invoke(app, ["api-key", "issue", "gis-unit", "--partner"])
    assert partner.exit_code == 0, partner.output
    partner_key = partner.output.split(": ")[-1].strip()
    kept = read_store(temporary_store, lambda store: check_api_key(store, partner_key))
    assert kept is not None
    assert kept.role == "partner"
    lines = runner.invoke(app, ["api-key", "list"]).output.splitlines()
    rows = {line.split()[3]: line.split()[:3] for line in lines}
    key_id, state, role = rows["city-app"]
    assert (state, role) == ("active", "reporter")
    assert rows["gis-unit"][2] == "partner"
    assert plain.startswith(f"b940_{key_id}_")
    revoked = runner.invoke(app, ["api-key", "revoke", key_id])
    assert revoked.exit_code == 0, revoked.output
    assert read_store(temporary_store, lambda store: check_api_key(store, plain)) is None
    after = runner.invoke(app, ["api-key", "list"]).output.splitlines()
    assert "revoked" in [line.split()[1] for line in after]
    assert runner.invoke(app, ["api-key", "revoke", "nope"]).exit_code == 1


def test_help_loads_none_of_the_service():
    """`balagh --help` answers at once: the service's heavy libraries are not imported."""
    script = (
        "import sys\n"
        "from bot.cli import app\n"
        "heavy = {'fastapi', 'telegram', 'twilio', 'pymongo', 'aiosqlite', 'argon2', 'httpx',"
        " 'prometheus_client'}\n"
        "print(sorted(heavy & set(sys.modules)))\n"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert loaded.stdout.strip() == "[]"
