"""Twilio delivery reports through the service: signed, forward only, WhatsApp → SMS."""

from pathlib import Path

import pytest
from twilio.request_validator import RequestValidator

from bot.clock import utc_now
from bot.notifications.message import Attempt, OutboxMessage
from bot.settings import Settings
from bot.store.base import Store
from tests.notifications.conftest import TWILIO_TOKEN, all_messages, message, provider_settings

PUBLIC = "https://localhost"
CALLBACK = "/api/notifications/twilio/status"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Twilio configured (nothing is sent: the embedded worker is off)."""
    return provider_settings(
        tmp_path,
        twilio_api_base_url="http://127.0.0.1:9",
        public_base_url=PUBLIC,
        embedded_worker=False,
    )


async def accepted(store: Store, sid: str, **fields: object) -> OutboxMessage:
    await store.insert_messages([message(1, **fields)])
    now = utc_now()
    (claimed,) = await store.claim_messages(now, now, "worker", 1)
    outcome = claimed.model_copy(
        update={"state": "queued", "provider_message_id": sid, "claim_token": None}
    )
    assert await store.finish_messages([Attempt(outcome, "worker")]) == [True]
    return outcome


async def report(client, status: str, sid: str = "SM1", *, token: str = TWILIO_TOKEN, **extra):
    params = {"MessageSid": sid, "MessageStatus": status, "AccountSid": "ACtest", **extra}
    signature = RequestValidator(token).compute_signature(PUBLIC + CALLBACK, params)
    return await client.post(CALLBACK, data=params, headers={"X-Twilio-Signature": signature})


async def state_of(store: Store, sid: str = "SM1") -> str:
    stored = await store.get_message_by_provider_id(sid)
    assert stored is not None
    return stored.state


async def test_reports_move_a_message_forward_only(client, services):
    await accepted(services.store, "SM1")
    for status, expected in (
        ("sent", "sent"),
        ("delivered", "delivered"),
        ("sent", "delivered"),  # late: never overwrites delivered
        ("queued", "delivered"),
        ("undelivered", "delivered"),
        ("read", "read"),
        ("delivered", "read"),
    ):
        response = await report(client, status)
        assert response.status_code == 204, response.text
        assert await state_of(services.store) == expected


async def test_a_failure_report_records_the_error(client, services):
    await accepted(services.store, "SM1")
    assert (await report(client, "failed", ErrorCode="30003")).status_code == 204
    stored = await services.store.get_message_by_provider_id("SM1")
    assert stored is not None
    assert (stored.state, stored.error) == ("failed", "Twilio error 30003")


async def test_a_failed_whatsapp_message_is_queued_again_as_sms(client, services):
    whatsapp = await accepted(services.store, "SM1", channel="whatsapp")
    assert (await report(client, "undelivered", ErrorCode="63016")).status_code == 204
    assert (await report(client, "failed")).status_code == 204  # a repeat queues nothing more
    fallback = await all_messages(services.store, channel="sms")
    assert [(m.id, m.to, m.body, m.state) for m in fallback] == [
        (f"{whatsapp.id}.sms", whatsapp.to, whatsapp.body, "pending")
    ]


@pytest.mark.parametrize(
    "headers",
    [{}, {"X-Twilio-Signature": "forged"}, "signed with another token"],
    ids=["unsigned", "forged", "other-token"],
)
async def test_a_forged_report_gets_403_and_changes_nothing(client, services, headers):
    await accepted(services.store, "SM1")
    if headers == "signed with another token":
        response = await report(client, "delivered", token="not-the-auth-token")
    else:
        data = {"MessageSid": "SM1", "MessageStatus": "delivered"}
        response = await client.post(CALLBACK, data=data, headers=headers)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"
    assert await state_of(services.store) == "queued"


async def test_a_report_for_an_unknown_message_changes_nothing(client, services):
    assert (await report(client, "delivered", sid="SM-unknown")).status_code == 204
    assert await all_messages(services.store) == []
