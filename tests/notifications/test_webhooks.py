"""Outbound webhooks: admin API, signed deliveries, retries and the delivery log."""

import hashlib
import hmac
import json
import time
from pathlib import Path

import pytest

from bot.complaints import Actor
from bot.notifications.webhook_signature import verify
from bot.settings import Settings
from bot.types import Role, Status
from tests.conftest import new_complaint
from tests.notifications.conftest import deliver_all, provider_settings
from tests.notifications.fakes import WebhookReceiver
from tests.servers import serve

SECRET = "a-shared-secret-of-the-municipality"
SUPERVISOR = Actor("noura", Role.SUPERVISOR)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Retries after milliseconds, so a receiver's recovery is seen at once."""
    return provider_settings(tmp_path)


@pytest.fixture
async def admin(staff_headers):
    return await staff_headers(Role.ADMIN)


async def subscribe(client, admin, url: str, **fields) -> str:
    """The new subscription's id."""
    response = await client.post(
        "/api/staff/webhooks", json={"url": url, "secret": SECRET, **fields}, headers=admin
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def test_admins_manage_subscriptions_and_secrets_are_shown_once(client, admin, staff_headers):
    created = await client.post(
        "/api/staff/webhooks", json={"url": "https://erp.example/hook"}, headers=admin
    )
    assert created.status_code == 201
    subscription = created.json()
    assert len(subscription["secret"]) >= 32
    assert subscription["events"] == []
    listed = (await client.get("/api/staff/webhooks", headers=admin)).json()
    assert [s["id"] for s in listed] == [subscription["id"]]
    assert "secret" not in listed[0]
    wrong = {"url": "ftp://erp.example", "events": ["complaint.exploded"], "extra": 1}
    assert (await client.post("/api/staff/webhooks", json=wrong, headers=admin)).status_code == 422
    path = f"/api/staff/webhooks/{subscription['id']}"
    assert (await client.delete(path, headers=admin)).status_code == 204
    assert (await client.delete(path, headers=admin)).status_code == 404
    supervisor = await staff_headers(Role.SUPERVISOR)
    assert (await client.get("/api/staff/webhooks", headers=supervisor)).status_code == 403


async def test_each_event_arrives_signed_with_the_documented_algorithm(client, services, admin):
    receiver = WebhookReceiver()
    async with serve(receiver.app()) as base:
        await subscribe(client, admin, f"{base}/hook")
        complaint = await new_complaint(services)
        await services.complaints.change_status(
            complaint.reference, Status.IN_PROGRESS, SUPERVISOR, "on site"
        )
        await deliver_all(services.dispatcher, services.store)

    assert [json.loads(body)["event"] for _, body in receiver.received] == [
        "complaint.created",
        "complaint.status_changed",
    ]
    for headers, body in receiver.received:
        timestamp = headers["x-balagh-timestamp"]
        expected = hmac.new(SECRET.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
        assert headers["x-balagh-signature"] == f"sha256={expected.hexdigest()}"
        assert verify(SECRET, timestamp, body, headers["x-balagh-signature"], time.time())
        assert not verify(
            SECRET, timestamp, body + b" ", headers["x-balagh-signature"], time.time()
        )
        replayed_later = time.time() + 600
        assert not verify(SECRET, timestamp, body, headers["x-balagh-signature"], replayed_later)
        assert headers["x-balagh-delivery"].startswith(complaint.reference)
        payload = json.loads(body)
        assert payload["complaint"]["reference"] == complaint.reference
        assert "phone" not in payload["complaint"]
        assert "history" not in payload["complaint"]


async def test_a_failing_receiver_gets_each_event_once_it_recovers(client, services, admin):
    receiver = WebhookReceiver(failures=[500, 503, 429])
    async with serve(receiver.app()) as base:
        subscription = await subscribe(client, admin, f"{base}/hook", events=["complaint.created"])
        await new_complaint(services)
        await deliver_all(services.dispatcher, services.store)
    assert len(receiver.received) == 1
    log = await client.get(f"/api/staff/webhooks/{subscription}/deliveries", headers=admin)
    (delivery,) = log.json()["items"]
    assert (delivery["event"], delivery["state"], delivery["attempts"]) == (
        "complaint.created",
        "delivered",
        4,
    )


async def test_deliveries_for_a_deleted_subscription_end_as_failed(client, services, admin):
    subscription = await subscribe(client, admin, "http://127.0.0.1:9/hook")
    await new_complaint(services)
    await client.delete(f"/api/staff/webhooks/{subscription}", headers=admin)
    await deliver_all(services.dispatcher, services.store)
    log = await client.get(f"/api/staff/webhooks/{subscription}/deliveries", headers=admin)
    (delivery,) = log.json()["items"]
    assert (delivery["state"], delivery["error"]) == ("failed", "the subscription was deleted")
