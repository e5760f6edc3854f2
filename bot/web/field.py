"""Field work: the dispatch board of every team, and a field member's own task list."""

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import Response

from bot.api.deps import (
    AttachmentsDep,
    CatalogueDep,
    ComplaintsDep,
    SettingsDep,
    StoreDep,
    actor_of,
)
from bot.catalogue import Team
from bot.clock import utc_now
from bot.complaint_record import Complaint
from bot.store.base import ComplaintFilter, Store
from bot.types import Role, Status
from bot.web.complaint_page import apply_change, navigate_url, open_complaint
from bot.web.render import PagesDep, render, sla_state
from bot.web.security import CsrfDep, DeskDep, FieldDep, PageForbidden
from bot.web.uploads import store_photo

router = APIRouter(prefix="/staff", include_in_schema=False)
WORKING = (Status.ASSIGNED, Status.IN_PROGRESS)
BOARD_CARDS = 10
TASKS = 100


@dataclass(frozen=True)
class TeamColumn:
    team: Team
    open: int
    tasks: list[Complaint]


@dataclass(frozen=True)
class Task:
    complaint: Complaint
    sla: str
    navigate_url: str | None


async def _working(store: Store, team: str, limit: int) -> list[Complaint]:
    """A team's open work, oldest first: what should be done next comes first."""
    filters = ComplaintFilter(team=team, status=WORKING, oldest_first=True)
    return (await store.list_complaints(filters, limit, None)).items


@router.get("/board")
async def board(
    request: Request, pages: PagesDep, catalogue: CatalogueDep, store: StoreDep, user: DeskDep
) -> Response:
    teams = catalogue.teams
    workload = await store.open_workload(list(teams))
    columns = [
        TeamColumn(team, workload.get(code, 0), await _working(store, code, BOARD_CARDS))
        for code, team in teams.items()
    ]
    waiting = await store.list_complaints(
        ComplaintFilter(status=(Status.NEW,), oldest_first=True), BOARD_CARDS, None
    )
    open_now = await store.open_count()
    return render(
        request,
        pages,
        "board.html",
        user=user,
        columns=columns,
        waiting=waiting.items,
        # Open work with no field team (the departments' queues): with the teams' columns,
        # every open complaint, the dashboard's "open today".
        unassigned=open_now - sum(workload.values()),
        open_now=open_now,
    )


@router.get("/tasks")
async def tasks(
    request: Request,
    pages: PagesDep,
    catalogue: CatalogueDep,
    settings: SettingsDep,
    store: StoreDep,
    user: FieldDep,
    team: str = "",
) -> Response:
    """A field member sees their own team; a supervisor may look at any team's list."""
    chosen = user.team if user.role == Role.FIELD else team or next(iter(catalogue.teams))
    if chosen not in catalogue.teams:
        raise PageForbidden
    now, soon = utc_now(), settings.sla_due_soon_hours
    items = [
        Task(complaint, sla_state(complaint, now, soon), navigate_url(complaint))
        for complaint in await _working(store, chosen, TASKS)
    ]
    return render(
        request,
        pages,
        "tasks.html",
        user=user,
        team=catalogue.teams[chosen],
        teams=list(catalogue.teams.values()) if user.role != Role.FIELD else [],
        tasks=items,
    )


@router.post("/tasks/{reference}/start")
async def start_task(
    reference: str, complaints: ComplaintsDep, user: FieldDep, _: CsrfDep
) -> Response:
    return await apply_change(
        reference,
        lambda ref: complaints.change_status(ref, Status.IN_PROGRESS, actor_of(user)),
        "/staff/tasks",
    )


@router.post("/tasks/{reference}/done")
async def finish_task(
    reference: str,
    attachments: AttachmentsDep,
    complaints: ComplaintsDep,
    settings: SettingsDep,
    user: FieldDep,
    _: CsrfDep,
    note: Annotated[str, Form(max_length=2000)] = "",
    photo: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """Resolve a task (starting it first if needed), with an optional photo of the result."""
    actor = actor_of(user)

    async def finish(ref: str) -> Complaint:
        complaint = await open_complaint(complaints, user, ref)
        if photo is not None and photo.filename:
            attachment = await store_photo(attachments, settings, photo)
            await complaints.add_attachment(ref, actor, attachment)
        if complaint.status == Status.ASSIGNED:
            await complaints.change_status(ref, Status.IN_PROGRESS, actor, note)
        return await complaints.change_status(ref, Status.RESOLVED, actor, note)

    return await apply_change(reference, finish, "/staff/tasks")
