"""How numbers, dates and catalogue names are said to a citizen, in Arabic or English."""

from datetime import datetime, time
from typing import Any, Final
from zoneinfo import ZoneInfo

from bot.catalogue import WEEKDAYS, Catalogue, WorkingHours
from bot.types import Language

_AR_MONTHS: Final = (
    "يناير",
    "فبراير",
    "مارس",
    "أبريل",
    "مايو",
    "يونيو",
    "يوليو",
    "أغسطس",
    "سبتمبر",
    "أكتوبر",
    "نوفمبر",
    "ديسمبر",
)
_EN_MONTHS: Final = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
# datetime.weekday() order: Monday first
_AR_WEEKDAYS: Final = ("الاثنين", "الثلاثاء", "الأربعاء", "الخميس", "الجمعة", "السبت", "الأحد")
_EN_WEEKDAYS: Final = tuple(day.capitalize() for day in WEEKDAYS)


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
    hour = moment.hour % 12 or 12
    if lang == "ar":
        return f"{hour}:{moment.minute:02d} {'ص' if moment.hour < 12 else 'م'}"
    return f"{hour}:{moment.minute:02d} {'am' if moment.hour < 12 else 'pm'}"


def moment(value: datetime, lang: Language, timezone: str) -> str:
    """'Sunday 12 May, 3:30 pm' / 'الأحد 12 مايو، 3:30 م' in the municipality's time zone."""
    local = value.astimezone(ZoneInfo(timezone))
    if lang == "ar":
        day = f"{_AR_WEEKDAYS[local.weekday()]} {local.day} {_AR_MONTHS[local.month - 1]}"
        return f"{day}، {clock(local.time(), lang)}"
    day = f"{_EN_WEEKDAYS[local.weekday()]} {local.day} {_EN_MONTHS[local.month - 1]}"
    return f"{day}, {clock(local.time(), lang)}"


def due(value: datetime, lang: Language, timezone: str) -> str:
    return (
        f"قبل {moment(value, lang, timezone)}"
        if lang == "ar"
        else f"by {moment(value, lang, timezone)}"
    )


def working_days(hours: WorkingHours, lang: Language) -> tuple[str, str]:
    """The first and last working day, Sunday-first as the week runs in Saudi Arabia."""
    order = ("sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday")
    days = sorted(hours.days, key=order.index)
    names = _AR_WEEKDAYS if lang == "ar" else _EN_WEEKDAYS
    first, last = (names[WEEKDAYS.index(day)] for day in (days[0], days[-1]))
    return first, last


def category_name(code: str | None, catalogue: Catalogue, lang: Language) -> str | None:
    if code is None or code not in catalogue.categories:
        return None
    return catalogue.categories[code].name.get(lang)


def district_name(code: str | None, catalogue: Catalogue, lang: Language) -> str | None:
    if code is None or code not in catalogue.districts:
        return None
    return catalogue.districts[code].name.get(lang)


def short(text: str, limit: int = 160) -> str:
    """A description as read back: one line, at most `limit` characters."""
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"
