"""Web page fixtures: sign in through the real form, read CSRF tokens out of pages."""

import re
from collections.abc import Awaitable, Callable

import httpx
import pytest

from bot.services import Services
from bot.types import Role
from tests.conftest import PASSWORD, create_account

_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    match = _TOKEN.search(html)
    assert match, "the page has no form with a CSRF token"
    return match.group(1)


async def page_token(client: httpx.AsyncClient, path: str) -> str:
    response = await client.get(path)
    assert response.status_code == 200, response.text
    return csrf_of(response.text)


async def post_form(
    client: httpx.AsyncClient, page: str, action: str, data: dict[str, str], **kwargs: object
) -> httpx.Response:
    """Open `page`, take its CSRF token, post `data` to `action` as that form would."""
    token = await page_token(client, page)
    return await client.post(action, data={"csrf_token": token, **data}, **kwargs)  # type: ignore[arg-type]


async def sign_in(
    client: httpx.AsyncClient,
    services: Services,
    username: str,
    role: Role = Role.AGENT,
    team: str | None = None,
) -> None:
    """Create a staff account (a desk agent unless told: no contact, so never alerted) and
    sign the client in through the login form."""
    await create_account(services, username, role, team=team)
    response = await post_form(
        client,
        "/staff/login",
        "/staff/login",
        {"username": username, "password": PASSWORD, "next": "/staff"},
    )
    assert response.status_code == 303, response.text


WebLogin = Callable[..., Awaitable[None]]


@pytest.fixture
def web_login(services: Services, client: httpx.AsyncClient) -> WebLogin:
    """Sign the client in as a new staff user of a role (`<role>.web` unless named)."""

    async def login(role: Role, username: str | None = None, team: str | None = None) -> None:
        await sign_in(client, services, username or f"{role.value}.web", role, team)

    return login
