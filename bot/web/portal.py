"""The citizen portal: report a problem ("your voice is heard") and track a report.

A report is opened with its reference and the last four digits of the phone, or with the
signed link from the SMS; both lead to `/track/{reference}?t=<token>`, and every action on
the page carries that token. Failed look-ups are limited per address and per reference.
A citizen's forms only ever reach the citizen's own moves (comment, photo, confirm,
reopen, rate): there is no field through which status, team or assignee could be set.
"""

import secrets
from collections.abc import Awaitable, Callable
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from bot.api.deps import ServicesDep
from bot.attachments import UnsupportedMedia
from bot.channel_directory import PORTAL
from bot.client_address import client_address
from bot.complaint_record import Attachment, Complaint, Location
from bot.complaints import (
    CITIZEN,
    ChangeRefused,
    ComplaintNotFound,
    ComplaintService,
    NewComplaint,
    UnknownCode,
)
from bot.digits import strip_number, to_ascii_digits
from bot.intake import ReportsLimited, admit_report, client_key
from bot.phone import InvalidPhone, PhoneNotServed, format_countries, mask_phone
from bot.phone_check import Proof
from bot.reference import InvalidReference, parse_reference
from bot.report_access import LookupsLimited, open_report
from bot.services import Services
from bot.store.base import VersionConflict
from bot.tracking_link import token_is_valid, tracking_token
from bot.types import Status
from bot.web.complaint_page import attachment_file, attachment_views
from bot.web.render import page_labels, page_language, render
from bot.web.security import CsrfDep
from bot.web.timeline import citizen_timeline
from bot.web.uploads import UploadTooLarge, store_photo
from bot.words import N_
from bot.workflow import TransitionRefused

router = APIRouter(include_in_schema=False)
Token = Annotated[str, Form(max_length=100)]
Text = Annotated[str, Form(max_length=2000)]
WIDGET_SCRIPT = "/webchat/widget.js"  # served by the web chat channel


def _secret(services: Services) -> str:
    return services.settings.secret_key.get_secret_value()


def _track_url(services: Services, reference: str, extra: str = "") -> str:
    return f"/track/{reference}?t={tracking_token(_secret(services), reference)}{extra}"


@router.get("/")
async def home(request: Request, services: ServicesDep) -> Response:
    return render(request, services, "portal_home.html")


def _report_page(
    request: Request, services: Services, status_code: int = 200, failure: str | None = None
) -> Response:
    labels = page_labels(request, services)
    return render(
        request,
        services,
        "portal_report.html",
        status_code=status_code,
        failure=failure,
        countries=format_countries(services.complaints.rules.country_codes),
        categories=[(code, labels.category(code)) for code in services.catalogue.categories],
        districts=[(code, labels.district(code)) for code in services.catalogue.districts],
        submission=secrets.token_urlsafe(16),
        tile_url=services.settings.map_tile_url,
        widget_script=WIDGET_SCRIPT,
    )


@router.get("/report")
async def report_form(request: Request, services: ServicesDep) -> Response:
    return _report_page(request, services)


def _coordinate(text: str) -> float | None:
    cleaned = to_ascii_digits(text).replace("٫", ".").strip()
    return float(cleaned) if cleaned else None


