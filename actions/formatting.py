"""How numbers, dates and catalogue names are said to a citizen, in Arabic or English."""

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.catalogue import Catalogue, WorkingHours
from bot.dates import dated_time, weekday
from bot.types import Language
from bot.words import text


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


def moment(value: datetime, lang: Language, timezone: str) -> str:
    """'Sunday 12 May 2026 (…AH), 3:30 pm' in the municipality's time zone (bot.dates)."""
    return dated_time(value.astimezone(ZoneInfo(timezone)), lang)


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
