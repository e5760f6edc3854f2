"""No secret ever reaches a log line: a whole scenario runs with DEBUG logging on the service's
own handler (as `balagh run` configures it), then every captured line is searched for every
secret the service holds and every credential the scenario used."""

import io
import json
import logging
from collections.abc import Iterator

import pytest
from pydantic import SecretStr

from bot.logs import configure_logging
from bot.settings import Settings
from bot.types import Role
from tests.actions.test_endpoint import action_call
from tests.channels.chat.conftest import ACCOUNT_SID, AUTH_TOKEN, BOT_TOKEN, SECRET_TOKEN
from tests.channels.chat.test_messaging import post as post_twilio
from tests.channels.chat.test_messaging import whatsapp
from tests.channels.chat.test_telegram import message_update
from tests.channels.chat.test_telegram import post as post_telegram
from tests.conftest import PASSWORD

ACTIONS_TOKEN = "actions-token-that-must-never-be-logged-0123"
SECRET_KEY = "the-secret-key-that-must-never-be-logged-0123456"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={"actions_token": SecretStr(ACTIONS_TOKEN), "secret_key": SecretStr(SECRET_KEY)}
    )


@pytest.fixture
def captured(settings: Settings) -> Iterator[io.StringIO]:
    """Everything logged at DEBUG, through the masking handler; logging restored after."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    buffer = io.StringIO()
    configure_logging("DEBUG", settings, stream=buffer)
    try:
        yield buffer
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)


async def test_a_whole_scenario_logs_no_secret(
    captured, client, services, staff_headers, fake_twilio, fake_telegram, fake_rasa
):
    # Telegram: an update in, a reply out through python-telegram-bot (its URLs carry the token)
    assert (await post_telegram(client, message_update(1, text="مرحبا"))).status_code == 200
    # WhatsApp: a signed inbound message, the reply through Twilio's API (basic auth)
    assert (await post_twilio(client, whatsapp("SM" + "1" * 32, "مرحبا"))).status_code == 200
    # The dialogue core calls the actions with its token
    call = json.dumps(action_call("action_programs"))
    answered = await client.post(
        "/webhook", content=call, headers={"Authorization": f"Bearer {ACTIONS_TOKEN}"}
    )
    assert answered.status_code == 200
    # A resident reports on the web: a code goes out by SMS, then the report's link
    report = {"description": "حفرة كبيرة في الشارع", "phone": "0501234567"}
    created = (await client.post("/api/complaints", json=report)).json()
    await services.dispatcher.run_once()
    code = services.complaints.rules.phone_codes.code(created["reference"])
    proof = {"t": created["tracking_token"]}
    verified = await client.post(
        f"/api/complaints/{created['reference']}/phone-verification",
        params=proof,
        json={"code": code},
    )
    assert verified.status_code == 200
    await client.get(f"/api/complaints/{created['reference']}", params=proof)
    await services.dispatcher.run_once()
    # Staff sign in and work the report
    headers = await staff_headers(Role.SUPERVISOR)
    session = headers["Authorization"].removeprefix("Bearer ")
    await client.get("/api/staff/complaints", headers=headers)

    sent_bodies = [form["Body"] for form in fake_twilio.sent]
    assert any(code in body for body in sent_bodies)  # the scenario did send all this
    assert fake_telegram.sent()
    logged = captured.getvalue()
    assert "HTTP Request: POST" in logged  # the HTTP clients' DEBUG lines are in
    for secret in (
        BOT_TOKEN,
        SECRET_TOKEN,
        AUTH_TOKEN,
        ACCOUNT_SID,
        ACTIONS_TOKEN,
        SECRET_KEY,
        PASSWORD,
        session,
        code,
        created["tracking_token"],
    ):
        assert secret not in logged, secret
    assert "501234567" not in logged
