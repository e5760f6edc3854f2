"""The citizen portal: report a problem ("your voice is heard") and track a report.

A report is opened with its reference and the last four digits of the phone, or with the
signed link from the SMS; both lead to `/track/{reference}?t=<token>`, and every action on
the page carries that token. Failed look-ups are limited per address and per reference.
A citizen's forms only ever reach the citizen's own moves (comment, photo, confirm,
reopen, rate): there is no field through which status, team or assignee could be set.
"""

import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel

from bot.api.deps import AttachmentsDep, CatalogueDep, ComplaintsDep, SettingsDep, StoreDep
from bot.attachments import AttachmentStorage, UnsupportedMedia
from bot.catalogue import Catalogue
from bot.channel_directory import PORTAL
from bot.client_address import client_address
from bot.clock import utc_now
from bot.complaint_record import Attachment, Complaint, Location, Subscriber, Why
from bot.complaints import (
    CITIZEN,
    ChangeRefused,
    ComplaintNotFound,
    ComplaintService,
    NewComplaint,
)
from bot.digits import strip_number, to_ascii_digits
from bot.intake import ReportsLimited, admit_report, client_key
from bot.nearby import open_reports_near
from bot.phone import InvalidPhone, format_countries, mask_phone, normalise_phone
from bot.phone_check import Proof
from bot.reference import InvalidReference, parse_reference
from bot.report_access import LookupsLimited, open_report
from bot.settings import Settings
from bot.store.base import Store, VersionConflict
from bot.tracking_link import token_is_valid, tracking_token
from bot.types import Status
from bot.upload_claims import keep_unclaimed
from bot.web.complaint_page import attachment_file
from bot.web.render import Pages, PagesDep, page_labels, page_language, render
from bot.web.security import CsrfDep
from bot.web.timeline import citizen_timeline
from bot.web.uploads import UploadTooLarge, attachment_token, store_photo, token_attachment
from bot.words import N_
from bot.workflow import TransitionRefused

router = APIRouter(include_in_schema=False)
Token = Annotated[str, Form(max_length=100)]
Text = Annotated[str, Form(max_length=2000)]
WIDGET_SCRIPT = "/webchat/widget.js"  # served by the web chat channel
PHOTO_PURPOSE = b"balagh-portal-photo:"
MIN_SUBMISSION = 8
MIN_DESCRIPTION = 3
MAX_DESCRIPTION = 2000
MAX_NAME = 100
RESIDENT_FILES = {"photo": N_("field.photo"), "voice": N_("field.recording")}  # label keys


def _secret(settings: Settings) -> str:
    return settings.secret_key.get_secret_value()


def _track_url(settings: Settings, reference: str, extra: str = "") -> str:
    return f"/track/{reference}?t={tracking_token(_secret(settings), reference)}{extra}"


@router.get("/")
async def home(request: Request, pages: PagesDep) -> Response:
    return render(request, pages, "portal_home.html")


class ReportForm(BaseModel):
    """What the resident typed, kept as typed so a refused form comes back filled in."""

    description: str = ""
    phone: str = ""
    submission: str = ""
    category: str = ""
    district: str = ""
    name: str = ""
    address: str = ""
    lat: str = ""
    lng: str = ""
    photo_token: str = ""  # a photo already accepted, when the form comes back
    follow: str = ""  # an open report nearby the resident chose: join it, file nothing


FieldErrors = dict[str, str]  # form field → message key (portal.error.*)


def _report_page(
    request: Request,
    pages: Pages,
    complaints: ComplaintService,
    form: ReportForm | None = None,
    errors: FieldErrors | None = None,
    status_code: int = 200,
    failure: str | None = None,
) -> Response:
    labels = page_labels(request, pages)
    form = form or ReportForm()
    return render(
        request,
        pages,
        "portal_report.html",
        status_code=status_code,
        form=form,
        errors=errors or {},
        failure=failure,
        countries=format_countries(complaints.rules.country_codes),
        max_photo_mb=pages.settings.max_upload_bytes // 1_000_000,
        categories=[(code, labels.category(code)) for code in pages.catalogue.categories],
        districts=[(code, labels.district(code)) for code in pages.catalogue.districts],
        submission=form.submission if len(form.submission) >= MIN_SUBMISSION else _submission(),
        tile_url=pages.settings.map_tile_url,
        widget_script=WIDGET_SCRIPT,
    )


