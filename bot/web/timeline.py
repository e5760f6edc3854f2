"""A complaint's history as a timeline: all of it for staff, the public part for citizens."""

from dataclasses import dataclass
from datetime import datetime

from bot.complaint_record import Complaint, HistoryEntry
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


@dataclass(frozen=True)
class TimelineItem:
    at: datetime
    title: str
    text: str
    actor: str
    internal: bool


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


def staff_timeline(complaint: Complaint, labels: Labels) -> list[TimelineItem]:
    return [
        TimelineItem(entry.at, _title(labels, entry), entry.reason, entry.actor, entry.internal)
        for entry in reversed(complaint.history)
    ]


def citizen_timeline(complaint: Complaint, labels: Labels) -> list[TimelineItem]:
    """No internal entries, no staff names, only the citizen's and the municipality's words."""
    return [
        TimelineItem(
            entry.at,
            _title(labels, entry),
            entry.reason if entry.field in MESSAGE_FIELDS else "",
            "",
            False,
        )
        for entry in reversed(complaint.history)
        if not entry.internal and entry.field in CITIZEN_FIELDS
    ]
