"""Session start, welcome, known callers, yes/no, language, fallback, handoff, programs and
services."""

from rasa_sdk.events import ActionExecuted, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.context import consecutive_fallbacks
from actions.conversation import (
    AnswerOffer,
    Fallback,
    Greet,
    Handoff,
    MunicipalServices,
    OutOfScope,
    Programs,
    SessionStart,
    SwitchLanguage,
)
from bot.complaints import Actor, NewComplaint
from bot.conversations import DeskFigures
from bot.kpi import KpiFilter, build_report
from bot.notifications.message import MessageFilter
from tests.actions.conftest import (
    CALLER,
    FRIDAY_NOON,
    WEDNESDAY_NOON,
    action_event,
    entity,
    make_tracker,
    payloads,
    texts,
    user_event,
)

MAIN_MENU = [
    "/report_complaint",
    "/check_status",
    "/ask_programs",
    "/ask_services",
    "/talk_to_agent",
]


async def open_report(services):
    report = NewComplaint(
        channel="whatsapp",
        language="en",
        description="the street light is out",
        category="lighting",
        district="al_kut",
        phone=CALLER,
        phone_verified=True,  # the WhatsApp sender
    )
    return (await services.complaints.create(report, Actor("citizen", "citizen"))).complaint


async def test_session_start_takes_language_channel_and_caller_from_metadata(services, dispatcher):
    tracker = make_tracker(
        slots={
            "session_started_metadata": {
                "language": "en",
                "channel": "voice",
                "phone": "0551234567",
            }
        }
    )
    events = await SessionStart(services).execute(dispatcher, tracker, {})
    assert events == [
        SessionStarted(),
        SlotSet("language", "en"),
        SlotSet("channel", "voice"),
        SlotSet("caller_phone", CALLER),
        ActionExecuted("action_listen"),
    ]


async def test_greet_welcomes_then_shows_the_menu(services, dispatcher):
    events = await Greet(services).execute(dispatcher, make_tracker("هلا", "greet"), {})
    assert events == [SlotSet("welcomed", True)]
    welcome, menu = dispatcher.messages
    assert welcome["text"] == "حياك الله في بلاغ 940، أمانة الأحساء."
    assert menu["text"] == "كيف أقدر أخدمك؟"
    assert payloads(menu) == MAIN_MENU
    assert [b["title"] for b in menu["buttons"]] == [
        "تقديم بلاغ",
        "متابعة بلاغ",
        "البرامج والفعاليات",
        "الخدمات والمعاملات",
        "التحدث مع موظف",
    ]


async def test_greet_again_is_the_main_menu_only(services, dispatcher):
    tracker = make_tracker("/greet", "greet", slots={"welcomed": True}, metadata={"phone": CALLER})
    await Greet(services).execute(dispatcher, tracker, {})
    assert texts(dispatcher) == ["كيف أقدر أخدمك؟"]


async def test_a_known_caller_is_offered_the_status_then_hears_it(services, dispatcher):
    complaint = await open_report(services)
    tracker = make_tracker("hello", "greet", slots={"language": "en"}, metadata={"phone": CALLER})
    events = await Greet(services).execute(dispatcher, tracker, {})
    assert events == [SlotSet("welcomed", True), SlotSet("offer", f"status:{complaint.reference}")]
    _, offer = dispatcher.messages
    assert offer["text"] == (
        f"You have an open report, number {complaint.reference} (Street lighting). "
        "Would you like to hear its status?"
    )
    assert payloads(offer) == ["/affirm", "/deny"]

    dispatcher.messages.clear()
    yes = make_tracker(
        "yes",
        "affirm",
        slots={"language": "en", "offer": f"status:{complaint.reference}"},
        metadata={"phone": CALLER},
    )
    assert await AnswerOffer(services).execute(dispatcher, yes, {}) == [SlotSet("offer", None)]
    status, details, anything_else = texts(dispatcher)
    assert status.startswith(f"Report {complaint.reference}: Assigned to a field team.")
    assert details.startswith("Your report's details: Street lighting, Al Kut.")
    assert anything_else == "Is there anything else I can do for you?"


