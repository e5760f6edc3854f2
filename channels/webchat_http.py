"""The web chat's HTTP side: the widget's files, the demo page, and photo uploads.

A page embeds the chat with one tag, `<script src="…/webchat/widget.js" async></script>`;
the widget loads its style sheet and the socket.io client from the same place.

A photo is uploaded first (`POST /webchat/uploads`, checked by its bytes and size) and the
answer is a token: the attachment's description signed for that chat session. The chat
message then carries the token, so a browser can neither claim another session's upload nor
invent an attachment's type or size. Uploads come only from the service's own pages and the
sites in `BALAGH_WEBCHAT_ORIGINS` (the `Origin` header), at most
`BALAGH_WEBCHAT_UPLOADS_PER_SESSION` per chat session and `…_PER_ADDRESS` per client address
an hour; one no complaint takes is deleted after a few hours (bot/upload_claims.py).
"""

import re
from datetime import timedelta
from functools import cache
from pathlib import Path
from typing import Annotated, Final
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, HTTPException, Request, UploadFile
from fastapi.responses import FileResponse, JSONResponse, Response

from bot.api.deps import AttachmentsDep, LanguageDep, SettingsDep, StoreDep
from bot.api.errors import TooManyRequests, error_response
from bot.attachments import UnsupportedMedia
from bot.client_address import client_address
from bot.clock import utc_now
from bot.complaint_record import Attachment
from bot.ratelimit import Limit, RateLimiter
from bot.settings import Settings
from bot.upload_claims import keep_unclaimed
from bot.web.uploads import UploadTooLarge, attachment_token, store_photo, token_attachment
from bot.words import N_, text, with_script_words

STATIC: Final = Path(__file__).parent / "static"
WIDGET: Final = STATIC / "webchat" / "widget.js"
# The widget's own words (the catalogues' `webchat.*`), filled into widget.js when served.
WIDGET_WORDS: Final = (
    N_("webchat.title"),
    N_("webchat.subtitle"),
    N_("webchat.open"),
    N_("webchat.close"),
    N_("webchat.placeholder"),
    N_("webchat.send"),
    N_("webchat.photo"),
    N_("webchat.location"),
    N_("webchat.locationSent"),
    N_("webchat.locationDenied"),
    N_("webchat.photoSent"),
    N_("webchat.photoType"),
    N_("webchat.uploadFailed"),
    N_("webchat.tooLarge"),
    N_("webchat.connecting"),
    N_("webchat.typing"),
)
FILES: Final = {
    "widget.css": (STATIC / "webchat" / "widget.css", "text/css"),
    "socket.io.min.js": (STATIC / "vendor" / "socket.io" / "socket.io.min.js", "text/javascript"),
}
DEMO_PAGE: Final = STATIC / "webchat" / "demo.html"
PURPOSE: Final = b"balagh-webchat-upload:"
SESSION_ID: Final = re.compile(r"^[A-Za-z0-9_-]{8,64}$")

router = APIRouter(prefix="/webchat", tags=["web chat"])


def upload_token(secret_key: str, session_id: str, attachment: Attachment) -> str:
    return attachment_token(secret_key, PURPOSE, session_id, attachment)


def uploaded_attachment(secret_key: str, session_id: str, token: str) -> Attachment | None:
    """The attachment a token stands for, if it was handed out to this session."""
    return token_attachment(secret_key, PURPOSE, session_id, token)


@router.get("/demo", include_in_schema=False)
async def demo(settings: SettingsDep) -> FileResponse:
    """A portal page with the widget embedded, to try the chat (off in production unless
    BALAGH_WEBCHAT_DEMO switches it on)."""
    if not settings.shows(settings.webchat_demo):
        raise HTTPException(404, "Not Found")
    return FileResponse(DEMO_PAGE, media_type="text/html")


@cache
def widget_script() -> str:
    return with_script_words(WIDGET.read_text(encoding="utf-8"), WIDGET_WORDS, "webchat.")


@router.get("/widget.js", include_in_schema=False)
async def widget() -> Response:
    """The widget's script, in the words of the catalogues."""
    return Response(
        widget_script(), media_type="text/javascript", headers={"Cache-Control": "no-cache"}
    )


@router.get("/{name}", include_in_schema=False)
async def widget_file(name: str) -> FileResponse:
    """The widget's style sheet, and the socket.io client it runs on."""
    if name not in FILES:
        raise HTTPException(404, "no such file")
    path, media_type = FILES[name]
    return FileResponse(path, media_type=media_type, headers={"Cache-Control": "no-cache"})


def allowed_origins(settings: Settings) -> list[str]:
    """The sites whose pages may run the web chat: the service's own and the configured."""
    public = urlsplit(settings.public_base_url)
    return [f"{public.scheme}://{public.netloc}", *settings.webchat_origins]


@router.post("/uploads", summary="Web chat: upload a photo for the conversation")
async def upload(
    request: Request,
    settings: SettingsDep,
    store: StoreDep,
    attachments: AttachmentsDep,
    language: LanguageDep,
    file: UploadFile,
    session_id: Annotated[str, Form(max_length=64)],
) -> JSONResponse:
    if not SESSION_ID.match(session_id):
        return error_response(422, "invalid_session", "session_id is not a chat session")
    origin = request.headers.get("origin", "")
    own = str(request.base_url).rstrip("/")
    if origin != own and origin not in allowed_origins(settings):
        return error_response(403, "origin_refused", "uploads come from the chat's own pages")
    hour = timedelta(hours=1)
    counted = await RateLimiter(store).reserve_all(
        (Limit("upload-session", settings.webchat_uploads_per_session, hour), session_id),
        (Limit("upload-ip", settings.webchat_uploads_per_address, hour), client_address(request)),
    )
    refused = [reservation for reservation in counted if not reservation.allowed]
    if refused:
        retry_after = max(reservation.retry_after_seconds for reservation in refused)
        raise TooManyRequests("too_many_uploads", language, retry_after)
    try:
        attachment = await store_photo(attachments, settings, file)
    except UploadTooLarge:
        limit = settings.max_upload_bytes // 1_048_576
        return error_response(413, "too_large", text("chat.media_too_large", language, limit=limit))
    except UnsupportedMedia:
        return error_response(415, "unsupported_media", text("chat.media_unsupported", language))
    await keep_unclaimed(store, attachment.storage_key, utc_now())
    secret = settings.secret_key.get_secret_value()
    return JSONResponse(
        {
            "token": upload_token(secret, session_id, attachment),
            "media_type": attachment.media_type,
            "size": attachment.size,
        },
        # another allowed site's page reads the answer too (a simple CORS request)
        headers={"Access-Control-Allow-Origin": origin, "Vary": "Origin"},
    )
