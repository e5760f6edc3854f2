"""Staff API: the complaint queue and every change staff make to a complaint."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from bot.api.deps import ComplaintsDep, DeskStaffDep, ManagerDep, StaffDep, StoreDep, actor_of
from bot.complaint_record import Complaint
from bot.complaints import ComplaintService, NotPermitted
from bot.phone import normalise_phone
from bot.reference import parse_reference
from bot.search import search_fields
from bot.staff import StaffUser
from bot.store.base import MAX_PAGE_SIZE, ComplaintFilter, Cursor, KpiSummary
from bot.types import Channel, Priority, Role, Status

router = APIRouter(prefix="/api/staff", tags=["staff"])
Note = Annotated[str, Field(max_length=2000)]


class ComplaintPage(BaseModel):
    items: list[Complaint]
    next_cursor: str | None


class AssignRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    team: Annotated[str, Field(max_length=40)] | None = None
    assignee: Annotated[str, Field(max_length=40)] | None = None
    note: Note = ""


class StatusRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: Status
    note: Annotated[str, Field(min_length=1, max_length=2000)]


class DuplicateRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    original: Annotated[str, Field(max_length=30)]
    note: Note = ""


class NoteRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: Annotated[str, Field(min_length=1, max_length=2000)]


@router.get("/complaints")
async def list_complaints(
    store: StoreDep,
    user: StaffDep,
    status: Annotated[list[Status], Query()] = [],  # noqa: B006 - FastAPI copies defaults
    category: Annotated[str | None, Query(max_length=40)] = None,
    district: Annotated[str | None, Query(max_length=40)] = None,
    team: Annotated[str | None, Query(max_length=40)] = None,
    priority: Priority | None = None,
    channel: Channel | None = None,
    assignee: Annotated[str | None, Query(max_length=40)] = None,
    phone: Annotated[str | None, Query(max_length=20)] = None,
    created_from: datetime | None = None,
    created_to: datetime | None = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> ComplaintPage:
    """Newest first; pass `next_cursor` back as `cursor` for the next page.

    `q` is the queue's search box: a reference (any digits, dashes or spaces), a phone
    number (05…, +966…, 00966…, Eastern Arabic digits) or words of the description.
    A field team member sees only their own team's complaints.
    """
    searched = search_fields(q or "")
    if phone:
        searched["phone"] = normalise_phone(phone)
    filters = ComplaintFilter(
        status=tuple(status),
        category=category,
        district=district,
        team=user.team if user.role == Role.FIELD else team,
        priority=priority,
        channel=channel,
        assignee=assignee,
        created_from=created_from,
        created_to=created_to,
        **searched,
    )
    page = await store.list_complaints(filters, limit, Cursor.decode(cursor) if cursor else None)
    return ComplaintPage(items=page.items, next_cursor=page.next_cursor)


async def visible_complaint(
    complaints: ComplaintService, user: StaffUser, reference: str
) -> Complaint:
    complaint = await complaints.get(parse_reference(reference))
    if user.role == Role.FIELD and complaint.team != user.team:
        raise NotPermitted(f"{complaint.reference} belongs to another team")
    return complaint


@router.get("/complaints/{reference}")
async def complaint_detail(reference: str, complaints: ComplaintsDep, user: StaffDep) -> Complaint:
    return await visible_complaint(complaints, user, reference)


@router.post("/complaints/{reference}/assign")
async def assign(
    reference: str, body: AssignRequest, complaints: ComplaintsDep, user: DeskStaffDep
) -> Complaint:
    return await complaints.assign(
        parse_reference(reference),
        actor_of(user),
        team=body.team,
        assignee=body.assignee,
        note=body.note,
    )


@router.post("/complaints/{reference}/status")
async def change_status(
    reference: str, body: StatusRequest, complaints: ComplaintsDep, user: StaffDep
) -> Complaint:
    """Move along the workflow; a move the role may not make is refused with 409."""
    return await complaints.change_status(
        parse_reference(reference), body.status, actor_of(user), body.note
    )


@router.post("/complaints/{reference}/duplicate")
async def mark_duplicate(
    reference: str, body: DuplicateRequest, complaints: ComplaintsDep, user: DeskStaffDep
) -> Complaint:
    return await complaints.mark_duplicate(
        parse_reference(reference), parse_reference(body.original), actor_of(user), body.note
    )


@router.post("/complaints/{reference}/notes")
async def add_note(
    reference: str, body: NoteRequest, complaints: ComplaintsDep, user: StaffDep
) -> Complaint:
    return await complaints.add_note(parse_reference(reference), actor_of(user), body.note)


@router.get("/kpi/summary")
async def kpi_summary(store: StoreDep, _: ManagerDep) -> KpiSummary:
    return await store.kpi_summary()
