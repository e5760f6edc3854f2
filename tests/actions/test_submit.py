"""Submitting and cancelling a report, from a tracker recorded from a real conversation."""

from rasa_sdk.events import SlotSet

from actions.complaint import CancelReport, SubmitComplaint
from actions.formatting import reference_payload
from bot.reference import parse_reference
from bot.types import Status
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
