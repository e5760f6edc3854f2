"""Rendering a page: the template, its language and direction, names from the catalogue.

Arabic right-to-left is the default; `?lang=en` switches (and is remembered in a cookie).
Every page gets the CSRF token its forms must carry.
"""

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from bot.api.deps import SESSION_COOKIE
from bot.catalogue import Catalogue
from bot.clock import utc_now
from bot.complaint import Complaint
from bot.dates import dated_time
from bot.digits import to_eastern_digits
from bot.services import Services
from bot.staff import StaffUser
from bot.types import OPEN_STATUSES, Language
from bot.web.i18n import TEXT, translate
from bot.web.security import CSRF_COOKIE, csrf_token, new_nonce, set_csrf_cookie
from bot.workflow import STATUS_LABELS

HERE = Path(__file__).parent
STATIC_DIR = HERE / "static"
LANGUAGE_COOKIE = "balagh_lang"
SlaState = Literal["on_time", "due_soon", "breached", "done"]

_environment = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=True,
    auto_reload=False,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def page_language(request: Request, default: Language | None = None) -> Language:
    """`?lang=`, else the page's own default (a report's language), else the cookie, else ar."""
    asked = request.query_params.get("lang") or default or request.cookies.get(LANGUAGE_COOKIE)
    return "en" if asked == "en" else "ar"


def sla_state(complaint: Complaint, now: datetime, soon_hours: float) -> SlaState:
    if complaint.status not in OPEN_STATUSES:
        return "done"
    if complaint.sla_breached_at is not None or complaint.sla_due_at <= now:
        return "breached"
    if (complaint.sla_due_at - now).total_seconds() < soon_hours * 3600:
        return "due_soon"
    return "on_time"


@dataclass(frozen=True)
class Labels:
    """Names of codes in the page's language, for templates."""

    catalogue: Catalogue
    language: Language
    zone: ZoneInfo

    def t(self, key: str) -> str:
        return translate(key, self.language)

    def status(self, status: str) -> str:
        return next(
            (labels[self.language] for code, labels in STATUS_LABELS.items() if code == status),
            status,
        )

    def category(self, code: str | None) -> str:
        category = self.catalogue.categories.get(code or "")
        return category.name.get(self.language) if category else "—"

    def district(self, code: str | None) -> str:
        district = self.catalogue.districts.get(code or "")
        return district.name.get(self.language) if district else "—"

    def team(self, code: str | None) -> str:
        team = self.catalogue.teams.get(code or "")
        return team.name.get(self.language) if team else "—"

    def department(self, code: str | None) -> str:
        department = self.catalogue.departments.get(code or "")
        return department.name.get(self.language) if department else "—"

    def coded(self, prefix: str, code: str) -> str:
        """`channel.voice`, `role.agent`…: a label if there is one, else the code itself."""
        key = f"{prefix}.{code}"
        return self.t(key) if key in TEXT else code

    def recipient(self, to: str) -> str:
        """A local-outbox address (`team:roads_hofuf`, `staff:noura`…) in words."""
        kind, _, code = to.partition(":")
        names = {"team": self.team, "department": self.department}
        if kind in names:
            return f"{self.t(f'outbox.{kind}')}: {names[kind](code)}"
        if kind == "desk" and f"outbox.desk.{code}" in TEXT:
            return self.t(f"outbox.desk.{code}")
        if kind == "staff":
            return f"{self.t('outbox.staff')}: {code}"
        return to

    def digits(self, text: str) -> str:
        """Numbers in the page's digits: Eastern Arabic on an Arabic page."""
        return to_eastern_digits(text) if self.language == "ar" else text

    def dated(self, moment: datetime | None) -> str:
        """A moment for residents: the date with the Hijri date beside it and the time, in the
        page's digits (Eastern Arabic on an Arabic page)."""
        if moment is None:
            return "—"
        return self.digits(dated_time(moment.astimezone(self.zone), self.language, weekday=False))

    def time(self, moment: datetime | None) -> str:
        return moment.astimezone(self.zone).strftime("%Y-%m-%d %H:%M") if moment else "—"


def page_labels(request: Request, services: Services, language: Language | None = None) -> Labels:
    zone = ZoneInfo(services.catalogue.municipality.timezone)
    return Labels(services.catalogue, page_language(request, language), zone)


def _with_query(request: Request, **params: str) -> str:
    """This page's path and query with some parameters replaced (links stay on this site)."""
    url = request.url.include_query_params(**params)
    return f"{url.path}?{url.query}"


def _message(labels: Labels, kind: str, key: str | None) -> str | None:
    """A flash message named in the query string; only known keys, never text from outside."""
    return labels.t(f"{kind}.{key}") if key and f"{kind}.{key}" in TEXT else None


def render(
    request: Request,
    services: Services,
    template: str,
    *,
    user: StaffUser | None = None,
    status_code: int = 200,
    language: Language | None = None,
    error: str | None = None,
    **context: Any,
) -> HTMLResponse:
    """`error` overrides the flash message the query string names (`?error=key`)."""
    labels = page_labels(request, services, language)
    language = labels.language
    other = "en" if language == "ar" else "ar"
    nonce = request.cookies.get(CSRF_COOKIE)
    fresh_nonce = nonce is None
    nonce = nonce or new_nonce()
    secret = services.settings.secret_key.get_secret_value()
    html = _environment.get_template(template).render(
        L=labels,
        t=labels.t,
        lang=language,
        dir="rtl" if language == "ar" else "ltr",
        other_lang=other,
        lang_url=_with_query(request, lang=other),
        path=request.url.path,
        csrf_token=csrf_token(secret, nonce, request.cookies.get(SESSION_COOKIE)),
        user=user,
        now=utc_now(),
        notice=_message(labels, "notice", request.query_params.get("notice")),
        error=error or _message(labels, "error", request.query_params.get("error")),
        **context,
    )
    response = HTMLResponse(html, status_code=status_code)
    if fresh_nonce:
        set_csrf_cookie(response, nonce)
    if request.query_params.get("lang") in ("ar", "en"):
        response.set_cookie(LANGUAGE_COOKIE, language, path="/", samesite="lax", secure=True)
    return response


def error_page(request: Request, message_key: str, status_code: int = 403) -> HTMLResponse:
    services: Services = request.app.state.services
    return render(request, services, "error.html", status_code=status_code, message_key=message_key)