def _submission() -> str:
    return secrets.token_urlsafe(16)


@router.get("/report")
async def report_form(request: Request, pages: PagesDep, complaints: ComplaintsDep) -> Response:
    return _report_page(request, pages, complaints)


def coordinate(text: str, limit: float) -> float | None:
    cleaned = to_ascii_digits(text).replace("٫", ".").strip()
    if not cleaned:
        return None
    value = float(cleaned)  # ValueError: not a number
    if not -limit <= value <= limit:
        raise ValueError(f"{value} is outside ±{limit}")
    return value


def _location(form: ReportForm, errors: FieldErrors) -> Location | None:
    try:
        latitude, longitude = coordinate(form.lat, 90), coordinate(form.lng, 180)
    except ValueError:
        errors["location"] = N_("portal.error.location")
        return None
    if latitude is None and not form.address.strip():
        return None
    return Location(lat=latitude, lng=longitude, address=form.address.strip()[:300] or None)


def _check_text(
    form: ReportForm, complaints: ComplaintService, catalogue: Catalogue, errors: FieldErrors
) -> None:
    description = form.description.strip()
    if len(description) < MIN_DESCRIPTION:
        errors["description"] = N_("portal.error.description_short")
    elif len(description) > MAX_DESCRIPTION:
        errors["description"] = N_("portal.error.description_long")
    if not form.phone.strip():
        errors["phone"] = N_("portal.error.phone_missing")
    else:
        try:
            phone = normalise_phone(form.phone)
        except InvalidPhone:
            errors["phone"] = N_("portal.error.phone_invalid")
        else:
            if not complaints.rules.serves(phone):
                errors["phone"] = N_("report.phone_not_served")
    if form.category and form.category not in catalogue.categories:
        errors["category"] = N_("portal.error.choice")
    if form.district and form.district not in catalogue.districts:
        errors["district"] = N_("portal.error.choice")
    if len(form.name) > MAX_NAME:
        errors["name"] = N_("portal.error.name_long")


async def _photo(
    attachments: AttachmentStorage,
    store: Store,
    settings: Settings,
    form: ReportForm,
    photo: UploadFile | None,
    errors: FieldErrors,
) -> Attachment | None:
    """A new photo, else the one accepted when the form came back; its token is kept."""
    secret = _secret(settings)
    if photo is not None and photo.filename:
        try:
            attachment = await store_photo(attachments, settings, photo)
        except UploadTooLarge:
            errors["photo"] = N_("portal.error.photo_large")
            return None
        except UnsupportedMedia:
            errors["photo"] = N_("portal.error.photo_type")
            return None
        # the form may come back refused and be left: unclaimed, the worker deletes it
        await keep_unclaimed(store, attachment.storage_key, utc_now())
        form.photo_token = attachment_token(secret, PHOTO_PURPOSE, form.submission, attachment)
        return attachment
    if form.photo_token:
        return token_attachment(secret, PHOTO_PURPOSE, form.submission, form.photo_token)
    return None


