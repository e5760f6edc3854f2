"""The dispatcher against real provider libraries talking to local fake servers."""

import json
import logging
from datetime import timedelta

import pytest
from pydantic import ValidationError

from bot.clock import utc_now
from bot.notifications.dispatcher import RetryPolicy
from bot.notifications.whatsapp_session import note_inbound
from bot.phone import mask_phone
from tests.notifications.conftest import (
    PHONE,
    SMS_FROM,
    all_messages,
    deliver_all,
    message,
    provider_settings,
)
from tests.notifications.fakes import FakeTelegram, FakeTwilio
from tests.servers import serve


async def test_without_accounts_every_channel_goes_to_the_local_outbox(
    store, dispatcher_for, caplog
):
    caplog.set_level(logging.INFO, logger="bot.notifications.dispatcher")
    await store.insert_messages(
        [
            message(1),
            message(2, channel="whatsapp"),
            message(3, channel="telegram", to="4242"),
            message(4, channel="local", to="team:roads_hofuf"),
        ]
    )
    delivered = await deliver_all(dispatcher_for(), store)
    assert {(m.state, m.provider, m.attempts) for m in delivered} == {("delivered", "local", 1)}
    assert all(m.provider_message_id == f"local:{m.id}" for m in delivered)
    logged = [record.getMessage() for record in caplog.records]
    assert len(logged) == 4
    assert not any(PHONE in line for line in logged)
    assert any(mask_phone(PHONE) in line for line in logged)


def test_a_lease_must_outlast_a_send(tmp_path):
    with pytest.raises(ValidationError, match="LEASE_SECONDS must be longer"):
        provider_settings(tmp_path, notification_lease_seconds=10, provider_timeout_seconds=10)


async def test_an_sms_outage_delays_but_delivers_each_message_once(store, dispatcher_for):
    twilio = FakeTwilio(failures=[500, 503, 429, 500, 429, 502, 500, 429])
    await store.insert_messages([message(n) for n in range(5)])
    async with serve(twilio.app()) as base:
        delivered = await deliver_all(dispatcher_for(twilio_api_base_url=base), store)
    assert twilio.create_requests == 5 + 8
    assert sorted(twilio.sent_counts().values()) == [1] * 5
    assert twilio.list_requests > 0  # 5xx answers are in doubt: Twilio was asked first
    sids = {sent["sid"] for sent in twilio.accepted}
    assert {m.provider_message_id for m in delivered} == sids
    assert {(m.state, m.provider, m.error) for m in delivered} == {("queued", "twilio_sms", None)}
    assert all(sent["from"] == SMS_FROM and sent["to"] == PHONE for sent in twilio.accepted)
    callback = "https://localhost/api/notifications/twilio/status"
    assert {sent["status_callback"] for sent in twilio.accepted} == {callback}


async def test_after_the_last_attempt_a_message_is_failed_and_visible(store, dispatcher_for):
    twilio = FakeTwilio(failures=[500] * 10)
    await store.insert_messages([message(1)])
    async with serve(twilio.app()) as base:
        dispatcher = dispatcher_for(twilio_api_base_url=base, notification_max_attempts=3)
        (failed,) = await deliver_all(dispatcher, store)
    assert (failed.state, failed.attempts) == ("failed", 3)
    assert failed.error is not None
    assert failed.error.startswith("gave up after 3 attempts")
    assert twilio.accepted == []
    assert [m.id for m in await all_messages(store, state="failed")] == [failed.id]


async def test_a_refused_message_fails_at_once(store, dispatcher_for):
    twilio = FakeTwilio(failures=[400])
    await store.insert_messages([message(1)])
    async with serve(twilio.app()) as base:
        (failed,) = await deliver_all(dispatcher_for(twilio_api_base_url=base), store)
    assert (failed.state, failed.attempts, twilio.create_requests) == ("failed", 1, 1)


