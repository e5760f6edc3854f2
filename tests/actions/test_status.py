"""The status check: reference validation with re-asks, the answer, and privacy."""

import pytest
from rasa_sdk.events import SlotSet

from actions.status import CheckStatus, ValidateStatusForm
from bot.complaints import Actor, NewComplaint
from tests.actions.conftest import CALLER, entity, make_tracker, payloads, texts

FORM = "status_form"
HINT = {"expect": "digits", "finish_on_key": "#", "max_digits": 10, "purpose": "reference"}


@pytest.fixture
async def complaint(services):
    report = NewComplaint(
        channel="voice",
        language="ar",
        description="حفرة كبيرة قدام البيت",
        category="roads",
        district="al_kut",
        phone=CALLER,
        phone_verified=True,  # the caller id
    )
    return (await services.complaints.create(report, Actor("citizen", "citizen"))).complaint


async def test_the_opening_message_may_carry_the_reference(services, dispatcher, complaint):
    tracker = make_tracker(
        f"وش صار على بلاغي {complaint.reference}",
        "check_status",
        entities=[entity("reference", complaint.reference)],
        form=FORM,
    )
    events = await ValidateStatusForm(services).execute(dispatcher, tracker, {})
    assert events == [
        SlotSet("reference", complaint.reference),
        SlotSet("reference_attempts", 0),
        SlotSet("requested_slot", None),
    ]
    assert dispatcher.messages == []


async def test_without_a_reference_it_is_asked_with_a_digits_hint(services, dispatcher):
    tracker = make_tracker(
        "check my complaint", "check_status", slots={"language": "en"}, form=FORM
    )
    events = await ValidateStatusForm(services).execute(dispatcher, tracker, {})
    assert events == [
        SlotSet("reference", None),
        SlotSet("reference_attempts", 0),
        SlotSet("requested_slot", "reference"),
    ]
    [ask] = dispatcher.messages
    assert ask["text"] == "Please enter the report number (10 digits)."
    assert ask["custom"] == HINT


async def test_a_wrong_reference_is_asked_again_twice_then_given_up(services, dispatcher):
    action = ValidateStatusForm(services)
    first = make_tracker("12345", form=FORM, requested_slot="reference")
    assert await action.execute(dispatcher, first, {}) == [
        SlotSet("reference", None),
        SlotSet("reference_attempts", 1),
        SlotSet("requested_slot", "reference"),
    ]
    assert texts(dispatcher) == ["رقم البلاغ من 10 أرقام، وأدخلت 5.", "اكتب رقم البلاغ (10 أرقام)."]

    dispatcher.messages.clear()
    second = make_tracker(
        "١٢٣٤٥٦٧٨٩٠", slots={"reference_attempts": 1}, form=FORM, requested_slot="reference"
    )
    events = await action.execute(dispatcher, second, {})
    assert events[1] == SlotSet("reference_attempts", 2)
    assert texts(dispatcher)[0].startswith("رقم البلاغ غير صحيح")

    dispatcher.messages.clear()
    third = make_tracker(
        "1234567891", slots={"reference_attempts": 2}, form=FORM, requested_slot="reference"
    )
    assert await action.execute(dispatcher, third, {}) == [
        SlotSet("reference", None),
        SlotSet("reference_attempts", 3),
        SlotSet("requested_slot", None),
    ]
    assert dispatcher.messages == []


async def test_i_dont_have_the_number_ends_the_form(services, dispatcher):
    tracker = make_tracker("ما عندي الرقم", "deny", form=FORM, requested_slot="reference")
    assert await ValidateStatusForm(services).execute(dispatcher, tracker, {}) == [
        SlotSet("reference", None),
        SlotSet("reference_attempts", 0),
        SlotSet("requested_slot", None),
    ]


async def test_an_interruption_leaves_the_form(services, dispatcher):
    tracker = make_tracker(
        "ابي موظف", "talk_to_agent", confidence=0.9, form=FORM, requested_slot="reference"
    )
    assert await ValidateStatusForm(services).execute(dispatcher, tracker, {}) == []


async def test_status_with_details_for_the_callers_own_report(services, dispatcher, complaint):
    tracker = make_tracker(
        "/inform",
        slots={"reference": complaint.reference, "caller_phone": CALLER},
    )
    events = await CheckStatus(services).execute(dispatcher, tracker, {})
    assert events == [SlotSet("reference", None)]
    status, details, follow_up = texts(dispatcher)
    assert status.startswith(
        f"البلاغ رقم {complaint.reference}: محال إلى الفريق المختص. آخر تحديث "
    )
    assert "الموعد المتوقع للمعالجة قبل " in status
    assert details == "تفاصيل بلاغك: الطرق والأرصفة، الكوت. الوصف: حفرة كبيرة قدام البيت"
    assert follow_up == "تحتاج شي ثاني؟"


async def test_status_without_details_for_another_phone(services, dispatcher, complaint):
    tracker = make_tracker(
        "/inform",
        slots={"language": "en", "reference": complaint.reference},
        metadata={"phone": "+966500000001"},
    )
    await CheckStatus(services).execute(dispatcher, tracker, {})
    status, follow_up = texts(dispatcher)
    assert status.startswith(f"Report {complaint.reference}: Assigned to a field team.")
    assert follow_up == "Is there anything else I can do for you?"


async def test_a_half_written_report_is_offered_back(services, dispatcher, complaint):
    tracker = make_tracker(
        "/inform", slots={"language": "en", "reference": complaint.reference, "category": "waste"}
    )
    await CheckStatus(services).execute(dispatcher, tracker, {})
    offer = dispatcher.messages[-1]
    assert offer["text"] == "The report you started is still here. Would you like to finish it?"
    assert payloads(offer) == ["/report_complaint", "/greet"]


async def test_not_found_and_given_up(services, dispatcher):
    action = CheckStatus(services)
    missing = make_tracker("/inform", slots={"reference": "6108772785"})
    await action.execute(dispatcher, missing, {})
    [not_found] = dispatcher.messages
    assert not_found["text"].startswith("ما لقينا بلاغ بالرقم 6108772785")
    assert payloads(not_found) == ["/check_status", "/talk_to_agent", "/greet"]

    dispatcher.messages.clear()
    gave_up = make_tracker("/inform", slots={"reference_attempts": 3})
    assert await action.execute(dispatcher, gave_up, {}) == [SlotSet("reference_attempts", 0)]
    [offer] = dispatcher.messages
    assert offer["text"] == "ما قدرنا نتحقق من رقم البلاغ. تبي أحولك لموظف يساعدك؟"
    assert payloads(offer) == ["/talk_to_agent", "/greet"]


async def test_without_a_number_a_caller_hears_their_open_reports(services, dispatcher, complaint):
    tracker = make_tracker(
        "I don't have it", "deny", slots={"language": "en"}, metadata={"phone": CALLER}
    )
    await CheckStatus(services).execute(dispatcher, tracker, {})
    [listing] = dispatcher.messages
    assert listing["text"] == (
        f"Your open reports:\n- {complaint.reference}: "
        "Roads and sidewalks, Assigned to a field team"
    )
