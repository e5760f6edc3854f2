"""When no one else can help, the caller leaves a voicemail that becomes a complaint later.

The dialogue down, the service failing (Twilio's fallback URL), employees away or
not answering: the caller hears an apology in their language and is never left in silence.
"""

from datetime import timedelta

import pytest

from bot.clock import utc_now
from bot.complaints import dialogue_report_key
from bot.services import Services
from bot.store.base import ComplaintFilter
from bot.voicemails import (
    GIVEN_UP_KEPT,
    Voicemail,
    call_conversation,
    give_up_dialogue,
    given_up_key,
    keep_voicemail,
    pending_voicemails,
    report_key,
)
from channels.recordings import RECORD_KIND, RecordingJob
from tests.channels.voice.caller import new_sid
from tests.channels.voice.conftest import (
    Caller,
    Clock,
    FakeRasa,
    FakeTwilioApi,
    at_description,
    background_finished,
)
from tests.channels.voice.report_bot import ReportBot
from tests.store.test_contract import make_complaint

SECOND = timedelta(seconds=1)
pytestmark = pytest.mark.usefixtures("clock")
HEAD = '<?xml version="1.0" encoding="UTF-8"?>'
AR, EN = 'voice="Polly.Hala-Neural"', 'voice="Polly.Joanna-Neural"'
FALLBACK = "https://localhost/channels/twilio/voice/fallback"


async def complaints(services: Services) -> list:  # type: ignore[type-arg]
    return (await services.store.list_complaints(ComplaintFilter(), 10, None)).items


@pytest.mark.parametrize(("key", "language"), [("1", "ar"), ("2", "en")])
async def test_dialogue_down_apology_then_voicemail_then_a_complaint_from_the_worker(
    phone: Caller,
    services: Services,
    fake_rasa: FakeRasa,
    fake_twilio: FakeTwilioApi,
    arabic_wav: bytes,
    key: str,
    language: str,
):
    fake_rasa.down = True
    call = phone()
    await call.dial()
    offer = await call.press(key)
    apology = {
        "ar": "نعتذر منك، نظامنا متعطل مؤقتاً.",
        "en": "We apologise: our system is temporarily unavailable.",
    }
    assert offer.said[0] == apology[language]
    assert offer.has("Record")
    recording_sid = new_sid("RE")
    fake_twilio.recordings[recording_sid] = arabic_wav
    kept = await call.record(recording_sid, ended_by="hangup")  # most callers just hang up
    assert kept.has("Hangup")
    assert await complaints(services) == []  # acknowledged, kept, not yet filed
    await background_finished()
    assert await services.store.list_records(RECORD_KIND, RecordingJob) == []  # fetched already
    callback = offer.attribute("Record", "recordingStatusCallback")
    assert callback is not None
    await call.recording_ready(callback, recording_sid)  # Twilio reports it too: still one
    assert await services.worker.run_once() == 1
    assert await services.worker.run_once() == 0
    (complaint,) = await complaints(services)
    assert (complaint.channel, complaint.language, complaint.phone) == (
        "voice",
        language,
        "+966501234567",
    )
    assert complaint.sources == {"CallSid": call.call_sid, "RecordingSid": recording_sid}
    (attachment,) = complaint.attachments
    assert attachment.kind == "voice"
    assert attachment.size > 0
    assert await pending_voicemails(services.store) == []


async def test_the_fallback_url_answers_with_neither_dialogue_nor_store(
    phone: Caller, services: Services
):
    call = phone()
    await services.store.close()  # the store is gone; the fallback does not need it
    response = await call.post(FALLBACK, {**call.fields, "ErrorCode": "11200"})
    assert response.text == (
        f"{HEAD}<Response>"
        f"<Say {AR}>نعتذر منك، نظامنا متعطل مؤقتاً.</Say>"
        f"<Say {AR}>اترك رسالتك بعد الصافرة: اذكر المشكلة ومكانها، وبنسجلها بلاغاً ونتواصل معك. "
        "وإذا خلصت اضغط المربع.</Say>"
        f"<Say {EN}>We apologise: our system is temporarily unavailable.</Say>"
        f"<Say {EN}>Please leave a message after the tone: tell us the problem and where it is, "
        "and we will register it as a report and contact you. "
        "Press the pound key when you are done.</Say>"
        f'<Record action="{FALLBACK}" finishOnKey="#" maxLength="120" method="POST" playBeep="true"'
        ' recordingStatusCallback="https://localhost/channels/twilio/voice/recording'
        '?kind=voicemail&amp;reason=dialogue_unavailable&amp;lang=ar&amp;caller=%2B966501234567"'
        ' recordingStatusCallbackEvent="completed" timeout="5" trim="trim-silence" />'
        f'<Redirect method="POST">{FALLBACK}?e=1</Redirect>'
        "</Response>"
    )
    call.answer = type(call.answer)(response.text)
    done = await call.record(new_sid("RE"))
    assert done.said == [
        "وصلتنا رسالتك، وبنسجلها بلاغاً ونتواصل معك. شكراً لاتصالك.",
        "We have your message; we will register it as a report and contact you. "
        "Thank you for calling.",
    ]
    assert done.has("Hangup")


