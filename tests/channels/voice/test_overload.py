"""The phone line under a surge: a slow dialogue is a hold, never an apology; a step is sent to
the dialogue once however often it is delivered; what a step did (a report) is always heard;
past the line's capacity, new callers hear that the lines are busy and get a call-back or a
voicemail, and the calls in progress keep their line.
"""

from datetime import date, timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from prometheus_client import REGISTRY

from bot.handoffs import RECORD_KIND, HandoffRequest
from bot.kpi import KpiFilter
from bot.notifications.message import MessageFilter
from bot.services import Services
from bot.settings import Settings
from bot.store.base import ComplaintFilter
from channels.voice import call as call_module
from channels.voice.call import Step
from channels.voice.speech import read_digits
from tests.channels.voice.caller import SimulatedCall, new_sid
from tests.channels.voice.conftest import (
    AGENTS,
    Caller,
    Clock,
    FakeRasa,
    FakeTwilioApi,
    at_description,
    at_main_menu,
    background_finished,
)
from tests.channels.voice.report_bot import ReportBot
from tests.web.conftest import sign_in

pytestmark = pytest.mark.usefixtures("clock")
APOLOGY = "نعتذر منك، نظامنا متعطل مؤقتاً."
HOLD = {"ar": "لحظات من فضلك.", "en": "One moment please."}
STILL_HOLDING = "شكراً لانتظارك، لحظات."
BUSY_OFFER = [
    "جميع خطوطنا مشغولة الآن.",
    "ليتصل بك أحد موظفينا على رقمك في أقرب وقت اضغط 1، أو ابقَ على الخط لتترك رسالة.",
    "All our lines are busy right now.",
    "To have one of our employees call you back on this number as soon as possible, press 1. "
    "Or stay on the line to leave a message.",
]
OTHER_CALLER = "+966559876543"
HOLD_AFTER, TURN_LIMIT = 0.5, 2.0
SLOW = 1.0  # slower than the hold, well within the turn limit
TOO_SLOW = 3.0  # past the turn limit


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Holds after half a second; past 2 s the dialogue is down; one call at a time. A quick
    turn takes milliseconds: half a second keeps a busy CI machine from holding it."""
    return settings.model_copy(
        update={
            "voice_hold_after_seconds": HOLD_AFTER,
            "voice_turn_limit_seconds": TURN_LIMIT,
            "voice_call_limit": 1,
        }
    )


def holds_counted() -> dict[str, float]:
    return {
        hold: REGISTRY.get_sample_value("balagh_voice_holds_total", {"hold": hold}) or 0.0
        for hold in ("first", "again")
    }


def step_of(call: SimulatedCall) -> int:
    """The step the call's next answer goes to (`?s=N` of its URLs)."""
    return int(parse_qs(urlsplit(call.answer.no_input).query)["s"][0])


async def complaints(services: Services) -> list:  # type: ignore[type-arg]
    return (await services.store.list_complaints(ComplaintFilter(), 10, None)).items


# ---- slow is a hold, down is an apology ---------------------------------------------------


@pytest.mark.parametrize("language_key", ["1", "2"])
async def test_a_slow_dialogue_is_a_hold_then_the_answer_is_collected(
    phone: Caller, report_bot: ReportBot, fake_rasa: FakeRasa, language_key: str
):
    call = await at_main_menu(phone, language_key)
    menu_step = step_of(call)
    fake_rasa.delay = SLOW
    counted = holds_counted()
    held = await call.press("1")
    assert holds_counted() == {"first": counted["first"] + 1, "again": counted["again"]}
    assert held.is_hold
    assert held.said == [HOLD["ar" if language_key == "1" else "en"]]
    assert step_of(call) == menu_step  # Twilio comes back to the same step
    categories = await call.hold_on()
    assert categories.has("Gather")
    assert categories.said[0] in ("وش نوع المشكلة؟", "What kind of problem is it?")
    assert fake_rasa.messages == ["/greet", "/report_complaint"]


async def test_a_dialogue_slower_than_the_turn_limit_is_down_apology_and_voicemail(
    phone: Caller, fake_rasa: FakeRasa
):
    fake_rasa.delay = TOO_SLOW
    call = phone()
    await call.dial()
    assert (await call.press("1")).is_hold
    offer = await call.hold_on()
    assert offer.said[0] == APOLOGY
    assert offer.has("Record")


