"""In a chat or a call, open reports of the same problem near the resident are offered
("is it one of these?"); choosing one subscribes them to it and files nothing."""

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet

from actions.complaint import SubmitComplaint, ValidateComplaintForm
from bot.complaint_record import Location
from bot.intake import admit_report
from bot.services import Services
from bot.store.base import ComplaintFilter
from tests.actions.conftest import CALLER, entity, make_tracker, payloads, texts
from tests.conftest import new_complaint

FORM = "complaint_form"
PIN = {"lat": 25.3800, "lng": 49.5900}


async def open_report(services: Services, **fields: object) -> str:
    """An open roads report in Al Kut, pinned about 60 m from PIN."""
    values: dict[str, object] = {
        "district": "al_kut",
        "location": Location(lat=25.3805, lng=49.5903),
        "phone": "0509999999",
        **fields,
    }
    return (await new_complaint(services, **values)).reference


async def complaints(services: Services) -> list[str]:
    page = await services.store.list_complaints(ComplaintFilter(), 10, None)
    return [complaint.reference for complaint in page.items]


def join(reference: str) -> dict[str, str]:
    return entity("choice", f"join_{reference}")


def phone_typed_to_join(reference: str) -> Tracker:
    """On the web chat (no phone the platform vouches for), a phone typed after choosing to
    join `reference`."""
    return make_tracker(
        "0555123456",
        "inform",
        metadata={"channel": "webchat"},
        slots={
            "language": "en",
            "category": "roads",
            "district": "none",
            "nearby": f"join_{reference}",
            "description": "(joining a report nearby)",
        },
        form=FORM,
        requested_slot="phone",
    )


async def test_a_shared_pin_near_an_open_report_asks_is_it_one_of_these(services, dispatcher):
    reference = await open_report(services)
    tracker = make_tracker(
        "",
        "inform",
        metadata={"location": PIN, "phone": CALLER, "channel": "whatsapp"},
        slots={"language": "en", "category": "roads"},
        form=FORM,
        requested_slot="district",
    )
    events = await ValidateComplaintForm(services).execute(dispatcher, tracker, {})
    assert events == [SlotSet("district", "none"), SlotSet("requested_slot", "nearby")]
    [ask] = dispatcher.messages
    assert ask["text"].startswith("There are open reports of the same problem near you.")
    assert payloads(ask) == [
        f'/inform{{"choice": "join_{reference}"}}',
        '/inform{"choice": "new"}',
    ]
    option = ask["buttons"][0]["title"]
    assert option.startswith("Report of ")
    assert "AH)" in option  # with its Hijri date
    assert option.endswith("m away, Assigned to a field team")
    assert "حفرة" not in option  # never someone else's words


async def test_choosing_one_joins_it_and_files_nothing(services, dispatcher):
    reference = await open_report(services)
    chosen = make_tracker(
        f'/inform{{"choice": "join_{reference}"}}',
        "inform",
        entities=[join(reference)],
        metadata={"location": PIN, "phone": CALLER, "channel": "whatsapp"},
        slots={"language": "en", "category": "roads", "district": "none"},
        form=FORM,
        requested_slot="nearby",
    )
    events = await ValidateComplaintForm(services).execute(dispatcher, chosen, {})
    assert SlotSet("nearby", f"joined_{reference}") in events
    assert events[-1] == SlotSet("requested_slot", None)  # the form is done
    stored = await services.complaints.get(reference)
    assert [(s.channel, s.phone) for s in stored.subscribers] == [("whatsapp", CALLER)]

    done = make_tracker(
        slots={"language": "en", "nearby": f"joined_{reference}", "complaint_confirmed": True}
    )
    dispatcher.messages.clear()
    await SubmitComplaint(services).execute(dispatcher, done, {})
    assert texts(dispatcher)[0] == (
        f"Done. You are now following report {reference}; we will tell you what happens to it."
    )
    assert await complaints(services) == [reference]  # nothing new was filed


async def test_the_phone_offers_the_reports_of_the_district(services, dispatcher):
    reference = await open_report(services, location=None)
    tracker = make_tracker(
        "/inform",
        "inform",
        entities=[entity("district", "al_kut")],
        metadata={"phone": CALLER, "channel": "voice"},
        slots={"category": "roads"},
        form=FORM,
        requested_slot="district",
    )
    await ValidateComplaintForm(services).execute(dispatcher, tracker, {})
    [ask] = dispatcher.messages
    assert payloads(ask)[0] == f'/inform{{"choice": "join_{reference}"}}'
    assert "في الحي نفسه" in ask["buttons"][0]["title"]


async def test_correcting_the_district_offers_the_new_districts_reports(services, dispatcher):
    reference = await open_report(services, location=None)  # in Al Kut
    corrected = make_tracker(
        "لا، في حي الكوت",
        "inform",
        entities=[entity("district", "al_kut")],
        metadata={"phone": CALLER, "channel": "voice"},
        slots={
            "category": "roads",
            "district": "al_mubarraz",  # nothing open there: the offer was passed
            "nearby": "new",
            "description": "حفرة كبيرة في الشارع",
            "phone": CALLER,
        },
        form=FORM,
        requested_slot="complaint_confirmed",
    )
    events = await ValidateComplaintForm(services).execute(dispatcher, corrected, {})
    assert SlotSet("district", "al_kut") in events
    assert events[-1] == SlotSet("requested_slot", "nearby")
    [ask] = dispatcher.messages
    assert payloads(ask)[0] == f'/inform{{"choice": "join_{reference}"}}'


async def test_without_a_phone_the_join_asks_for_one(services, dispatcher):
    reference = await open_report(services)
    chosen = make_tracker(
        "",
        "inform",
        entities=[join(reference)],
        metadata={"location": PIN, "channel": "webchat"},
        slots={"language": "en", "category": "roads", "district": "none"},
        form=FORM,
        requested_slot="nearby",
    )
    events = await ValidateComplaintForm(services).execute(dispatcher, chosen, {})
    assert events[-1] == SlotSet("requested_slot", "phone")
    assert (await services.complaints.get(reference)).subscribers == []
    typed = phone_typed_to_join(reference)
    events = await ValidateComplaintForm(services).execute(dispatcher, typed, {})
    assert SlotSet("nearby", f"joined_{reference}") in events
    subscribers = (await services.complaints.get(reference)).subscribers
    assert [(s.channel, s.phone) for s in subscribers] == [("webchat", "+966555123456")]


async def test_a_typed_phone_joins_within_the_limits_on_reports(services, dispatcher):
    """Joining messages the phone: a number already sent its day's reports is not joined."""
    reference = await open_report(services)
    for _ in range(services.settings.reports_per_phone_per_day):
        await admit_report(services.store, services.settings, client=None, typed_phone="0555123456")
    typed = phone_typed_to_join(reference)
    events = await ValidateComplaintForm(services).execute(dispatcher, typed, {})
    assert SlotSet("nearby", "new") in events
    assert (await services.complaints.get(reference)).subscribers == []
    assert texts(dispatcher)[0].startswith("We received many reports in a short time")


async def test_mine_is_different_goes_on_with_the_report(services, dispatcher):
    await open_report(services)
    tracker = make_tracker(
        "",
        "inform",
        entities=[entity("choice", "new")],
        metadata={"location": PIN, "phone": CALLER},
        slots={"category": "roads", "district": "none"},
        form=FORM,
        requested_slot="nearby",
    )
    events = await ValidateComplaintForm(services).execute(dispatcher, tracker, {})
    assert events == [SlotSet("nearby", "new"), SlotSet("requested_slot", "description")]