async def test_no_to_the_offer_is_the_main_menu(services, dispatcher):
    tracker = make_tracker("لا", "deny", slots={"offer": "status:6108772785"})
    assert await AnswerOffer(services).execute(dispatcher, tracker, {}) == [SlotSet("offer", None)]
    assert payloads(dispatcher.messages[0]) == MAIN_MENU


async def test_switch_language_named_or_toggled(services, dispatcher):
    action = SwitchLanguage(services)
    named = make_tracker("English please", "choose_language", entities=[entity("language", "en")])
    assert await action.execute(dispatcher, named, {}) == [SlotSet("language", "en")]
    toggle = make_tracker("change language", "choose_language", slots={"language": "en"})
    assert await action.execute(dispatcher, toggle, {}) == [SlotSet("language", "ar")]


async def test_fallback_asks_to_rephrase_then_offers_the_menu(services, dispatcher):
    action = Fallback(services)
    first = make_tracker("قخعثصق", "nlu_fallback")
    assert await action.execute(dispatcher, first, {}) == []
    assert texts(dispatcher) == ["عذراً، ما فهمت عليك. ممكن توضح أكثر؟"]

    dispatcher.messages.clear()
    history = [user_event("قخعثصق", "nlu_fallback"), action_event("action_fallback")]
    second = make_tracker("زززز", "nlu_fallback", history=history)
    assert consecutive_fallbacks(second, "action_fallback") == 2
    await action.execute(dispatcher, second, {})
    [menu] = dispatcher.messages
    assert menu["text"] == "ما قدرت أفهم طلبك. اختر من القائمة أو تحدث مع موظف:"
    assert payloads(menu) == MAIN_MENU


async def test_handoff_within_working_hours(services, dispatcher):
    tracker = make_tracker(
        "ابي موظف",
        "talk_to_agent",
        slots={"category": "roads", "channel": "voice"},
        sender="CA123",
    )
    events = await Handoff(services, clock=lambda: WEDNESDAY_NOON).execute(dispatcher, tracker, {})
    handoff = {
        "reason": "requested",
        "available": True,
        "language": "ar",
        "channel": "voice",
        "conversation_id": "CA123",
        "summary": {"category": "roads"},
    }
    assert events == [SlotSet("handoff", handoff)]
    [message] = dispatcher.messages
    assert message["text"] == "جاري تحويلك لأحد موظفينا، لحظات من فضلك."
    assert message["custom"] == {"handoff": handoff}


async def test_handoff_outside_working_hours(services, dispatcher):
    history = [user_event("qwe", "nlu_fallback"), action_event("action_fallback")]
    tracker = make_tracker(
        "/talk_to_agent", "talk_to_agent", slots={"language": "en"}, history=history
    )
    events = await Handoff(services, clock=lambda: FRIDAY_NOON).execute(dispatcher, tracker, {})
    assert events[0]["value"]["available"] is False
    assert events[0]["value"]["reason"] == "not_understood"
    [message] = dispatcher.messages
    assert message["text"].startswith(
        "Our employees are available Sunday to Thursday, 7:30 am to 2:30 pm."
    )
    assert payloads(message) == ["/report_complaint", "/greet"]


async def test_programs_from_the_catalogue(services, dispatcher):
    tracker = make_tracker("وش الفعاليات", "ask_programs")
    assert await Programs(services).execute(dispatcher, tracker, {}) == []
    [message] = dispatcher.messages
    assert message["text"].startswith("برامج وفعاليات الأمانة:\n- مهرجان الأحساء للتمور:")
    assert len(message["text"].splitlines()) == 1 + len(services.catalogue.programs)

    dispatcher.messages.clear()
    named = make_tracker("when is the dates festival", "ask_programs", slots={"language": "en"})
    await Programs(services).execute(dispatcher, named, {})
    assert texts(dispatcher) == [
        "The municipality's programs and events:\n- Al-Ahsa Dates Festival: Date markets, "
        "auctions and family events at King Abdullah Dates City. Held every year in the date "
        "harvest season; entry is free."
    ]


async def test_programs_inside_a_form_have_no_menu(services, dispatcher):
    tracker = make_tracker(
        "وش الفعاليات", "ask_programs", form="complaint_form", requested_slot="district"
    )
    await Programs(services).execute(dispatcher, tracker, {})
    assert dispatcher.messages[0]["buttons"] == []


