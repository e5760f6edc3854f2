"""Session start, welcome and main menu, language, yes/no answers, fallback, employee handoff,
and the programs and services the catalogue lists."""

import logging
from typing import Any, Final

from actions.base import BalaghAction
from actions.complaint import SubmitComplaint, reset_events
from actions.context import (
    Event,
    TrackerLike,
    caller_phone,
    channel,
    consecutive_fallbacks,
    entity,
    free_text,
    in_loop,
    is_channel_code,
    language,
    latest_intent,
    slot_changes,
    slot_set,
    verified_phone,
)
from actions.formatting import category_name, working_days
from actions.messages import (
    AGENT,
    ANYTHING_ELSE,
    MAIN_MENU,
    MAIN_MENU_BUTTON,
    REPORT,
    YES_NO_MENU,
    Button,
    Speaker,
    choice_payload,
)
from actions.status import StatusReader
from bot.arabic import find_phrases
from bot.catalogue import InfoItem
from bot.complaints import ComplaintNotFound
from bot.dates import clock

logger = logging.getLogger(__name__)

FALLBACK_ACTION: Final = "action_fallback"
SERVICES_PER_PAGE: Final = 4
PROGRAMS_LISTED: Final = 5
STATUS_OFFER: Final = "status:"
RETRY_SUBMIT: Final = "retry_submit"


def _action(name: str) -> Event:
    return {"event": "action", "name": name, "policy": None, "confidence": None, "timestamp": None}


class SessionStart(BalaghAction):
    """A new session: language, channel and caller id from the channel's first metadata."""

    name = "action_session_start"

    async def run(self, dispatcher: Any, tracker: TrackerLike) -> list[Event]:
        events: list[Event] = [{"event": "session_started", "timestamp": None}]
        meta = tracker.get_slot("session_started_metadata") or {}
        if not isinstance(meta, dict):
            meta = {}
        if meta.get("language") in ("ar", "en"):
            events.append(slot_set("language", meta["language"]))
        if is_channel_code(meta.get("channel")):
            events.append(slot_set("channel", meta["channel"]))
        phone = verified_phone(meta.get("phone"))
        if phone:
            events.append(slot_set("caller_phone", phone))
        events.append(_action("action_listen"))
        return events

    def after_failure(self, tracker: TrackerLike) -> list[Event]:
        return [{"event": "session_started", "timestamp": None}, _action("action_listen")]


class Greet(BalaghAction):
    """The welcome once a session, a known caller's open report, else the main menu."""

    name = "action_greet"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.reader = StatusReader(self)

    async def run(self, dispatcher: Any, tracker: TrackerLike) -> list[Event]:
        speaker = self.speaker(dispatcher, tracker)
        if not tracker.get_slot("welcomed"):
            speaker.say("dialogue.welcome")
            offered = await self.offer_open_report(tracker, speaker)
            if offered:
                return slot_changes(tracker, {"welcomed": True, "offer": STATUS_OFFER + offered})
        speaker.say("dialogue.main_menu", buttons=MAIN_MENU)
        return slot_changes(tracker, {"welcomed": True, "offer": None})

    async def offer_open_report(self, tracker: TrackerLike, speaker: Speaker) -> str | None:
        caller = caller_phone(tracker)
        if caller is None:
            return None
        try:
            reports = await self.reader.open_reports(caller, 1)
        except Exception:  # the menu matters more than the offer
            logger.exception("known-caller lookup failed")
            return None
        if not reports:
            return None
        report = reports[0]
        speaker.say(
            "dialogue.known_caller",
            reference=report.reference,
            category=category_name(report.category, self.catalogue, speaker.lang)
            or speaker.text("report.unclassified"),
            buttons=YES_NO_MENU,
        )
        return report.reference


class SwitchLanguage(BalaghAction):
    """The language the user named, or the other one when they just said "change language"."""

    name = "action_switch_language"

    async def run(self, dispatcher: Any, tracker: TrackerLike) -> list[Event]:
        named = entity(tracker, "language")
        if named in ("ar", "en"):  # usually set already from the entity
            return slot_changes(tracker, {"language": named})
        return [slot_set("language", "ar" if language(tracker) == "en" else "en")]


class AnswerOffer(BalaghAction):
    """Yes or no outside a form: the answer to whatever the bot offered last."""

    name = "action_answer_offer"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.reader = StatusReader(self)
        self.submitter = SubmitComplaint(self.services, self.clock)

    async def run(self, dispatcher: Any, tracker: TrackerLike) -> list[Event]:
        speaker = self.speaker(dispatcher, tracker)
        offer = str(tracker.get_slot("offer") or "")
        yes = latest_intent(tracker)[0] == "affirm"
        events = slot_changes(tracker, {"offer": None})
        if offer.startswith(STATUS_OFFER):
            if not yes:
                speaker.say("dialogue.main_menu", buttons=MAIN_MENU)
                return events
            try:
                complaint = await self.services.complaints.get(offer.removeprefix(STATUS_OFFER))
            except ComplaintNotFound:
                speaker.say("track.no_reference", buttons=(AGENT, REPORT))
                return events
            self.reader.say(complaint, speaker, caller_phone(tracker))
            speaker.say("dialogue.anything_else", buttons=ANYTHING_ELSE)
            return events
        if offer == RETRY_SUBMIT:
            if yes:
                return [*events, *await self.submitter.submit(dispatcher, tracker)]
            speaker.say("report.cancelled")
            speaker.say("dialogue.anything_else", buttons=ANYTHING_ELSE)
            return [*events, *reset_events(tracker)]
        if yes:
            speaker.say("dialogue.main_menu", buttons=MAIN_MENU)
        else:
            speaker.say("dialogue.anything_else", buttons=ANYTHING_ELSE)
        return events


