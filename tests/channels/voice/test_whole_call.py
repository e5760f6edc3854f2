"""A whole call in each language against a stand-in for the dialogue (always runs): language,
a report with a recorded description, the reference read back digit by digit, then a second
call that hears that report's status. test_real_dialogue.py does the same with Rasa."""

import pytest

from bot.services import Services
from bot.store.base import ComplaintFilter
from channels.voice.speech import read_digits
from tests.channels.voice.caller import new_sid
from tests.channels.voice.conftest import Caller, FakeTwilioApi
from tests.channels.voice.report_bot import ReportBot

pytestmark = pytest.mark.usefixtures("clock")


@pytest.mark.parametrize(("key", "language"), [("1", "ar"), ("2", "en")])
async def test_a_report_by_phone_then_its_status(
    phone: Caller,
    report_bot: ReportBot,
    services: Services,
    fake_twilio: FakeTwilioApi,
    arabic_wav: bytes,
    key: str,
    language: str,
):
    call = phone()
    await call.dial()
    await call.press(key)  # language
    await call.press("1")  # report a problem
    await call.press("1")  # roads
    described = await call.press("1")  # Al Hofuf
    assert described.has("Record")
    recording_sid = new_sid("RE")
    fake_twilio.recordings[recording_sid] = arabic_wav
    await call.record(recording_sid)
    await call.press("1")  # yes, this number
    created = await call.press("1")  # send it
    (complaint,) = (await services.store.list_complaints(ComplaintFilter(), 5, None)).items
    assert (complaint.channel, complaint.language, complaint.category, complaint.district) == (
        "voice",
        language,
        "roads",
        "al_hofuf",
    )
    assert complaint.phone == "+966501234567"
    assert complaint.sources == {"CallSid": call.call_sid}
    assert complaint.attachments[0].size > 0
    assert read_digits(complaint.reference, language) in created.said[0]  # type: ignore[arg-type]
    assert (await call.press("2")).has("Hangup")
    await call.hang_up()

    status_call = phone()
    await status_call.dial()
    await status_call.press(key)
    asked = await status_call.press("2")  # check a report
    assert asked.attribute("Gather", "finishOnKey") == "#"
    heard = await status_call.press(complaint.reference)
    assert read_digits(complaint.reference, language) in heard.said[0]  # type: ignore[arg-type]
    assert complaint.status.value in heard.said[0]
