"""Rendering a page: the template, its language and direction, names from the catalogue.

Arabic right-to-left is the default; `?lang=en` switches (and is remembered in a cookie).
Every page gets the CSRF token its forms must carry.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from bot.api.deps import (
    SESSION_COOKIE,
    CatalogueDep,
    ChannelsDep,
    ProviderLabelsDep,
    SettingsDep,
)
from bot.catalogue import Catalogue
from bot.channel_directory import ChannelDirectory
from bot.clock import utc_now
from bot.complaint_record import Complaint
from bot.dates import dated_time
from bot.digits import to_eastern_digits
from bot.phone_check import PROOF_WORDS, Proof
from bot.services import Services
from bot.settings import Settings
from bot.staff import StaffUser
from bot.types import OPEN_STATUSES, Language, Role, Status
from bot.web.security import CSRF_COOKIE, csrf_token, new_nonce, set_csrf_cookie
from bot.words import N_, has, language_name, text
from bot.workflow import status_label

HERE = Path(__file__).parent
STATIC_DIR = HERE / "static"
LANGUAGE_COOKIE = "balagh_lang"
SlaState = Literal["on_time", "due_soon", "breached", "done"]
SLA_LABELS: dict[SlaState, str] = {
    "on_time": N_("sla.on_time"),
    "due_soon": N_("sla.due_soon"),
    "breached": N_("sla.breached"),
    "done": N_("sla.done"),
}
ROLE_LABELS: dict[Role, str] = {
    Role.AGENT: N_("role.agent"),
    Role.SUPERVISOR: N_("role.supervisor"),
    Role.FIELD: N_("role.field"),
    Role.ADMIN: N_("role.admin"),
}
# The outbox's own ways and states, beside the citizen channels of the channel directory.
MESSAGE_CHANNEL_LABELS: dict[str, str] = {
    "local": N_("channel.local"),
    "webhook": N_("channel.webhook"),
}
DELIVERY_LABELS: dict[str, str] = {
    "pending": N_("delivery.pending"),
    "sending": N_("delivery.sending"),
    "queued": N_("delivery.queued"),
    "sent": N_("delivery.sent"),
    "delivered": N_("delivery.delivered"),
    "read": N_("delivery.read"),
    "undelivered": N_("delivery.undelivered"),
    "failed": N_("delivery.failed"),
    "held": N_("delivery.held"),
    "refused": N_("delivery.refused"),
}
DESK_LABELS: dict[str, str] = {"handoffs": N_("outbox.desk.handoffs")}
# What a redirect may ask a page to say (`?notice=saved`): known keys only, never outside text.
FLASH: dict[str, dict[str, str]] = {
    "notice": {
        "saved": N_("notice.saved"),
        "taken": N_("notice.taken"),
        "phone_verified": PROOF_WORDS[Proof.VERIFIED],
    },
    "error": {
        "csrf": N_("error.csrf"),
        "transition": N_("error.transition"),
        "refused": N_("error.refused"),
        "conflict": N_("error.conflict"),
        "media": N_("error.media"),
        "contact": N_("error.contact"),
        "taken": N_("error.taken"),
        "gone": N_("error.gone"),
        "not_delivered": N_("error.not_delivered"),
        **{
            f"code_{proof.value}": PROOF_WORDS[proof]
            for proof in (Proof.WRONG, Proof.EXPIRED, Proof.EXHAUSTED)
        },
    },
}

# Templates say their words with `_('key')` (Jinja's i18n extension); each page is rendered
# with the `gettext` of its language.
_environment = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=True,
    auto_reload=False,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    extensions=["jinja2.ext.i18n"],
)
_environment.globals["language_name"] = language_name  # one list of language names


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
    """Words and names of codes in the page's language, for templates and page code."""

    catalogue: Catalogue
    channels: ChannelDirectory
    providers: Mapping[str, str]  # each notification provider's label key (the registry's)
    language: Language
    zone: ZoneInfo

    def text(self, key: str, **values: object) -> str:
        return text(key, self.language, "web", **values)

    def status(self, status: str) -> str:
        known = status in Status.__members__.values()
        return status_label(Status(status), self.language) if known else status

    def sla(self, state: SlaState) -> str:
        return self.text(SLA_LABELS[state])

    def role(self, role: str) -> str:
        return self.text(ROLE_LABELS[Role(role)]) if role in Role.__members__.values() else role

    def channel(self, code: str) -> str:
        return self.channels.label(code, self.language)

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

    def replies(self, language: Language) -> list[tuple[str, str, str]]:
        """The reply templates: code, title in the page's language, text in the citizen's."""
        return [
            (code, template.title.get(self.language), template.text.get(language))
            for code, template in self.catalogue.reply_templates.items()
        ]

    def message_channel(self, code: str) -> str:
        """How an outbox message travels: a citizen channel, or the local outbox, a webhook."""
        key = MESSAGE_CHANNEL_LABELS.get(code)
        return self.text(key) if key else self.channel(code)

    def provider(self, name: str) -> str:
        """Its label; its name until the catalogues have words for it."""
        key = self.providers.get(name)
        return self.text(key) if key and has(key, self.language) else name

    def delivery(self, state: str) -> str:
        key = DELIVERY_LABELS.get(state)
        return self.text(key) if key else state

    def recipient(self, to: str) -> str:
        """A local-outbox address (`team:roads_hofuf`, `staff:noura`…) in words."""
        kind, _, code = to.partition(":")
        if kind == "team":
            return self.text("outbox.team", name=self.team(code))
        if kind == "department":
            return self.text("outbox.department", name=self.department(code))
        if kind == "staff":
            return self.text("outbox.staff", name=code)
        desk = DESK_LABELS.get(code) if kind == "desk" else None
        return self.text(desk) if desk else to

    def digits(self, text: str) -> str:
        """Numbers in the page's digits: Eastern Arabic on an Arabic page."""
        return to_eastern_digits(text) if self.language == "ar" else text

    def dated(self, moment: datetime | None) -> str:
        """A moment for residents: the date with the Hijri date beside it and the time, in the
        page's digits (Eastern Arabic on an Arabic page)."""
        if moment is None:
            return "—"
        local = moment.astimezone(self.zone)
        return self.digits(dated_time(local, self.language, with_weekday=False))

    def time(self, moment: datetime | None) -> str:
        return moment.astimezone(self.zone).strftime("%Y-%m-%d %H:%M") if moment else "—"