@router.post("/report")
async def report(
    request: Request,
    pages: PagesDep,
    catalogue: CatalogueDep,
    complaints: ComplaintsDep,
    store: StoreDep,
    settings: SettingsDep,
    attachments: AttachmentsDep,
    _: CsrfDep,
    form: Annotated[ReportForm, Form()],
    photo: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """Create the complaint like the citizen API does; a double submit creates it once.

    Anything wrong comes back as this page, in its language, filled in as it was sent,
    with the problem beside its field (never a bare error body).
    """
    errors: FieldErrors = {}
    if len(form.submission) < MIN_SUBMISSION:
        form.submission = _submission()
    try:  # before anything is stored; joining a report counts too (it messages the phone)
        client = client_key(_secret(settings), client_address(request))
        await admit_report(store, settings, client=client, typed_phone=form.phone)
    except ReportsLimited as limited:
        page = _report_page(
            request, pages, complaints, form, status_code=429, failure=N_("limit.too_many_reports")
        )
        page.headers["Retry-After"] = str(limited.retry_after)
        return page
    if form.follow:
        return await _follow(request, pages, complaints, form)
    _check_text(form, complaints, catalogue, errors)
    location = _location(form, errors)
    attachment = await _photo(attachments, store, settings, form, photo, errors)
    if errors:
        return _report_page(request, pages, complaints, form, errors, status_code=422)
    new = NewComplaint(
        channel=PORTAL,
        language=page_language(request),
        description=form.description.strip(),
        category=form.category or None,
        district=form.district or None,
        location=location,
        phone=form.phone,
        name=form.name.strip() or None,
        attachments=[attachment] if attachment else [],
        idempotency_key=f"portal-form:{form.submission}",
    )
    result = await complaints.create(new, CITIZEN)
    reference = result.complaint.reference
    return RedirectResponse(_track_url(settings, reference, "&created=1"), status_code=303)


async def _follow(
    request: Request, pages: Pages, complaints: ComplaintService, form: ReportForm
) -> Response:
    """Join an open report nearby instead of filing the same problem again."""
    errors: FieldErrors = {}
    try:
        phone = normalise_phone(form.phone) if form.phone.strip() else None
    except InvalidPhone:
        phone = None
    if phone is None:
        errors["phone"] = N_("portal.error.phone_to_follow")
    elif not complaints.rules.serves(phone):
        errors["phone"] = N_("report.phone_not_served")
    if errors:
        return _report_page(request, pages, complaints, form, errors, status_code=422)
    subscriber = Subscriber(
        channel=PORTAL, language=page_language(request), phone=phone, at=utc_now()
    )
    try:
        complaint = await complaints.subscribe(parse_reference(form.follow), subscriber)
    except (InvalidReference, ComplaintNotFound, ChangeRefused):
        errors["follow"] = N_("portal.error.follow_closed")
        return _report_page(request, pages, complaints, form, errors, status_code=422)
    return render(request, pages, "portal_following.html", c=complaint)


@router.get("/report/nearby")
async def nearby(
    request: Request,
    pages: PagesDep,
    catalogue: CatalogueDep,
    store: StoreDep,
    category: Annotated[str, Query(max_length=40)],
    lat: Annotated[float, Query(ge=-90, le=90)],
    lng: Annotated[float, Query(ge=-180, le=180)],
) -> list[dict[str, object]]:
    """Open reports of this category near the pin, for "is it one of these?" (the report
    form asks once a place and a category are chosen): what, how far, since when, where it
    stands; never anyone's words, photos or phone."""
    if category not in catalogue.categories:
        return []
    labels = page_labels(request, pages)
    found = await open_reports_near(store, category, lat, lng)
    return [
        {
            "reference": report.complaint.reference,
            "category": labels.category(report.complaint.category),
            "meters": report.meters,
            "distance": labels.text("nearby.meters", meters=labels.digits(str(report.meters))),
            "reported": labels.dated(report.complaint.created_at),
            "status": labels.status(report.complaint.status),
        }
        for report in found
    ]


@router.get("/track")
async def track_form(request: Request, pages: PagesDep) -> Response:
    return render(request, pages, "portal_track.html", failure=None)


@router.post("/track")
async def track(
    request: Request,
    pages: PagesDep,
    store: StoreDep,
    settings: SettingsDep,
    _: CsrfDep,
    reference: Annotated[str, Form(max_length=30)],
    digits: Annotated[str, Form(max_length=10)],
) -> Response:
    """Reference + last four digits of the phone → the signed tracking page."""
    try:
        complaint = await open_report(
            store, settings, reference, client_address(request), digits=digits
        )
    except LookupsLimited:
        return render(
            request, pages, "portal_track.html", status_code=429, failure=N_("portal.limited")
        )
    if complaint is None:
        return render(
            request, pages, "portal_track.html", status_code=404, failure=N_("portal.not_found")
        )
    return RedirectResponse(_track_url(settings, complaint.reference), status_code=303)


async def _authorised(
    store: Store, settings: Settings, reference: str, token: str
) -> Complaint | None:
    """The complaint if the token is its signature, else None."""
    try:
        canonical = parse_reference(reference)
    except InvalidReference:
        return None
    if not token_is_valid(_secret(settings), canonical, token):
        return None
    return await store.get_complaint(canonical)


@router.get("/track/{reference}")
async def tracked(
    reference: str,
    request: Request,
    pages: PagesDep,
    settings: SettingsDep,
    store: StoreDep,
    t: str = "",
    created: str = "",
) -> Response:
    complaint = await open_report(store, settings, reference, client_address(request), token=t)
    if complaint is None:
        return render(
            request,
            pages,
            "portal_track.html",
            status_code=403,
            failure=N_("portal.link_invalid"),
        )
    labels = page_labels(request, pages, complaint.language)
    files = f"/track/{complaint.reference}/attachments"
    return render(
        request,
        pages,
        "portal_view.html",
        attachments=[
            {
                "kind": item.kind,
                "url": f"{files}/{index}?t={quote(t)}",
                "label": f"{labels.text(RESIDENT_FILES[item.kind])} {number}",
            }
            for number, (index, item) in enumerate(resident_attachments(complaint), 1)
        ],
        language=complaint.language,
        c=complaint,
        token=t,
        created=bool(created),
        entries=citizen_timeline(complaint, labels),
        can_answer=complaint.status == Status.RESOLVED,
        can_rate=complaint.status in (Status.RESOLVED, Status.CLOSED)
        and complaint.satisfaction is None,
        awaits_code=complaint.phone_check is not None and not complaint.phone_verified,
        masked_phone=mask_phone(complaint.phone),
        location=complaint.location,
        tile_url=settings.map_tile_url,
    )


def resident_attachments(complaint: Complaint) -> list[tuple[int, Attachment]]:
    """What the resident attached (photos, a voice description) with its index; not staff's
    photos or whole-call recordings."""
    by_staff = {
        entry.new
        for entry in complaint.history
        if entry.field == "attachment" and entry.actor != CITIZEN.name
    }
    return [
        (index, attachment)
        for index, attachment in enumerate(complaint.attachments)
        if attachment.kind in RESIDENT_FILES and attachment.storage_key not in by_staff
    ]


@router.get("/track/{reference}/attachments/{index}")
async def attachment(
    reference: str,
    index: int,
    store: StoreDep,
    settings: SettingsDep,
    attachments: AttachmentsDep,
    t: str = "",
) -> Response:
    """One of the resident's files, to whoever holds the report's signed link."""
    complaint = await _authorised(store, settings, reference, t)
    if complaint is None:
        return Response(status_code=403)
    if index not in dict(resident_attachments(complaint)):
        return Response(status_code=404)
    return await attachment_file(attachments, complaint, index)


@dataclass(frozen=True)
class CitizenMoves:
    """What the citizen's own moves on their report use, behind its signed link."""

    store: Store
    settings: Settings
    complaints: ComplaintService


async def get_citizen_moves(
    store: StoreDep, settings: SettingsDep, complaints: ComplaintsDep
) -> CitizenMoves:
    return CitizenMoves(store, settings, complaints)


CitizenMovesDep = Annotated[CitizenMoves, Depends(get_citizen_moves)]


async def _citizen_action(
    moves: CitizenMoves,
    reference: str,
    token: str,
    change: Callable[[ComplaintService, str], Awaitable[Complaint]],
) -> Response:
    """Run one of the citizen's own moves and come back to the tracking page."""
    complaint = await _authorised(moves.store, moves.settings, reference, token)
    if complaint is None:
        return Response(status_code=403)
    outcome = "notice=saved"
    try:
        await change(moves.complaints, complaint.reference)
    except (
        TransitionRefused,
        ChangeRefused,
        ComplaintNotFound,
        VersionConflict,
        UnsupportedMedia,
        UploadTooLarge,
        ValueError,
    ):
        outcome = "error=refused"
    back = f"/track/{quote(complaint.reference)}?t={quote(token)}&{outcome}"
    return RedirectResponse(back, status_code=303)


@router.post("/track/{reference}/comment")
async def comment(
    reference: str,
    moves: CitizenMovesDep,
    _: CsrfDep,
    t: Token,
    text: Text,
) -> Response:
    return await _citizen_action(
        moves,
        reference,
        t,
        lambda changes, ref: changes.post_message(ref, CITIZEN, text),
    )


@router.post("/track/{reference}/photo")
async def add_photo(
    reference: str,
    moves: CitizenMovesDep,
    attachments: AttachmentsDep,
    _: CsrfDep,
    t: Token,
    photo: Annotated[UploadFile, File()],
) -> Response:
    async def attach(changes: ComplaintService, ref: str) -> Complaint:
        return await changes.add_attachment(
            ref, CITIZEN, await store_photo(attachments, moves.settings, photo)
        )

    return await _citizen_action(moves, reference, t, attach)


@router.post("/track/{reference}/confirm")
async def confirm(reference: str, moves: CitizenMovesDep, _: CsrfDep, t: Token) -> Response:
    """The fix is confirmed: the report closes."""
    return await _citizen_action(
        moves,
        reference,
        t,
        lambda changes, ref: changes.change_status(
            ref, Status.CLOSED, CITIZEN, "fix confirmed", Why("fix_confirmed")
        ),
    )


@router.post("/track/{reference}/reopen")
async def reopen(
    reference: str,
    moves: CitizenMovesDep,
    _: CsrfDep,
    t: Token,
    text: Text = "",
) -> Response:
    """Not fixed: back in progress (within the catalogue's reopen window)."""
    note = text.strip()  # their own words, else the system's (which pages translate)
    why = None if note else Why("not_fixed")
    return await _citizen_action(
        moves,
        reference,
        t,
        lambda changes, ref: changes.change_status(
            ref, Status.IN_PROGRESS, CITIZEN, note or "not fixed", why
        ),
    )


@router.post("/track/{reference}/rate")
async def rate(
    reference: str,
    moves: CitizenMovesDep,
    _: CsrfDep,
    t: Token,
    score: Annotated[str, Form(max_length=3)],
) -> Response:
    """1-5, in any digits (١-٥ too)."""
    return await _citizen_action(
        moves,
        reference,
        t,
        lambda changes, ref: changes.rate(ref, CITIZEN, int(strip_number(score) or "0")),
    )


@router.post("/track/{reference}/verify")
async def verify_phone(
    reference: str,
    moves: CitizenMovesDep,
    _: CsrfDep,
    t: Token,
    code: Annotated[str, Form(max_length=20)],
) -> Response:
    """The code the SMS brought (any digits): the messages held for the phone leave."""
    complaint = await _authorised(moves.store, moves.settings, reference, t)
    if complaint is None:
        return Response(status_code=403)
    proof = await moves.complaints.verify_phone(complaint.reference, code)
    outcome = "notice=phone_verified" if proof is Proof.VERIFIED else f"error=code_{proof.value}"
    if proof is Proof.NOT_NEEDED:
        outcome = "notice=saved"
    back = f"/track/{quote(complaint.reference)}?t={quote(t)}&{outcome}"
    return RedirectResponse(back, status_code=303)
