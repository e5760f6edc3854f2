"""A complaint's history as a timeline: all of it for staff, the public part for citizens."""

from dataclasses import dataclass
from datetime import datetime

from bot.complaint import Complaint, HistoryEntry
from bot.web.i18n import TEXT
from bot.web.render import Labels

# What a citizen sees: the report, its status, messages both ways, photos, their rating.
CITIZEN_FIELDS = frozenset({"created", "status", "reply", "comment", "attachment", "satisfaction"})
# Messages whose text is the point of the entry, shown to whoever may see the entry.
MESSAGE_FIELDS = frozenset({"reply", "comment", "note"})


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
    if entry.field in ("created", "reply", "comment", "note", "attachment", "satisfaction"):
        title = labels.t(f"timeline.{entry.field}")
        return f"{title}: {entry.new}/5" if entry.field == "satisfaction" else title
    arrow = "←" if labels.language == "ar" else "→"  # old to new, in reading direction
    change = (
        f"{_value(labels, entry.field, entry.old)} {arrow} {_value(labels, entry.field, entry.new)}"
    )
    if entry.field == "status":
        return change
    key = f"timeline.{entry.field}"
    return f"{labels.t(key) if key in TEXT else entry.field}: {change}"


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
