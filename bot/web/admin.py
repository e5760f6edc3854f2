"""Admin pages: staff accounts, field teams, programs-and-events announcements, Open311 keys."""

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from bot.announcements import (
    Announcement,
    announcement_recording,
    delete_announcement,
    list_announcements,
    save_announcement,
)
from bot.api.deps import AttachmentsDep, CatalogueDep, SettingsDep, StaffContactsDep, StoreDep
from bot.api_keys import KeyRole, create_api_key, list_api_keys, revoke_api_key
from bot.audio import UnreadableAudio, telephone_audio
from bot.auth import WeakPassword
from bot.clock import utc_now
from bot.complaints import UnknownCode
from bot.notifications.providers.contact import MAX_LENGTH, InvalidContact
from bot.staff import StaffUser
from bot.staff_accounts import UnknownStaffUser, create_staff_user, set_staff_contact
from bot.store.base import DuplicateUser, Store
from bot.types import LANGUAGES, Role
from bot.web.render import Pages, PagesDep, page_labels, render
from bot.web.security import AdminPageDep, CsrfDep
from bot.web.uploads import UploadTooLarge, read_upload
from bot.words import language_name

router = APIRouter(prefix="/staff/admin", include_in_schema=False)
USERS = "/staff/admin/users"
Short = Annotated[str, Form(max_length=200)]
Long = Annotated[str, Form(max_length=2000)]


def _done(path: str, ok: bool = True, error: str = "refused") -> Response:
    """Back to the page with "saved", or with the error to show (bot/web/render.py FLASH)."""
    return RedirectResponse(f"{path}?{'notice=saved' if ok else f'error={error}'}", status_code=303)


@router.get("/users")
async def users(
    request: Request,
    pages: PagesDep,
    catalogue: CatalogueDep,
    store: StoreDep,
    staff_contacts: StaffContactsDep,
    user: AdminPageDep,
) -> Response:
    labels = page_labels(request, pages)
    refused = request.query_params.get("field")
    field = next((f for f in staff_contacts if f.key == refused), None)
    return render(
        request,
        pages,
        "admin_users.html",
        user=user,
        # a refused contact names its field; other errors come from the query (FLASH)
        error=labels.text("error.invalid_contact", field=field.name(labels.language))
        if field is not None
        else None,
        accounts=await store.list_users(),
        roles=[(role.value, labels.role(role)) for role in Role],
        teams=[(code, labels.team(code)) for code in catalogue.teams],
        languages=[(language, language_name(language)) for language in LANGUAGES],
        contact_fields=list(staff_contacts),
        contact_length=MAX_LENGTH,
    )


