"""How numbers, dates and catalogue names are said to a citizen, in Arabic or English."""

from datetime import datetime, time
from typing import Any, Final
from zoneinfo import ZoneInfo

from bot.catalogue import WEEKDAYS, Catalogue, Weekday, WorkingHours
from bot.types import Language
from bot.words import N_, text

MONTHS: Final = (
    N_("date.january"),
    N_("date.february"),
    N_("date.march"),
    N_("date.april"),
    N_("date.may"),
    N_("date.june"),
    N_("date.july"),
    N_("date.august"),
    N_("date.september"),
    N_("date.october"),
    N_("date.november"),
    N_("date.december"),
)
WEEKDAY_NAMES: Final[dict[Weekday, str]] = {
    "monday": N_("date.monday"),
    "tuesday": N_("date.tuesday"),
    "wednesday": N_("date.wednesday"),
    "thursday": N_("date.thursday"),
    "friday": N_("date.friday"),
    "saturday": N_("date.saturday"),
    "sunday": N_("date.sunday"),
}


def reference_payload(reference: str) -> dict[str, Any]:
    """The custom hint a channel uses to show a reference and read it digit by digit."""
    return {
        "reference": {
            "value": reference,
            "display": reference,
            "grouped": f"{reference[:3]} {reference[3:6]} {reference[6:]}",
            "digits": " ".join(reference),
        }
    }


def clock(moment: time, lang: Language) -> str:
    key = N_("date.time_am") if moment.hour < 12 else N_("date.time_pm")
    return text(key, lang, hour=moment.hour % 12 or 12, minute=f"{moment.minute:02d}")


def weekday(day: Weekday, lang: Language) -> str:
    return text(WEEKDAY_NAMES[day], lang)


def moment(value: datetime, lang: Language, timezone: str) -> str:
    """'Sunday 12 May, 3:30 pm' / 'الأحد 12 مايو، 3:30 م' in the municipality's time zone."""
    local = value.astimezone(ZoneInfo(timezone))
    return text(
        "date.moment",
        lang,
        weekday=weekday(WEEKDAYS[local.weekday()], lang),
        day=local.day,
        month=text(MONTHS[local.month - 1], lang),
        time=clock(local.time(), lang),
    )


def due(value: datetime, lang: Language, timezone: str) -> str:
    return text("date.due", lang, moment=moment(value, lang, timezone))


def working_days(hours: WorkingHours, lang: Language) -> tuple[str, str]:
    """The first and last working day, Sunday-first as the week runs in Saudi Arabia."""
    order = ("sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday")
    days = sorted(hours.days, key=order.index)
    return weekday(days[0], lang), weekday(days[-1], lang)


def category_name(code: str | None, catalogue: Catalogue, lang: Language) -> str | None:
    if code is None or code not in catalogue.categories:
        return None
    return catalogue.categories[code].name.get(lang)


def district_name(code: str | None, catalogue: Catalogue, lang: Language) -> str | None:
    if code is None or code not in catalogue.districts:
        return None
    return catalogue.districts[code].name.get(lang)


def short(value: str, limit: int = 160) -> str:
    """A description as read back: one line, at most `limit` characters."""
    line = " ".join(value.split())
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"
