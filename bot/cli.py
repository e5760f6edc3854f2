"""`balagh`: the command line for operators (run, staff users, demo data, checks)."""

import asyncio
import getpass
import json
import secrets
import sys
from pathlib import Path
from typing import Annotated

import typer
from prometheus_client import start_http_server
from pydantic import ValidationError
from telegram.error import TelegramError

from bot import locales
from bot.auth import WeakPassword
from bot.catalogue import CatalogueError, load_catalogue
from bot.complaints import UnknownCode
from bot.composition import start_services
from bot.demo import seed_store, seed_supervisors
from bot.logs import configure_logging
from bot.metrics import process_registry
from bot.runner import run_all
from bot.settings import Settings, UnsafeSettings, check_safe, get_settings
from bot.staff_accounts import create_staff_user
from bot.store import backup as store_backup
from bot.store import sqlite_path
from bot.store.base import DuplicateUser
from bot.types import Role
from channels.telegram import set_webhook

app = typer.Typer(
    help="Balagh 940 — the municipality's bilingual contact center.", no_args_is_help=True
)
user_app = typer.Typer(help="Staff accounts.", no_args_is_help=True)
catalogue_app = typer.Typer(help="The municipality catalogue.", no_args_is_help=True)
config_app = typer.Typer(help="Configuration.", no_args_is_help=True)
telegram_app = typer.Typer(help="The Telegram channel.", no_args_is_help=True)
locales_app = typer.Typer(help="The word catalogues under locales/.", no_args_is_help=True)
app.add_typer(user_app, name="user")
app.add_typer(catalogue_app, name="catalogue")
app.add_typer(config_app, name="config")
app.add_typer(telegram_app, name="telegram")
app.add_typer(locales_app, name="locales")


def safe_settings() -> Settings:
    """The settings, or exit 2 with one line per reason they are unsafe to serve with."""
    settings = get_settings()
    try:
        check_safe(settings)
    except UnsafeSettings as unsafe:
        for problem in unsafe.problems:
            typer.echo(f"refusing to start: {problem}", err=True)
        raise typer.Exit(2) from None
    return settings


@app.command()
def run(
    dialogue: Annotated[bool, typer.Option(help="Also start the Rasa dialogue core.")] = True,
) -> None:
    """Start the dialogue core, the service and the worker; Ctrl-C stops them all."""
    asyncio.run(run_all(safe_settings(), with_dialogue=dialogue))


@app.command()
def worker(
    metrics_port: Annotated[
        int, typer.Option(min=0, max=65535, help="Serve /metrics on this port (0: none).")
    ] = 0,
) -> None:
    """Run the worker on its own (set BALAGH_EMBEDDED_WORKER=false on the service).

    Several workers share the outbox through leases: run as many as the volume needs."""

    settings = safe_settings()
    configure_logging(settings.log_level, settings)
    if metrics_port:
        start_http_server(metrics_port, registry=process_registry())

    async def work() -> None:
        services = await start_services(settings)
        try:
            await services.worker.run_forever()
        finally:
            await services.stop()

    asyncio.run(work())


@user_app.command("create")
def create_user(
    username: str,
    role: Annotated[Role, typer.Option(help="agent, supervisor, field or admin")],
    name: Annotated[str, typer.Option(help="Display name")],
    team: Annotated[str | None, typer.Option(help="Field team code (field staff)")] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
) -> None:
    """Create a staff account; the password is asked for, never passed as an argument."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("Password: ")
        if getpass.getpass("Again: ") != password:
            raise typer.BadParameter("the two passwords differ")

    async def create() -> None:
        services = await start_services(get_settings())
        try:
            await create_staff_user(
                services.store,
                services.catalogue,
                username=username,
                display_name=name,
                role=role,
                password=password,
                team=team,
            )
        finally:
            await services.stop()

    try:
        asyncio.run(create())
    except (WeakPassword, UnknownCode, DuplicateUser, ValidationError) as exc:
        typer.echo(f"not created: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"created {role} {username}")


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
    settings = get_settings()
    if (settings.twilio_account_sid or settings.telegram_bot_token) and not live_providers:
        # the demo phones are made up but dialable: their notices would really be sent
        typer.echo(
            "not seeded: Twilio or Telegram is configured, so notices to the demo phones "
            "would really be sent. Seed a store without them, or pass --live-providers.",
            err=True,
        )
        raise typer.Exit(1)
    password = secrets.token_urlsafe(12)

    async def fill() -> None:
        services = await start_services(settings)
        try:
            created = await seed_supervisors(services.store, services.catalogue, password)
            if created:
                typer.echo(
                    f"created supervisors {', '.join(created)}; "
                    f"their password (shown once): {password}"
                )
            with typer.progressbar(length=complaints, label="complaints") as bar:
                async for added in seed_store(services, complaints, seed_value):
                    bar.update(added)
        finally:
            await services.stop()

    asyncio.run(fill())


def _embedded_store() -> Path:
    path = sqlite_path(get_settings().store_url)
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
    settings = get_settings()
    typer.echo(json.dumps(settings.model_dump(mode="json"), indent=2, ensure_ascii=False))


@catalogue_app.command("check")
def check_catalogue(
    path: Annotated[Path | None, typer.Argument(help="Defaults to BALAGH_CATALOGUE_PATH.")] = None,
) -> None:
    """Validate the catalogue and summarise it; exit 1 with the problem if it is wrong."""
    try:
        catalogue = load_catalogue(path or get_settings().catalogue_path)
    except CatalogueError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
    typer.echo(
        f"catalogue ok: {len(catalogue.categories)} categories, "
        f"{len(catalogue.districts)} districts, {len(catalogue.teams)} teams"
    )


@locales_app.command("extract")
def extract_locales() -> None:
    """Write locales/balagh.pot from the code and add its new keys to each catalogue."""
    added = locales.extract()
    typer.echo("\n".join(f"added {entry}: give it its words" for entry in added) or "no new keys")


@locales_app.command("check")
def check_locales() -> None:
    """Both languages, no unused key, no chat-only words on the phone; exit 1 otherwise."""
    problems = locales.check()
    if problems:
        typer.echo("\n".join(problems), err=True)
        raise typer.Exit(1)
    typer.echo("locales ok")


@telegram_app.command("set-webhook")
def telegram_set_webhook() -> None:
    """Tell Telegram to deliver updates to this service (once, and when the address changes)."""
    try:
        url = asyncio.run(set_webhook(get_settings()))
    except (ValueError, TelegramError) as exc:
        typer.echo(f"webhook not set: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"Telegram now delivers updates to {url}")
