"""Reporting a complaint: the form's validation (which also asks each question), submit, cancel.

The form `complaint_form` asks, in order: category, district, then — when open reports of
the same problem are near the shared pin (or in the district, on the phone) — "is it one of
these?" (`nearby`), description, phone and the confirmation of a read-back summary. Choosing
one of those reports subscribes the resident to it instead of filing a duplicate.

The form's validation action runs on every user turn of the form: it extracts the value the
user gave (button payload, entity or free text), checks it, says what went wrong if anything,
warns about danger once, and asks the next question. The form has no separate "ask"
responses, so each turn costs one call to this service.

The user can correct any value at the summary (by button or by saying "no, it's in
Al Mubarraz"), cancel at any time, or step out to another question and come back.
"""

import logging
import re
from collections.abc import Mapping
from typing import Any, Final

from actions.base import BalaghAction
from actions.context import (
    INTERRUPTION_CONFIDENCE,
    LEAVING_A_FORM,
    Event,
    TrackerLike,
    attachment_only,
    caller_phone,
    channel,
    entity,
    entity_values,
    events_since,
    free_text,
    fresh_input,
    language,
    latest_intent,
    latest_voice,
    loop_started_at,
    message_sources,
    metadata,
    shared_location,
    shared_media,
    slot_changes,
    slot_set,
    verified_phone,
)
from actions.formatting import (
    category_name,
    district_name,
    due,
    moment,
    reference_payload,
    short,
)
from actions.messages import AGENT_OR_MENU, ANYTHING_ELSE, Button, Speaker, choice_payload
from bot.arabic import find_phrases, tokens
from bot.catalogue import Bilingual, Catalogue
from bot.classification import classify
from bot.clock import utc_now
from bot.complaint_record import Complaint, Subscriber
from bot.complaints import (
    Actor,
    ChangeRefused,
    ComplaintNotFound,
    NewComplaint,
)
from bot.digits import spoken_numbers, to_ascii_digits
from bot.intake import ReportsLimited, admit_report
from bot.nearby import NearbyReport, open_reports_in_district, open_reports_near
from bot.phone import format_countries
from bot.phone_check import CODE_HINT
from bot.store.base import InsertResult
from bot.types import LANGUAGES, Language
from bot.voicemails import report_key
from bot.words import N_, text
from bot.workflow import status_label

logger = logging.getLogger(__name__)

FORM: Final = "complaint_form"
FORM_SLOTS: Final = (
    "category",
    "district",
    "nearby",
    "description",
    "phone",
    "complaint_confirmed",
)
HELPER_DEFAULTS: Final[Mapping[str, Any]] = {
    "correcting": False,
    "menu_page": 1,
    "phone_declined": False,
    "danger_warned": False,
}
NONE_GIVEN: Final = "none"  # a district or phone the user chose to skip
OTHER: Final = "other"  # a category the user leaves to staff (classified from the description)
# `nearby`: NEW_REPORT, or JOIN + reference (chosen; joined once a way to reach them is known),
# or JOINED + reference (done: the form ends and nothing is filed).
NEW_REPORT: Final = "new"
JOIN: Final = "join_"
JOINED: Final = "joined_"
JOINING: Final = "(joining a report nearby)"  # the description a join needs none of
CATEGORIES_PER_PAGE: Final = 4  # beside "more options"; "other" is the last of them
INTERRUPTIONS: Final = LEAVING_A_FORM | {"check_status"}  # and a status question
# A description is free text: only a very sure interruption counts there
DESCRIPTION_INTERRUPTION_CONFIDENCE: Final = 0.9
DESCRIPTION_FROM_OPENING_WORDS: Final = 6
CITIZEN: Final = Actor("citizen", "citizen")
CORRECTABLE: Final = ("category", "district", "description", "phone")
ADD_LINK_OFFER: Final = "add_link:"  # + the reference: an SMS link to add a photo and a pin
ADD_LINK_MENU: Final = (Button("button.send_link", "/affirm"), Button("button.no_thanks", "/deny"))
CORRECTING_INTENTS: Final = frozenset({"deny", "inform"})
FIELD_WORDS: Final[Mapping[str, tuple[str, ...]]] = {
    "category": ("نوع", "النوع", "التصنيف", "type", "category", "kind"),
    "district": ("الحي", "حي", "المنطقة", "district", "area", "neighbourhood", "neighborhood"),
    "description": ("الوصف", "وصف", "الشرح", "description", "details"),
    "phone": ("الجوال", "جوال", "رقم", "الرقم", "رقمي", "phone", "number", "mobile"),
}
_PHONE_LIKE = re.compile(r"\+?\d[\d\s-]{6,}\d")
LOCAL_PHONE_DIGITS: Final = 10  # 05XXXXXXXX, as Saudis say their mobile number


