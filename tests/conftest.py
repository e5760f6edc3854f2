"""Shared fixtures: a service on an isolated temporary SQLite store, reached over real ASGI."""

import importlib.util
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

from bot.app import create_app
from bot.catalogue import Catalogue, load_catalogue
from bot.complaint_record import Complaint
from bot.complaints import CITIZEN, IntakeRules, NewComplaint
from bot.services import Services
from bot.settings import ROOT, Settings
from bot.staff import StaffUser
from bot.staff_accounts import create_staff_user
from bot.store.sqlite import SqliteStore
from bot.types import Role
from channels.registry import directory
from tests.servers import serve

PASSWORD = "correct horse battery"
# For a ComplaintService built by hand: the settings' references, codes and countries.
RULES = IntakeRules.from_settings(Settings(_env_file=None), directory())
# tests/rasa_env tests the Rasa process's code with the Rasa environment (tests/rasa_checks.py)
collect_ignore = ["rasa_env"] if importlib.util.find_spec("rasa") is None else []


@pytest.fixture(scope="session")
def catalogue() -> Catalogue:
    return load_catalogue(ROOT / "catalogue.yml")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        store_url=f"sqlite:///{tmp_path / 'balagh.db'}",
        attachments_dir=tmp_path / "attachments",
        rasa_url="http://127.0.0.1:9",  # nothing listens: the dialogue is reported down
    )


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    """The SQLite store on the file `settings` name, opened on its own (no service)."""
    backend = SqliteStore(tmp_path / "balagh.db")
    await backend.open()
    yield backend
    await backend.close()


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
def services(app: FastAPI) -> Services:
    services: Services = app.state.services
    return services


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as http:
        yield http


async def create_account(
    services: Services,
    username: str,
    role: Role,
    display_name: str | None = None,
    team: str | None = None,
) -> StaffUser:
    """An account of `role` that signs in with PASSWORD (named by its username unless told)."""
    return await create_staff_user(
        services.store,
        services.catalogue,
        username=username,
        display_name=display_name or username,
        role=role,
        password=PASSWORD,
        team=team,
    )


StaffLogin = Callable[..., Awaitable[dict[str, str]]]


@pytest.fixture
def staff_headers(services: Services, client: httpx.AsyncClient) -> StaffLogin:
    """Create a staff user of a role and return bearer headers for them."""

    async def login(
        role: Role, username: str | None = None, team: str | None = None
    ) -> dict[str, str]:
        username = username or f"{role.value}.user"
        await create_account(services, username, role, team=team)
        response = await client.post(
            "/api/auth/login", json={"username": username, "password": PASSWORD}
        )
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['token']}"}

    return login


async def new_complaint(services: Services, **fields: object) -> Complaint:
    """A citizen's report through the service: an Arabic pothole in Al Hofuf unless told."""
    values: dict[str, object] = {
        "channel": "portal",
        "language": "ar",
        "description": "حفرة عميقة في الشارع",
        "category": "roads",
        "district": "al_hofuf",
        "phone": "0501234567",
        **fields,
    }
    result = await services.complaints.create(NewComplaint.model_validate(values), CITIZEN)
    return result.complaint


@pytest.fixture
async def rasa_url() -> AsyncIterator[str]:
    """A dialogue core that answers its status: what a replica's readiness asks."""

    async def status(_: object) -> JSONResponse:
        return JSONResponse({"model_id": "test-model"})

    async with serve(Starlette(routes=[Route("/status", status)])) as url:
        yield url