@router.post("/users")
async def create_user(
    catalogue: CatalogueDep,
    store: StoreDep,
    _: AdminPageDep,
    __: CsrfDep,
    username: Annotated[str, Form(max_length=40)],
    display_name: Annotated[str, Form(max_length=100)],
    role: Annotated[Role, Form()],
    password: Short,
    team: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    try:
        await create_staff_user(
            store,
            catalogue,
            username=username.strip().lower(),
            display_name=display_name.strip(),
            role=role,
            password=password,
            team=team or None,
        )
    except (WeakPassword, UnknownCode, DuplicateUser, ValidationError):
        return _done(USERS, ok=False)
    return _done(USERS)


@router.post("/users/{username}/active")
async def set_active(
    username: str,
    store: StoreDep,
    user: AdminPageDep,
    _: CsrfDep,
    active: Annotated[bool, Form()],
) -> Response:
    """Deactivating ends the account's access at once (sessions check `active`)."""
    account = await store.get_user(username)
    if account is None or account.username == user.username:
        return _done(USERS, ok=False)
    await store.replace_user(account.model_copy(update={"active": active}))
    return _done(USERS)


@router.post("/users/{username}/contact")
async def set_contact(
    username: str,
    request: Request,
    store: StoreDep,
    staff_contacts: StaffContactsDep,
    _: AdminPageDep,
    __: CsrfDep,
    language: Annotated[str, Form(max_length=2)] = "ar",
) -> Response:
    """Where the account's notifications go: one input per registered contact field (named
    by its key); an empty one clears that way of reaching it."""
    form = await request.form()
    typed = {
        field.key: value
        for field in staff_contacts
        if isinstance(value := form.get(field.key), str)
    }
    try:
        contact = staff_contacts.contact(typed, language)
        await set_staff_contact(store, username, contact)
    except InvalidContact as exc:
        query = urlencode({"error": "contact", "field": exc.key})
        return RedirectResponse(f"{USERS}?{query}", status_code=303)
    except ValidationError:
        return _done(USERS, ok=False, error="contact")
    except UnknownStaffUser:
        return _done(USERS, ok=False)
    return _done(USERS)


@router.get("/teams")
async def teams(
    request: Request, pages: PagesDep, catalogue: CatalogueDep, store: StoreDep, user: AdminPageDep
) -> Response:
    accounts = await store.list_users()
    workload = await store.open_workload(list(catalogue.teams))
    return render(
        request,
        pages,
        "admin_teams.html",
        user=user,
        teams=catalogue.teams.values(),
        members={
            code: [account for account in accounts if account.team == code]
            for code in catalogue.teams
        },
        workload=workload,
    )


@router.get("/announcements")
async def announcements(
    request: Request, pages: PagesDep, store: StoreDep, user: AdminPageDep
) -> Response:
    return render(
        request,
        pages,
        "announcements.html",
        user=user,
        announcements=await list_announcements(store),
    )


@router.post("/announcements")
async def create_announcement(
    attachments: AttachmentsDep,
    settings: SettingsDep,
    store: StoreDep,
    user: AdminPageDep,
    _: CsrfDep,
    code: Annotated[str, Form(max_length=40)],
    title_ar: Short,
    title_en: Short,
    text_ar: Long,
    text_en: Long,
    audio: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """The optional recording is converted for the phone before it is kept."""
    try:
        audio_key = None
        if audio is not None and audio.filename:
            recording = await telephone_audio(await read_upload(audio, settings.max_upload_bytes))
            audio_key = await attachments.save(recording, "audio/wav")
        announcement = Announcement(
            code=code.strip(),
            title_ar=title_ar,
            title_en=title_en,
            text_ar=text_ar,
            text_en=text_en,
            audio_key=audio_key,
            created_by=user.username,
            created_at=utc_now(),
        )
    except (UnreadableAudio, UploadTooLarge, ValidationError):
        return _done("/staff/admin/announcements", ok=False)
    await save_announcement(store, announcement)
    return _done("/staff/admin/announcements")


@router.get("/announcements/{code}/audio")
async def announcement_audio(
    code: str, attachments: AttachmentsDep, store: StoreDep, _: AdminPageDep
) -> Response:
    data = await announcement_recording(store, attachments, code)
    if data is None:
        return Response(status_code=404)
    return Response(data, media_type="audio/wav")


@router.post("/announcements/{code}/delete")
async def remove_announcement(code: str, store: StoreDep, _: AdminPageDep, __: CsrfDep) -> Response:
    await delete_announcement(store, code)
    return _done("/staff/admin/announcements")


async def _keys_page(
    request: Request, pages: Pages, store: Store, user: StaffUser, new_key: str | None
) -> Response:
    keys = await list_api_keys(store)
    return render(request, pages, "api_keys.html", user=user, keys=keys, new_key=new_key)


@router.get("/api-keys")
async def api_keys(
    request: Request, pages: PagesDep, store: StoreDep, user: AdminPageDep
) -> Response:
    return await _keys_page(request, pages, store, user, None)


@router.post("/api-keys")
async def new_api_key(
    request: Request,
    pages: PagesDep,
    store: StoreDep,
    user: AdminPageDep,
    _: CsrfDep,
    name: Annotated[str, Form(min_length=1, max_length=100)],
    role: Annotated[KeyRole, Form()] = "reporter",
) -> Response:
    """The plain key is on this one page and nowhere else."""
    plain, _key = await create_api_key(store, name.strip(), user.username, role)
    return await _keys_page(request, pages, store, user, plain)


@router.post("/api-keys/{key_id}/revoke")
async def revoke(key_id: str, store: StoreDep, _: AdminPageDep, __: CsrfDep) -> Response:
    await revoke_api_key(store, key_id)
    return _done("/staff/admin/api-keys")