@dataclass(frozen=True)
class Pages:
    """What every page is rendered with: names from the catalogue and the channel directory,
    the secret its CSRF tokens are signed with."""

    catalogue: Catalogue
    channels: ChannelDirectory
    providers: Mapping[str, str]
    settings: Settings


async def get_pages(
    catalogue: CatalogueDep,
    channels: ChannelsDep,
    providers: ProviderLabelsDep,
    settings: SettingsDep,
) -> Pages:
    return Pages(catalogue, channels, providers, settings)


PagesDep = Annotated[Pages, Depends(get_pages)]


def page_labels(request: Request, pages: Pages, language: Language | None = None) -> Labels:
    zone = ZoneInfo(pages.catalogue.municipality.timezone)
    return Labels(
        pages.catalogue, pages.channels, pages.providers, page_language(request, language), zone
    )


def _with_query(request: Request, **params: str) -> str:
    """This page's path and query with some parameters replaced (links stay on this site)."""
    url = request.url.include_query_params(**params)
    return f"{url.path}?{url.query}"


def _message(labels: Labels, kind: str, name: str | None) -> str | None:
    """A flash message named in the query string; only known ones, never text from outside."""
    key = FLASH[kind].get(name or "")
    return labels.text(key) if key else None


def render(
    request: Request,
    pages: Pages,
    template: str,
    *,
    user: StaffUser | None = None,
    status_code: int = 200,
    language: Language | None = None,
    error: str | None = None,
    **context: Any,
) -> HTMLResponse:
    """`error` overrides the flash message the query string names (`?error=key`)."""
    labels = page_labels(request, pages, language)
    language = labels.language
    other: Language = "en" if language == "ar" else "ar"
    nonce = request.cookies.get(CSRF_COOKIE)
    fresh_nonce = nonce is None
    nonce = nonce or new_nonce()
    secret = pages.settings.secret_key.get_secret_value()
    html = _environment.get_template(template).render(
        L=labels,
        gettext=labels.text,
        lang=language,
        dir="rtl" if language == "ar" else "ltr",
        other_lang=other,
        other_lang_name=language_name(other),
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
    pages = Pages(
        services.catalogue, services.channels, services.provider_labels, services.settings
    )
    return render(request, pages, "error.html", status_code=status_code, message_key=message_key)
