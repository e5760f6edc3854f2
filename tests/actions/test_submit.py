"""Submitting and cancelling a report, from a tracker recorded from a real conversation."""

import pytest
from rasa_sdk.events import SlotSet

from actions.complaint import CancelReport, SubmitComplaint
from actions.formatting import reference_payload
from bot.clock import utc_now
from bot.complaints import dialogue_reports
from bot.reference import parse_reference
from bot.types import Status
from bot.voicemails import Voicemail, call_conversation, give_up_dialogue, keep_voicemail
from tests.actions.conftest import CALLER, make_tracker, payloads, snapshot, texts

# what a filled-in report leaves to forget
RESET = [
    SlotSet("category", None),
    SlotSet("district", None),
    SlotSet("description", None),
    SlotSet("phone", None),
    SlotSet("complaint_confirmed", None),
]


async def test_submit_commits_then_says_the_reference(services, dispatcher):
    tracker = snapshot("confirmed_report_ar")
    events = await SubmitComplaint(services).execute(dispatcher, tracker, {})

    page = await services.store.list_complaints(_all(), 10, None)
    [complaint] = page.items
    assert events == [
        *RESET,
        SlotSet("danger_warned", False),
        SlotSet("last_reference", complaint.reference),
    ]
    assert parse_reference(complaint.reference) == complaint.reference
    assert complaint.channel == "whatsapp"
    assert complaint.category == "lighting"
    assert complaint.district == "al_kut"
    assert complaint.priority == "P1"  # a live wire by a school
    assert complaint.team == "lighting_south"
    assert complaint.status == Status.ASSIGNED
    assert complaint.phone == CALLER
    assert complaint.location is not None
    assert complaint.location.lat == 25.38
    assert complaint.sources["conversation"] == "snap1"
    assert complaint.sources["message_id"] == "SM2"
    assert {entry.field for entry in complaint.history} >= {"created", "priority", "team", "status"}

    created, anything_else = dispatcher.messages
    assert created["text"].startswith(
        f"تم تسجيل بلاغك. رقم البلاغ {complaint.reference}. نتوقع معالجته قبل "
    )
    assert created["custom"] == reference_payload(complaint.reference)
    assert created["custom"]["reference"]["digits"] == " ".join(complaint.reference)
    assert anything_else["text"] == "تحتاج شي ثاني؟"
    assert payloads(anything_else) == ["/report_complaint", "/check_status", "/greet", "/goodbye"]


async def test_a_retried_submit_never_creates_a_second_complaint(services, dispatcher):
    tracker = snapshot("confirmed_report_ar")
    action = SubmitComplaint(services)
    first = await action.execute(dispatcher, tracker, {})
    second = await action.execute(dispatcher, tracker, {})
    assert first == second
    page = await services.store.list_complaints(_all(), 10, None)
    assert len(page.items) == 1


async def test_danger_not_yet_warned_is_said_before_the_reference(services, dispatcher):
    slots = {
        "language": "en",
        "category": "buildings",
        "district": "al_hofuf",
        "description": "the old house wall collapsed onto the street",
        "phone": "none",
        "complaint_confirmed": True,
    }
    tracker = make_tracker("yes", "affirm", slots=slots)
    await SubmitComplaint(services).execute(dispatcher, tracker, {})
    danger, created, _ = texts(dispatcher)
    assert danger.startswith("If anyone is in danger right now, call: Unified emergency number 911")
    assert created.startswith("Your report is registered. Your reference number is ")
    [complaint] = (await services.store.list_complaints(_all(), 10, None)).items
    assert complaint.priority == "P1"
    assert complaint.phone is None


async def test_a_store_failure_keeps_the_report_and_offers_a_retry(
    services, dispatcher, monkeypatch
):
    async def down(*args, **kwargs):
        raise ConnectionError("database is down")

    monkeypatch.setattr(services.complaints, "create", down)
    tracker = snapshot("confirmed_report_ar")
    events = await SubmitComplaint(services).execute(dispatcher, tracker, {})
    assert events == [SlotSet("offer", "retry_submit")]
    [failed] = dispatcher.messages
    assert failed["text"].startswith("نعتذر، ما قدرنا نحفظ بلاغك الحين.")
    assert payloads(failed) == ["/affirm", "/talk_to_agent", "/deny"]