async def test_services_menu_pages_and_details(services, dispatcher):
    action = MunicipalServices(services)
    menu = make_tracker("الخدمات", "ask_services")
    await action.execute(dispatcher, menu, {})
    [first_page] = dispatcher.messages
    assert payloads(first_page) == [
        '/ask_services{"choice": "building_permit"}',
        '/ask_services{"choice": "shop_licence"}',
        '/ask_services{"choice": "health_certificate"}',
        '/ask_services{"choice": "excavation_permit"}',
        '/ask_services{"choice": "page:2"}',
    ]
    dispatcher.messages.clear()
    picked = make_tracker(
        '/ask_services{"choice": "sign_licence"}',
        "ask_services",
        entities=[entity("choice", "sign_licence")],
        slots={"language": "en"},
    )
    await action.execute(dispatcher, picked, {})
    assert texts(dispatcher) == [
        "Sign and billboard licence: Shop signs and billboards need a licence that sets their "
        "size and place under the urban landscape rules. Details and applications: "
        "https://balady.gov.sa"
    ]
    dispatcher.messages.clear()
    asked = make_tracker("كيف اطلع رخصة بناء", "ask_services")
    await action.execute(dispatcher, asked, {})
    assert texts(dispatcher)[0].startswith("رخصة بناء: تصدر رخص البناء الجديدة")


async def test_a_question_outside_the_municipality_is_answered_and_counted_once(
    services, dispatcher
):
    tracker = make_tracker("who won the match yesterday", "out_of_scope", slots={"language": "en"})
    action = OutOfScope(services, clock=lambda: WEDNESDAY_NOON)
    assert await action.execute(dispatcher, tracker, {}) == []
    await action.execute(CollectingDispatcher(), tracker, {})  # the same turn, retried
    [answer] = dispatcher.messages
    assert answer["text"].startswith("That is outside what I can help with. I am Balagh")
    assert payloads(answer) == MAIN_MENU
    day = WEDNESDAY_NOON.date()
    totals = await services.store.kpi_totals(KpiFilter(start=day, end=day))
    assert build_report(KpiFilter(start=day, end=day), totals, day, DeskFigures()).out_of_scope == 1


async def test_yes_to_the_add_link_sends_a_one_time_link_by_sms(services, dispatcher):
    complaint = await open_report(services)
    tracker = make_tracker(
        "/affirm",
        "affirm",
        slots={"language": "en", "offer": f"add_link:{complaint.reference}"},
        metadata={"channel": "voice", "phone": CALLER},
    )
    action = AnswerOffer(services, clock=lambda: WEDNESDAY_NOON)
    assert await action.execute(dispatcher, tracker, {}) == [SlotSet("offer", None)]
    assert texts(dispatcher) == [
        "We have sent the link to your number ending in 4567. It works once, within 24 hours.",
        "Is there anything else I can do for you?",
    ]
    page = await services.store.list_messages(MessageFilter(to=CALLER, channel="sms"), 5, None)
    sms = next(m for m in page.items if m.event == "add_link")
    assert sms.reference == complaint.reference
    url = sms.body.split(": ")[-1]
    assert url.startswith(f"{services.settings.public_base_url}/add/{complaint.reference}?e=")


async def test_no_with_nothing_offered_says_goodbye_and_ends(services, dispatcher):
    """'No' to 'anything else?': the chat says goodbye, the phone line hangs up after it."""
    tracker = make_tracker("no", "deny", slots={"language": "en"})
    assert await AnswerOffer(services).execute(dispatcher, tracker, {}) == []
    [goodbye] = dispatcher.messages
    assert goodbye["text"] == "Thank you for contacting Balagh 940. Goodbye!"
    assert goodbye["custom"] == {"end": True}
    assert goodbye["buttons"] == []


async def test_no_to_the_add_link_sends_nothing(services, dispatcher):
    complaint = await open_report(services)
    tracker = make_tracker(
        "/deny",
        "deny",
        slots={"offer": f"add_link:{complaint.reference}"},
        metadata={"phone": CALLER},
    )
    await AnswerOffer(services).execute(dispatcher, tracker, {})
    assert texts(dispatcher) == ["تحتاج شي ثاني؟"]
    page = await services.store.list_messages(MessageFilter(channel="sms"), 5, None)
    assert [m for m in page.items if m.event == "add_link"] == []
