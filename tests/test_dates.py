"""Dates with the Hijri (Umm al-Qura) date beside them, in Arabic and English."""

from datetime import UTC, date, datetime

from actions.formatting import moment
from bot.dates import dated, dated_time, hijri_date


def test_the_hijri_date_is_umm_al_qura() -> None:
    assert hijri_date(date(2026, 12, 4), "en") == "24 Jumada al-Akhirah 1448 AH"
    assert hijri_date(date(2026, 12, 4), "ar") == "24 جمادى الآخرة 1448 هـ"
    assert hijri_date(date(2025, 3, 1), "en") == "1 Ramadan 1446 AH"  # the first of Ramadan


def test_dates_carry_the_hijri_date_beside_them() -> None:
    assert dated(date(2026, 12, 4), "en") == "Friday 4 December 2026 (24 Jumada al-Akhirah 1448 AH)"
    assert dated(date(2026, 12, 4), "ar") == "الجمعة 4 ديسمبر 2026 (24 جمادى الآخرة 1448 هـ)"
    assert dated(date(2099, 1, 1), "en") == "Thursday 1 January 2099"  # past the calendar's table


def test_a_moment_has_its_time_of_day() -> None:
    local = datetime(2026, 12, 4, 15, 30)
    assert dated_time(local, "en", with_weekday=False) == (
        "4 December 2026 (24 Jumada al-Akhirah 1448 AH), 3:30 pm"
    )


def test_chat_and_phone_replies_say_the_hijri_date_too() -> None:
    due = datetime(2026, 12, 4, 12, 30, tzinfo=UTC)  # 15:30 in Riyadh
    assert moment(due, "ar", "Asia/Riyadh") == (
        "الجمعة 4 ديسمبر 2026 (24 جمادى الآخرة 1448 هـ)، 3:30 م"
    )
