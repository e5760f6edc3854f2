"""A call through the real service: signed webhooks in, TwiML out, turns to the dialogue."""

import asyncio
from datetime import date

import pytest
from prometheus_client import REGISTRY

from bot.kpi import KpiFilter
from bot.phone import mask_phone
from bot.services import Services
from channels.voice.state import load_call
from channels.voice.twiml import LANGUAGE_HINTS
from tests.channels.voice.caller import CALLER, SimulatedCall
from tests.channels.voice.conftest import AFTER_HOURS, AGENTS, Caller, Clock, FakeRasa, at_main_menu
from tests.channels.voice.report_bot import ReportBot
from tests.web.conftest import sign_in

HEAD = '<?xml version="1.0" encoding="UTF-8"?>'
AR, EN = 'voice="Polly.Hala-Neural"', 'voice="Polly.Joanna-Neural"'
VOICE_URL = "https://localhost/channels/twilio/voice"
pytestmark = pytest.mark.usefixtures("clock")


async def calls_counted(services: Services) -> dict[str, dict[str, int]]:
    totals = await services.store.kpi_totals(
        KpiFilter(start=date(2025, 6, 1), end=date(2025, 6, 1))
    )
    return totals.calls


async def test_a_call_opens_with_the_greeting_and_the_language_menu(phone: Caller):
    answer = await phone().dial()
    assert answer.xml == (
        f"{HEAD}<Response>"
        f'<Gather action="{VOICE_URL}?s=1" hints="{LANGUAGE_HINTS}" input="dtmf speech" '
        'language="ar-SA" method="POST" numDigits="1" speechTimeout="2" timeout="5">'
        f"<Say {AR}>أهلاً بك في بلاغ تسعة أربعة صفر، أمانة الأحساء.</Say>"
        f"<Say {EN}>Welcome to Balagh nine four zero, Al-Ahsa Municipality.</Say>"
        f"<Say {AR}>للعربية اضغط 1 أو قل عربي.</Say>"
        f"<Say {EN}>For English, press 2 or say English.</Say>"
        "</Gather>"
        f'<Redirect method="POST">{VOICE_URL}?s=1&amp;e=1</Redirect>'
        "</Response>"
    )


async def test_english_is_spoken_and_heard_and_offered_first_on_the_next_call(
    phone: Caller, report_bot: ReportBot, fake_rasa: FakeRasa
):
    call = phone()
    await call.dial()
    menu = await call.press("2")
    assert menu.said[0] == "Welcome to Balagh nine four zero. How can I help you?"
    assert menu.attribute("Gather", "language") == "en-US"
    assert EN in menu.xml
    assert AR not in menu.xml
    sent = fake_rasa.received[0]
    assert sent["sender"] == f"voice:{call.call_sid}"
    assert sent["message"] == "/greet"
    assert sent["metadata"] == {
        "channel": "voice",
        "language": "en",
        "phone": CALLER,
        "media": [],
        "message_id": f"{call.call_sid}:1",
        "sources": {"CallSid": call.call_sid},
    }
    again = await phone().dial()
    assert again.said == [
        "Welcome to Balagh nine four zero, Al-Ahsa Municipality.",
        "أهلاً بك في بلاغ تسعة أربعة صفر، أمانة الأحساء.",
        "For English, press 2 or say English.",
        "للعربية اضغط 1 أو قل عربي.",
    ]


@pytest.mark.parametrize(
    ("words", "language", "menu"),
    [
        ("English", "en", "How can I help you?"),
        ("انجليزي", "en", "How can I help you?"),
        ("عربي", "ar", "كيف أقدر أخدمك؟"),
        ("Arabic please", "ar", "كيف أقدر أخدمك؟"),
    ],
)
async def test_the_language_is_chosen_by_voice_at_the_first_prompt(
    phone: Caller, report_bot: ReportBot, fake_rasa: FakeRasa, words: str, language: str, menu: str
):
    call = phone()
    await call.dial()
    answer = await call.speak(words)
    assert answer.said[0].endswith(menu)
    assert fake_rasa.received[0]["message"] == "/greet"
    assert fake_rasa.received[0]["metadata"]["language"] == language