def category_pages(catalogue: Catalogue) -> list[tuple[str, ...]]:
    """The category menu's pages: the catalogue's categories in its order, then "other" (left
    to staff), four a page beside "more options": a menu never passes five options, however
    many categories the catalogue has."""
    codes = (*catalogue.categories, OTHER)
    step = CATEGORIES_PER_PAGE
    return [codes[start : start + step] for start in range(0, len(codes), step)]


def answers_with(requested: str, tracker: TrackerLike) -> bool:
    """Whether a message without words answers the question: a pin for the district, a voice
    note for the description. Anything else sent alone never answers (never a "yes")."""
    if requested == "district":
        return isinstance(metadata(tracker).get("location"), Mapping)
    return requested == "description" and latest_voice(tracker)[0] is not None


def form_state(tracker: TrackerLike) -> dict[str, Any]:
    state = {name: tracker.get_slot(name) for name in FORM_SLOTS}
    for name, default in HELPER_DEFAULTS.items():
        value = tracker.get_slot(name)
        state[name] = default if value is None else value
    return state


def next_missing(state: Mapping[str, Any]) -> str | None:
    return next((name for name in FORM_SLOTS if state.get(name) is None), None)


def reset_events(tracker: TrackerLike) -> list[Event]:
    """Forget the report being written (after it was submitted or cancelled)."""
    return slot_changes(tracker, {**dict.fromkeys(FORM_SLOTS), **HELPER_DEFAULTS})


def danger_reason(text: str, catalogue: Catalogue) -> str | None:
    """The catalogue's reason when the text has words of a danger-to-life (P1) urgency rule."""
    if not text:
        return None
    for rule in catalogue.urgency:
        if rule.priority == "P1" and find_phrases(text, rule.words.all()):
            return rule.reason
    return None


def emergency_numbers(catalogue: Catalogue, lang: Language) -> str:
    return text("list.separator", lang).join(
        f"{entry.name.get(lang)} {entry.number}" for entry in catalogue.emergency_numbers.values()
    )


class DistrictMatcher:
    """Finds a catalogue district in what people type: codes, names, aliases, any spelling."""

    def __init__(self, catalogue: Catalogue) -> None:
        self.catalogue = catalogue
        self.owner: dict[str, str] = {}
        for code, district in catalogue.districts.items():
            spellings = (
                district.name.ar,
                district.name.en,
                *district.aliases.ar,
                *district.aliases.en,
            )
            for spelling in spellings:
                self.owner.setdefault(spelling, code)

    def find(self, text: str) -> str | None:
        if text in self.catalogue.districts:
            return text
        found = find_phrases(text, self.owner)
        if not found:
            return None
        longest = max(len(tokens(phrase)) for phrase in found)
        codes = {self.owner[p] for p in found if len(tokens(p)) == longest}
        return codes.pop() if len(codes) == 1 else None


