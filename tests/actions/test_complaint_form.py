"""The complaint form's validation action: what it extracts, says and asks at each turn."""

from rasa_sdk.events import SlotSet

from actions.complaint import ValidateComplaintForm
from tests.actions.conftest import CALLER, entity, make_tracker, payloads, texts

FORM = "complaint_form"


def validate(services):
    return ValidateComplaintForm(services)


async def test_opening_message_fills_category_district_and_description(services, dispatcher):
    text = "ابي ابلغ عن حفرة كبيرة في الشارع قدام بيتي في حي الكوت"
    tracker = make_tracker(
        text,
        "report_complaint",
        entities=[entity("category", "roads"), entity("district", "al_kut")],
        metadata={"phone": CALLER},
        form=FORM,
    )
    events = await validate(services).execute(dispatcher, tracker, {})
    assert events == [
        SlotSet("category", "roads"),
        SlotSet("district", "al_kut"),
        SlotSet("description", text),
        SlotSet("nearby", "new"),  # no open report of the same problem there
        SlotSet("requested_slot", "phone"),
    ]
    [ask] = dispatcher.messages
    assert ask["text"] == "نتواصل معك على رقمك المنتهي بـ 4567؟"
    assert payloads(ask) == ["/affirm", "/deny"]


async def test_button_opening_asks_the_first_page_of_categories(services, dispatcher):
    tracker = make_tracker("/report_complaint", "report_complaint", form=FORM)
    events = await validate(services).execute(dispatcher, tracker, {})
    assert events == [SlotSet("requested_slot", "category")]  # and the question
    [ask] = dispatcher.messages
    assert ask["text"] == "وش نوع المشكلة؟ اختر من القائمة أو اكتبها بكلماتك."
    assert payloads(ask) == [
        '/inform{"category": "roads"}',
        '/inform{"category": "lighting"}',
        '/inform{"category": "waste"}',
        '/inform{"category": "drainage"}',
        '/inform{"choice": "more"}',
    ]
    assert [b["title"] for b in ask["buttons"]][:2] == ["الطرق والأرصفة", "إنارة الشوارع"]


async def test_more_options_turns_the_category_page(services, dispatcher):
    tracker = make_tracker(
        '/inform{"choice": "more"}',
        entities=[entity("choice", "more")],
        slots={"menu_page": 2, "language": "en"},
        form=FORM,
        requested_slot="category",
    )
    events = await validate(services).execute(dispatcher, tracker, {})
    assert events == [SlotSet("menu_page", 3), SlotSet("requested_slot", "category")]
    assert payloads(dispatcher.messages[0]) == [
        '/inform{"category": "vehicles"}',
        '/inform{"category": "visual"}',
        '/inform{"choice": "other"}',
        '/inform{"choice": "more"}',
    ]


async def test_free_text_category_is_classified(services, dispatcher):
    tracker = make_tracker(
        "الزبالة متكدسة", "report_complaint", form=FORM, requested_slot="category"
    )
    events = await validate(services).execute(dispatcher, tracker, {})
    assert events == [SlotSet("category", "waste"), SlotSet("requested_slot", "district")]
    [ask] = dispatcher.messages
    assert ask["custom"] == {"expect": "district", "accepts_location": True}
    assert payloads(ask)[-1] == '/inform{"choice": "skip"}'


async def test_unknown_category_is_asked_again(services, dispatcher):
    tracker = make_tracker(
        "something odd",
        "nlu_fallback",
        slots={"language": "en"},
        form=FORM,
        requested_slot="category",
    )
    events = await validate(services).execute(dispatcher, tracker, {})
    assert events == [SlotSet("category", None), SlotSet("requested_slot", "category")]
    assert texts(dispatcher) == [
        "I couldn't tell what kind of problem that is.",
        "What kind of problem is it? Choose one, or describe it in your own words.",
    ]


async def test_an_interruption_leaves_the_form_to_a_rule(services, dispatcher):
    tracker = make_tracker(
        "وش الفعاليات", "ask_programs", confidence=0.97, form=FORM, requested_slot="district"
    )
    assert await validate(services).execute(dispatcher, tracker, {}) == []
    assert dispatcher.messages == []


async def test_a_description_is_not_taken_for_an_unsure_interruption(services, dispatcher):
    text = "services in the park are bad and the lights are broken"
    tracker = make_tracker(
        text,
        "ask_services",
        confidence=0.7,
        slots={"language": "en", "category": "parks", "district": "al_kut", "nearby": "new"},
        form=FORM,
        requested_slot="description",
    )
    events = await validate(services).execute(dispatcher, tracker, {})
    assert events == [SlotSet("description", text), SlotSet("requested_slot", "phone")]


async def test_returning_after_an_interruption_asks_again_without_extracting(services, dispatcher):
    tracker = make_tracker(
        "وش الفعاليات",
        "ask_programs",
        slots={"category": "parks"},
        form=FORM,
        requested_slot="district",
    )
    # what Rasa sends after the rule answered: ... user, action_programs, <form>
    tracker.events.insert(-2, {"event": "action", "name": "action_programs"})
    events = await validate(services).execute(dispatcher, tracker, {})
    assert events == [SlotSet("requested_slot", "district")]
    assert texts(dispatcher) == ["في أي حي المشكلة؟ اكتب اسم الحي أو اختره، أو شارك موقعك."]


