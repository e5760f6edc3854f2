"""Dates as residents read them: the Gregorian date with the Hijri (Umm al-Qura) date beside it.

One place for every channel that shows or says a date (the portal, chat replies, the phone's
spoken dates): `dated` gives "Friday 4 December 2026 (24 Jumada al-Akhirah 1448 AH)" or
"الجمعة 4 ديسمبر 2026 (24 جمادى الآخرة 1448 هـ)"; a page in Arabic turns its digits into
Eastern Arabic ones with `bot.digits.to_eastern_digits`. The Umm al-Qura calendar is Saudi
Arabia's official one (hijridate covers 1924–2077; outside it only the Gregorian date is given).
"""

from datetime import date, datetime, time
from typing import Final

from hijridate import Gregorian

from bot.catalogue import WEEKDAYS
from bot.types import Language

GREGORIAN_MONTHS: Final[dict[Language, tuple[str, ...]]] = {
    "ar": (
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
    ),
    "en": (
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
    ),
}
# datetime.weekday() order: Monday first
WEEKDAY_NAMES: Final[dict[Language, tuple[str, ...]]] = {
    "ar": ("الاثنين", "الثلاثاء", "الأربعاء", "الخميس", "الجمعة", "السبت", "الأحد"),
    "en": tuple(day.capitalize() for day in WEEKDAYS),
}


def hijri_date(day: date, language: Language) -> str | None:
    """'24 Jumada al-Akhirah 1448 AH' / '24 جمادى الآخرة 1448 هـ'; None outside 1924–2077."""
    try:
        hijri = Gregorian(day.year, day.month, day.day).to_hijri()
    except OverflowError:
        return None
    return f"{hijri.day} {hijri.month_name(language)} {hijri.year} {hijri.notation(language)}"


def gregorian_date(day: date, language: Language, *, weekday: bool = True) -> str:
    """'Friday 4 December 2026' / 'الجمعة 4 ديسمبر 2026'."""
    text = f"{day.day} {GREGORIAN_MONTHS[language][day.month - 1]} {day.year}"
    return f"{WEEKDAY_NAMES[language][day.weekday()]} {text}" if weekday else text


def dated(day: date, language: Language, *, weekday: bool = True) -> str:
    """The Gregorian date with the Hijri date beside it, in brackets."""
    gregorian = gregorian_date(day, language, weekday=weekday)
    hijri = hijri_date(day, language)
    return f"{gregorian} ({hijri})" if hijri else gregorian


def clock(moment: time, language: Language) -> str:
    """'3:30 pm' / '3:30 م'."""
    hour = moment.hour % 12 or 12
    if language == "ar":
        return f"{hour}:{moment.minute:02d} {'ص' if moment.hour < 12 else 'م'}"
    return f"{hour}:{moment.minute:02d} {'am' if moment.hour < 12 else 'pm'}"


def dated_time(local: datetime, language: Language, *, weekday: bool = True) -> str:
    """A local moment: its date (with the Hijri date) and its time of day."""
    separator = "، " if language == "ar" else ", "
    day = dated(local.date(), language, weekday=weekday)
    return f"{day}{separator}{clock(local.time(), language)}"
