"""The page a caller's SMS link opens: add a photo and a map pin to the report just made by phone.

The link (`bot.add_link`) names the report, its expiry and a signature; an unsigned, expired or
already used link gets a plain refusal in the report's language and changes nothing. What is
added appears on the complaint (its photos, its map, its public timeline).
"""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import Response
from pydantic import ValidationError

from bot.add_link import claim_key, link_is_valid
from bot.api.deps import AttachmentsDep, ComplaintsDep, SettingsDep, StoreDep
from bot.attachments import UnsupportedMedia
from bot.clock import utc_now
from bot.complaint_record import Attachment, Complaint, Location
from bot.complaints import CITIZEN, ChangeRefused
from bot.settings import Settings
from bot.store.base import Store
from bot.types import Language
from bot.web.portal import coordinate
from bot.web.render import Pages, PagesDep, page_language, render
from bot.web.security import CsrfDep
from bot.web.uploads import UploadTooLarge, store_photo
from bot.words import N_

router = APIRouter(include_in_schema=False)
Expiry = Annotated[int, Form(ge=0)]
Token = Annotated[str, Form(max_length=100)]


async def _linked(
    store: Store, settings: Settings, reference: str, expires: int, token: str
) -> Complaint | None:
    """The report the link is for, when the link is signed for it and not expired."""
    secret = settings.secret_key.get_secret_value()
    if not link_is_valid(secret, reference, expires, token, utc_now()):
        return None
    return await store.get_complaint(reference)


def _page(
    request: Request,
    pages: Pages,
    complaint: Complaint,
    expires: int,
    token: str,
    *,
    status_code: int = 200,
    failure: str | None = None,
    done: bool = False,
) -> Response:
    return render(
        request,
        pages,
        "add_details.html",
        status_code=status_code,
        language=page_language(request, complaint.language),
        reference=complaint.reference,
        expires=expires,
        token=token,
        failure=failure,
        done=done,
        tile_url=pages.settings.map_tile_url,
    )


def _refused(request: Request, pages: Pages, key: str, language: Language) -> Response:
    return render(
        request,
        pages,
        "error.html",
        status_code=403,
        language=page_language(request, language),
        message_key=key,
    )


@router.get("/add/{reference}")
async def add_form(
    request: Request,
    reference: str,
    pages: PagesDep,
    store: StoreDep,
    settings: SettingsDep,
    e: int = 0,
    t: str = "",
) -> Response:
    complaint = await _linked(store, settings, reference, e, t[:100])
    if complaint is None:
        return _refused(request, pages, N_("add.link_invalid"), "ar")
    return _page(request, pages, complaint, e, t)


@router.post("/add/{reference}")
async def add_details(
    request: Request,
    reference: str,
    pages: PagesDep,
    store: StoreDep,
    settings: SettingsDep,
    attachments: AttachmentsDep,
    complaints: ComplaintsDep,
    _: CsrfDep,
    e: Expiry,
    t: Token,
    photo: Annotated[UploadFile | None, File()] = None,
    lat: Annotated[str, Form(max_length=20)] = "",
    lng: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """The photo and/or the pin, added once; the link is spent by its first use."""
    complaint = await _linked(store, settings, reference, e, t)
    if complaint is None:
        return _refused(request, pages, N_("add.link_invalid"), "ar")
    try:
        latitude, longitude = coordinate(lat, 90), coordinate(lng, 180)
        location = (
            Location(lat=latitude, lng=longitude)
            if latitude is not None and longitude is not None
            else None
        )
        attachment: Attachment | None = None
        if photo is not None and photo.filename:
            attachment = await store_photo(attachments, settings, photo)
    except (ValueError, ValidationError, UnsupportedMedia, UploadTooLarge):
        return _page(request, pages, complaint, e, t, status_code=422, failure="error.refused")
    if attachment is None and location is None:
        failure = N_("add.nothing_chosen")
        return _page(request, pages, complaint, e, t, status_code=422, failure=failure)
    now: datetime = utc_now()
    if not (await store.claim_inbound(claim_key(reference, t), now)).first:
        return _refused(request, pages, N_("add.link_used"), complaint.language)
    try:
        await complaints.add_details(reference, CITIZEN, attachment, location)
    except ChangeRefused:
        return _page(request, pages, complaint, e, t, status_code=422, failure="error.refused")
    return _page(request, pages, complaint, e, t, done=True)
