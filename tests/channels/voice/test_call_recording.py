"""Whole-call recording, on by configuration: the caller is told, and the recording joins every
complaint reported during the call."""

import pytest

from bot.services import Services
from bot.settings import Settings
from channels.voice.state import load_call
from tests.channels.voice.caller import new_sid
from tests.channels.voice.conftest import Caller, FakeTwilioApi, background_finished
from tests.channels.voice.report_bot import ReportBot
from tests.channels.voice.test_recordings import reported_complaints

pytestmark = pytest.mark.usefixtures("clock")


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"record_calls": True})


async def test_a_recorded_call_tells_the_caller_and_its_recording_joins_the_complaint(
    phone: Caller,
    report_bot: ReportBot,
    services: Services,
    fake_twilio: FakeTwilioApi,
    arabic_wav: bytes,
):
    call = phone()
    start = await call.dial()
    callback = start.attribute("Recording", "recordingStatusCallback")
    assert callback == "https://localhost/channels/twilio/voice/recording?kind=call_recording"
    assert start.said[2:4] == [
        "لضمان جودة الخدمة، يتم تسجيل هذه المكالمة.",
        "This call is recorded to ensure the quality of our service.",
    ]
    for key in "1111":
        await call.press(key)
    await call.record(new_sid("RE"))
    await call.press("1")
    await call.press("1")
    await call.hang_up()
    whole_call = new_sid("RE")
    fake_twilio.recordings[whole_call] = arabic_wav
    assert (await call.recording_ready(callback, whole_call)).status_code == 204
    await background_finished()
    (complaint,) = await reported_complaints(services)
    assert [a.kind for a in complaint.attachments] == ["voice", "call_recording"]
    assert complaint.history[-1].field == "attachment"
    assert await load_call(services.store, call.call_sid) is None
