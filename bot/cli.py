"""`balagh`: the command line for operators (run, staff users, API keys, demo data, checks).

Each command imports what it needs inside its body: `balagh --help` and a typo answer at
once instead of loading the whole service (FastAPI, Twilio, Telegram, the store drivers).
The service and the worker run on uvloop, libuv's event loop: asyncio's own, in Python,
spent a quarter of a busy replica's CPU moving bytes between sockets.
"""

import asyncio
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn, TypeVar

import typer

from bot.types import Role

if TYPE_CHECKING:
    from bot.catalogue import Catalogue
    from bot.services import Services
    from bot.settings import Settings, UnsafeSettings

T = TypeVar("T")

app = typer.Typer(
    help="Balagh 940 — the municipality's bilingual contact center.", no_args_is_help=True
)
user_app = typer.Typer(help="Staff accounts.", no_args_is_help=True)
api_key_app = typer.Typer(
    help="API keys for other systems (Open311 clients).", no_args_is_help=True
)
catalogue_app = typer.Typer(help="The municipality catalogue.", no_args_is_help=True)
config_app = typer.Typer(help="Configuration.", no_args_is_help=True)
telegram_app = typer.Typer(help="The Telegram channel.", no_args_is_help=True)
locales_app = typer.Typer(help="The word catalogues under locales/.", no_args_is_help=True)
app.add_typer(user_app, name="user")
app.add_typer(api_key_app, name="api-key")
app.add_typer(catalogue_app, name="catalogue")
app.add_typer(config_app, name="config")
app.add_typer(telegram_app, name="telegram")
app.add_typer(locales_app, name="locales")


def _with_services(job: Callable[["Services"], Awaitable[T]]) -> T:
    """Start the service's parts on the configured store, run `job`, stop them."""
    import uvloop

    from bot.composition import start_services

    async def run() -> T:
        services = await start_services(valid_settings())
        try:
            return await job(services)
        finally:
            await services.stop()

    return uvloop.run(run())


def _fail(message: str) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(1)


