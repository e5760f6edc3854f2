"""The agent inbox: residents' conversations live, and the employee's side of them.

`/staff/inbox` lists the conversations waiting for an employee, the employee's own, or all
open ones (filters: channel, language, team); `/staff/inbox/{id}` opens one beside the list.
The page updates itself (static/js/inbox.js): the staff socket (bot/web/inbox_live.py) says
what changed and the page reads the fragments below again. Without scripts every form still
works and comes back here.

Agents read the waiting conversations and their own; supervisors read any and reassign. What
an employee does goes through `channels.inbox.Inbox` (the resident's channel, the dialogue).
"""

import base64
import hashlib
import hmac
from collections import Counter
from dataclasses import dataclass
from typing import Annotated, Any, Final, Literal

from fastapi import APIRouter, Depends, FastAPI, Form, Query, Request, UploadFile
from fastapi.responses import FileResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from bot.api.deps import (
    AttachmentsDep,
    CatalogueDep,
    SettingsDep,
    StoreDep,
    actor_of,
)
from bot.attachments import AttachmentStorage, UnknownKey, UnsupportedMedia, sniff
from bot.catalogue import Catalogue
from bot.complaint_record import Attachment
from bot.conversations import (
    CALL_BACK,
    OPEN_STATES,
    TRANSCRIPT_SHOWN,
    Conversation,
    ConversationState,
)
from bot.handoffs import summary_lines
from bot.phone import mask_phone
from bot.reference import InvalidReference, parse_reference
from bot.settings import Settings
from bot.staff import StaffUser
from bot.store.base import ComplaintFilter, Store
from bot.types import LANGUAGES, OPEN_STATUSES, Channel, Language, Role
from bot.web.render import Labels, Pages, PagesDep, error_page, page_labels, render
from bot.web.security import DESK, CsrfDep, DeskDep, PageForbidden
from bot.words import N_, language_name
from channels.dependencies import InboxDep
from channels.inbox import SUPERVISORS, Outcome
from channels.webchat_http import STATIC

router = APIRouter(prefix="/staff/inbox", include_in_schema=False)
media_router = APIRouter(include_in_schema=False)
SOCKET_CLIENT: Final = STATIC / "vendor" / "socket.io" / "socket.io.min.js"
LISTED: Final = 200
OPEN_COMPLAINTS_SHOWN: Final = 5
View = Literal["waiting", "mine", "all", "calls"]
VIEWS: Final[dict[View, str]] = {
    "waiting": N_("inbox.view.waiting"),
    "mine": N_("inbox.view.mine"),
    "all": N_("inbox.view.all"),
    "calls": N_("inbox.view.calls"),
}
STATES_SHOWN: Final[dict[View, tuple[ConversationState, ...]]] = {
    "waiting": ("queued",),
    "mine": OPEN_STATES,
    "all": OPEN_STATES,
    "calls": ("call",),
}
# The words of the codes the transcript shows, for the templates.
WORDS: Final = {
    "bot": N_("inbox.state.bot"),
    "closed": N_("inbox.state.closed"),
    "resident": N_("inbox.author.resident"),
    "queued": N_("inbox.delivery.queued"),
    "sent": N_("inbox.delivery.sent"),
    "delivered": N_("inbox.delivery.delivered"),
    "read": N_("inbox.delivery.read"),
    "undelivered": N_("inbox.delivery.undelivered"),
    "failed": N_("inbox.delivery.failed"),
    "call": N_("inbox.view.calls"),
    "answered": N_("inbox.call.answered"),
    "missed": N_("inbox.call.missed"),
    "ringing": N_("inbox.call.ringing"),
    CALL_BACK: N_("inbox.call.call_back"),
}
OUTCOMES: Final[dict[Outcome, str]] = {
    "done": "notice=saved",
    "conflict": "error=taken",
    "not_found": "error=gone",
    "forbidden": "error=refused",
    "not_delivered": "error=not_delivered",
}


class InboxForm(BaseModel):
    """The list's query string; an empty filter means "any"."""

    model_config = ConfigDict(extra="ignore")

    view: View = "waiting"
    channel: Channel | Literal[""] = ""
    language: Language | Literal[""] = ""
    team: Annotated[str, Field(max_length=40)] = ""


FormQuery = Annotated[InboxForm, Query()]


@dataclass(frozen=True)
class InboxView:
    """What the inbox's pages are made from, for the employee reading them."""

    request: Request
    pages: Pages
    store: Store
    user: StaffUser


