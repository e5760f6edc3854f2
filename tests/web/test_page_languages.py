"""No English on an Arabic page and no Arabic on an English one.

Every page of the back office and the portal is rendered in each language, over complaints
whose history has every kind of entry the system writes (reported, classified, prioritised,
dispatched, SLA, a citizen's reopening…). What people wrote (descriptions, notes, names,
usernames) is theirs and is taken out first; what is left must be in the page's language.
"""

import html
import re

import httpx
import pytest

from bot.complaints import CITIZEN, Actor
from bot.services import Services
from bot.tracking_link import tracking_token
from bot.types import Role, Status
from tests.conftest import new_complaint
from tests.web.conftest import WebLogin

# What people wrote is marked with its own `lang` (descriptions, messages, notes).
TAGS = re.compile(
    r"<(script|style)\b.*?</\1>|<(\w+)[^>]*\slang=\"[a-z]+\"[^>]*>.*?</\2>|<[^>]+>", re.S
)
ARABIC = re.compile(r"[\u0600-\u06ff]+")
LATIN = re.compile(r"[A-Za-z]{2,}")
# Words that are the same in both languages: product and format names, codes.
# The switch to the other language names it in its own words.
EVERYWHERE = ("Open311", "CSV", "JPEG", "PNG", "WebP", "English", "العربية")
PRIORITY = re.compile(r"\bP[1-4]\b")
HUDA = Actor("huda", Role.SUPERVISOR)


def visible_text(page: str, language: str) -> str:
    """The page's text, without scripts and without what is marked as another language."""
    page = page.replace(f'<html lang="{language}"', "<html")
    return html.unescape(TAGS.sub(" ", page))


def foreign_words(text: str, language: str, theirs: list[str]) -> set[str]:
    for words in sorted([*theirs, *EVERYWHERE], key=len, reverse=True):
        text = text.replace(words, " ")
    text = PRIORITY.sub(" ", text)
    return set((LATIN if language == "ar" else ARABIC).findall(text))


@pytest.mark.parametrize("language", ["ar", "en"])
async def test_every_page_speaks_only_its_language(
    client: httpx.AsyncClient, services: Services, web_login: WebLogin, language: str
) -> None:
    arabic = await new_complaint(services, description="حفرة عميقة أمام المسجد", name="نورة")
    english = await new_complaint(
        services,
        language="en",
        description="Deep pothole, urgent danger",
        name="Sam Lee",
        category=None,
        phone="0559876543",
    )
    fixed = await services.complaints.change_status(
        arabic.reference, Status.IN_PROGRESS, HUDA, "بدأنا"
    )
    await services.complaints.change_status(fixed.reference, Status.RESOLVED, HUDA, "تم")
    await services.complaints.change_status(fixed.reference, Status.IN_PROGRESS, CITIZEN, "")
    await services.complaints.record_sla_breach(arabic.reference)
    await web_login(Role.ADMIN, "admin.web")
    # Names, and the words the classification quotes from the descriptions.
    theirs = [
        *["حفرة", "عميقة", "أمام", "المسجد"],
        *"Deep pothole, urgent danger".replace(",", "").split(),
        "نورة",
        "Sam Lee",
        "بدأنا",
        "تم",
        "admin.web",
        "huda",
        "roads_hofuf",
    ]
    secret = services.settings.secret_key.get_secret_value()
    pages = [
        "/",
        "/report",
        "/track",
        f"/track/{arabic.reference}?t={tracking_token(secret, arabic.reference)}",
        f"/track/{english.reference}?t={tracking_token(secret, english.reference)}",
        "/staff/queue",
        f"/staff/complaints/{arabic.reference}",
        f"/staff/complaints/{english.reference}",
        "/staff/board",
        "/staff/tasks",
        "/staff/kpi",
        "/staff/outbox",
        "/staff/inbox",
        "/staff/admin/users",
        "/staff/admin/teams",
        "/staff/admin/announcements",
        "/staff/admin/api-keys",
    ]
    found: dict[str, set[str]] = {}
    for path in pages:
        separator = "&" if "?" in path else "?"
        response = await client.get(f"{path}{separator}lang={language}")
        assert response.status_code == 200, path
        words = foreign_words(visible_text(response.text, language), language, theirs)
        if words:
            found[path] = words
    assert found == {}, "; ".join(
        f"{path}: {' '.join(sorted(words))}" for path, words in found.items()
    )