async def test_a_dialogue_that_is_down_is_an_apology_at_once(
    phone: Caller, services: Services, fake_rasa: FakeRasa, monkeypatch: pytest.MonkeyPatch
):
    fake_rasa.down = True  # it answers 503
    call = phone()
    await call.dial()
    assert (await call.press("1")).said[0] == APOLOGY
    monkeypatch.setattr(services.settings, "rasa_url", "http://127.0.0.1:9")  # nobody listens
    other = phone(caller=OTHER_CALLER)
    await services.store.release_slot("voice_calls", call.call_sid)  # one line in these tests
    await other.dial()
    assert (await other.press("1")).said[0] == APOLOGY


# ---- one turn per step, however often it is delivered -------------------------------------


async def test_a_retry_during_a_held_turn_is_collected_never_sent_twice(
    phone: Caller, report_bot: ReportBot, fake_rasa: FakeRasa
):
    call = phone()
    await call.dial()
    fake_rasa.delay = SLOW
    keys = {**call.fields, "Digits": "1"}
    first = await call.post(call.answer.action, keys)
    retry = await call.post(call.answer.action, keys)  # Twilio retries the same request
    call.answer = type(call.answer)(first.text)
    assert call.answer.is_hold
    assert "<Gather" in retry.text  # it waited for the turn under way
    collected = await call.hold_on()
    assert collected.xml == retry.text
    assert fake_rasa.messages == ["/greet"]


async def test_the_next_delivery_on_another_replica_collects_the_answer_from_the_store(
    phone: Caller, report_bot: ReportBot, fake_rasa: FakeRasa
):
    call = phone()
    await call.dial()
    fake_rasa.delay = SLOW
    assert (await call.press("1")).is_hold
    # this process forgets the turn it is working out: as a replica that never had it
    working = call_module.PENDING.pop(Step(step_of(call)).key(call.call_sid))
    counted = holds_counted()
    again = await call.hold_on()
    assert again.is_hold
    assert again.said == [STILL_HOLDING]
    assert holds_counted() == {"first": counted["first"], "again": counted["again"] + 1}
    await working
    menu = await call.hold_on()
    assert menu.has("Gather")
    assert fake_rasa.messages == ["/greet"]


async def test_a_step_lost_with_the_process_answering_it_is_answered_by_the_next_delivery(
    phone: Caller, services: Services, fake_rasa: FakeRasa, clock: Clock
):
    call = phone()
    await call.dial()
    key = Step(step_of(call)).key(call.call_sid)
    await services.store.claim_inbound(key, clock.now - timedelta(minutes=1))  # then it died
    offer = await call.press("1")
    assert offer.said[0] == APOLOGY
    assert offer.has("Record")
    assert fake_rasa.messages == []


# ---- what a step did is always heard ------------------------------------------------------


async def test_a_report_committed_by_a_turn_past_the_limit_is_read_back_not_lost(
    phone: Caller, report_bot: ReportBot, services: Services, fake_rasa: FakeRasa
):
    call = await at_description(phone)
    await call.record(new_sid("RE"))
    await call.press("1")  # yes, this number
    fake_rasa.delay = TOO_SLOW  # the report is committed, the answer comes too late
    sent = call.answer
    assert (await call.press("1")).is_hold
    heard = await call.hold_on()
    (complaint,) = await complaints(services)
    reference = read_digits(complaint.reference, "ar")
    assert heard.said == [f"تم تسجيل بلاغك برقم {reference}. شكراً لاتصالك ببلاغ تسعة أربعة صفر."]
    assert heard.has("Hangup")
    call.answer = sent
    assert (await call.press("1")).xml == heard.xml  # Twilio retries: the same words
    assert len(await complaints(services)) == 1
    assert fake_rasa.messages.count("/affirm") == 2  # the phone, then the summary: once each


# ---- admission: past the capacity, the lines are busy -------------------------------------


def busy_count() -> float:
    return REGISTRY.get_sample_value("balagh_calls_total", {"outcome": "busy"}) or 0.0


async def calls_counted(services: Services) -> dict[str, int]:
    day = date(2025, 6, 1)
    totals = await services.store.kpi_totals(KpiFilter(start=day, end=day))
    return totals.calls.get("call", {})


