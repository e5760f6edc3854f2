"""Whole-call recording, on by configuration: the caller is told, and the recording joins every
complaint reported during the call."""

import pytest

from bot.services import Services
from bot.settings import Settings
from channels.voice.state import load_call
from tests.channels.voice.caller import new_sid
from tests.channels.voice.conftest import Caller, FakeTwilioApi, at_main_menu, background_finished
from tests.channels.voice.report_bot import ReportBot
from tests.channels.voice.test_recordings import reported_complaints

pytestmark = pytest.mark.usefixtures("clock")
WHOLE_CALL_CALLBACK = "https://localhost/channels/twilio/voice/recording?kind=call_recording"


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
    assert callback == WHOLE_CALL_CALLBACK
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


async def test_a_recorded_call_transferred_to_the_employees_is_playable_in_the_inbox(
    phone: Caller,
    report_bot: ReportBot,
    services: Services,
    fake_twilio: FakeTwilioApi,
    arabic_wav: bytes,
):
    call = await at_main_menu(phone)
    await call.press("0")
    await call.dial_ended("completed")
    whole_call = new_sid("RE")
    fake_twilio.recordings[whole_call] = arabic_wav
    assert (await call.recording_ready(WHOLE_CALL_CALLBACK, whole_call)).status_code == 204
    await background_finished()
    (transferred,) = await services.store.list_conversations(["call"], 10)
    (entry,) = await services.store.transcript(transferred.id, 10)
    assert [item.kind for item in entry.media] == ["call_recording"]