@router.post("/report")
async def report(
    request: Request,
    services: ServicesDep,
    _: CsrfDep,
    description: Annotated[str, Form(min_length=3, max_length=2000)],
    phone: Annotated[str, Form(max_length=20)],
    submission: Annotated[str, Form(min_length=8, max_length=40)],
    category: Annotated[str, Form(max_length=40)] = "",
    district: Annotated[str, Form(max_length=40)] = "",
    name: Annotated[str, Form(max_length=100)] = "",
    address: Annotated[str, Form(max_length=300)] = "",
    lat: Annotated[str, Form(max_length=20)] = "",
    lng: Annotated[str, Form(max_length=20)] = "",
    photo: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """Create the complaint like the citizen API does; a double submit creates it once."""
    try:
        client = client_key(_secret(services), client_address(request))
        await admit_report(services, client=client, typed_phone=phone)
    except ReportsLimited as limited:
        page = _report_page(request, services, 429, N_("limit.too_many_reports"))
        page.headers["Retry-After"] = str(limited.retry_after)
        return page
    try:
        latitude, longitude = _coordinate(lat), _coordinate(lng)
        location = (
            Location(lat=latitude, lng=longitude, address=address.strip() or None)
            if latitude is not None or address.strip()
            else None
        )
        attachments: list[Attachment] = []
        if photo is not None and photo.filename:
            attachments.append(await store_photo(services, photo))
        new = NewComplaint(
            channel=PORTAL,
            language=page_language(request),
            description=description.strip(),
            category=category or None,
            district=district or None,
            location=location,
            phone=phone,
            name=name.strip() or None,
            attachments=attachments,
            idempotency_key=f"portal-form:{submission}",
        )
        result = await services.complaints.create(new, CITIZEN)
    except PhoneNotServed:
        return _report_page(request, services, 422, N_("report.phone_not_served"))
    except (ValueError, ValidationError, InvalidPhone, UnknownCode, UploadTooLarge):
        return _report_page(request, services, 422, N_("error.refused"))
    reference = result.complaint.reference
    return RedirectResponse(_track_url(services, reference, "&created=1"), status_code=303)


@router.get("/track")
async def track_form(request: Request, services: ServicesDep) -> Response:
    return render(request, services, "portal_track.html", failure=None)


@router.post("/track")
async def track(
    request: Request,
    services: ServicesDep,
    _: CsrfDep,
    reference: Annotated[str, Form(max_length=30)],
    digits: Annotated[str, Form(max_length=10)],
) -> Response:
    """Reference + last four digits of the phone → the signed tracking page."""
    try:
        complaint = await open_report(services, reference, client_address(request), digits=digits)
    except LookupsLimited:
        return render(
            request, services, "portal_track.html", status_code=429, failure=N_("portal.limited")
        )
    if complaint is None:
        return render(
            request, services, "portal_track.html", status_code=404, failure=N_("portal.not_found")
        )
    return RedirectResponse(_track_url(services, complaint.reference), status_code=303)


async def _authorised(services: Services, reference: str, token: str) -> Complaint | None:
    """The complaint if the token is its signature, else None."""
    try:
        canonical = parse_reference(reference)
    except InvalidReference:
        return None
    if not token_is_valid(_secret(services), canonical, token):
        return None
    return await services.store.get_complaint(canonical)


@router.get("/track/{reference}")
async def tracked(
    reference: str, request: Request, services: ServicesDep, t: str = "", created: str = ""
) -> Response:
    complaint = await open_report(services, reference, client_address(request), token=t)
    if complaint is None:
        return render(
            request,
            services,
            "portal_track.html",
            status_code=403,
            failure=N_("portal.link_invalid"),
        )
    labels = page_labels(request, services, complaint.language)
    return render(
        request,
        services,
        "portal_view.html",
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
        tile_url=services.settings.map_tile_url,
        attachments=attachment_views(
            complaint, labels, f"/track/{complaint.reference}/attachments", f"?t={quote(t)}"
        ),
    )


@router.get("/track/{reference}/attachments/{index}")
async def attachment(reference: str, index: int, services: ServicesDep, t: str = "") -> Response:
    """A photo or recording of the report, to whoever holds its signed link."""
    complaint = await _authorised(services, reference, t)
    if complaint is None:
        return Response(status_code=403)
    return await attachment_file(services, complaint, index)


async def _citizen_action(
    services: Services,
    reference: str,
    token: str,
    change: Callable[[ComplaintService, str], Awaitable[Complaint]],
) -> Response:
    """Run one of the citizen's own moves and come back to the tracking page."""
    complaint = await _authorised(services, reference, token)
    if complaint is None:
        return Response(status_code=403)
    outcome = "notice=saved"
    try:
        await change(services.complaints, complaint.reference)
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
    reference: str, services: ServicesDep, _: CsrfDep, t: Token, text: Text
) -> Response:
    return await _citizen_action(
        services, reference, t, lambda changes, ref: changes.post_message(ref, CITIZEN, text)
    )


@router.post("/track/{reference}/photo")
async def add_photo(
    reference: str,
    services: ServicesDep,
    _: CsrfDep,
    t: Token,
    photo: Annotated[UploadFile, File()],
) -> Response:
    async def attach(changes: ComplaintService, ref: str) -> Complaint:
        return await changes.add_attachment(ref, CITIZEN, await store_photo(services, photo))

    return await _citizen_action(services, reference, t, attach)


@router.post("/track/{reference}/confirm")
async def confirm(reference: str, services: ServicesDep, _: CsrfDep, t: Token) -> Response:
    """The fix is confirmed: the report closes."""
    return await _citizen_action(
        services,
        reference,
        t,
        lambda changes, ref: changes.change_status(ref, Status.CLOSED, CITIZEN, "fix confirmed"),
    )


@router.post("/track/{reference}/reopen")
async def reopen(
    reference: str, services: ServicesDep, _: CsrfDep, t: Token, text: Text = ""
) -> Response:
    """Not fixed: back in progress (within the catalogue's reopen window)."""
    note = text.strip() or "not fixed"
    return await _citizen_action(
        services,
        reference,
        t,
        lambda changes, ref: changes.change_status(ref, Status.IN_PROGRESS, CITIZEN, note),
    )


@router.post("/track/{reference}/rate")
async def rate(
    reference: str,
    services: ServicesDep,
    _: CsrfDep,
    t: Token,
    score: Annotated[str, Form(max_length=3)],
) -> Response:
    """1-5, in any digits (١-٥ too)."""
    return await _citizen_action(
        services,
        reference,
        t,
        lambda changes, ref: changes.rate(ref, CITIZEN, int(strip_number(score) or "0")),
    )


@router.post("/track/{reference}/verify")
async def verify_phone(
    reference: str,
    services: ServicesDep,
    _: CsrfDep,
    t: Token,
    code: Annotated[str, Form(max_length=20)],
) -> Response:
    """The code the SMS brought (any digits): the messages held for the phone leave."""
    complaint = await _authorised(services, reference, t)
    if complaint is None:
        return Response(status_code=403)
    proof = await services.complaints.verify_phone(complaint.reference, code)
    outcome = "notice=phone_verified" if proof is Proof.VERIFIED else f"error=code_{proof.value}"
    if proof is Proof.NOT_NEEDED:
        outcome = "notice=saved"
    back = f"/track/{quote(complaint.reference)}?t={quote(t)}&{outcome}"
    return RedirectResponse(back, status_code=303)