async def test_a_description_whose_answer_failed_is_not_called_kept_at_the_fallback(
    phone: Caller, services: Services
):
    """Twilio brings the description's recording to the fallback when our answer failed:
    nothing kept it, so the caller is offered a voicemail rather than thanked for one."""
    call = await at_description(phone)
    failed = {**call.fields, "RecordingSid": new_sid("RE"), "ErrorCode": "11200"}
    call.answer = type(call.answer)((await call.post(FALLBACK, failed)).text)
    assert call.answer.said[0] == "نعتذر منك، نظامنا متعطل مؤقتاً."
    assert call.answer.has("Record")
    assert not call.answer.has("Hangup")


async def test_a_voicemail_left_through_the_fallback_is_filed_from_its_recording_callback(
    phone: Caller, services: Services, fake_twilio: FakeTwilioApi, arabic_wav: bytes
):
    call = phone()
    offer = await call.post(FALLBACK, call.fields)
    call.answer = type(call.answer)(offer.text)
    callback = call.answer.attribute("Record", "recordingStatusCallback")
    recording_sid = new_sid("RE")
    fake_twilio.recordings[recording_sid] = arabic_wav
    assert callback is not None
    await call.recording_ready(callback, recording_sid)
    await background_finished()
    (voicemail,) = await pending_voicemails(services.store)
    assert isinstance(voicemail, Voicemail)
    assert voicemail.caller == "+966501234567"
    assert await services.worker.run_once() == 1
    (complaint,) = await complaints(services)
    assert complaint.description.startswith("رسالة صوتية")


async def test_a_voicemail_left_in_a_call_that_reported_joins_that_report(
    phone: Caller,
    report_bot: ReportBot,
    services: Services,
    fake_twilio: FakeTwilioApi,
    arabic_wav: bytes,
):
    call = await at_description(phone)
    await call.record(new_sid("RE"))
    await call.press("1")
    await call.press("1")
    (complaint,) = await complaints(services)
    # a busy line: hundreds of later calls reported too, none with a caller id to tell them apart
    await services.store.insert_complaints(
        [
            make_complaint(
                n, created_at=complaint.created_at + SECOND, idempotency_key=f"rasa:voice:CA{n}:1"
            )
            for n in range(1000, 1300)
        ]
    )
    recording_sid = new_sid("RE")
    fake_twilio.recordings[recording_sid] = arabic_wav
    voicemail = Voicemail(
        recording_sid=recording_sid,
        call_sid=call.call_sid,
        caller=None,  # withheld
        language="ar",
        reason="dialogue_unavailable",
        storage_key="2025/06/" + recording_sid[2:] + ".mp3",
        left_at=complaint.created_at,
    )
    await keep_voicemail(services.store, voicemail)
    assert await services.worker.run_once() == 1
    again = await services.store.get_complaint(complaint.reference)
    assert again is not None
    assert [a.storage_key for a in again.attachments][-1] == voicemail.storage_key
    assert (await services.store.kpi_summary()).total == 301  # joined, not filed again


async def test_a_calls_second_voicemail_joins_its_first(
    services: Services, fake_twilio: FakeTwilioApi, arabic_wav: bytes
):
    """The first voicemail's answer failed, so the fallback offered another: one complaint."""
    call_sid = new_sid("CA")
    for recording_sid in (new_sid("RE"), new_sid("RE")):
        fake_twilio.recordings[recording_sid] = arabic_wav
        voicemail = Voicemail(
            recording_sid=recording_sid,
            call_sid=call_sid,
            caller="+966501234567",
            language="ar",
            reason="dialogue_unavailable",
            storage_key="2025/06/" + recording_sid[2:] + ".mp3",
            left_at=utc_now(),
        )
        await keep_voicemail(services.store, voicemail)
        assert await services.worker.run_once() == 1
    (complaint,) = await complaints(services)
    assert len(complaint.attachments) == 2


async def test_the_line_gives_up_on_the_dialogue_before_it_apologises(
    phone: Caller, services: Services, fake_rasa: FakeRasa
):
    """From the apology on, a report the caller's turn still files joins their voicemail."""
    fake_rasa.down = True
    call = phone()
    await call.dial()
    assert (await call.press("1")).has("Record")
    conversation = call_conversation(call.call_sid)
    assert await report_key(services.store, conversation, 1.0) == given_up_key(call.call_sid)


async def test_the_worker_forgets_a_call_given_up_once_no_turn_can_come(
    services: Services, clock: Clock
):
    store, now = services.store, clock.now
    await give_up_dialogue(store, "CAold", now - GIVEN_UP_KEPT - SECOND)
    await give_up_dialogue(store, "CAnew", now)
    assert await services.worker.run_once() == 1
    assert await report_key(store, "voice:CAold", 1.0) == dialogue_report_key("voice:CAold", 1.0)
    assert await report_key(store, "voice:CAnew", 1.0) == given_up_key("CAnew")