class Fallback(BalaghAction):
    """Two strikes: first ask to rephrase; from the second, the menu with an employee."""

    name = FALLBACK_ACTION

    async def run(self, dispatcher: Any, tracker: TrackerLike) -> list[Event]:
        speaker = self.speaker(dispatcher, tracker)
        if consecutive_fallbacks(tracker, FALLBACK_ACTION) < 2:
            speaker.say("dialogue.not_understood")
        else:
            speaker.say("dialogue.still_not_understood", buttons=MAIN_MENU)
        return []


class Handoff(BalaghAction):
    """Mark the conversation for an employee; the channel transfers the call or notifies staff.

    The custom payload `{"handoff": {...}}` says whether employees are on duty now (within the
    catalogue's working hours); outside them the phone channel offers voicemail.
    """

    name = "action_handoff"

    async def run(self, dispatcher: Any, tracker: TrackerLike) -> list[Event]:
        lang = language(tracker)
        speaker = self.speaker(dispatcher, tracker)
        hours = self.catalogue.working_hours
        available = hours.is_open(self.clock())
        summary = {
            key: tracker.get_slot(key)
            for key in ("category", "district", "description", "last_reference")
            if tracker.get_slot(key) is not None
        }
        handoff = {
            "reason": self.reason(tracker),
            "available": available,
            "language": lang,
            "channel": channel(tracker),
            "conversation_id": tracker.sender_id,
            "summary": summary,
        }
        if available:
            speaker.say("handoff.transfer", custom={"handoff": handoff})
        else:
            first_day, last_day = working_days(hours, lang)
            speaker.say(
                "handoff.closed",
                hours=speaker.text(
                    "handoff.hours",
                    first_day=first_day,
                    last_day=last_day,
                    start=clock(hours.start, lang),
                    end=clock(hours.end, lang),
                ),
                buttons=(REPORT, MAIN_MENU_BUTTON),
                custom={"handoff": handoff},
            )
        return [slot_set("handoff", handoff)]

    @staticmethod
    def reason(tracker: TrackerLike) -> str:
        if float(tracker.get_slot("reference_attempts") or 0) >= 3:
            return "reference_not_verified"
        actions = [e.get("name") for e in tracker.events if e.get("event") == "action"]
        earlier = [name for name in actions if name != "action_listen"]
        if len(earlier) >= 1 and earlier[-1] == FALLBACK_ACTION:
            return "not_understood"
        return "requested"


def _matching(text: str, items: dict[str, InfoItem]) -> list[str]:
    """Codes of the items whose title or keywords occur in the text."""
    if not text:
        return []
    found = []
    for code, item in items.items():
        phrases = (item.title.ar, item.title.en, *item.keywords.ar, *item.keywords.en)
        if find_phrases(text, phrases):
            found.append(code)
    return found


class Programs(BalaghAction):
    """The catalogue's programs and events (one when the user named it)."""

    name = "action_programs"

    async def run(self, dispatcher: Any, tracker: TrackerLike) -> list[Event]:
        lang = language(tracker)
        speaker = self.speaker(dispatcher, tracker)
        programs = self.catalogue.programs
        buttons = () if in_loop(tracker) else ANYTHING_ELSE
        if not programs:
            speaker.say("info.no_programs", buttons=buttons)
            return []
        named = _matching(free_text(tracker), programs)
        chosen = named or list(programs)[:PROGRAMS_LISTED]
        lines = []
        for code in chosen:
            item = programs[code]
            line = f"- {item.title.get(lang)}: {item.summary.get(lang)}"
            if item.details and named:
                line += f" {item.details.get(lang)}"
            lines.append(line)
        speaker.say("info.programs", items="\n".join(lines), buttons=buttons)
        return []


class MunicipalServices(BalaghAction):
    """A service's how-to from the catalogue, or a menu of services (four a page)."""

    name = "action_services"

    async def run(self, dispatcher: Any, tracker: TrackerLike) -> list[Event]:
        lang = language(tracker)
        speaker = self.speaker(dispatcher, tracker)
        services = self.catalogue.services
        buttons = () if in_loop(tracker) else ANYTHING_ELSE
        if not services:
            speaker.say("info.no_services", buttons=(AGENT,))
            return []
        choice = entity(tracker, "choice") or ""
        named = _matching(free_text(tracker), services)
        if choice in services or len(named) == 1:
            item = services[choice if choice in services else named[0]]
            parts = [
                speaker.text(
                    "info.service", title=item.title.get(lang), summary=item.summary.get(lang)
                )
            ]
            if item.details:
                parts.append(item.details.get(lang))
            if item.url:
                parts.append(speaker.text("info.more_at", url=item.url))
            speaker.say_text(" ".join(parts), buttons=buttons)
            return []
        page = int(choice.removeprefix("page:")) if choice.startswith("page:") else 1
        codes = list(services)
        pages = max((len(codes) + SERVICES_PER_PAGE - 1) // SERVICES_PER_PAGE, 1)
        page = min(max(page, 1), pages)
        shown = codes[(page - 1) * SERVICES_PER_PAGE : page * SERVICES_PER_PAGE]
        menu = [
            Button(services[code].title, choice_payload("ask_services", code)) for code in shown
        ]
        if pages > 1:
            menu.append(
                Button("button.more", choice_payload("ask_services", f"page:{page % pages + 1}"))
            )
        speaker.say("info.services_menu", buttons=menu)
        return []
