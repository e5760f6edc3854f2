"""One complaint for staff: facts, map, media, timeline, and every change staff can make."""

from collections.abc import Awaitable, Callable
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from bot.api.deps import AttachmentsDep, CatalogueDep, ComplaintsDep, SettingsDep, actor_of
from bot.api.staff import visible_complaint
from bot.attachments import AttachmentStorage, UnknownKey, UnsupportedMedia
from bot.catalogue import Catalogue
from bot.clock import utc_now
from bot.complaint_record import Complaint
from bot.complaints import (
    ChangeRefused,
    ComplaintNotFound,
    ComplaintService,
    NotPermitted,
    UnknownCode,
)
from bot.reference import InvalidReference, parse_reference
from bot.staff import StaffUser
from bot.store.base import VersionConflict
from bot.types import Language, Status
from bot.web.render import Labels, PagesDep, error_page, page_labels, render, sla_state
from bot.web.security import DESK, CsrfDep, DeskDep, PageForbidden, WebStaffDep
from bot.web.timeline import staff_timeline
from bot.web.uploads import UploadTooLarge, store_photo
from bot.words import N_
from bot.workflow import TransitionRefused, allowed_next

router = APIRouter(prefix="/staff/complaints", include_in_schema=False)
Note = Annotated[str, Form(max_length=2000)]
# Refusals this page explains with what it knows when shown: the complaint's state, the moves
# open to this user from there, the reopen window (`?error=<name>`).
REFUSALS: dict[str, str] = {
    "transition": N_("error.transition_from"),
    "change.team_required": N_("error.change.team_required"),
    "change.not_reassignable": N_("error.change.not_reassignable"),
    "change.reopen_window": N_("error.change.reopen_window"),
    "change.duplicate_self": N_("error.change.duplicate_self"),
    "change.original_is_duplicate": N_("error.change.original_is_duplicate"),
    "change.no_such_report": N_("error.change.no_such_report"),
    "change.message_empty": N_("error.change.message_empty"),
    "change.reply_empty": N_("error.change.reply_empty"),
    "change.attachments_full": N_("error.change.attachments_full"),
}


def attachment_views(
    complaint: Complaint, labels: Labels, base: str, query: str = ""
) -> list[dict[str, str]]:
    return [
        {
            "kind": attachment.kind,
            "url": f"{base}/{index}{query}",
            "label": f"{labels.text('timeline.attachment')} {index + 1}",
        }
        for index, attachment in enumerate(complaint.attachments)
    ]


def navigate_url(complaint: Complaint) -> str | None:
    """Turn-by-turn directions on the phone's maps app."""
    location = complaint.location
    if location is None or location.lat is None or location.lng is None:
        return None
    return f"https://www.google.com/maps/dir/?api=1&destination={location.lat},{location.lng}"


async def open_complaint(
    complaints: ComplaintService, user: StaffUser, reference: str
) -> Complaint:
    try:
        return await visible_complaint(complaints, user, reference)
    except NotPermitted:
        raise PageForbidden from None


async def apply_change(
    reference: str, change: Callable[[str], Awaitable[Complaint]], back: str | None = None
) -> Response:
    """Run a change and come back (to the complaint) with a notice or why it was refused.

    The complaint page explains a refusal with what it knows when it is shown: the state
    the complaint is in and the moves open to this user from there.
    """
    try:
        await change(parse_reference(reference))
    except TransitionRefused:
        outcome = "error=transition"
    except VersionConflict:
        outcome = "error=conflict"
    except NotPermitted:
        raise PageForbidden from None
    except ChangeRefused as exc:
        known = f"change.{exc.reason}" in REFUSALS
        outcome = f"error=change.{exc.reason}" if known else "error=refused"
    except (InvalidReference, ComplaintNotFound):
        outcome = "error=change.no_such_report"
    except (UnsupportedMedia, UploadTooLarge):
        outcome = "error=media"
    except UnknownCode:
        outcome = "error=refused"
    else:
        outcome = "notice=saved"
    back = back or f"/staff/complaints/{quote(reference)}"
    return RedirectResponse(f"{back}?{outcome}", status_code=303)


def refusal(
    request: Request,
    labels: Labels,
    complaint: Complaint,
    moves: tuple[Status, ...],
    reopen_days: int,
) -> str | None:
    """Why the last change was refused: the rule, the state and what is open from there."""
    key = REFUSALS.get(request.query_params.get("error", ""))
    if key is None:
        return None
    separator = labels.text("list.separator")
    allowed = separator.join(labels.status(status) for status in moves)
    return labels.text(
        key,
        state=labels.status(complaint.status),
        allowed=allowed or labels.text("error.no_moves"),
        days=reopen_days,
    )