async def test_cancel_forgets_the_report(services, dispatcher):
    tracker = make_tracker("cancel", "cancel", slots={"language": "en", "category": "roads"})
    events = await CancelReport(services).execute(dispatcher, tracker, {})
    assert events == [SlotSet("category", None)]
    assert texts(dispatcher) == [
        "The report is cancelled; nothing was saved.",
        "Is there anything else I can do for you?",
    ]


def _all():
    from bot.store.base import ComplaintFilter

    return ComplaintFilter()


async def test_a_phone_report_is_offered_a_link_to_add_a_photo_and_a_pin(services, dispatcher):
    tracker = snapshot("confirmed_report_ar")
    tracker.slots["channel"] = "voice"
    events = await SubmitComplaint(services).execute(dispatcher, tracker, {})
    [complaint] = (await services.store.list_complaints(_all(), 10, None)).items
    assert events[-1] == SlotSet("offer", f"add_link:{complaint.reference}")
    _created, offer = dispatcher.messages
    assert offer["text"].startswith("تبي نرسل لك رسالة نصية فيها رابط تضيف منه صورة")
    assert payloads(offer) == ["/affirm", "/deny"]


WEB_REPORT = {
    "language": "en",
    "category": "roads",
    "district": "al_hofuf",
    "description": "a deep pothole in front of the mosque",
    "phone": "+966551234567",
    "complaint_confirmed": True,
}


async def test_a_phone_typed_in_the_chat_is_sent_a_code_and_asked_for_it(services, dispatcher):
    web = {"channel": "webchat", "client": "a1b2c3"}
    tracker = make_tracker("yes", "affirm", slots=WEB_REPORT, metadata=web)
    await SubmitComplaint(services).execute(dispatcher, tracker, {})
    [complaint] = (await services.store.list_complaints(_all(), 10, None)).items
    assert not complaint.phone_verified
    _, asked, _ = dispatcher.messages
    assert asked["text"] == (
        "We sent a six-digit code by SMS to the number ending in 4567. Type it here to get "
        "your report's updates; nothing else is sent to that number before."
    )
    assert asked["custom"] == {"phone_code": {"reference": complaint.reference}}


async def test_the_callers_own_number_needs_no_code(services, dispatcher):
    slots = {**WEB_REPORT, "phone": CALLER}
    tracker = make_tracker("yes", "affirm", slots=slots, metadata={"phone": CALLER})
    await SubmitComplaint(services).execute(dispatcher, tracker, {})
    [complaint] = (await services.store.list_complaints(_all(), 10, None)).items
    assert complaint.phone_verified
    assert len(dispatcher.messages) == 2  # the reference and "anything else?"


async def test_reports_past_the_limit_are_not_taken_and_the_user_is_told(services, dispatcher):
    web = {"channel": "webchat", "client": "a1b2c3"}
    action = SubmitComplaint(services)
    for n in range(services.settings.reports_per_address_per_hour):
        slots = {**WEB_REPORT, "phone": f"+9665512345{n:02d}"}
        await action.execute(
            dispatcher, make_tracker("yes", "affirm", slots=slots, metadata=web, sender=f"s{n}"), {}
        )
    dispatcher.messages.clear()
    events = await action.execute(
        dispatcher, make_tracker("yes", "affirm", slots=WEB_REPORT, metadata=web), {}
    )
    assert SlotSet("description", None) in events  # the report is not kept half-taken
    [limited] = dispatcher.messages
    assert limited["text"].startswith("We received many reports in a short time")
    assert payloads(limited) == ["/talk_to_agent", "/greet"]
    total = (await services.store.kpi_summary()).total
    assert total == services.settings.reports_per_address_per_hour


async def test_a_report_sent_twice_by_the_dialogue_is_counted_and_made_once(services, dispatcher):
    """Rasa sends an action again when the connection dropped before its answer."""
    web = {"channel": "webchat", "client": "a1b2c3"}
    action = SubmitComplaint(services)
    for n in range(services.settings.reports_per_address_per_hour - 1):
        slots = {**WEB_REPORT, "phone": f"+9665512345{n:02d}"}
        await action.execute(
            dispatcher, make_tracker("yes", "affirm", slots=slots, metadata=web, sender=f"s{n}"), {}
        )
    last = make_tracker("yes", "affirm", slots=WEB_REPORT, metadata=web)
    first = await action.execute(dispatcher, last, {})
    dispatcher.messages.clear()
    again = await action.execute(dispatcher, last, {})
    assert again == first
    assert dispatcher.messages[0]["text"].startswith("Your report is registered")
    total = (await services.store.kpi_summary()).total
    assert total == services.settings.reports_per_address_per_hour