async def test_a_word_that_names_no_language_asks_again(phone: Caller, fake_rasa: FakeRasa):
    call = phone()
    first = await call.dial()
    again = await call.speak("hello")
    assert again.said[0] == "هذا الاختيار غير متاح."
    assert again.said[1:] == first.said[2:]  # the language menu, without the greeting
    assert fake_rasa.messages == []


async def test_the_employee_is_said_once_as_key_0_never_as_a_menu_option(
    phone: Caller, report_bot: ReportBot
):
    call = phone()
    await call.dial()
    menu = await call.press("1")  # the dialogue's main menu offers an employee as option 3
    assert menu.said == [
        "حياك الله في بلاغ تسعة أربعة صفر، أمانة الأحساء. كيف أقدر أخدمك؟",
        "تقديم بلاغ، اضغط 1.",
        "متابعة بلاغ، اضغط 2.",
        "للتحدث مع موظف اضغط صفر، ولإعادة الاستماع اضغط النجمة، وللقائمة السابقة اضغط 9.",
    ]
    assert (await call.press("3")).said[0] == "هذا الاختيار غير متاح."
    await call.press("1")  # categories: the conventions were told, the employee is not offered
    back = await call.press("9")  # the main menu again: its employee option is its own line
    assert back.said[-1] == "للتحدث مع موظف اضغط صفر."
    assert sum("موظف" in line for line in back.said) == 1


@pytest.mark.parametrize("forgery", ["unsigned", "other token", "tampered", "other url"])
async def test_a_forged_request_gets_403_and_changes_nothing(
    phone: Caller, services: Services, fake_rasa: FakeRasa, forgery: str
):
    call = phone(token="not-the-token") if forgery == "other token" else phone()
    fields = {**call.fields, "CallStatus": "ringing"}
    signature = call.validator.compute_signature(
        "https://elsewhere.example/channels/twilio/voice" if forgery == "other url" else VOICE_URL,
        fields,
    )
    headers = {} if forgery == "unsigned" else {"X-Twilio-Signature": signature}
    if forgery == "tampered":
        fields["From"] = "+966500000000"
    response = await call.http.post(VOICE_URL, data=fields, headers=headers)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "bad_signature"
    assert await load_call(services.store, call.call_sid) is None
    assert fake_rasa.received == []
    assert await calls_counted(services) == {}
    claim = await services.store.claim_inbound(f"voice:{call.call_sid}:start", AFTER_HOURS)
    assert claim.first


async def test_every_webhook_is_checked(phone: Caller):
    call = phone()
    for path in ("status", "recording?kind=voice", "fallback"):
        response = await call.http.post(f"{VOICE_URL}/{path}", data=call.fields)
        assert response.status_code == 403, path


async def test_a_retried_step_is_answered_the_same_without_a_second_turn(
    phone: Caller, report_bot: ReportBot, fake_rasa: FakeRasa
):
    call = phone()
    await call.dial()
    language_menu = call.answer
    first = await call.press("1")
    call.answer = language_menu  # Twilio retries the same request
    again = await call.press("1")
    assert again.xml == first.xml
    assert fake_rasa.messages == ["/greet"]


async def test_a_retry_arriving_while_the_step_is_answered_gets_the_same_answer_of_one_turn(
    phone: Caller, report_bot: ReportBot, fake_rasa: FakeRasa
):
    call = phone()
    await call.dial()
    fake_rasa.delay = 0.3
    fields = {**call.fields, "Digits": "1"}
    first, retry = await asyncio.gather(
        call.post(call.answer.action, fields), call.post(call.answer.action, fields)
    )
    assert first.text == retry.text
    assert "<Gather" in first.text
    assert fake_rasa.messages == ["/greet"]