@router.get("/{reference}")
async def complaint_page(
    reference: str,
    request: Request,
    pages: PagesDep,
    catalogue: CatalogueDep,
    complaints: ComplaintsDep,
    settings: SettingsDep,
    user: WebStaffDep,
) -> Response:
    try:
        complaint = await open_complaint(complaints, user, parse_reference(reference))
    except (InvalidReference, ComplaintNotFound):
        return error_page(request, N_("error.not_found"), 404)
    labels = page_labels(request, pages)
    moves = allowed_next(complaint.status, user.role)
    return render(
        request,
        pages,
        "complaint.html",
        user=user,
        c=complaint,
        sla=sla_state(complaint, utc_now(), settings.sla_due_soon_hours),
        moves=[(status.value, labels.status(status)) for status in moves],
        error=refusal(request, labels, complaint, moves, catalogue.reopen_days),
        desk=user.role in DESK,
        teams=[(code, labels.team(code)) for code in catalogue.teams],
        replies=labels.replies(complaint.language),
        entries=staff_timeline(complaint, labels),
        attachments=attachment_views(
            complaint, labels, f"/staff/complaints/{complaint.reference}/attachments"
        ),
        location=complaint.location,
        tile_url=settings.map_tile_url,
        navigate_url=navigate_url(complaint),
    )


@router.get("/{reference}/attachments/{index}")
async def attachment(
    reference: str,
    index: int,
    attachments: AttachmentsDep,
    complaints: ComplaintsDep,
    user: WebStaffDep,
) -> Response:
    """A photo or recording, to staff who may see its complaint."""
    try:
        complaint = await open_complaint(complaints, user, parse_reference(reference))
    except (InvalidReference, ComplaintNotFound):
        return Response(status_code=404)
    return await attachment_file(attachments, complaint, index)


async def attachment_file(
    attachments: AttachmentStorage, complaint: Complaint, index: int
) -> Response:
    """One of the complaint's files, to someone already allowed to see the complaint."""
    try:
        item = complaint.attachments[index]
        data = await attachments.read(item.storage_key)
    except (IndexError, UnknownKey):
        return Response(status_code=404)
    return Response(
        data,
        media_type=item.media_type,
        headers={"Cache-Control": "private, max-age=3600", "X-Content-Type-Options": "nosniff"},
    )


@router.post("/{reference}/status")
async def change_status(
    reference: str,
    complaints: ComplaintsDep,
    user: WebStaffDep,
    _: CsrfDep,
    status: Annotated[Status, Form()],
    note: Note,
) -> Response:
    return await apply_change(
        reference, lambda ref: complaints.change_status(ref, status, actor_of(user), note)
    )


@router.post("/{reference}/assign")
async def assign(
    reference: str,
    complaints: ComplaintsDep,
    user: DeskDep,
    _: CsrfDep,
    team: Annotated[str, Form(max_length=40)] = "",
    assignee: Annotated[str, Form(max_length=40)] = "",
    note: Note = "",
) -> Response:
    return await apply_change(
        reference,
        lambda ref: complaints.assign(
            ref, actor_of(user), team=team or None, assignee=assignee.strip() or None, note=note
        ),
    )


def reply_text(catalogue: Catalogue, text: str, template: str, language: Language) -> str:
    """What staff wrote (often a reply template's text, edited), else the chosen reply
    template in the citizen's language."""
    if text.strip():
        return text
    if not template:
        raise ChangeRefused("reply_empty", "write a reply or choose a reply template")
    if template not in catalogue.reply_templates:
        raise UnknownCode(f"unknown reply template '{template}'")
    return catalogue.reply_templates[template].text.get(language)


@router.post("/{reference}/reply")
async def reply(
    reference: str,
    catalogue: CatalogueDep,
    complaints: ComplaintsDep,
    user: DeskDep,
    _: CsrfDep,
    text: Note = "",
    template: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    """The reply joins the timeline and goes to the citizen (outbox) in one write."""

    async def send(ref: str) -> Complaint:
        complaint = await open_complaint(complaints, user, ref)
        message = reply_text(catalogue, text, template, complaint.language)
        return await complaints.post_message(ref, actor_of(user), message)

    return await apply_change(reference, send)


@router.post("/{reference}/duplicate")
async def mark_duplicate(
    reference: str,
    complaints: ComplaintsDep,
    user: DeskDep,
    _: CsrfDep,
    original: Annotated[str, Form(max_length=30)],
    note: Note = "",
) -> Response:
    return await apply_change(
        reference,
        lambda ref: complaints.mark_duplicate(ref, parse_reference(original), actor_of(user), note),
    )


@router.post("/{reference}/note")
async def add_note(
    reference: str, complaints: ComplaintsDep, user: WebStaffDep, _: CsrfDep, note: Note
) -> Response:
    return await apply_change(reference, lambda ref: complaints.add_note(ref, actor_of(user), note))


@router.post("/{reference}/photo")
async def add_photo(
    reference: str,
    attachments: AttachmentsDep,
    complaints: ComplaintsDep,
    settings: SettingsDep,
    user: WebStaffDep,
    _: CsrfDep,
    photo: Annotated[UploadFile, File()],
) -> Response:
    async def attach(ref: str) -> Complaint:
        await open_complaint(complaints, user, ref)
        return await complaints.add_attachment(
            ref, actor_of(user), await store_photo(attachments, settings, photo)
        )

    return await apply_change(reference, attach)
