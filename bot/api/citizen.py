"""Citizen-facing API: report a problem, prove the phone, follow the report.

Reports are limited per client address and per phone (bot/intake.py, 429). Following a
report needs the same proof as the portal (bot/report_access.py): `?t=` the tracking token
(given when the report is made, and in the SMS link) or `?digits=` the phone's last four.
A typed phone gets one code by SMS (bot/phone_check.py); until it is entered at
`POST /api/complaints/{reference}/phone-verification`, no other message goes to it.
"""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from bot.api.deps import CatalogueDep, ComplaintsDep, LanguageDep, SettingsDep, StoreDep
from bot.api.errors import ApiError, TooManyRequests
from bot.catalogue import Catalogue
from bot.channel_directory import PORTAL
from bot.client_address import client_address
from bot.complaint_record import Complaint, HistoryEntry, Location
from bot.complaints import Actor, NewComplaint
from bot.intake import ReportsLimited, admit_report, client_key
from bot.phone import mask_phone
from bot.phone_check import PROOF_WORDS, Proof
from bot.reference import parse_reference
from bot.report_access import LookupsLimited, open_report
from bot.tracking_link import tracking_token
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
    phone_verified: bool  # false: a code went to the phone; nothing else will until it is entered
    tracking_token: str | None = None  # the proof to follow the report (given once, on creation)


class PhoneCode(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: Annotated[str, Field(min_length=1, max_length=20)]


class PhoneVerification(BaseModel):
    phone_verified: bool


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
        phone_verified=complaint.phone_verified,
    )


@router.post("", status_code=201)
async def report_problem(
    report: CitizenReport,
    request: Request,
    catalogue: CatalogueDep,
    complaints: ComplaintsDep,
    settings: SettingsDep,
    store: StoreDep,
    language: LanguageDep,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> CitizenComplaint:
    """Create a complaint; a repeated `Idempotency-Key` returns the first one."""
    secret = settings.secret_key.get_secret_value()
    try:
        client = client_key(secret, client_address(request))
        await admit_report(store, settings, client=client, typed_phone=report.phone)
    except ReportsLimited as limited:
        raise TooManyRequests("too_many_reports", language, limited.retry_after) from None
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
    view = citizen_view(result.complaint, catalogue, new.language)
    view.tracking_token = tracking_token(secret, result.complaint.reference)
    return view


async def proven_report(
    reference: str,
    request: Request,
    settings: SettingsDep,
    store: StoreDep,
    language: LanguageDep,
    t: Annotated[str, Query(max_length=100)] = "",
    digits: Annotated[str, Query(max_length=10)] = "",
) -> Complaint:
    """The report its proof opens (`?t=` its tracking token, or `?digits=` the phone's last
    four): 403 without proof, 404 for a wrong one (as for no report at all), 429 past the
    guessing limit."""
    canonical = parse_reference(reference)
    if not (t or digits):
        raise ApiError(403, "proof_required", text("error.proof_required", language, "web"))
    try:
        complaint = await open_report(
            store, settings, canonical, client_address(request), token=t, digits=digits
        )
    except LookupsLimited as limited:
        raise TooManyRequests("too_many_attempts", language, limited.retry_after) from None
    if complaint is None:
        raise ApiError(404, "complaint_not_found", text("error.not_proven", language, "web"))
    return complaint


ProvenReport = Annotated[Complaint, Depends(proven_report)]


@router.get("/{reference}")
async def follow_report(
    complaint: ProvenReport, catalogue: CatalogueDep, language: LanguageDep
) -> CitizenComplaint:
    return citizen_view(complaint, catalogue, language)


@router.post("/{reference}/phone-verification")
async def verify_phone(
    complaint: ProvenReport, body: PhoneCode, complaints: ComplaintsDep, language: LanguageDep
) -> PhoneVerification:
    """The code sent to the report's phone; right, the messages held for it leave."""
    proof = await complaints.verify_phone(complaint.reference, body.code)
    if proof in (Proof.VERIFIED, Proof.NOT_NEEDED):
        return PhoneVerification(phone_verified=proof is Proof.VERIFIED or complaint.phone_verified)
    message = text(PROOF_WORDS[proof], language, "web", reference=complaint.reference)
    raise ApiError(422, f"code_{proof.value}", message)