class ComplaintFormAction(BalaghAction):
    """Shared by the form's validation and the submit/cancel actions."""

    def category_of(self, tracker: TrackerLike) -> str | None:
        """A category code from the message's entities (one code), else from its words."""
        values = entity_values(tracker, "category")
        codes = {value for value in values if value in self.catalogue.categories}
        if len(codes) == 1:
            return codes.pop()
        text = free_text(tracker) or " ".join(values)
        return classify(text, self.catalogue).category if text else None

    def district_of(self, tracker: TrackerLike, matcher: DistrictMatcher) -> str | None:
        for value in entity_values(tracker, "district"):
            code = matcher.find(value)
            if code:
                return code
        text = free_text(tracker)
        return matcher.find(text) if text else None

    async def admit(
        self, tracker: TrackerLike, typed_phone: str | None, *, once: str | None = None
    ) -> None:
        """The web's limits on reports and joins (bot/intake.py): per client of the web chat,
        and per typed phone on any channel; ReportsLimited past them. Counted once per `once`
        key (a report's idempotency key): the dialogue core sends an action again when its
        connection dropped before the answer (nlu_components/speedups.py, fix 8), and the
        second run must find the report made, not over the limit. A report with nothing to
        count (a caller's own number) writes nothing: on the phone line this is the step that
        waits for the most commits."""
        client = metadata(tracker).get("client")
        client = client if isinstance(client, str) else None
        if not (client or typed_phone):
            return
        if (
            once
            and not (await self.services.store.claim_inbound(f"admitted:{once}", utc_now())).first
        ):
            return
        await admit_report(
            self.services.store, self.services.settings, client=client, typed_phone=typed_phone
        )


