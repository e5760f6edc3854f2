"""Checking a report's status: the reference form, the answer, and a caller's open reports.

A reference is checked with its Damm check digit before any lookup; a wrong one is re-asked at
most twice, then the bot offers an employee. Personal details (what was reported, where) are
read only to the phone the complaint was filed from, as vouched for by the channel.
"""

from typing import Any, Final

from actions.base import BalaghAction
from actions.context import (
    INTERRUPTION_CONFIDENCE,
    LEAVING_A_FORM,
    Event,
    TrackerLike,
    caller_phone,
    entity,
    free_text,
    fresh_input,
    latest_intent,
    slot_changes,
    slot_set,
)
from actions.formatting import category_name, district_name, due, moment, short
from actions.messages import AGENT_OR_MENU, ANYTHING_ELSE, MAIN_MENU_BUTTON, Button, Speaker
from bot.complaint_record import Complaint
from bot.complaints import ComplaintNotFound
from bot.digits import spoken_numbers, strip_number
from bot.reference import REFERENCE_LENGTH, InvalidReference, parse_reference
from bot.store.base import ComplaintFilter
from bot.types import OPEN_STATUSES, Language
from bot.workflow import status_label

FORM: Final = "status_form"
MAX_ATTEMPTS: Final = 3  # the first try and two re-asks
OPEN_REPORTS_LISTED: Final = 3
INTERRUPTIONS: Final = LEAVING_A_FORM | {"report_complaint"}  # and a new report
REFERENCE_HINT: Final = {
    "expect": "digits",
    "finish_on_key": "#",
    "max_digits": 10,
    "purpose": "reference",
}


def reference_candidate(tracker: TrackerLike) -> str | None:
    """What the user gave as a reference: the entity, else ten digits said as words, else the
    digits of their words."""
    value = entity(tracker, "reference")
    if value:
        return value
    text = free_text(tracker)
    said = spoken_numbers(text, REFERENCE_LENGTH)
    if said:
        return said[0][2]
    digits = "".join(char for char in strip_number(text) if char.isdigit())
    return digits or None


class ValidateStatusForm(BalaghAction):
    name = "validate_status_form"

    async def run(self, dispatcher: Any, tracker: TrackerLike) -> list[Event]:
        speaker = self.speaker(dispatcher, tracker)
        attempts = int(tracker.get_slot("reference_attempts") or 0)
        requested = tracker.get_slot("requested_slot")
        candidate = reference_candidate(tracker)
        if requested is None:  # starting: the opening message may carry the number
            if candidate is None:
                return self.ask(speaker, attempts)
        elif not fresh_input(tracker, FORM):
            return self.ask(speaker, attempts)
        else:
            intent, confidence = latest_intent(tracker)
            if candidate is None:
                if intent in INTERRUPTIONS and confidence >= INTERRUPTION_CONFIDENCE:
                    return []  # a rule answers it
                if intent == "deny":  # "I don't have the number"
                    return [
                        slot_set("reference", None),
                        slot_set("reference_attempts", attempts),
                        slot_set("requested_slot", None),
                    ]
            candidate = candidate or free_text(tracker) or "?"
        try:
            reference = parse_reference(candidate)
        except InvalidReference as problem:
            attempts += 1
            if attempts >= MAX_ATTEMPTS:  # the answer action offers an employee
                return [
                    slot_set("reference", None),
                    slot_set("reference_attempts", attempts),
                    slot_set("requested_slot", None),
                ]
            speaker.say_text(speaker.text(problem.words, **problem.values))
            return self.ask(speaker, attempts)
        return [
            slot_set("reference", reference),
            slot_set("reference_attempts", attempts),
            slot_set("requested_slot", None),
        ]

    @staticmethod
    def ask(speaker: Speaker, attempts: int) -> list[Event]:
        speaker.say("track.ask_reference", custom=dict(REFERENCE_HINT))
        return [
            slot_set("reference", None),
            slot_set("reference_attempts", attempts),
            slot_set("requested_slot", "reference"),
        ]


