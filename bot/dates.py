"""Dates as residents read them: the Gregorian date with the Hijri (Umm al-Qura) date beside it.

One place for every channel that shows or says a date (the portal, chat replies, the phone's
spoken dates): `dated` gives "Friday 4 December 2026 (24 Jumada al-Akhirah 1448 AH)" or
"الجمعة 4 ديسمبر 2026 (24 جمادى الآخرة 1448 هـ)"; a page in Arabic turns its digits into
Eastern Arabic ones with `bot.digits.to_eastern_digits`. The Umm al-Qura calendar is Saudi
Arabia's official one (hijridate covers 1924–2077; outside it only the Gregorian date is given).
The names of months and days and the order of the parts are words of the catalogues (`date.*`).
"""

from datetime import date, datetime, time
from typing import Final

from hijridate import Gregorian

from bot.catalogue import WEEKDAYS, Weekday
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
HIJRI_MONTHS: Final = (
    N_("date.muharram"),
    N_("date.safar"),
    N_("date.rabi_al_awwal"),
    N_("date.rabi_al_thani"),
    N_("date.jumada_al_ula"),
    N_("date.jumada_al_akhirah"),
    N_("date.rajab"),
    N_("date.shaban"),
    N_("date.ramadan"),
    N_("date.shawwal"),
    N_("date.dhu_al_qadah"),
    N_("date.dhu_al_hijjah"),
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


def weekday(day: Weekday, language: Language) -> str:
    return text(WEEKDAY_NAMES[day], language)


def hijri_date(day: date, language: Language) -> str | None:
    """'24 Jumada al-Akhirah 1448 AH' / '24 جمادى الآخرة 1448 هـ'; None outside 1924–2077."""
    try:
        hijri = Gregorian(day.year, day.month, day.day).to_hijri()
    except OverflowError:
        return None
    month = text(HIJRI_MONTHS[hijri.month - 1], language)
    return text("date.hijri", language, day=hijri.day, month=month, year=hijri.year)


def gregorian_date(day: date, language: Language, *, with_weekday: bool = True) -> str:
    """'Friday 4 December 2026' / 'الجمعة 4 ديسمبر 2026'."""
    month = text(MONTHS[day.month - 1], language)
    plain = text("date.day", language, day=day.day, month=month, year=day.year)
    if not with_weekday:
        return plain
    name = weekday(WEEKDAYS[day.weekday()], language)
    return text("date.weekday_day", language, weekday=name, date=plain)


def dated(day: date, language: Language, *, with_weekday: bool = True) -> str:
    """The Gregorian date with the Hijri date beside it, in brackets."""
    gregorian = gregorian_date(day, language, with_weekday=with_weekday)
    hijri = hijri_date(day, language)
    return text("date.with_hijri", language, date=gregorian, hijri=hijri) if hijri else gregorian


def clock(moment: time, language: Language) -> str:
    """'3:30 pm' / '3:30 م'."""
    key = N_("date.time_am") if moment.hour < 12 else N_("date.time_pm")
    return text(key, language, hour=moment.hour % 12 or 12, minute=f"{moment.minute:02d}")


def dated_time(local: datetime, language: Language, *, with_weekday: bool = True) -> str:
    """A local moment: its date (with the Hijri date) and its time of day."""
    day = dated(local.date(), language, with_weekday=with_weekday)
    return text("date.moment", language, date=day, time=clock(local.time(), language))
