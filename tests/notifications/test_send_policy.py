"""Who SMS and WhatsApp may reach, enforced where every message leaves: the dispatcher."""

import pytest

from tests.notifications.conftest import PHONE, all_messages, deliver_all, message
from tests.notifications.fakes import FakeTwilio
from tests.servers import serve


@pytest.mark.parametrize("channel", ["sms", "whatsapp"])
async def test_a_number_outside_the_served_countries_is_refused_with_its_reason(
    store, dispatcher_for, channel
):
    twilio = FakeTwilio()
    await store.insert_messages([message(1, channel=channel, to="+447911123456")])
    async with serve(twilio.app()) as base:
        (refused,) = await deliver_all(dispatcher_for(twilio_api_base_url=base), store)
    assert twilio.accepted == []
    assert refused.state == "refused"
    assert "+966" in (refused.error or "")
    assert "BALAGH_PHONE_COUNTRY_CODES" in (refused.error or "")


async def test_other_countries_can_be_served(store, dispatcher_for):
    twilio = FakeTwilio()
    await store.insert_messages([message(1, to="+971501234567")])
    async with serve(twilio.app()) as base:
        dispatcher = dispatcher_for(twilio_api_base_url=base, phone_country_codes=[966, 971])
        (sent,) = await deliver_all(dispatcher, store)
    assert sent.state == "queued"


async def test_at_most_n_messages_a_day_reach_one_number_staff_notices_excepted(
    store, dispatcher_for
):
    twilio = FakeTwilio()
    citizen = [message(n, event="reply") for n in range(5)]
    staff = [message(10 + n, event="sla_breach") for n in range(3)]
    await store.insert_messages([*citizen, *staff])
    async with serve(twilio.app()) as base:
        dispatcher = dispatcher_for(twilio_api_base_url=base, messages_per_phone_per_day=3)
        outcomes = await deliver_all(dispatcher, store)
    states = sorted((m.event, m.state) for m in outcomes)
    assert (
        states
        == [("reply", "queued")] * 3 + [("reply", "refused")] * 2 + [("sla_breach", "queued")] * 3
    )
    assert len(twilio.accepted) == 6
    refused = [m for m in outcomes if m.state == "refused"]
    assert all("BALAGH_MESSAGES_PER_PHONE_PER_DAY" in (m.error or "") for m in refused)


async def test_a_retried_message_is_counted_once(store, dispatcher_for):
    twilio = FakeTwilio(failures=[500, 503])  # two attempts lost, then accepted
    await store.insert_messages([message(1, event="reply")])
    async with serve(twilio.app()) as base:
        dispatcher = dispatcher_for(twilio_api_base_url=base, messages_per_phone_per_day=1)
        await deliver_all(dispatcher, store)
        await store.insert_messages([message(2, event="reply")])
        await deliver_all(dispatcher, store)
    states = {m.id: m.state for m in await all_messages(store)}
    assert states["1000000018.2.2"] == "refused"  # the second message, not the retries
    assert PHONE in {sent["to"] for sent in twilio.accepted}