def _read_password(from_stdin: bool) -> str:
    """Asked twice at the terminal (never an argument, never echoed), or one stdin line."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    import getpass

    from bot.auth import MIN_PASSWORD_LENGTH

    typer.echo(f"The password needs at least {MIN_PASSWORD_LENGTH} characters.")
    password = getpass.getpass("Password: ")
    if getpass.getpass("Again: ") != password:
        raise _fail("the two passwords differ; nothing changed")
    return password


PasswordStdin = Annotated[
    bool, typer.Option("--password-stdin", help="Read the password from standard input.")
]


def refuse(unsafe: "UnsafeSettings") -> NoReturn:
    """Exit 2 with one line per reason the settings are unsafe to serve with."""
    for problem in unsafe.problems:
        typer.echo(f"refusing to start: {problem}", err=True)
    raise typer.Exit(2)


def valid_settings() -> "Settings":
    """The settings, or exit 2 with one line per value that is not valid."""
    from bot.settings import UnsafeSettings, get_settings

    try:
        return get_settings()
    except UnsafeSettings as invalid:
        refuse(invalid)


def safe_settings() -> "Settings":
    """The settings, or exit 2 when they are not valid or unsafe to serve with."""
    from bot.settings import UnsafeSettings, check_safe

    settings = valid_settings()
    try:
        check_safe(settings)
    except UnsafeSettings as unsafe:
        refuse(unsafe)
    return settings


@app.command()
def run(
    dialogue: Annotated[bool, typer.Option(help="Also start the Rasa dialogue core.")] = True,
) -> None:
    """Start the dialogue core, the service and the worker; Ctrl-C stops them all."""
    import uvloop

    from bot.runner import run_all

    uvloop.run(run_all(safe_settings(), with_dialogue=dialogue))


@app.command()
def worker(
    metrics_port: Annotated[
        int,
        typer.Option(
            min=0,
            max=65535,
            help="Serve /metrics on this port of BALAGH_HOST (0: none); production needs "
            "BALAGH_METRICS_TOKEN.",
        ),
    ] = 0,
) -> None:
    """Run the worker on its own (set BALAGH_EMBEDDED_WORKER=false on the service).

    Several workers share the outbox through leases: run as many as the volume needs."""
    from bot.logs import configure_logging

    settings = safe_settings()  # what _with_services starts with too (cached)
    configure_logging(settings.log_level, settings)
    if metrics_port:
        from bot.api.worker_metrics import serve_worker_metrics
        from bot.settings import UnsafeSettings

        try:
            serve_worker_metrics(settings, metrics_port)
        except UnsafeSettings as unsafe:
            refuse(unsafe)

    async def work(services: "Services") -> None:
        await services.worker.run_forever()

    _with_services(work)


@user_app.command("create")
def create_user(
    username: str,
    role: Annotated[Role, typer.Option(help="agent, supervisor, field or admin")],
    name: Annotated[str, typer.Option(help="Display name")],
    team: Annotated[str | None, typer.Option(help="Field team code (field staff)")] = None,
    password_stdin: PasswordStdin = False,
) -> None:
    """Create a staff account; the password is asked for, never passed as an argument."""
    from pydantic import ValidationError

    from bot.auth import WeakPassword
    from bot.complaints import UnknownCode
    from bot.staff_accounts import create_staff_user
    from bot.store.base import DuplicateUser

    async def exists(services: "Services") -> bool:
        return await services.store.get_user(username) is not None

    if _with_services(exists):
        raise _fail(
            f"not created: a user named {username} already exists "
            f"(`balagh user password {username}` sets a new password)"
        )
    password = _read_password(password_stdin)

    async def create(services: "Services") -> None:
        await create_staff_user(
            services.store,
            services.catalogue,
            username=username,
            display_name=name,
            role=role,
            password=password,
            team=team,
        )

    try:
        _with_services(create)
    except DuplicateUser:
        raise _fail(f"not created: a user named {username} already exists") from None
    except (WeakPassword, UnknownCode, ValidationError) as exc:
        raise _fail(f"not created: {exc}") from None
    typer.echo(f"created {role} {username}")


@user_app.command("list")
def list_users() -> None:
    """Every staff account: username, role, team, whether active, display name."""

    async def users(services: "Services") -> list[tuple[str, ...]]:
        return [
            (
                user.username,
                user.role.value,
                user.team or "-",
                "active" if user.active else "inactive",
                user.display_name,
            )
            for user in await services.store.list_users()
        ]

    rows = _with_services(users)
    if not rows:
        typer.echo("no staff accounts yet: `balagh user create NAME --role admin --name …`")
        return
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]) - 1)]
    for *padded, last in rows:
        typer.echo(
            "  ".join(
                [*(cell.ljust(width) for cell, width in zip(padded, widths, strict=True)), last]
            )
        )


@user_app.command("password")
def set_password(username: str, password_stdin: PasswordStdin = False) -> None:
    """Set a new password for an account (asked for, never passed as an argument)."""
    from bot.auth import WeakPassword
    from bot.staff_accounts import UnknownStaffUser, set_staff_password

    async def exists(services: "Services") -> bool:
        return await services.store.get_user(username) is not None

    if not _with_services(exists):
        raise _fail(f"no staff account named {username} (`balagh user list` shows them)")
    password = _read_password(password_stdin)

    async def change(services: "Services") -> None:
        await set_staff_password(services.store, username, password)

    try:
        _with_services(change)
    except (WeakPassword, UnknownStaffUser) as exc:
        raise _fail(f"not changed: {exc}") from None
    typer.echo(f"new password set for {username}")


@user_app.command("contact")
def set_contact(
    username: str,
    values: Annotated[
        list[str] | None,
        typer.Argument(help="FIELD=VALUE, e.g. phone=0551234567; an empty VALUE clears it."),
    ] = None,
    language: Annotated[str | None, typer.Option(help="ar or en: their notices' language")] = None,
) -> None:
    """Show or set where an account's notifications go: one field per notification provider
    that can reach staff (the first one filled in is used)."""
    from pydantic import ValidationError

    from bot.notifications.providers.contact import InvalidContact
    from bot.staff_accounts import UnknownStaffUser, set_staff_contact

    pairs = [value.partition("=") for value in values or []]
    if any(not sign for _, sign, _ in pairs):
        raise _fail("not changed: give each contact as FIELD=VALUE")
    typed = {key: value for key, _, value in pairs}

    async def change(services: "Services") -> list[str]:
        user = await services.store.get_user(username)
        if user is None:
            raise UnknownStaffUser(username)
        fields = services.staff_contacts
        if typed or language:
            current = {field.key: user.contacts.get(field.key) for field in fields}
            contact = fields.contact({**current, **typed}, language or user.language)
            user = await set_staff_contact(services.store, username, contact)
        shown = [
            f"{field.key} ({field.name('en')}): {user.contacts.get(field.key, '-')}"
            for field in fields
        ]
        return [*shown, f"language: {user.language}"]

    try:
        lines = _with_services(change)
    except UnknownStaffUser:
        raise _fail(f"no staff account named {username} (`balagh user list` shows them)") from None
    except (InvalidContact, ValidationError) as exc:
        raise _fail(f"not changed: {exc}") from None
    for line in lines:
        typer.echo(line)


@api_key_app.command("issue")
def issue_api_key(
    name: Annotated[str, typer.Argument(help="Who the key is for, e.g. 'city-app'.")],
    partner: Annotated[
        bool,
        typer.Option(
            "--partner", help="Another municipal system: also reads residents' words and places."
        ),
    ] = False,
) -> None:
    """Issue a key; it is printed once and kept only hashed."""
    from bot.api_keys import create_api_key

    async def issue(services: "Services") -> str:
        plain, _ = await create_api_key(
            services.store, name, "cli", "partner" if partner else "reporter"
        )
        return plain

    typer.echo(f"API key for {name} (shown once, keep it safe): {_with_services(issue)}")


@api_key_app.command("list")
def list_api_keys() -> None:
    """Every key: id, whether active, role, name, when and by whom it was issued."""
    from bot.api_keys import list_api_keys as stored_keys

    for key in _with_services(lambda services: stored_keys(services.store)):
        state = "active" if key.active else "revoked"
        created = key.created_at.isoformat(timespec="minutes")
        typer.echo(
            f"{key.key_id}  {state:7}  {key.role:8}  {key.name}  ({created} by {key.created_by})"
        )


@api_key_app.command("revoke")
def revoke_api_key(key_id: str) -> None:
    """Revoke a key by its id (from `balagh api-key list`): it stops working at once."""
    from bot.api_keys import revoke_api_key as revoke

    if not _with_services(lambda services: revoke(services.store, key_id)):
        raise _fail(f"no API key with id {key_id}")
    typer.echo(f"revoked {key_id}")


@app.command()
def seed(
    complaints: Annotated[int, typer.Option(min=1, help="How many demo complaints to add.")] = 1000,
    seed_value: Annotated[int, typer.Option("--seed", help="Random seed.")] = 940,
    live_providers: Annotated[
        bool, typer.Option("--live-providers", help="Seed even with Twilio/Telegram configured.")
    ] = False,
) -> None:
    """Fill the store with realistic demo complaints (for trying the back office and KPIs),
    and create the supervisors the catalogue names, with demo phones for their notices."""
    import secrets

    from bot.demo import named_supervisors, seed_store, seed_supervisors

    settings = valid_settings()
    if (settings.twilio_account_sid or settings.telegram_bot_token) and not live_providers:
        # the demo phones are made up but dialable: their notices would really be sent
        raise _fail(
            "not seeded: Twilio or Telegram is configured, so notices to the demo phones "
            "would really be sent. Seed a store without them, or pass --live-providers."
        )
    password = secrets.token_urlsafe(12)

    async def fill(services: "Services") -> tuple[list[str], list[str]]:
        created = await seed_supervisors(
            services.store, services.catalogue, services.staff_contacts, password
        )
        if created:
            typer.echo(f"password of the new supervisor accounts (shown once): {password}")
        with typer.progressbar(length=complaints, label="complaints") as bar:
            async for added in seed_store(services, complaints, seed_value):
                bar.update(added)
        return created, list(named_supervisors(services.catalogue))

    created, supervisors = _with_services(fill)
    if created:
        accounts = f"created supervisors {', '.join(created)} (their password is printed above)"
    else:
        accounts = (
            f"supervisors {', '.join(supervisors)} already existed "
            "(passwords unchanged; `balagh user password NAME` sets one)"
        )
    typer.echo(f"seeded {complaints} demo complaints; {accounts}")


def _embedded_store() -> Path:
    from bot.store import sqlite_path

    path = sqlite_path(valid_settings().store_url)
    if path is None:
        typer.echo(
            "backup and restore copy the embedded (SQLite) store; for MongoDB use mongodump "
            "and mongorestore (see the README)",
            err=True,
        )
        raise typer.Exit(1)
    return path


@app.command()
def backup(
    target: Annotated[Path, typer.Argument(help="The copy to write, e.g. backups/balagh.db.")],
) -> None:
    """Copy the embedded store while it runs (SQLite's online backup), then check the copy."""
    from bot.store import backup as store_backup

    try:
        complaints = store_backup.backup(_embedded_store(), target)
    except store_backup.BackupError as exc:
        typer.echo(f"no backup: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"backed up {complaints} complaints to {target} (integrity checked)")


@app.command()
def restore(
    copy: Annotated[Path, typer.Argument(help="A copy made by balagh backup.")],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Replace the embedded store with a checked copy (what was written since is lost)."""
    from bot.store import backup as store_backup

    store = _embedded_store()
    if not yes:
        typer.confirm(f"Replace {store} with {copy}? Everything written since is lost", abort=True)
    try:
        complaints = store_backup.restore(copy, store)
    except store_backup.BackupError as exc:
        typer.echo(f"not restored, the store is unchanged: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"restored {complaints} complaints from {copy}")


@config_app.command("show")
def show_config() -> None:
    """Print the effective configuration (secrets masked)."""
    import json

    settings = valid_settings()
    typer.echo(json.dumps(settings.model_dump(mode="json"), indent=2, ensure_ascii=False))


@catalogue_app.command("check")
def check_catalogue(
    path: Annotated[Path | None, typer.Argument(help="Defaults to BALAGH_CATALOGUE_PATH.")] = None,
) -> None:
    """Validate the catalogue (its systems of record's settings too) and summarise it; exit 1
    with the problem if it is wrong."""
    from bot.catalogue import CatalogueError, load_catalogue

    source = path or valid_settings().catalogue_path
    try:
        catalogue = load_catalogue(source)
        asyncio.run(_check_connectors(catalogue, source))
    except CatalogueError as exc:
        raise _fail(str(exc)) from None
    typer.echo(
        f"catalogue ok: {len(catalogue.categories)} categories, "
        f"{len(catalogue.districts)} districts, {len(catalogue.teams)} teams, "
        f"{len(catalogue.transactions)} transaction types"
    )


async def _check_connectors(catalogue: "Catalogue", source: Path) -> None:
    import httpx

    from bot.transactions.registry import build_connectors

    async with httpx.AsyncClient() as http:
        build_connectors(catalogue, http, source)


@locales_app.command("extract")
def extract_locales() -> None:
    """Write locales/balagh.pot from the code and add its new keys to each catalogue."""
    from bot import locales

    added = locales.extract()
    typer.echo("\n".join(f"added {entry}: give it its words" for entry in added) or "no new keys")


@locales_app.command("check")
def check_locales() -> None:
    """Both languages, no unused key, no chat-only words on the phone; exit 1 otherwise."""
    from bot import locales

    problems = locales.check()
    if problems:
        raise _fail("\n".join(problems))
    typer.echo("locales ok")


@telegram_app.command("set-webhook")
def telegram_set_webhook() -> None:
    """Tell Telegram to deliver updates to this service (once, and when the address changes)."""
    from telegram.error import TelegramError

    from channels.telegram import set_webhook

    try:
        url = asyncio.run(set_webhook(valid_settings()))
    except (ValueError, TelegramError) as exc:
        raise _fail(f"webhook not set: {exc}") from None
    typer.echo(f"Telegram now delivers updates to {url}")