async def get_inbox_view(
    request: Request, pages: PagesDep, store: StoreDep, user: DeskDep
) -> InboxView:
    return InboxView(request, pages, store, user)


InboxViewDep = Annotated[InboxView, Depends(get_inbox_view)]


@dataclass(frozen=True)
class Row:
    conversation: Conversation
    phone: str
    complaints: list[str]


def readable(conversation: Conversation, user: StaffUser) -> bool:
    """Agents read what waits, what is theirs and the calls; supervisors read everything."""
    desk = conversation.desk
    shared = desk.state in ("queued", "call")
    return user.role in SUPERVISORS or shared or desk.assignee == user.username


def call_outcome(conversation: Conversation) -> str:
    """A transferred call: ringing, answered by an employee, or missed (then a voicemail);
    or a busy line's caller waiting for an employee's call back."""
    outcome = conversation.desk.reason
    if outcome is None:
        return "ringing"
    if outcome == CALL_BACK:
        return CALL_BACK
    return "answered" if outcome in ("completed", "answered") else "missed"


def serves(conversation: Conversation, team: str, catalogue: Catalogue) -> bool:
    found = catalogue.teams.get(team)
    category = str(conversation.desk.summary.get("category", ""))
    return found is not None and category in found.categories


async def rows(view: InboxView, form: InboxForm) -> list[Row]:
    store, user = view.store, view.user
    found = await store.list_conversations(STATES_SHOWN[form.view], LISTED)
    chosen = [
        c
        for c in found
        if (form.view != "mine" or c.desk.assignee == user.username)
        and (not form.channel or c.contact.channel == form.channel)
        and (not form.language or c.contact.language == form.language)
        and (not form.team or serves(c, form.team, view.pages.catalogue))
    ]
    chosen.sort(key=lambda c: c.waiting_since or c.updated_at)
    return [
        Row(c, mask_phone(c.contact.phone) or "—", await open_complaints(store, c)) for c in chosen
    ]


async def open_complaints(store: Store, conversation: Conversation) -> list[str]:
    """The references of the resident's open complaints (by their phone)."""
    phone = conversation.contact.phone
    if phone is None:
        return []
    filters = ComplaintFilter(phone=phone, status=tuple(OPEN_STATUSES))
    page = await store.list_complaints(filters, OPEN_COMPLAINTS_SHOWN, None)
    return [complaint.reference for complaint in page.items]


async def agents_load(store: Store) -> list[tuple[str, int]]:
    """Each desk employee and the conversations they have now, for supervisors."""
    taken = await store.list_conversations(["assigned"], LISTED)
    load = Counter(c.desk.assignee for c in taken)
    staff = [u for u in await store.list_users() if u.active and u.role in DESK]
    return sorted(((u.display_name, load[u.username]) for u in staff), key=lambda p: -p[1])


def choices(labels: Labels) -> dict[str, list[tuple[str, str]]]:
    return {
        "view": [(view, labels.text(key)) for view, key in VIEWS.items()],
        "channel": [
            (info.code, labels.channel(info.code))
            for info in labels.channels
            if info.medium != "voice"
        ],
        "language": [(language, language_name(language)) for language in LANGUAGES],
        "team": [(code, labels.team(code)) for code in labels.catalogue.teams],
    }


class NoConversation(Exception):
    """No conversation has that id."""


async def opened(store: Store, user: StaffUser, conversation_id: str) -> Conversation:
    """The conversation, when this employee may read it."""
    conversation = await store.get_conversation(conversation_id)
    if conversation is None:
        raise NoConversation
    if not readable(conversation, user):
        raise PageForbidden
    return conversation


def install_inbox_errors(app: FastAPI) -> None:
    @app.exception_handler(NoConversation)
    async def no_conversation(request: Request, _: NoConversation) -> Response:
        return error_page(request, N_("error.not_found"), 404)