class ValidateComplaintForm(ComplaintFormAction):
    name = "validate_complaint_form"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.districts = DistrictMatcher(self.catalogue)
        self.category_pages = category_pages(self.catalogue)

    async def run(self, dispatcher: Any, tracker: TrackerLike) -> list[Event]:
        speaker = self.speaker(dispatcher, tracker)
        state = form_state(tracker)
        requested = tracker.get_slot("requested_slot")
        changes: dict[str, Any] = {}
        if requested is None:  # the form is starting: use what the opening message said
            changes = self.from_opening(tracker)
            changes.setdefault("correcting", False)
        elif fresh_input(tracker, FORM):
            intent, confidence = latest_intent(tracker)
            needed = (
                DESCRIPTION_INTERRUPTION_CONFIDENCE
                if requested == "description"
                else INTERRUPTION_CONFIDENCE
            )
            if intent in INTERRUPTIONS and confidence >= needed:
                return []  # a rule answers it; the form resumes afterwards
            if attachment_only(tracker) and not answers_with(str(requested), tracker):
                # kept with the report (submit collects every attachment and pin of it)
                speaker.say("report.attachment_added")
            else:
                changes = self.extract(str(requested), tracker, state, speaker)
        state.update(changes)
        if not state["danger_warned"] and self.warn_danger(tracker, state, speaker):
            changes["danger_warned"] = True
        offered: list[NearbyReport] = []
        if state["nearby"] is None and state["category"] and state["district"]:
            offered = await self.nearby_reports(tracker, state)
            if not offered:
                changes["nearby"] = state["nearby"] = NEW_REPORT
        if str(state["nearby"]).startswith(JOIN):
            changes.update(await self.join(tracker, state, speaker))
            state.update(changes)
        next_slot = next_missing(state)
        self.ask(next_slot, state, tracker, speaker, offered)
        events = slot_changes(tracker, changes)
        if not events and requested is not None and fresh_input(tracker, FORM):
            # Rasa takes a turn that sets no slot as a rejection: say what the slot is now
            events = [slot_set(str(requested), state.get(str(requested)))]
        return [*events, slot_set("requested_slot", next_slot)]

    # ---- extraction -------------------------------------------------------------------
    def from_opening(self, tracker: TrackerLike) -> dict[str, Any]:
        changes: dict[str, Any] = {}
        category = self.category_of(tracker)
        if category:
            changes["category"] = category
        district = self.district_of(tracker, self.districts)
        if district:
            changes["district"] = district
        text = free_text(tracker)
        if category and len(text.split()) >= DESCRIPTION_FROM_OPENING_WORDS:
            changes["description"] = text  # read back in the summary, where it can be changed
        return changes

    def extract(
        self, requested: str, tracker: TrackerLike, state: dict[str, Any], speaker: Speaker
    ) -> dict[str, Any]:
        if requested == "category":
            return self.extract_category(tracker, state, speaker)
        if requested == "district":
            return self.extract_district(tracker, speaker)
        if requested == "nearby":
            return self.extract_nearby(tracker, speaker)
        if requested == "description":
            return self.extract_description(tracker, speaker)
        if requested == "phone":
            return self.extract_phone(tracker, state, speaker)
        if requested == "complaint_confirmed":
            changes = self.extract_confirmation(tracker, state, speaker)
            if changes.keys() & {"category", "district"}:
                changes["nearby"] = None  # another problem or place: its open reports are offered
            return changes
        return {}

    def extract_category(
        self, tracker: TrackerLike, state: dict[str, Any], speaker: Speaker
    ) -> dict[str, Any]:
        choice = entity(tracker, "choice")
        if choice == "more":
            pages = len(self.category_pages)
            return {"category": None, "menu_page": int(state["menu_page"]) % pages + 1}
        if choice == OTHER:
            return {"category": OTHER}
        category = self.category_of(tracker)
        if category is None:
            speaker.say("report.category_not_understood")
            return {"category": None}
        changes: dict[str, Any] = {"category": category}
        text = free_text(tracker)
        if state.get("description") is None and len(text.split()) >= DESCRIPTION_FROM_OPENING_WORDS:
            changes["description"] = text
        district = self.district_of(tracker, self.districts)
        if district and state.get("district") is None:
            changes["district"] = district
        return changes

    def extract_district(self, tracker: TrackerLike, speaker: Speaker) -> dict[str, Any]:
        if entity(tracker, "choice") == "skip":
            return {"district": NONE_GIVEN}
        district = self.district_of(tracker, self.districts)
        if district:
            return {"district": district}
        if isinstance(metadata(tracker).get("location"), Mapping):
            return {"district": NONE_GIVEN}  # a pin instead of a name: the location is kept
        text = free_text(tracker)
        if text:
            speaker.say("report.district_not_understood", heard=short(text, 40))
        else:
            speaker.say("report.not_understood")
        return {"district": None}

    def extract_nearby(self, tracker: TrackerLike, speaker: Speaker) -> dict[str, Any]:
        choice = str(entity(tracker, "choice") or "")
        if choice == NEW_REPORT:
            return {"nearby": NEW_REPORT}
        if choice.startswith(JOIN) and choice[len(JOIN) :].isdigit():
            return {"nearby": choice, "description": JOINING}
        speaker.say("report.not_understood")
        return {"nearby": None}

    async def nearby_reports(
        self, tracker: TrackerLike, state: Mapping[str, Any]
    ) -> list[NearbyReport]:
        """Open reports of the same problem near the shared pin, else in the named district."""
        category = state["category"]
        if category == OTHER:
            return []
        pin = shared_location(SubmitComplaint.report_events(tracker))
        store = self.services.store
        if pin is not None and pin.lat is not None and pin.lng is not None:
            return await open_reports_near(store, str(category), pin.lat, pin.lng)
        if state["district"] != NONE_GIVEN:
            return await open_reports_in_district(store, str(category), str(state["district"]))
        return []

    async def join(
        self, tracker: TrackerLike, state: Mapping[str, Any], speaker: Speaker
    ) -> dict[str, Any]:
        """Subscribe to the chosen report once there is a way to tell them of it: the
        channel's own contact (a Telegram chat) or phone, else the phone they give next."""
        reference = str(state["nearby"])[len(JOIN) :]
        code = channel(tracker)
        info = self.services.channels.get(code)
        source = info.contact_source if info is not None else None
        contact = message_sources(tracker).get(source) if source else None
        phone = (
            state["phone"] if state["phone"] not in (None, NONE_GIVEN) else caller_phone(tracker)
        )
        if phone is None and contact is None:
            if state["phone"] == NONE_GIVEN:  # declined: nothing to join them by
                speaker.say("report.join_needs_phone", reference=reference)
                return {"nearby": NEW_REPORT, "description": None, "phone": None}
            return {}  # the phone question comes next
        subscriber = Subscriber(
            channel=code, language=speaker.lang, phone=phone, contact=contact, at=utc_now()
        )
        try:  # a typed phone will be messaged: counted like a report
            await self.admit(tracker, None if phone == caller_phone(tracker) else phone)
            await self.services.complaints.subscribe(reference, subscriber)
        except ReportsLimited:
            speaker.say("limit.too_many_reports")
            return {"nearby": NEW_REPORT, "description": None}
        except (ChangeRefused, ComplaintNotFound):
            speaker.say("report.join_failed")
            return {"nearby": NEW_REPORT, "description": None}
        return {"nearby": JOINED + reference, "phone": phone, "complaint_confirmed": True}

    def extract_description(self, tracker: TrackerLike, speaker: Speaker) -> dict[str, Any]:
        voice, transcript = latest_voice(tracker)
        if voice is not None:
            return {"description": transcript or speaker.text("report.voice_description")}
        text = free_text(tracker)
        if not text:
            speaker.say("report.not_understood")
            return {"description": None}
        if len(text.split()) < 2:
            speaker.say("report.description_too_short")
            return {"description": None}
        return {"description": text[:4000]}

    def extract_phone(
        self, tracker: TrackerLike, state: dict[str, Any], speaker: Speaker
    ) -> dict[str, Any]:
        if entity(tracker, "choice") == "skip":
            return {"phone": NONE_GIVEN}
        words = free_text(tracker)
        typed = _PHONE_LIKE.search(to_ascii_digits(words))
        said = spoken_numbers(words, LOCAL_PHONE_DIGITS)  # "صفر خمسه خمسه…" on the phone
        number = typed.group() if typed else said[0][2] if said else None
        caller = caller_phone(tracker)
        if number:
            phone = verified_phone(number)
            if phone is None:
                speaker.say("report.phone_invalid")
                return {"phone": None}
            rules = self.services.complaints.rules
            if phone != caller and not rules.serves(phone):
                countries = format_countries(rules.country_codes)
                speaker.say("report.phone_not_served", countries=countries)
                return {"phone": None}
            return {"phone": phone}
        intent, _ = latest_intent(tracker)
        if caller and not state["phone_declined"]:
            if intent == "affirm":
                return {"phone": caller}
            if intent == "deny":
                return {"phone": None, "phone_declined": True}
        elif intent == "deny":
            return {"phone": NONE_GIVEN}
        speaker.say("report.not_understood")
        return {"phone": None}

    def extract_confirmation(
        self, tracker: TrackerLike, state: dict[str, Any], speaker: Speaker
    ) -> dict[str, Any]:
        intent, _ = latest_intent(tracker)
        direct = self.direct_corrections(tracker, state)
        if state["correcting"]:
            field = entity(tracker, "choice") or self.field_named(tracker)
            if field in CORRECTABLE:
                changes: dict[str, Any] = {str(field): None, "correcting": False}
                if field == "phone":
                    changes["phone_declined"] = True
                if field == "category":
                    changes["menu_page"] = 1
                return changes
            if field == "summary" or direct:
                return {**direct, "correcting": False, "complaint_confirmed": None}
            speaker.say("report.not_understood")
            return {"complaint_confirmed": None}
        if direct:
            return {**direct, "complaint_confirmed": None}
        if intent == "affirm":
            return {"complaint_confirmed": True}
        if intent == "deny":
            return {"correcting": True, "complaint_confirmed": None}
        speaker.say("report.not_understood")
        return {"complaint_confirmed": None}

    def direct_corrections(self, tracker: TrackerLike, state: dict[str, Any]) -> dict[str, Any]:
        """'No, it's in Al Mubarraz': new values named in the user's own words."""
        text = free_text(tracker)
        if not text:
            return {}
        changes: dict[str, Any] = {}
        codes = {v for v in entity_values(tracker, "category") if v in self.catalogue.categories}
        if not codes and latest_intent(tracker)[0] in CORRECTING_INTENTS:
            guess = classify(text, self.catalogue).category
            codes = {guess} if guess else set()
        if len(codes) == 1 and (code := codes.pop()) != state.get("category"):
            changes["category"] = code
        district = self.district_of(tracker, self.districts)
        if district and district != state.get("district"):
            changes["district"] = district
        return changes

    @staticmethod
    def field_named(tracker: TrackerLike) -> str | None:
        words = set(tokens(free_text(tracker)))
        named = [field for field, keys in FIELD_WORDS.items() if words & set(map(_fold, keys))]
        return named[0] if len(named) == 1 else None

    def warn_danger(self, tracker: TrackerLike, state: dict[str, Any], speaker: Speaker) -> bool:
        """Emergency numbers first, once, when the user's words say a life may be at risk."""
        text = " ".join(
            part for part in (free_text(tracker), state.get("description") or "") if part
        )
        if danger_reason(text, self.catalogue) is None:
            return False
        speaker.say("report.danger", numbers=emergency_numbers(self.catalogue, speaker.lang))
        return True

    # ---- questions --------------------------------------------------------------------
    def ask(
        self,
        slot: str | None,
        state: dict[str, Any],
        tracker: TrackerLike,
        speaker: Speaker,
        offered: list[NearbyReport],
    ) -> None:
        if slot == "nearby":
            self.ask_nearby(offered, speaker)
        elif slot == "category":
            pages = self.category_pages
            page = min(max(int(state["menu_page"]), 1), len(pages))
            buttons = [
                Button("button.other", choice_payload("inform", OTHER))
                if code == OTHER
                else Button(
                    self.catalogue.categories[code].name, f'/inform{{"category": "{code}"}}'
                )
                for code in pages[page - 1]
            ]
            if len(pages) > 1:
                buttons.append(Button("button.more", choice_payload("inform", "more")))
            speaker.say("report.ask_category", buttons=buttons)
        elif slot == "district":
            buttons = [
                Button(self.catalogue.districts[code].name, f'/inform{{"district": "{code}"}}')
                for code in self.catalogue.district_menu
            ]
            buttons.append(Button("button.skip", choice_payload("inform", "skip")))
            speaker.say(
                "report.ask_district",
                buttons=buttons,
                custom={"expect": "district", "accepts_location": True},
            )
        elif slot == "description":
            speaker.say(
                "report.ask_description",
                custom={"expect": "recording", "max_seconds": 120, "finish_on_key": "#"},
            )
        elif slot == "phone":
            caller = caller_phone(tracker)
            if caller and not state["phone_declined"]:
                speaker.say(
                    "report.ask_phone_confirm",
                    last_digits=caller[-4:],
                    buttons=[
                        Button("button.phone_yes", "/affirm"),
                        Button("button.another_number", "/deny"),
                    ],
                )
            else:
                speaker.say(
                    "report.ask_phone",
                    buttons=[Button("button.skip", choice_payload("inform", "skip"))],
                    custom={
                        "expect": "digits",
                        "finish_on_key": "#",
                        "max_digits": 10,
                        "purpose": "phone",
                    },
                )
        elif slot == "complaint_confirmed":
            if state["correcting"]:
                speaker.say(
                    "report.ask_correction",
                    buttons=[
                        Button("button.fix_category", choice_payload("inform", "category")),
                        Button("button.fix_district", choice_payload("inform", "district")),
                        Button("button.fix_description", choice_payload("inform", "description")),
                        Button("button.fix_phone", choice_payload("inform", "phone")),
                        Button("button.back_summary", choice_payload("inform", "summary")),
                    ],
                )
            else:
                values = summary_values(state, tracker, self.catalogue, speaker)
                speaker.say_text(
                    speaker.text("report.summary", **values),
                    buttons=[
                        Button("button.submit", "/affirm"),
                        Button("button.change", "/deny"),
                        Button("button.cancel", "/cancel"),
                    ],
                )

    def ask_nearby(self, offered: list[NearbyReport], speaker: Speaker) -> None:
        """'Is it one of these?': each report by when it was made, how far or where, and
        where it stands (never someone else's words or phone)."""
        timezone = self.catalogue.municipality.timezone
        buttons = []
        for report in offered:
            complaint = report.complaint
            key = (
                N_("report.nearby_option")
                if report.meters is not None
                else N_("report.nearby_option_district")
            )
            words = {
                lang: text(
                    key,
                    lang,
                    speaker.medium,
                    when=moment(complaint.created_at, lang, timezone, speaker.medium),
                    meters=report.meters,
                    status=status_label(complaint.status, lang),
                )
                for lang in LANGUAGES
            }
            title = Bilingual(ar=words["ar"], en=words["en"])
            buttons.append(Button(title, choice_payload("inform", JOIN + complaint.reference)))
        buttons.append(Button("button.nearby_new", choice_payload("inform", NEW_REPORT)))
        speaker.say("report.ask_nearby", buttons=buttons)


