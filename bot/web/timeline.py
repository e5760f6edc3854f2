"""A complaint's history as a timeline: all of it for staff, the public part for citizens."""

from dataclasses import dataclass
from datetime import datetime

from bot.complaint_record import Complaint, HistoryEntry
from bot.languages import script_language
from bot.web.render import Labels
from bot.words import N_

# What a citizen sees: the report, its status, messages both ways, photos, their rating.
CITIZEN_FIELDS = frozenset({"created", "status", "reply", "comment", "attachment", "satisfaction"})
# Messages whose text is the point of the entry, shown to whoever may see the entry.
MESSAGE_FIELDS = frozenset({"reply", "comment", "note"})
# Entries titled by what happened (the others by the field that changed, old → new).
EVENT_TITLES = {
    "created": N_("timeline.created"),
    "reply": N_("timeline.reply"),
    "comment": N_("timeline.comment"),
    "note": N_("timeline.note"),
    "attachment": N_("timeline.attachment"),
    "satisfaction": N_("timeline.satisfaction"),
    "subscriber": N_("timeline.subscriber"),
}
FIELD_TITLES = {
    "team": N_("timeline.team"),
    "assignee": N_("timeline.assignee"),
    "category": N_("timeline.category"),
    "priority": N_("timeline.priority"),
    "department": N_("timeline.department"),
    "duplicate_of": N_("timeline.duplicate_of"),
    "sla": N_("timeline.sla"),
}
# The reasons the system gives (`HistoryEntry.reason_key`, bot.complaint_record.Why), said
# in the page's language with their values.
REASONS = {
    "reported_via": N_("reason.reported_via"),
    "dispatched": N_("reason.dispatched"),
    "intake": N_("reason.intake"),
    "no_keyword": N_("reason.no_keyword"),
    "ambiguous": N_("reason.ambiguous"),
    "classified": N_("reason.classified"),
    "priority_default": N_("reason.priority_default"),
    "priority_raised": N_("reason.priority_raised"),
    "priority_kept": N_("reason.priority_kept"),
    "no_team": N_("reason.no_team"),
    "lowest_load": N_("reason.lowest_load"),
    "sla_due": N_("reason.sla_due"),
    "subscribed": N_("reason.subscribed"),
    "fix_confirmed": N_("reason.fix_confirmed"),
    "not_fixed": N_("reason.not_fixed"),
}
# Who did it when it was no staff member: said in the page's language.
ACTORS = {"citizen": N_("actor.citizen"), "system": N_("actor.system")}


@dataclass(frozen=True)
class TimelineItem:
    at: datetime
    title: str
    text: str
    actor: str
    internal: bool
    # The language of `text` when it is what someone wrote (pages mark it as such); None
    # when it is the page's own words.
    text_lang: str | None = None


def _reason_value(labels: Labels, name: str, value: str) -> str:
    """A value of a system reason in the page's language (codes become names)."""
    if name == "channel":
        return labels.channel(value)
    if name in ("category", "team", "department", "district"):
        return str(getattr(labels, name)(value))
    if name == "categories":
        return labels.text("list.separator").join(
            labels.category(code) for code in value.split(",")
        )
    if name == "due":
        return labels.time(datetime.fromisoformat(value))
    return value


def _text(labels: Labels, entry: HistoryEntry) -> tuple[str, str | None]:
    """The entry's reason: the system's words in the page's language, else as written."""
    key = REASONS.get(entry.reason_key or "")
    if key is not None:
        values = {name: _reason_value(labels, name, v) for name, v in entry.reason_values.items()}
        return labels.text(key, **values), None
    return entry.reason, script_language(entry.reason)


def _actor(labels: Labels, actor: str) -> str:
    key = ACTORS.get(actor)
    return labels.text(key) if key else actor


def _value(labels: Labels, field: str, value: str | None) -> str:
    if value is None:
        return "—"
    if field == "status":
        return labels.status(value)
    if field == "category":
        return labels.category(value)
    if field == "team":
        return labels.team(value)
    if field == "department":
        return labels.department(value)
    return value


def _title(labels: Labels, entry: HistoryEntry) -> str:
    if entry.field in EVENT_TITLES:
        title = labels.text(EVENT_TITLES[entry.field])
        return f"{title}: {entry.new}/5" if entry.field == "satisfaction" else title
    arrow = "←" if labels.language == "ar" else "→"  # old to new, in reading direction
    change = (
        f"{_value(labels, entry.field, entry.old)} {arrow} {_value(labels, entry.field, entry.new)}"
    )
    if entry.field == "status":
        return change
    key = FIELD_TITLES.get(entry.field)
    return f"{labels.text(key) if key else entry.field}: {change}"


def _staff_item(labels: Labels, entry: HistoryEntry) -> TimelineItem:
    text, text_lang = _text(labels, entry)
    actor = _actor(labels, entry.actor)
    return TimelineItem(entry.at, _title(labels, entry), text, actor, entry.internal, text_lang)


def staff_timeline(complaint: Complaint, labels: Labels) -> list[TimelineItem]:
    return [_staff_item(labels, entry) for entry in reversed(complaint.history)]


def citizen_timeline(complaint: Complaint, labels: Labels) -> list[TimelineItem]:
    """No internal entries, no staff names, only the citizen's and the municipality's words."""
    return [
        TimelineItem(
            entry.at,
            _title(labels, entry),
            entry.reason if entry.field in MESSAGE_FIELDS else "",
            "",
            False,
            script_language(entry.reason) if entry.field in MESSAGE_FIELDS else None,
        )
        for entry in reversed(complaint.history)
        if not entry.internal and entry.field in CITIZEN_FIELDS
    ]