async def conversation_context(view: InboxView, conversation: Conversation) -> dict[str, Any]:
    store, user = view.store, view.user
    labels = page_labels(view.request, view.pages)
    catalogue = view.pages.catalogue
    language = conversation.contact.language
    entries = await store.transcript(conversation.id, TRANSCRIPT_SHOWN)
    desk = conversation.desk
    return {
        "c": conversation,
        "entries": entries,
        "summary": summary_lines(desk.reason, desk.summary, catalogue, labels.language)
        if desk.reason and desk.state != "call"
        else [],
        "call_outcome": call_outcome,
        "phone": mask_phone(conversation.contact.phone) or "—",
        "complaints": await open_complaints(store, conversation),
        "mine": conversation.desk.assignee == user.username,
        "supervisor": user.role in SUPERVISORS,
        "replies": labels.replies(language),
        "agents": [
            (u.username, u.display_name)
            for u in await store.list_users()
            if u.active and u.role in (Role.AGENT, *SUPERVISORS)
        ],
        "words": WORDS,
        "tile_url": view.pages.settings.map_tile_url,
        "categories": [(code, labels.category(code)) for code in catalogue.categories],
        "districts": [(code, labels.district(code)) for code in catalogue.districts],
        "description": desk.summary.get("description")
        or " ".join(e.text for e in entries if e.author == "resident" and e.text)[:4000],
        "media_url": lambda item: f"/staff/inbox/{conversation.id}/media/{item.storage_key}",
    }


@router.get("")
async def inbox_page(view: InboxViewDep, form: FormQuery) -> Response:
    return await page(view, form, None)


@router.get("/list")
async def list_fragment(view: InboxViewDep, form: FormQuery) -> Response:
    return render(
        view.request,
        view.pages,
        "_inbox_list.html",
        user=view.user,
        form=form,
        rows=await rows(view, form),
        open_id="",
        words=WORDS,
        call_outcome=call_outcome,
    )


@media_router.get("/staff/handoffs")
async def handoffs_moved(user: DeskDep) -> Response:
    """The hand-off list of earlier alerts is the inbox's waiting view now."""
    return RedirectResponse("/staff/inbox", status_code=308)


@router.get("/socket.io.min.js")
async def socket_client(user: DeskDep) -> FileResponse:
    """The socket.io client the live page uses (vendored with the web chat's)."""
    return FileResponse(SOCKET_CLIENT, media_type="text/javascript")


@router.get("/{conversation_id}")
async def conversation_page(conversation_id: str, view: InboxViewDep, form: FormQuery) -> Response:
    conversation = await opened(view.store, view.user, conversation_id)
    return await page(view, form, conversation)


async def page(view: InboxView, form: InboxForm, conversation: Conversation | None) -> Response:
    context = await conversation_context(view, conversation) if conversation else {}
    load = await agents_load(view.store) if view.user.role in SUPERVISORS else []
    return render(
        view.request,
        view.pages,
        "inbox.html",
        user=view.user,
        form=form,
        choices=choices(page_labels(view.request, view.pages)),
        rows=await rows(view, form),
        open_id=conversation.id if conversation else "",
        load=load,
        **{"words": WORDS, "call_outcome": call_outcome, **context},
    )


@router.get("/{conversation_id}/panel")
async def conversation_fragment(conversation_id: str, view: InboxViewDep) -> Response:
    conversation = await opened(view.store, view.user, conversation_id)
    context = await conversation_context(view, conversation)
    return render(view.request, view.pages, "_inbox_conversation.html", user=view.user, **context)


@router.get("/{conversation_id}/media/{storage_key:path}")
async def media(
    conversation_id: str,
    storage_key: str,
    store: StoreDep,
    attachments: AttachmentsDep,
    user: DeskDep,
) -> Response:
    """A photo or voice note of the transcript, to staff who may read it."""
    conversation = await opened(store, user, conversation_id)
    entries = await store.transcript(conversation.id, TRANSCRIPT_SHOWN)
    item = next((m for e in entries for m in e.media if m.storage_key == storage_key), None)
    if item is None:
        return Response(status_code=404)
    return await attachment_response(attachments, item)


async def attachment_response(attachments: AttachmentStorage, item: Attachment) -> Response:
    try:
        data = await attachments.read(item.storage_key)
    except UnknownKey:
        return Response(status_code=404)
    return Response(
        data,
        media_type=item.media_type,
        headers={"Cache-Control": "private, max-age=3600", "X-Content-Type-Options": "nosniff"},
    )


def back(conversation_id: str, outcome: Outcome, done: str = OUTCOMES["done"]) -> Response:
    """Back to the conversation, saying how it went (`done`: what success says)."""
    said = done if outcome == "done" else OUTCOMES[outcome]
    return RedirectResponse(f"/staff/inbox/{conversation_id}?{said}", status_code=303)


@router.post("/{conversation_id}/take")
async def take(conversation_id: str, inbox: InboxDep, user: DeskDep, _: CsrfDep) -> Response:
    return back(conversation_id, await inbox.take(conversation_id, user), "notice=taken")


