"""A phone typed on the web is proven with one code before anything else is sent to it; the
service cannot be made to fire SMS at someone else's number. Real app, real dispatcher, a
local fake of Twilio's Messages API recording what it was asked to send."""

import asyncio
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from bot.clock import utc_now
from bot.complaints import CITIZEN, NewComplaint
from bot.settings import Settings
from tests.notifications.conftest import all_messages, provider_settings
from tests.notifications.fakes import FakeTwilio
from tests.servers import serve

VICTIM = "0551234567"
E164 = "+966551234567"
EASTERN = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


@pytest.fixture
async def twilio() -> AsyncIterator[tuple[FakeTwilio, str]]:
    fake = FakeTwilio()
    async with serve(fake.app()) as base:
        yield fake, base


@pytest.fixture
def settings(tmp_path: Path, twilio: tuple[FakeTwilio, str]) -> Settings:
    return provider_settings(
        tmp_path,
        twilio_api_base_url=twilio[1],
        embedded_worker=False,
        rasa_url="http://127.0.0.1:9",
        attachments_dir=tmp_path / "attachments",
    )


def sms_to(fake: FakeTwilio, number: str = E164) -> list[str]:
    return [message["body"] for message in fake.accepted if message["to"] == number]


async def report(client, phone: str = VICTIM, **headers: str):
    body = {"description": "حفرة كبيرة في الشارع", "phone": phone}
    return await client.post("/api/complaints", json=body, headers=headers)


async def verify(client, created: dict[str, str], code: str):
    return await client.post(
        f"/api/complaints/{created['reference']}/phone-verification",
        params={"t": created["tracking_token"]},
        json={"code": code},
    )


async def test_one_code_goes_first_and_the_rest_waits_for_it(client, services, twilio, settings):
    fake, _ = twilio
    created = (await report(client)).json()
    assert created["phone_verified"] is False
    await services.dispatcher.run_once()
    [code_sms] = sms_to(fake)
    code = re.search(r"\b\d{6}\b", code_sms)
    assert code is not None
    assert created["reference"] in code_sms
    states = {m.event: m.state for m in await all_messages(services.store)}
    assert states["created"] == "held"

    # the code is nowhere at rest: not in the outbox's text, not in the database files
    [kept] = [m for m in await all_messages(services.store) if m.event == "phone_code"]
    assert "{code}" in kept.body
    database = Path(settings.store_url.removeprefix("sqlite:///"))
    for path in database.parent.glob(database.name + "*"):
        assert code.group().encode() not in path.read_bytes(), path

    response = await verify(client, created, code.group().translate(EASTERN))
    assert response.json() == {"phone_verified": True}
    await services.dispatcher.run_once()
    created_sms = sms_to(fake)[1]
    assert f"/track/{created['reference']}?t=" in created_sms
    assert (await verify(client, created, code.group())).json() == {"phone_verified": True}
    assert len(sms_to(fake)) == 2  # entering it again sends nothing more


async def test_wrong_codes_count_and_run_out(client, services, twilio, settings):
    fake, _ = twilio
    created = (await report(client)).json()
    right = services.complaints.rules.phone_codes.code(created["reference"])
    wrong = str((int(right) + 1) % 1_000_000).zfill(6)
    for _ in range(settings.phone_code_attempts - 1):
        refused = await verify(client, created, wrong)
        assert refused.status_code == 422
        assert refused.json()["error"]["code"] == "code_wrong"
        assert "رمز التحقق غير صحيح" in refused.json()["error"]["message"]
    last = await verify(client, created, wrong)
    assert last.json()["error"]["code"] == "code_exhausted"
    late = await verify(client, created, right)
    assert late.json()["error"]["code"] == "code_exhausted"
    await services.dispatcher.run_once()
    assert len(sms_to(fake)) == 1  # the code only: nothing else ever reached that number
    complaint = await services.complaints.get(created["reference"])
    assert not complaint.phone_verified
    assert [e.reason for e in complaint.history if e.new == "code_refused"][
        -1
    ] == "wrong code (5/5)"


async def test_a_code_expires(client, services):
    created = (await report(client)).json()
    complaint = await services.complaints.get(created["reference"])
    assert complaint.phone_check is not None
    past = complaint.phone_check.model_copy(update={"expires_at": utc_now() - timedelta(seconds=1)})
    await services.store.replace_complaint(
        complaint.model_copy(update={"phone_check": past, "version": complaint.version + 1}),
        complaint.version,
    )
    code = services.complaints.rules.phone_codes.code(created["reference"])
    response = await verify(client, created, code)
    assert response.json()["error"]["code"] == "code_expired"


async def test_a_phone_the_channel_proves_needs_no_code(services):
    sender = NewComplaint(
        channel="whatsapp",
        language="ar",
        description="حفرة كبيرة في الشارع",
        phone=E164,
        phone_verified=True,
    )
    complaint = (await services.complaints.create(sender, CITIZEN)).complaint
    assert complaint.phone_check is None
    [created] = await all_messages(services.store, reference=complaint.reference, to=E164)
    assert (created.event, created.channel, created.state) == ("created", "whatsapp", "pending")


async def test_forty_reports_for_one_victim_send_no_cannon(client, services, twilio, settings):
    """The review's attack: forty anonymous reports in a second naming one person's number."""
    fake, _ = twilio
    responses = await asyncio.gather(*(report(client) for _ in range(40)))
    statuses = [response.status_code for response in responses]
    assert statuses.count(201) == settings.reports_per_phone_per_day
    limited = next(response for response in responses if response.status_code == 429)
    assert limited.json()["error"]["code"] == "too_many_reports"
    assert "٩٤٠" in limited.json()["error"]["message"]
    await services.dispatcher.run_once()
    sent = sms_to(fake)
    assert len(sent) <= settings.messages_per_phone_per_day
    assert all("Track it here" not in body and "تابعه من هنا" not in body for body in sent)


async def test_a_foreign_number_is_refused_in_the_users_language(client, services):
    response = await report(client, "+447911123456", **{"Accept-Language": "en"})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "phone_not_served"
    assert "+966" in response.json()["error"]["message"]
    assert (await services.store.kpi_summary()).total == 0