def summary_values(
    state: Mapping[str, Any],
    tracker: TrackerLike,
    catalogue: Catalogue,
    speaker: Speaker,
) -> dict[str, str]:
    lang = speaker.lang
    category = state.get("category")
    district = state.get("district")
    phone = state.get("phone")
    if district == NONE_GIVEN or district is None:
        located = shared_location(events_since(tracker, "active_loop", FORM)) is not None
        district_text = speaker.text(
            N_("report.location_shared") if located else N_("report.district_not_given")
        )
    else:
        district_text = district_name(district, catalogue, lang) or str(district)
    return {
        "category": category_name(category, catalogue, lang) or speaker.text("report.unclassified"),
        "district": district_text,
        "description": short(str(state.get("description") or "")),
        "phone": local_phone(phone)
        if phone and phone != NONE_GIVEN
        else speaker.text("report.phone_not_given"),
    }


def local_phone(phone: str) -> str:
    """+9665XXXXXXXX as Saudis write it (05XXXXXXXX); other numbers unchanged."""
    return "0" + phone[4:] if phone.startswith("+966") else phone


def _fold(word: str) -> str:
    folded = tokens(word)
    return folded[0] if folded else word


class SubmitComplaint(ComplaintFormAction):
    """Commit the confirmed report, then say its reference and when it should be resolved."""

    name = "action_submit_complaint"

    async def run(self, dispatcher: Any, tracker: TrackerLike) -> list[Event]:
        return await self.submit(dispatcher, tracker)

    async def submit(self, dispatcher: Any, tracker: TrackerLike) -> list[Event]:
        lang = language(tracker)
        speaker = self.speaker(dispatcher, tracker)
        state = form_state(tracker)
        joined = str(state.get("nearby") or "")
        if joined.startswith(JOINED):  # they joined a report nearby: nothing to file
            speaker.say("report.joined", reference=joined[len(JOINED) :])
            speaker.say("dialogue.anything_else", buttons=ANYTHING_ELSE)
            return [*reset_events(tracker), *slot_changes(tracker, {"offer": None})]
        try:
            started = loop_started_at(tracker, FORM)
            key = await report_key(self.services.store, tracker.sender_id, started)
            report = self.report(tracker, state, lang, key)
            typed = None if report.phone_verified else report.phone
            await self.admit(tracker, typed, once=key)
            result = await self.services.complaints.create(report, CITIZEN)
            complaint = await self.join(result, report)
        except ReportsLimited:
            speaker.say("limit.too_many_reports", buttons=AGENT_OR_MENU)
            return [*reset_events(tracker), *slot_changes(tracker, {"offer": None})]
        except Exception:
            logger.exception("could not submit the report of conversation %s", tracker.sender_id)
            speaker.say(
                "report.submit_failed",
                buttons=[
                    Button("button.try_again", "/affirm"),
                    Button("button.agent", "/talk_to_agent"),
                    Button("button.cancel", "/deny"),
                ],
            )
            return [slot_set("offer", "retry_submit")]
        if complaint.priority == "P1" and not state["danger_warned"]:
            speaker.say("report.danger", numbers=emergency_numbers(self.catalogue, lang))
        timezone = self.catalogue.municipality.timezone
        speaker.say(
            "report.created",
            reference=complaint.reference,
            due=due(complaint.sla_due_at, lang, timezone, speaker.medium),
            custom=reference_payload(complaint.reference),
        )
        if complaint.phone_check is not None and complaint.phone:
            self.ask_code(complaint.reference, complaint.phone, speaker)
        offer = None
        if speaker.medium == "voice" and (complaint.phone or caller_phone(tracker)):
            # what the phone cannot take, a phone's browser can: a photo and a map pin
            speaker.say("report.offer_add_link", buttons=ADD_LINK_MENU)
            offer = ADD_LINK_OFFER + complaint.reference
        else:
            speaker.say("dialogue.anything_else", buttons=ANYTHING_ELSE)
        return [
            *reset_events(tracker),
            *slot_changes(tracker, {"last_reference": complaint.reference, "offer": offer}),
        ]

    def ask_code(self, reference: str, phone: str, speaker: Speaker) -> None:
        """A code went to the typed phone: a chat user may type it next (the hint tells the
        chat channel to check it); a caller enters it on the report's tracking page."""
        portal = self.services.settings.public_base_url.rstrip("/") + "/track"
        hint = None if speaker.medium == "voice" else {CODE_HINT: {"reference": reference}}
        speaker.say("report.phone_code_sent", last_digits=phone[-4:], portal=portal, custom=hint)

    def report(
        self, tracker: TrackerLike, state: Mapping[str, Any], lang: Language, key: str
    ) -> NewComplaint:
        description = state.get("description")
        if not description:
            raise ValueError("a report without a description cannot be submitted")
        category = state.get("category")
        district = state.get("district")
        phone = state.get("phone")
        window = self.report_events(tracker)
        return NewComplaint(
            channel=channel(tracker),
            language=lang,
            description=str(description)[:4000],
            category=None if category in (None, OTHER) else str(category),
            district=None if district in (None, NONE_GIVEN) else str(district),
            location=shared_location(window),
            phone=None if phone in (None, NONE_GIVEN) else str(phone),
            phone_verified=phone is not None and phone == caller_phone(tracker),
            attachments=shared_media(window),
            sources=message_sources(tracker),
            idempotency_key=key,
        )

    async def join(self, result: InsertResult, report: NewComplaint) -> Complaint:
        """The complaint made, or the one its key named already: a report its call's line
        gave up on may come after the voicemail that replaced it (bot/voicemails.py), and
        its recording and photos join that complaint (a retried report adds nothing)."""
        complaint = result.complaint
        if not result.created:
            for attachment in report.attachments:
                complaint = await self.services.complaints.add_attachment(
                    complaint.reference, CITIZEN, attachment
                )
        return complaint

    @staticmethod
    def report_events(tracker: TrackerLike) -> list[Event]:
        """The events of this report: since the previous report ended or the session began."""
        events = tracker.events
        for index in range(len(events) - 1, -1, -1):
            event = events[index]
            if event.get("event") == "session_started" or (
                event.get("event") == "action"
                and event.get("name") in ("action_submit_complaint", "action_cancel_report")
            ):
                return events[index + 1 :]
        return list(events)


class CancelReport(ComplaintFormAction):
    name = "action_cancel_report"

    async def run(self, dispatcher: Any, tracker: TrackerLike) -> list[Event]:
        speaker = self.speaker(dispatcher, tracker)
        speaker.say("report.cancelled")
        speaker.say("dialogue.anything_else", buttons=ANYTHING_ELSE)
        return [*reset_events(tracker), *slot_changes(tracker, {"offer": None})]