async def test_star_repeats_and_nine_goes_back_without_asking_the_dialogue(
    phone: Caller, report_bot: ReportBot, fake_rasa: FakeRasa
):
    call = phone()
    await call.dial()
    main_menu = await call.press("1")
    categories = await call.press("1")
    assert categories.said[0] == "وش نوع المشكلة؟"
    assert (await call.press("*")).said == categories.said
    back = await call.press("9")
    assert back.said[:3] == main_menu.said[:3]
    assert fake_rasa.messages == ["/greet", "/report_complaint"]


async def test_silence_is_asked_about_twice_then_an_employee_answers(
    phone: Caller, report_bot: ReportBot, services: Services
):
    call = await at_main_menu(phone)
    for _ in range(2):
        answer = await call.stay_silent()
        assert answer.said[0] == "ما وصلني ردك."
        assert answer.said[-1].startswith("للتحدث مع موظف اضغط صفر")
    transfer = await call.stay_silent()
    assert transfer.said == ["جاري تحويلك لأحد موظفينا، لحظات من فضلك."]
    assert transfer.root.find("Dial").text == AGENTS  # type: ignore[union-attr]
    assert (await calls_counted(services))["call"] == {"started": 1, "transferred": 1}


async def test_a_wrong_key_is_said_and_the_menu_repeated(phone: Caller, report_bot: ReportBot):
    call = phone()
    await call.dial()
    menu = await call.press("1")
    answer = await call.press("7")
    assert answer.said == ["هذا الاختيار غير متاح.", *menu.said]
    assert (await call.press("8")).said[0] == "هذا الاختيار غير متاح."


async def test_outside_working_hours_zero_leaves_a_voicemail(
    phone: Caller, report_bot: ReportBot, clock: Clock
):
    clock.now = AFTER_HOURS
    call = await at_main_menu(phone)
    answer = await call.press("0")
    assert answer.said[0] == "موظفينا غير متواجدين الآن."
    assert answer.said[1].startswith("اترك رسالتك بعد الصافرة")
    assert answer.attribute("Record", "recordingStatusCallback") == (
        f"{VOICE_URL}/recording?kind=voicemail&reason=after_hours&lang=ar&caller=%2B966501234567"
    )


async def test_words_pick_an_option_by_its_title_or_go_to_the_dialogue_as_said(
    phone: Caller, report_bot: ReportBot, fake_rasa: FakeRasa
):
    call = await at_main_menu(phone)
    await call.speak("تقديم بلاغ")
    await call.press("*")
    await call.speak("فيه حفرة عند بيتي")
    assert fake_rasa.messages == ["/greet", "/report_complaint", "فيه حفرة عند بيتي"]


async def test_digits_are_sent_as_typed(phone: Caller, fake_rasa: FakeRasa):
    hint = {"expect": "digits", "finish_on_key": "#", "max_digits": 10, "purpose": "reference"}
    fake_rasa.replies["/greet"] = [{"text": "اكتب رقم البلاغ"}, {"custom": hint}]
    call = phone()
    await call.dial()
    prompt = await call.press("1")
    assert prompt.attribute("Gather", "finishOnKey") == "#"
    await call.press("6108772785")
    assert fake_rasa.messages == ["/greet", "6108772785"]


async def test_a_goodbye_the_dialogue_says_to_spoken_words_ends_the_call(
    phone: Caller, fake_rasa: FakeRasa
):
    fake_rasa.replies["/greet"] = [{"text": "How can I help you?", "buttons": []}]
    goodbye = {"text": "Thank you for contacting Balagh 940. Goodbye!", "custom": {"end": True}}
    fake_rasa.replies["no thanks"] = [goodbye]
    call = phone()
    await call.dial()
    await call.press("2")
    ended = await call.speak("no thanks")
    assert ended.said == ["Thank you for contacting Balagh nine four zero. Goodbye!"]
    assert ended.has("Hangup")
    assert not ended.has("Gather")