async def test_past_the_call_limit_a_caller_hears_the_lines_are_busy_and_is_called_back(
    phone: Caller,
    report_bot: ReportBot,
    services: Services,
    fake_rasa: FakeRasa,
    client: httpx.AsyncClient,
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
):
    monkeypatch.setattr("bot.api.health.utc_now", clock)
    monkeypatch.setattr("bot.api.metrics.utc_now", clock)
    first = await at_main_menu(phone)
    turned_away = phone(caller=OTHER_CALLER)
    busy = busy_count()
    offer = await turned_away.dial()
    assert offer.said == BUSY_OFFER
    assert offer.attribute("Gather", "numDigits") == "1"
    health = (await client.get("/health")).json()
    assert health["phone_line"] == {"calls_in_progress": 1, "call_limit": 1}
    metrics = (await client.get("/metrics")).text.splitlines()
    assert {"balagh_voice_calls_in_progress 1.0", "balagh_voice_call_limit 1.0"} <= set(metrics)
    assert busy_count() == busy + 1

    promised = await turned_away.press("1")
    assert promised.said == [
        "سجلنا طلبك، وبيتصل بك أحد موظفينا على الرقم المنتهي بـ ستة خمسة أربعة ثلاثة في أقرب "
        "وقت. شكراً لاتصالك.",
        "Done: one of our employees will call you back on the number ending in six five four "
        "three as soon as possible. Thank you for calling.",
    ]
    assert promised.has("Hangup")
    (request,) = await services.store.list_records(RECORD_KIND, HandoffRequest)
    assert (request.channel, request.phone, request.reason, request.available) == (
        "voice",
        OTHER_CALLER,
        "call_back",
        True,
    )
    (alert,) = (await services.store.list_messages(MessageFilter(), 10, None)).items
    assert (alert.event, alert.channel, alert.to) == ("chat_handoff", "local", "desk:handoffs")
    assert alert.body == (
        "مواطن يطلب موظفاً عبر الهاتف ٩٤٠ (+966•••••••43).\n"
        "السبب: اتصل بـ 940 والخطوط مشغولة، وطلب أن نعاود الاتصال به\n"
        f"لاستلام الطلب: {services.settings.public_base_url}/staff/inbox"
    )
    await sign_in(client, services, "amal")  # where the alert leads: the inbox's calls
    calls = (await client.get("/staff/inbox?view=calls&lang=en")).text
    assert "Asked to be called back (lines busy)" in calls
    await turned_away.hang_up()
    assert fake_rasa.messages == ["/greet"]  # the busy call never reached the dialogue
    assert await calls_counted(services) == {"started": 2, "busy": 1}
    assert busy_count() == busy + 1

    await first.hang_up()  # its line is free again
    assert (await phone().dial()).said[0].startswith("أهلاً بك")


async def test_a_busy_caller_who_stays_on_the_line_leaves_a_voicemail_that_is_filed(
    phone: Caller, services: Services, fake_twilio: FakeTwilioApi, arabic_wav: bytes
):
    await phone().dial()
    turned_away = phone(caller=OTHER_CALLER)
    await turned_away.dial()
    offer = await turned_away.stay_silent()
    assert offer.said == [
        "اترك رسالتك بعد الصافرة: اذكر المشكلة ومكانها، وبنسجلها بلاغاً ونتواصل معك. "
        "وإذا خلصت اضغط المربع.",
        "Please leave a message after the tone: tell us the problem and where it is, and we "
        "will register it as a report and contact you. Press the pound key when you are done.",
    ]
    assert "reason=lines_busy" in (offer.attribute("Record", "recordingStatusCallback") or "")
    recording_sid = new_sid("RE")
    fake_twilio.recordings[recording_sid] = arabic_wav
    kept = await turned_away.record(recording_sid)
    assert len(kept.said) == 2
    assert kept.has("Hangup")
    await background_finished()
    assert await services.worker.run_once() == 1
    (complaint,) = await complaints(services)
    assert complaint.phone == OTHER_CALLER
    assert complaint.description == "رسالة صوتية تركها المتصل وجميع الخطوط مشغولة. استمع للتسجيل."


async def test_a_busy_caller_without_a_number_goes_straight_to_a_voicemail(phone: Caller):
    await phone().dial()
    withheld = await phone(caller="anonymous").dial()
    assert withheld.said[:2] == ["جميع خطوطنا مشغولة الآن.", "All our lines are busy right now."]
    assert withheld.has("Record")


async def test_a_call_transferred_to_an_employee_frees_its_line(
    phone: Caller, report_bot: ReportBot
):
    call = await at_main_menu(phone)
    transfer = await call.press("0")
    assert next(transfer.root.iter("Dial")).text == AGENTS
    assert (await phone(caller=OTHER_CALLER).dial()).said[0].startswith("أهلاً بك")