async def test_an_answer_lost_in_a_timeout_is_found_not_sent_again(store, dispatcher_for):
    twilio = FakeTwilio(delay=1.0)  # accepts, then answers after the client gave up
    await store.insert_messages([message(1)])
    async with serve(twilio.app()) as base:
        dispatcher = dispatcher_for(twilio_api_base_url=base, provider_timeout_seconds=0.3)
        (sent,) = await deliver_all(dispatcher, store)
    assert twilio.sent_counts() == {(PHONE, "message number 1"): 1}
    assert (sent.state, sent.attempts, sent.in_doubt) == ("queued", 2, False)
    assert sent.provider_message_id == twilio.accepted[0]["sid"]


def test_backoff_doubles_with_jitter_up_to_the_ceiling_and_obeys_retry_after():
    policy = RetryPolicy(max_attempts=8, base_seconds=10, max_seconds=60)
    for attempts, step in ((1, 10), (2, 20), (3, 40), (4, 60), (7, 60)):
        delays = {policy.delay(attempts, None) for _ in range(50)}
        assert all(step / 2 <= delay <= step for delay in delays)
        assert len(delays) > 1
    assert policy.delay(3, retry_after=7) == 7


# WhatsApp


TEMPLATES = {"created.en": "HXcreated_en"}


async def test_outside_the_24_hour_window_whatsapp_sends_the_template(store, dispatcher_for):
    twilio = FakeTwilio()
    await note_inbound(store, PHONE, utc_now() - timedelta(hours=25))
    await store.insert_messages([message(1, channel="whatsapp", template_variables=["123", "x"])])
    async with serve(twilio.app()) as base:
        dispatcher = dispatcher_for(twilio_api_base_url=base, twilio_whatsapp_templates=TEMPLATES)
        (sent,) = await deliver_all(dispatcher, store)
    (request,) = twilio.accepted
    assert request["to"] == f"whatsapp:{PHONE}"
    assert (request["body"], request["content_sid"]) == (None, "HXcreated_en")
    assert json.loads(request["content_variables"]) == {"1": "123", "2": "x"}
    assert (sent.state, sent.provider) == ("queued", "twilio_whatsapp")


async def test_inside_the_24_hour_window_whatsapp_sends_free_text(store, dispatcher_for):
    twilio = FakeTwilio()
    await note_inbound(store, PHONE, utc_now() - timedelta(hours=2))
    await store.insert_messages([message(1, channel="whatsapp")])
    async with serve(twilio.app()) as base:
        dispatcher = dispatcher_for(twilio_api_base_url=base, twilio_whatsapp_templates=TEMPLATES)
        await deliver_all(dispatcher, store)
    (request,) = twilio.accepted
    assert (request["body"], request["content_sid"]) == ("message number 1", None)


@pytest.mark.parametrize("cause", ["no_template", "refused_by_twilio"])
async def test_a_failed_whatsapp_message_falls_back_to_sms(store, dispatcher_for, cause):
    twilio = FakeTwilio(refuse_whatsapp=cause == "refused_by_twilio")
    if cause == "refused_by_twilio":
        await note_inbound(store, PHONE, utc_now())
    await store.insert_messages([message(1, channel="whatsapp")])
    async with serve(twilio.app()) as base:
        whatsapp, sms = await deliver_all(dispatcher_for(twilio_api_base_url=base), store)
    assert (whatsapp.channel, whatsapp.state) == ("whatsapp", "failed")
    assert (sms.id, sms.channel, sms.state, sms.provider) == (
        f"{whatsapp.id}.sms",
        "sms",
        "queued",
        "twilio_sms",
    )
    assert twilio.sent_counts() == {(PHONE, "message number 1"): 1}
    assert twilio.accepted[0]["from"] == SMS_FROM


# Telegram


async def test_telegram_waits_as_long_as_flood_control_says(store, dispatcher_for):
    telegram = FakeTelegram(flood=1, retry_after=1)
    await store.insert_messages([message(1, channel="telegram", to="4242")])
    async with serve(telegram.app()) as base:
        dispatcher = dispatcher_for(telegram_bot_token="123:abc", telegram_api_base_url=base)
        (sent,) = await deliver_all(dispatcher, store)
    assert telegram.sent == [{"chat_id": "4242", "text": "message number 1"}]
    first, second = telegram.attempts_at
    assert second - first >= 1
    assert (sent.state, sent.provider, sent.provider_message_id) == ("sent", "telegram", "4242:1")