async def test_district_by_alias_skip_and_unknown(services, dispatcher):
    action = validate(services)
    by_alias = make_tracker(
        "in Mubarraz", slots={"language": "en"}, form=FORM, requested_slot="district"
    )
    assert (await action.execute(dispatcher, by_alias, {}))[0] == SlotSet("district", "al_mubarraz")
    skip = make_tracker(
        '/inform{"choice": "skip"}',
        entities=[entity("choice", "skip")],
        form=FORM,
        requested_slot="district",
    )
    assert (await action.execute(dispatcher, skip, {}))[0] == SlotSet("district", "none")
    dispatcher.messages.clear()
    unknown = make_tracker(
        "حي النخيل", slots={"category": "roads"}, form=FORM, requested_slot="district"
    )
    events = await action.execute(dispatcher, unknown, {})
    assert events == [SlotSet("district", None), SlotSet("requested_slot", "district")]
    assert texts(dispatcher)[0].startswith('ما عرفت الحي "حي النخيل"')


async def test_a_shared_pin_stands_for_the_district(services, dispatcher):
    tracker = make_tracker(
        "/inform",
        metadata={"location": {"lat": 25.38, "lng": 49.59}},
        form=FORM,
        requested_slot="district",
    )
    events = await validate(services).execute(dispatcher, tracker, {})
    assert events[0] == SlotSet("district", "none")


async def test_a_voice_message_is_the_description(services, dispatcher):
    recording = {
        "kind": "voice",
        "media_type": "audio/mpeg",
        "size": 9000,
        "storage_key": "r/1.mp3",
    }
    tracker = make_tracker(
        "/inform",
        metadata={"media": [recording], "channel": "voice"},
        slots={"category": "waste", "district": "al_hofuf"},
        form=FORM,
        requested_slot="description",
    )
    events = await validate(services).execute(dispatcher, tracker, {})
    assert events[0] == SlotSet("description", "(رسالة صوتية)")


async def test_a_one_word_description_is_too_short(services, dispatcher):
    tracker = make_tracker(
        "حفرة",
        "inform",
        slots={"category": "roads", "district": "al_kut", "nearby": "new"},
        form=FORM,
        requested_slot="description",
    )
    events = await validate(services).execute(dispatcher, tracker, {})
    assert events == [SlotSet("description", None), SlotSet("requested_slot", "description")]
    assert texts(dispatcher)[0] == "نحتاج وصف أوضح شوي، كلمتين على الأقل."
    assert dispatcher.messages[1]["custom"] == {
        "expect": "recording",
        "max_seconds": 120,
        "finish_on_key": "#",
    }


async def test_danger_words_give_the_emergency_numbers_first(services, dispatcher):
    text = "there is a live wire hanging from the pole near the mosque"
    tracker = make_tracker(
        text,
        "report_complaint",
        slots={"language": "en", "category": "lighting", "district": "al_kut", "nearby": "new"},
        form=FORM,
        requested_slot="description",
    )
    events = await validate(services).execute(dispatcher, tracker, {})
    assert events == [
        SlotSet("description", text),
        SlotSet("danger_warned", True),
        SlotSet("requested_slot", "phone"),
    ]
    warning, ask = texts(dispatcher)
    assert warning.startswith(
        "If anyone is in danger right now, call: Unified emergency number 911"
    )
    assert "Electricity emergency 933" in warning
    assert ask.startswith("Please type your mobile number")
    assert dispatcher.messages[1]["custom"]["expect"] == "digits"


async def test_phone_confirmed_declined_typed_and_invalid(services, dispatcher):
    action = validate(services)
    base = {"category": "roads", "district": "al_kut", "nearby": "new", "description": "حفرة كبيرة"}
    yes = make_tracker(
        "نعم", "affirm", slots=base, metadata={"phone": CALLER}, form=FORM, requested_slot="phone"
    )
    assert (await action.execute(dispatcher, yes, {}))[0] == SlotSet("phone", CALLER)

    dispatcher.messages.clear()
    no = make_tracker(
        "لا", "deny", slots=base, metadata={"phone": CALLER}, form=FORM, requested_slot="phone"
    )
    assert await action.execute(dispatcher, no, {}) == [
        SlotSet("phone_declined", True),
        SlotSet("requested_slot", "phone"),
    ]
    assert dispatcher.messages[0]["custom"]["purpose"] == "phone"

    typed = make_tracker("جوالي ٠٥٠١٢٣٤٥٦٧", slots=base, form=FORM, requested_slot="phone")
    assert (await action.execute(dispatcher, typed, {}))[0] == SlotSet("phone", "+966501234567")

    dispatcher.messages.clear()
    wrong = make_tracker("0512", slots=base, form=FORM, requested_slot="phone")
    assert (await action.execute(dispatcher, wrong, {}))[0] == SlotSet("phone", None)
    bad = make_tracker("رقمي 12345678", slots=base, form=FORM, requested_slot="phone")
    dispatcher.messages.clear()
    assert (await action.execute(dispatcher, bad, {}))[0] == SlotSet("phone", None)
    assert texts(dispatcher)[0] == "الرقم غير صحيح. اكتب رقم جوال سعودي مثل 0501234567."