@router.post("/{conversation_id}/reply")
async def reply(
    conversation_id: str,
    inbox: InboxDep,
    settings: SettingsDep,
    attachments: AttachmentsDep,
    user: DeskDep,
    _: CsrfDep,
    text: Annotated[str, Form(max_length=4000)] = "",
    photo: UploadFile | None = None,
) -> Response:
    photos = []
    if photo is not None and photo.filename:
        data = await photo.read(settings.max_upload_bytes + 1)
        try:
            media_type = sniff(data)
        except UnsupportedMedia:
            return back(conversation_id, "forbidden")
        if len(data) > settings.max_upload_bytes or not media_type.startswith("image/"):
            return back(conversation_id, "forbidden")
        key = await attachments.save(data, media_type)
        item = Attachment(kind="photo", media_type=media_type, size=len(data), storage_key=key)
        photos.append((item, public_media_url(settings, item)))
    if not (text.strip() or photos):
        return back(conversation_id, "forbidden")
    outcome = await inbox.write(conversation_id, user, text.strip(), photos)
    return back(conversation_id, outcome)


@router.post("/{conversation_id}/hand-back")
async def hand_back(conversation_id: str, inbox: InboxDep, user: DeskDep, _: CsrfDep) -> Response:
    return back(conversation_id, await inbox.hand_back(conversation_id, user))


@router.post("/{conversation_id}/close")
async def close(conversation_id: str, inbox: InboxDep, user: DeskDep, _: CsrfDep) -> Response:
    return back(conversation_id, await inbox.close(conversation_id, user))


@router.post("/{conversation_id}/reassign")
async def reassign(
    conversation_id: str,
    inbox: InboxDep,
    store: StoreDep,
    user: DeskDep,
    _: CsrfDep,
    username: Annotated[str, Form(max_length=100)],
) -> Response:
    to = await store.get_user(username)
    if to is None or not to.active or to.role == Role.FIELD:
        return back(conversation_id, "forbidden")
    return back(conversation_id, await inbox.reassign(conversation_id, user, to))


@router.post("/{conversation_id}/complaint")
async def file_complaint(
    conversation_id: str,
    inbox: InboxDep,
    catalogue: CatalogueDep,
    user: DeskDep,
    _: CsrfDep,
    description: Annotated[str, Form(min_length=1, max_length=4000)],
    category: Annotated[str, Form(max_length=40)] = "",
    district: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    """A complaint pre-filled from what the bot gathered, as the employee confirmed it."""
    report = {
        "description": description.strip(),
        "category": category if category in catalogue.categories else None,
        "district": district if district in catalogue.districts else None,
    }
    created = await inbox.file_complaint(conversation_id, user, actor_of(user), report)
    if created is None:
        return back(conversation_id, "forbidden")
    return RedirectResponse(f"/staff/complaints/{created}?notice=saved", status_code=303)


@router.post("/{conversation_id}/link")
async def link_complaint(
    conversation_id: str,
    inbox: InboxDep,
    user: DeskDep,
    _: CsrfDep,
    reference: Annotated[str, Form(max_length=40)],
) -> Response:
    """The conversation joins an existing complaint (its transcript kept on it)."""
    try:
        parsed = parse_reference(reference)
    except InvalidReference:
        return back(conversation_id, "not_found")
    outcome = await inbox.link_complaint(conversation_id, user, actor_of(user), parsed)
    return back(conversation_id, outcome)


# Photos an employee sends: the resident's platform fetches them from a signed address.


def media_signature(secret: str, storage_key: str) -> str:
    digest = hmac.new(secret.encode(), f"inbox-media:{storage_key}".encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(digest.digest()[:18]).decode()


def public_media_url(settings: Settings, item: Attachment) -> str:
    secret = settings.secret_key.get_secret_value()
    base = settings.public_base_url.rstrip("/")
    return f"{base}/inbox-media/{media_signature(secret, item.storage_key)}/{item.storage_key}"


@media_router.get("/inbox-media/{signature}/{storage_key:path}")
async def public_media(
    signature: str, storage_key: str, settings: SettingsDep, attachments: AttachmentsDep
) -> Response:
    """A photo an employee sent, to whoever holds its signed address (the platform)."""
    secret = settings.secret_key.get_secret_value()
    if not hmac.compare_digest(signature, media_signature(secret, storage_key)):
        return Response(status_code=404)
    try:
        data = await attachments.read(storage_key)
        media_type = sniff(data)
    except (UnknownKey, UnsupportedMedia):
        return Response(status_code=404)
    headers = {"Cache-Control": "max-age=86400", "X-Content-Type-Options": "nosniff"}
    return Response(data, media_type=media_type, headers=headers)
