"""Outbound webhooks in production reach public addresses only, checked when each delivery is
made on the very address it connects to."""

import asyncio
import ipaddress
import socket
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.app import create_app
from bot.clock import utc_now
from bot.notifications.subscription import RECORD_KIND, WebhookSubscription
from bot.notifications.webhook_target import TargetRefused, WebhookTargets
from bot.settings import Settings
from bot.types import Role
from tests.conftest import PASSWORD, create_account
from tests.notifications.conftest import deliver_all, message, provider_settings
from tests.notifications.fakes import WebhookReceiver
from tests.servers import serve

GUARDED = WebhookTargets(guarded=True)


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hook",
        "https://localhost/hook",
        "https://api.localhost/hook",
        "https://10.1.2.3/hook",
        "https://192.168.0.10:8443/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://100.64.0.1/hook",
        "https://[::1]/hook",
        "https://[fd00::1]/hook",
        "https://[::ffff:127.0.0.1]/hook",
        "https://224.0.0.1/hook",
    ],
)
def test_private_addresses_are_refused_in_production(url):
    with pytest.raises(TargetRefused):
        GUARDED.check_url(url)
    WebhookTargets(guarded=False).check_url(url)  # local use: receivers run on this machine


def test_an_allowed_network_may_be_reached():
    allowed = WebhookTargets(guarded=True, allowed=[ipaddress.ip_network("10.1.0.0/16")])
    allowed.check_url("https://10.1.2.3/hook")
    with pytest.raises(TargetRefused):
        allowed.check_url("https://10.2.0.1/hook")


@pytest.fixture
def resolving(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    """The event loop's resolver answers names from this table (a DNS the test controls);
    other names (127.0.0.1 of the test's own servers) resolve as usual."""
    table: dict[str, list[str]] = {}
    real = asyncio.BaseEventLoop.getaddrinfo

    async def getaddrinfo(loop: Any, host: str, port: int, *args: Any, **kwargs: Any) -> Any:
        if host not in table:
            return await real(loop, host, port, *args, **kwargs)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, port)) for ip in table[host]]

    monkeypatch.setattr(asyncio.BaseEventLoop, "getaddrinfo", getaddrinfo)
    return table


async def subscribe_to(store, url: str) -> str:
    subscription = WebhookSubscription(
        id="wh_test",
        url=url,
        secret="a-shared-secret-of-the-municipality",
        created_at=utc_now(),
        created_by="admin",
    )
    await store.put_record(RECORD_KIND, subscription.id, subscription)
    return subscription.id


PRODUCTION: dict[str, Any] = {
    "environment": "production",
    "secret_key": "s" * 48,
    "actions_token": "t" * 40,
}


def production(tmp_path: Path) -> Settings:
    return provider_settings(tmp_path, **PRODUCTION)


async def test_a_name_resolving_to_a_private_address_is_refused_at_delivery(
    store, dispatcher_for, resolving
):
    receiver = WebhookReceiver()
    async with serve(receiver.app()) as base:
        port = base.rsplit(":", 1)[1]
        resolving["hooks.example"] = ["93.184.216.34", "127.0.0.1"]  # one public, one not
        subscription = await subscribe_to(store, f"http://hooks.example:{port}/hook")
        await store.insert_messages([message(1, channel="webhook", to=subscription)])
        (refused,) = await deliver_all(dispatcher_for(**PRODUCTION), store)
    assert refused.state == "refused"
    assert "127.0.0.1" in (refused.error or "")
    assert receiver.received == []


async def test_the_delivery_goes_to_the_address_checked_with_the_hosts_name(
    store, dispatcher_for, resolving
):
    receiver = WebhookReceiver()
    async with serve(receiver.app()) as base:
        port = base.rsplit(":", 1)[1]
        resolving["hooks.example"] = ["127.0.0.1"]
        subscription = await subscribe_to(store, f"http://hooks.example:{port}/hook")
        await store.insert_messages([message(1, channel="webhook", to=subscription)])
        dispatcher = dispatcher_for(**PRODUCTION, webhook_allowed_networks=["127.0.0.0/8"])
        (delivered,) = await deliver_all(dispatcher, store)
    assert delivered.state == "delivered"
    [(headers, _)] = receiver.received
    assert headers["host"] == f"hooks.example:{port}"


async def test_subscribing_a_private_address_is_refused_in_production(tmp_path):
    app = create_app(production(tmp_path))
    async with app.router.lifespan_context(app):
        services = app.state.services
        await create_account(services, "admin.one", Role.ADMIN, display_name="Admin")
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as http:
            login = {"username": "admin.one", "password": PASSWORD}
            token = (await http.post("/api/auth/login", json=login)).json()["token"]
            headers = {"Authorization": f"Bearer {token}"}
            for url in ("https://10.0.0.5/hook", "https://169.254.169.254/", "https://localhost/h"):
                refused = await http.post("/api/staff/webhooks", json={"url": url}, headers=headers)
                assert refused.status_code == 422, url
                assert refused.json()["error"]["code"] == "invalid_url"
            public = {"url": "https://erp.alahsa.gov.sa/hook"}
            created = await http.post("/api/staff/webhooks", json=public, headers=headers)
            assert created.status_code == 201