async def test_a_typed_number_outside_the_served_countries_is_asked_again(services, dispatcher):
    action = validate(services)
    base = {"category": "roads", "district": "al_kut", "description": "حفرة كبيرة"}
    foreign = make_tracker(
        "my number +44 7911 123456", slots=base, form=FORM, requested_slot="phone"
    )
    assert (await action.execute(dispatcher, foreign, {}))[0] == SlotSet("phone", None)
    assert texts(dispatcher)[0].startswith("نرسل الرسائل إلى أرقام +966 فقط.")
    dispatcher.messages.clear()
    own = make_tracker(
        "+44 7911 123456",
        slots=base,
        metadata={"phone": "+447911123456"},  # the WhatsApp sender's own number
        form=FORM,
        requested_slot="phone",
    )
    assert (await action.execute(dispatcher, own, {}))[0] == SlotSet("phone", "+447911123456")


FILLED = {
    "category": "roads",
    "district": "al_kut",
    "nearby": "new",
    "description": "حفرة كبيرة قدام البيت",
    "phone": CALLER,
}


async def test_summary_then_correction_by_buttons(services, dispatcher):
    action = validate(services)
    phone_yes = make_tracker(
        "/affirm",
        "affirm",
        slots={**FILLED, "phone": None},
        metadata={"phone": CALLER},
        form=FORM,
        requested_slot="phone",
    )
    events = await action.execute(dispatcher, phone_yes, {})
    assert events == [SlotSet("phone", CALLER), SlotSet("requested_slot", "complaint_confirmed")]
    summary = dispatcher.messages[0]
    assert summary["text"] == (
        "راجع بلاغك:\n- النوع: الطرق والأرصفة\n- الحي: الكوت\n- الوصف: حفرة كبيرة قدام البيت\n"
        "- الجوال: 0551234567\nنرسله؟"
    )
    assert payloads(summary) == ["/affirm", "/deny", "/cancel"]

    dispatcher.messages.clear()
    change = make_tracker(
        "لا", "deny", slots=FILLED, form=FORM, requested_slot="complaint_confirmed"
    )
    assert await action.execute(dispatcher, change, {}) == [
        SlotSet("correcting", True),
        SlotSet("requested_slot", "complaint_confirmed"),
    ]
    assert payloads(dispatcher.messages[0]) == [
        '/inform{"choice": "category"}',
        '/inform{"choice": "district"}',
        '/inform{"choice": "description"}',
        '/inform{"choice": "phone"}',
        '/inform{"choice": "summary"}',
    ]

    dispatcher.messages.clear()
    pick = make_tracker(
        '/inform{"choice": "district"}',
        entities=[entity("choice", "district")],
        slots={**FILLED, "correcting": True},
        form=FORM,
        requested_slot="complaint_confirmed",
    )
    assert await action.execute(dispatcher, pick, {}) == [
        SlotSet("district", None),
        SlotSet("correcting", False),
        SlotSet("requested_slot", "district"),
    ]


async def test_correction_in_words_rereads_the_summary(services, dispatcher):
    tracker = make_tracker(
        "no, it's the street lights in Al Mubarraz",
        "deny",
        slots={**FILLED, "language": "en"},
        form=FORM,
        requested_slot="complaint_confirmed",
    )
    events = await validate(services).execute(dispatcher, tracker, {})
    assert events == [
        SlotSet("category", "lighting"),
        SlotSet("district", "al_mubarraz"),
        SlotSet("requested_slot", "complaint_confirmed"),
    ]
    assert "- Type: Street lighting\n- District: Al Mubarraz" in texts(dispatcher)[0]


async def test_yes_at_the_summary_completes_the_form(services, dispatcher):
    tracker = make_tracker(
        "ايه ارسل", "affirm", slots=FILLED, form=FORM, requested_slot="complaint_confirmed"
    )
    events = await validate(services).execute(dispatcher, tracker, {})
    assert events == [SlotSet("complaint_confirmed", True), SlotSet("requested_slot", None)]
    assert dispatcher.messages == []


async def test_a_failure_apologises_and_offers_a_way_forward(services, dispatcher, monkeypatch):
    action = validate(services)

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(action, "extract", broken)
    tracker = make_tracker("حفرة", slots={"language": "en"}, form=FORM, requested_slot="category")
    assert await action.execute(dispatcher, tracker, {}) == []
    [apology] = dispatcher.messages
    assert apology["text"].startswith("Sorry, something went wrong on our side.")
    assert payloads(apology) == ["/talk_to_agent", "/greet"]