async def test_the_dialogues_handoff_rings_the_agents_and_no_answer_leaves_a_voicemail(
    phone: Caller, report_bot: ReportBot, services: Services
):
    call = await at_main_menu(phone)
    transfer = await call.speak("ابي موظف")
    assert transfer.said == ["جاري تحويلك."]
    assert transfer.attribute("Dial", "action") == f"{VOICE_URL}?s=3"
    voicemail = await call.dial_ended("no-answer")
    assert voicemail.said[0] == "ما قدر أحد من موظفينا يرد عليك الآن."
    assert voicemail.has("Record")
    await call.hang_up()
    assert (await calls_counted(services))["call"] == {"started": 1, "transferred": 1}


async def report_by_phone(call: SimulatedCall) -> None:
    """Arabic, report, roads, Al Hofuf, a description (not fetchable), this phone, send."""
    await call.dial()
    for key in "1111":
        await call.press(key)
    await call.record("RE" + "0" * 32)
    await call.press("1")
    await call.press("1")


async def test_each_call_is_counted_served_transferred_or_abandoned_at_its_step(
    phone: Caller, report_bot: ReportBot, services: Services
):
    def in_metrics() -> dict[str, float]:
        outcomes = ("started", "self_service", "transferred", "abandoned")
        return {
            outcome: REGISTRY.get_sample_value("balagh_calls_total", {"outcome": outcome}) or 0.0
            for outcome in outcomes
        }

    before = in_metrics()
    served = phone(caller="+966501111111")
    await report_by_phone(served)
    goodbye = await served.press("2")
    assert goodbye.said == ["شكراً لتواصلك مع بلاغ تسعة أربعة صفر. في أمان الله."]
    assert goodbye.has("Hangup")
    at_categories = phone(caller="+966502222222")
    await at_categories.dial()
    await at_categories.press("1")
    await at_categories.press("1")
    at_language = phone(caller="+966503333333")
    await at_language.dial()
    transferred = phone(caller="+966504444444")
    await transferred.dial()
    await transferred.press("1")
    await transferred.press("0")
    for call in (served, at_categories, at_language, transferred):
        assert (await call.hang_up()).status_code == 204
        assert (await call.hang_up()).status_code == 204  # Twilio retried: counted once
    await at_language.dial()  # so was a call's first webhook
    after = in_metrics()
    assert {outcome: after[outcome] - before[outcome] for outcome in after} == {
        "started": 4,
        "self_service": 1,
        "transferred": 1,
        "abandoned": 2,
    }
    assert await calls_counted(services) == {
        "call": {"started": 4, "self_service": 1, "transferred": 1},
        "abandoned_at": {"menu:category": 1, "language": 1},
    }


async def test_a_transferred_call_is_listed_with_the_inbox_conversations(
    phone: Caller, report_bot: ReportBot, services: Services, client
):
    call = await at_main_menu(phone)
    await call.press("0")
    (ringing,) = await services.store.list_conversations(["call"], 10)
    assert (ringing.contact.channel, ringing.contact.phone, ringing.desk.reason) == (
        "voice",
        CALLER,
        None,
    )
    await call.dial_ended("completed")
    await sign_in(client, services, "amal")
    calls = (await client.get("/staff/inbox?view=calls&lang=en")).text
    assert f'data-id="{ringing.id}"' in calls
    assert "Answered by an employee" in calls
    assert mask_phone(CALLER) in calls
    assert "Answered by an employee" in (await client.get(f"/staff/inbox/{ringing.id}")).text


async def test_an_over_long_speech_result_is_cut_and_answered_with_twiml(
    phone: Caller, fake_rasa: FakeRasa
):
    """Twilio's speech recogniser can hand over pages of words; the caller still hears TwiML."""
    call = await at_main_menu(phone)
    answer = await call.speak("حفرة " * 1000)  # 5,000 characters
    assert answer.root.tag == "Response"
    assert len(fake_rasa.messages[-1]) <= 1000


async def test_a_field_twilio_never_sends_like_that_still_gets_twiml(phone: Caller):
    call = phone()
    await call.dial()
    response = await call.post(call.answer.action, {**call.fields, "Digits": "12ab"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/xml")
    assert "<Record" in response.text  # the apology and a voicemail