class StatusReader:
    """Says a complaint's status; shared by the status check and the known-caller offer."""

    def __init__(self, action: BalaghAction) -> None:
        self.action = action

    def say(self, complaint: Complaint, speaker: Speaker, asking_phone: str | None) -> None:
        lang: Language = speaker.lang
        catalogue = self.action.catalogue
        timezone = catalogue.municipality.timezone
        values = {
            "reference": complaint.reference,
            "status": status_label(complaint.status, lang),
            "updated": moment(complaint.updated_at, lang, timezone, speaker.medium),
        }
        if complaint.status in OPEN_STATUSES:
            values["due"] = due(complaint.sla_due_at, lang, timezone, speaker.medium)
            speaker.say_text(speaker.text("track.open", **values))
        else:
            speaker.say_text(speaker.text("track.done", **values))
        if asking_phone is not None and asking_phone == complaint.phone:
            speaker.say(
                "track.details",
                category=category_name(complaint.category, catalogue, lang)
                or speaker.text("report.unclassified"),
                district=district_name(complaint.district, catalogue, lang)
                or speaker.text("report.not_given"),
                description=short(complaint.description),
            )

    async def open_reports(self, phone: str, limit: int) -> list[Complaint]:
        """The caller's open reports: those made with this phone and proven to be theirs."""
        page = await self.action.services.store.list_complaints(
            ComplaintFilter(phone=phone, status=tuple(sorted(OPEN_STATUSES))), limit, None
        )
        return [complaint for complaint in page.items if complaint.phone_verified]


class CheckStatus(BalaghAction):
    name = "action_check_status"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.reader = StatusReader(self)

    async def run(self, dispatcher: Any, tracker: TrackerLike) -> list[Event]:
        speaker = self.speaker(dispatcher, tracker)
        reference = tracker.get_slot("reference")
        attempts = int(tracker.get_slot("reference_attempts") or 0)
        events = slot_changes(tracker, {"reference": None, "reference_attempts": 0})
        if reference:
            try:
                complaint = await self.services.complaints.get(str(reference))
            except ComplaintNotFound:
                speaker.say(
                    "track.not_found",
                    reference=reference,
                    buttons=[
                        Button("button.another_number", "/check_status"),
                        *AGENT_OR_MENU,
                    ],
                )
                return events
            self.reader.say(complaint, speaker, caller_phone(tracker))
            self.follow_up(tracker, speaker)
            return events
        if attempts >= MAX_ATTEMPTS:
            speaker.say(
                "track.give_up",
                buttons=[Button("button.agent_yes", "/talk_to_agent"), MAIN_MENU_BUTTON],
            )
            return events
        caller = caller_phone(tracker)
        reports = await self.reader.open_reports(caller, OPEN_REPORTS_LISTED) if caller else []
        if not reports:
            speaker.say("track.no_reference", buttons=AGENT_OR_MENU)
            return events
        lang = speaker.lang
        comma = speaker.text("list.separator")
        unclassified = speaker.text("report.unclassified")
        lines = "\n".join(
            f"- {c.reference}: "
            f"{category_name(c.category, self.catalogue, lang) or unclassified}"
            f"{comma}{status_label(c.status, lang)}"
            for c in reports
        )
        speaker.say("track.open_reports", items=lines, buttons=ANYTHING_ELSE)
        return events

    @staticmethod
    def follow_up(tracker: TrackerLike, speaker: Speaker) -> None:
        """Offer to resume a report left half way for this status check, else the usual menu."""
        if tracker.get_slot("category") or tracker.get_slot("description"):
            speaker.say(
                "track.continue_report",
                buttons=[
                    Button("button.continue_report", "/report_complaint"),
                    MAIN_MENU_BUTTON,
                ],
            )
        else:
            speaker.say("dialogue.anything_else", buttons=ANYTHING_ELSE)
