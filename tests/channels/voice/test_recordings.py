"""Recordings: fetched from Twilio's API with the account's credentials, made compact with
pydub (mono 8 kHz MP3), kept as attachments and attached to the complaint."""

import io
from datetime import timedelta

import pytest
from pydub import AudioSegment

from bot.attachments import sniff
from bot.services import Services
from bot.store.base import ComplaintFilter
from channels.recordings import RECORD_KIND, RecordingJob
from channels.twilio_account import LOCAL_ACCOUNT_SID
from tests.channels.voice.caller import new_sid
from tests.channels.voice.conftest import (
    Caller,
    FakeRasa,
    FakeTwilioApi,
    at_description,
    background_finished,
)
from tests.channels.voice.report_bot import ReportBot

pytestmark = pytest.mark.usefixtures("clock")


def as_audio(data: bytes) -> AudioSegment:
    return AudioSegment.from_file(io.BytesIO(data))


async def reported_complaints(services: Services) -> list:  # type: ignore[type-arg]
    return (await services.store.list_complaints(ComplaintFilter(), 10, None)).items


async def test_a_description_is_fetched_made_compact_and_attached_to_the_complaint(
    phone: Caller,
    report_bot: ReportBot,
    services: Services,
    fake_twilio: FakeTwilioApi,
    fake_rasa: FakeRasa,
    arabic_wav: bytes,
):
    recording_sid = new_sid("RE")
    fake_twilio.recordings[recording_sid] = arabic_wav
    call = await at_description(phone)
    await call.record(recording_sid)
    assert fake_twilio.requests == [
        (
            f"/2010-04-01/Accounts/{LOCAL_ACCOUNT_SID}/Recordings/{recording_sid}.wav",
            LOCAL_ACCOUNT_SID,
        )
    ]
    (media,) = fake_rasa.received[-1]["metadata"]["media"]
    assert fake_rasa.received[-1]["message"] == "/inform"
    kept = await services.attachments.read(media["storage_key"])
    assert media == {
        "kind": "voice",
        "media_type": "audio/mpeg",
        "size": len(kept),
        "storage_key": media["storage_key"],
    }
    assert sniff(kept) == "audio/mpeg"
    audio, original = as_audio(kept), as_audio(arabic_wav)
    assert (audio.channels, audio.frame_rate) == (1, 8000)
    assert 0 <= len(audio) - len(original) < 300  # ms: the MP3 encoder's delay comes first
    assert len(kept) < len(arabic_wav) / 5
    await call.press("1")
    await call.press("1")
    (complaint,) = await reported_complaints(services)
    assert [a.model_dump() for a in complaint.attachments] == [media]
    assert await services.store.list_records(RECORD_KIND, RecordingJob) == []


async def test_a_recording_not_ready_yet_is_named_now_and_kept_when_twilio_reports_it(
    phone: Caller,
    report_bot: ReportBot,
    services: Services,
    fake_twilio: FakeTwilioApi,
    fake_rasa: FakeRasa,
    arabic_wav: bytes,
):
    recording_sid = new_sid("RE")
    call = await at_description(phone)
    callback = call.answer.attribute("Record", "recordingStatusCallback")
    await call.record(recording_sid)
    (media,) = fake_rasa.received[-1]["metadata"]["media"]
    assert media["size"] == 0
    (job,) = await services.store.list_records(RECORD_KIND, RecordingJob)
    assert (job.recording_sid, job.storage_key) == (recording_sid, media["storage_key"])
    fake_twilio.recordings[recording_sid] = arabic_wav
    assert callback is not None
    assert (await call.recording_ready(callback, recording_sid)).status_code == 204
    await background_finished()
    assert sniff(await services.attachments.read(media["storage_key"])) == "audio/mpeg"
    assert await services.store.list_records(RECORD_KIND, RecordingJob) == []


async def test_the_worker_fetches_what_could_not_be_fetched_before(
    phone: Caller,
    report_bot: ReportBot,
    services: Services,
    fake_twilio: FakeTwilioApi,
    arabic_wav: bytes,
    monkeypatch: pytest.MonkeyPatch,
):
    recording_sid = new_sid("RE")
    call = await at_description(phone)
    await call.record(recording_sid)  # Twilio has nothing yet
    fake_twilio.recordings[recording_sid] = arabic_wav
    assert await services.worker.run_once() == 0  # fresh: its call's callback may still come
    monkeypatch.setattr("channels.voice.followup.LEFT_ALONE_FOR", timedelta(0))
    assert await services.worker.run_once() == 1
    assert await services.store.list_records(RECORD_KIND, RecordingJob) == []
