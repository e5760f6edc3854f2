"""One sign-in limiter for the web form and the JSON login, counted before the password is
checked; client addresses from X-Forwarded-For only through a trusted proxy."""

import asyncio
import ipaddress

import httpx
import pytest

from bot.app import create_app
from bot.client_address import forwarded_client
from bot.services import Services
from bot.types import Role
from tests.conftest import PASSWORD, create_account
from tests.web.conftest import post_form

USER = "noura"


async def create_noura(services: Services) -> None:
    await create_account(services, USER, Role.SUPERVISOR, display_name="Noura")


@pytest.fixture
async def noura(services):
    await create_noura(services)


def login(client, password, username=USER, **kwargs):
    return client.post(
        "/api/auth/login", json={"username": username, "password": password}, **kwargs
    )


async def test_wrong_passwords_then_the_right_one_is_refused(client, noura):
    for _ in range(25):
        await login(client, "wrong password!")
    response = await login(client, PASSWORD)
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "too_many_attempts"
    assert int(response.headers["retry-after"]) > 0


async def test_forty_parallel_guesses_get_only_the_allowance_checked(client, noura, settings):
    responses = await asyncio.gather(*(login(client, f"guess {n}") for n in range(40)))
    statuses = sorted(response.status_code for response in responses)
    allowed = settings.login_attempts_per_user
    assert statuses == [401] * allowed + [429] * (40 - allowed)


async def test_the_web_form_and_the_api_share_one_count(client, noura, settings):
    for _ in range(settings.login_attempts_per_user - 1):
        await login(client, "wrong password!")
    page = await post_form(
        client, "/staff/login", "/staff/login", {"username": USER, "password": "wrong again!"}
    )
    assert page.status_code == 401
    assert (await login(client, PASSWORD)).status_code == 429
    limited = await post_form(
        client, "/staff/login", "/staff/login", {"username": USER, "password": PASSWORD}
    )
    assert limited.status_code == 429


async def test_a_right_password_gives_its_attempt_back(client, noura, settings):
    for _ in range(settings.login_attempts_per_user * 2):
        assert (await login(client, PASSWORD)).status_code == 200
    for _ in range(settings.login_attempts_per_user - 1):
        await login(client, "wrong password!")
    assert (await login(client, PASSWORD)).status_code == 200


async def test_an_uppercase_username_is_the_same_account(client, noura, settings):
    for _ in range(settings.login_attempts_per_user):
        await login(client, "wrong password!", username="NOURA")
    assert (await login(client, PASSWORD)).status_code == 429


PROXY = ipaddress.ip_network("10.0.0.0/8")


@pytest.mark.parametrize(
    ("peer", "header", "client"),
    [
        ("203.0.113.5", "198.51.100.1", "203.0.113.5"),  # not a proxy: its header is a claim
        ("10.0.0.2", "198.51.100.1", "198.51.100.1"),
        ("10.0.0.2", "127.0.0.1, 198.51.100.1", "198.51.100.1"),  # the left is the client's
        ("10.0.0.2", "198.51.100.1, 10.0.0.9", "198.51.100.1"),  # through two proxies
        ("10.0.0.2", "10.0.0.7", "10.0.0.2"),  # only proxies: the nearest one
        ("10.0.0.2", "not-an-address", "10.0.0.2"),
        ("10.0.0.2", "", "10.0.0.2"),
    ],
)
def test_the_client_is_the_rightmost_address_no_proxy_of_ours_added(peer, header, client):
    assert forwarded_client(peer, header, [PROXY]) == client


async def test_behind_a_trusted_proxy_residents_are_not_one_address(settings):
    """Thirty wrong sign-ins from one resident do not lock out the others behind the balancer."""
    app = create_app(settings.model_copy(update={"trusted_proxies": [PROXY]}))
    async with app.router.lifespan_context(app):
        await create_noura(app.state.services)
        transport = httpx.ASGITransport(app=app, client=("10.0.0.2", 40000))
        async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as http:
            for n in range(settings.login_attempts_per_ip):
                attacker = {"X-Forwarded-For": "198.51.100.66"}
                await login(http, "wrong!", username=f"user{n:03d}", headers=attacker)
            refused = await login(http, PASSWORD, headers={"X-Forwarded-For": "198.51.100.66"})
            assert refused.status_code == 429
            resident = await login(http, PASSWORD, headers={"X-Forwarded-For": "198.51.100.7"})
            assert resident.status_code == 200


async def test_without_a_trusted_proxy_the_header_changes_nothing(client, settings, noura):
    for n in range(settings.login_attempts_per_ip):
        spoofed = {"X-Forwarded-For": f"198.51.100.{n}"}
        await login(client, "wrong!", username=f"user{n:03d}", headers=spoofed)
    response = await login(client, PASSWORD, headers={"X-Forwarded-For": "198.51.100.200"})
    assert response.status_code == 429
