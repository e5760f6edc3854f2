"""Citizen-facing API: report a problem, follow it by reference."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Header
from pydantic import BaseModel, ConfigDict, Field

from bot.api.deps import CatalogueDep, ComplaintsDep, LanguageDep
from bot.catalogue import Catalogue
from bot.channel_directory import PORTAL
from bot.complaint_record import Complaint, HistoryEntry, Location
from bot.complaints import Actor, NewComplaint
from bot.phone import mask_phone
from bot.reference import parse_reference
from bot.types import Language, Status
from bot.words import text
from bot.workflow import status_label

router = APIRouter(prefix="/api/complaints", tags=["citizen"])


class CitizenReport(BaseModel):
    """Only what a citizen may say; status, priority or assignee here is refused (422)."""

    model_config = ConfigDict(extra="forbid")

    description: Annotated[str, Field(min_length=3, max_length=2000)]
    phone: Annotated[str, Field(min_length=5, max_length=20)]
    category: Annotated[str, Field(max_length=40)] | None = None
    district: Annotated[str, Field(max_length=40)] | None = None
    location: Location | None = None
    name: Annotated[str, Field(max_length=100)] | None = None
    language: Language | None = None


class TimelineStep(BaseModel):
    at: datetime
    status: Status
    label: str


class CitizenComplaint(BaseModel):
    reference: str
    status: Status
    status_label: str
    category: str | None
    category_label: str | None
    district_label: str | None
    phone: str
    created_at: datetime
    updated_at: datetime
    expected_by: datetime
    timeline: list[TimelineStep]


def _timeline_step(entry: HistoryEntry, language: Language) -> TimelineStep:
    status = Status(entry.new) if entry.field == "status" and entry.new else Status.NEW
    received = entry.field == "created"
    label = text("timeline.created", language) if received else status_label(status, language)
    return TimelineStep(at=entry.at, status=status, label=label)


def citizen_view(
    complaint: Complaint, catalogue: Catalogue, language: Language
) -> CitizenComplaint:
    """What the citizen may see: no internal notes, no staff names, the phone masked."""
    timeline = [
        _timeline_step(entry, language)
        for entry in complaint.history
        if not entry.internal and entry.field in ("created", "status")
    ]
    category = catalogue.categories.get(complaint.category or "")
    district = catalogue.districts.get(complaint.district or "")
    return CitizenComplaint(
        reference=complaint.reference,
        status=complaint.status,
        status_label=status_label(complaint.status, language),
        category=complaint.category,
        category_label=category.name.get(language) if category else None,
        district_label=district.name.get(language) if district else None,
        phone=mask_phone(complaint.phone),
        created_at=complaint.created_at,
        updated_at=complaint.updated_at,
        expected_by=complaint.sla_due_at,
        timeline=timeline,
    )


@router.post("", status_code=201)
async def report_problem(
    report: CitizenReport,
    complaints: ComplaintsDep,
    catalogue: CatalogueDep,
    language: LanguageDep,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> CitizenComplaint:
    """Create a complaint; a repeated `Idempotency-Key` returns the first one."""
    new = NewComplaint(
        channel=PORTAL,
        language=report.language or language,
        description=report.description,
        category=report.category,
        district=report.district,
        location=report.location,
        phone=report.phone,
        name=report.name,
        idempotency_key=f"portal:{idempotency_key}" if idempotency_key else None,
    )
    result = await complaints.create(new, Actor("citizen", "citizen"))
    return citizen_view(result.complaint, catalogue, new.language)


@router.get("/{reference}")
async def follow_report(
    reference: str, complaints: ComplaintsDep, catalogue: CatalogueDep, language: LanguageDep
) -> CitizenComplaint:
    complaint = await complaints.get(parse_reference(reference))
    return citizen_view(complaint, catalogue, language)
