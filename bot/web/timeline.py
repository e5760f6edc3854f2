"""A complaint's history as a timeline: all of it for staff, the public part for citizens."""

from dataclasses import dataclass
from datetime import datetime

from bot.arabic import script_language
from bot.complaint import Complaint, HistoryEntry
from bot.web.i18n import TEXT
from bot.web.render import Labels

# What a citizen sees: the report, its status, messages both ways, photos, their rating.
CITIZEN_FIELDS = frozenset({"created", "status", "reply", "comment", "attachment", "satisfaction"})
# Messages whose text is the point of the entry, shown to whoever may see the entry.
MESSAGE_FIELDS = frozenset({"reply", "comment", "note"})


# Who did it when it was no staff member: said in the page's language.
NOT_STAFF = frozenset({"citizen", "system"})


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
        return labels.coded("channel", value)
    if name in ("category", "team", "department", "district"):
        return str(getattr(labels, name)(value))
    if name == "categories":
        separator = "، " if labels.language == "ar" else ", "
        return separator.join(labels.category(code) for code in value.split(","))
    if name == "due":
        return labels.time(datetime.fromisoformat(value))
    return value


def _text(labels: Labels, entry: HistoryEntry) -> tuple[str, str | None]:
    """The entry's reason: the system's words in the page's language, else as written."""
    key = f"reason.{entry.reason_key}"
    if entry.reason_key and key in TEXT:
        values = {name: _reason_value(labels, name, v) for name, v in entry.reason_values.items()}
        return labels.t(key).format(**values), None
    return entry.reason, script_language(entry.reason)


def _actor(labels: Labels, actor: str) -> str:
    return labels.t(f"actor.{actor}") if actor in NOT_STAFF else actor


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
    if entry.field in (
        "created",
        "reply",
        "comment",
        "note",
        "attachment",
        "satisfaction",
        "subscriber",
    ):
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
