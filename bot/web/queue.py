"""The complaint queue: filters, one search box, SLA state at a glance, cursor pages."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from bot.api.deps import SettingsDep, StoreDep
from bot.clock import utc_now
from bot.complaint_record import Complaint
from bot.search import search_fields
from bot.settings import Settings
from bot.store.base import ComplaintFilter, Cursor, InvalidCursor
from bot.types import PRIORITIES, Channel, Priority, Role, Status
from bot.web.render import Labels, PagesDep, SlaState, page_labels, render, sla_state
from bot.web.security import WebStaffDep
from bot.words import N_

router = APIRouter(prefix="/staff", include_in_schema=False)
PAGE_SIZE = 50
SLA_STATES: tuple[SlaState, ...] = ("on_time", "due_soon", "breached")
Code = Annotated[str, Field(max_length=40)]
# What the page says it searched by, when the box held a reference or a phone number.
SEARCHED_AS = {"reference": N_("queue.searched.reference"), "phone": N_("queue.searched.phone")}


class QueueForm(BaseModel):
    """The queue's query string; an empty field means "any"."""

    model_config = ConfigDict(extra="ignore")

    q: Annotated[str, Field(max_length=200)] = ""
    status: Status | Literal[""] = ""
    category: Code = ""
    district: Code = ""
    team: Code = ""
    priority: Priority | Literal[""] = ""
    channel: Channel | Literal[""] = ""
    sla: SlaState | Literal[""] = ""
    sort: Literal["newest", "oldest"] = "newest"
    cursor: Annotated[str, Field(max_length=200)] = ""


@dataclass(frozen=True)
class Row:
    complaint: Complaint
    sla: SlaState


def _sla_filter(state: str, now: datetime, settings: Settings) -> dict[str, datetime]:
    soon = now + timedelta(hours=settings.sla_due_soon_hours)
    return {
        "on_time": {"due_from": soon},
        "due_soon": {"due_from": now, "due_to": soon},
        "breached": {"overdue_at": now},
    }.get(state, {})


def _choices(labels: Labels) -> dict[str, list[tuple[str, str]]]:
    catalogue = labels.catalogue
    return {
        "status": [(status.value, labels.status(status)) for status in Status],
        "category": [(code, labels.category(code)) for code in catalogue.categories],
        "district": [(code, labels.district(code)) for code in catalogue.districts],
        "team": [(code, labels.team(code)) for code in catalogue.teams],
        "priority": [(priority, priority) for priority in PRIORITIES],
        "channel": [(channel.code, labels.channel(channel.code)) for channel in labels.channels],
        "sla": [(state, labels.sla(state)) for state in SLA_STATES],
        "sort": [("newest", labels.text("queue.newest")), ("oldest", labels.text("queue.oldest"))],
    }


@router.get("/queue")
async def queue(
    request: Request,
    pages: PagesDep,
    settings: SettingsDep,
    store: StoreDep,
    user: WebStaffDep,
    form: Annotated[QueueForm, Query()],
) -> Response:
    searched = search_fields(form.q)
    now = utc_now()
    filters = ComplaintFilter(
        status=(form.status,) if form.status else (),
        category=form.category or None,
        district=form.district or None,
        team=user.team if user.role == Role.FIELD else form.team or None,
        priority=form.priority or None,
        channel=form.channel or None,
        oldest_first=form.sort == "oldest",
        **_sla_filter(form.sla, now, settings),
        **searched,
    )
    try:
        cursor = Cursor.decode(form.cursor) if form.cursor else None
    except InvalidCursor:
        cursor = None
    page = await store.list_complaints(filters, PAGE_SIZE, cursor)
    if "reference" in searched and len(page.items) == 1:
        return RedirectResponse(f"/staff/complaints/{searched['reference']}", status_code=303)
    soon = settings.sla_due_soon_hours
    params = form.model_dump(exclude={"cursor"}, exclude_defaults=True)
    return render(
        request,
        pages,
        "queue.html",
        user=user,
        form=form,
        searched=next(
            (
                (SEARCHED_AS[field], value)
                for field, value in searched.items()
                if field in SEARCHED_AS
            ),
            None,
        ),
        choices=_choices(page_labels(request, pages)),
        rows=[Row(complaint, sla_state(complaint, now, soon)) for complaint in page.items],
        next_page_url=(
            f"/staff/queue?{urlencode({**params, 'cursor': page.next_cursor})}"
            if page.next_cursor
            else None
        ),
        first_page_url=f"/staff/queue?{urlencode(params)}" if cursor else None,
    )