async def test_a_report_with_nothing_to_count_writes_no_admission(services, dispatcher):
    """A caller's own number counts against no limit: the submission waits for no commit
    for it (on a busy phone line, each costs the caller tens of milliseconds); a web chat
    report is counted, once."""
    claimed: list[str] = []
    claim_inbound = services.store.claim_inbound

    async def spy(key, *args):
        claimed.append(key)
        return await claim_inbound(key, *args)

    services.store.claim_inbound = spy
    caller = {"channel": "voice", "phone": WEB_REPORT["phone"]}
    slots = {**WEB_REPORT, "channel": "voice"}
    await SubmitComplaint(services).execute(
        dispatcher, make_tracker("1", "affirm", slots=slots, metadata=caller, sender="CA1"), {}
    )
    assert claimed == []
    web = {"channel": "webchat", "client": "a1b2c3"}
    await SubmitComplaint(services).execute(
        dispatcher, make_tracker("yes", "affirm", slots=WEB_REPORT, metadata=web), {}
    )
    assert [key.split(":")[0] for key in claimed] == ["admitted"]
    assert (await services.store.kpi_summary()).total == 2


CALL_SID = "CA" + "7" * 32
VOICEMAIL_KEY = "2025/06/" + "e" * 32 + ".mp3"
DESCRIBED = {
    "kind": "voice",
    "media_type": "audio/mpeg",
    "size": 2048,
    "storage_key": "2025/06/" + "d" * 32 + ".mp3",
}


async def given_up_call_leaves_a_voicemail(services) -> None:
    """The voicemail the caller left after hearing the dialogue is down, filed by the worker."""
    voicemail = Voicemail(
        recording_sid="RE" + "8" * 32,
        call_sid=CALL_SID,
        caller=CALLER,
        language="ar",
        reason="dialogue_unavailable",
        storage_key=VOICEMAIL_KEY,
        left_at=utc_now(),
    )
    await keep_voicemail(services.store, voicemail)
    assert await services.worker.run_once() == 1


@pytest.mark.parametrize("report_first", [False, True])
async def test_a_report_its_call_gave_up_on_and_the_voicemail_are_one_complaint(
    services, dispatcher, report_first
):
    """The caller's "send it" turn outlived the line's limit: they heard the dialogue is down
    and left a voicemail, and the turn went on to file their report, before the worker filed
    the voicemail or after."""
    await give_up_dialogue(services.store, CALL_SID, utc_now())
    caller = {"channel": "voice", "phone": CALLER, "sources": {"CallSid": CALL_SID}}
    tracker = make_tracker(
        "1",
        "affirm",
        slots={**WEB_REPORT, "phone": CALLER, "channel": "voice"},
        metadata={**caller, "media": [DESCRIBED]},
        sender=call_conversation(CALL_SID),
    )
    if not report_first:
        await given_up_call_leaves_a_voicemail(services)
    await SubmitComplaint(services).execute(dispatcher, tracker, {})
    if report_first:
        await given_up_call_leaves_a_voicemail(services)

    [complaint] = (await services.store.list_complaints(_all(), 10, None)).items
    assert {item.storage_key for item in complaint.attachments} == {
        DESCRIBED["storage_key"],
        VOICEMAIL_KEY,
    }
    assert complaint.category == ("roads" if report_first else None)
    assert complaint.reference in dispatcher.messages[0]["text"]


async def test_a_report_of_a_call_not_given_up_is_its_own(services, dispatcher):
    """Another call's giving up changes nothing for this one."""
    await give_up_dialogue(services.store, "CA" + "9" * 32, utc_now())
    tracker = make_tracker(
        "1",
        "affirm",
        slots={**WEB_REPORT, "phone": CALLER, "channel": "voice"},
        metadata={"channel": "voice", "phone": CALLER},
        sender=call_conversation(CALL_SID),
    )
    await SubmitComplaint(services).execute(dispatcher, tracker, {})
    [complaint] = (await services.store.list_complaints(_all(), 10, None)).items
    assert complaint.idempotency_key is not None
    assert complaint.idempotency_key.startswith(dialogue_reports(call_conversation(CALL_SID)))
