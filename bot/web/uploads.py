"""Files people upload from a page: read within a size limit, checked by content, stored.

An upload kept for a later request (a web chat message, a portal form shown again after a
mistake in another field) travels as a token: the attachment's description signed for one
purpose and one scope (the chat session, the form), so a browser can neither claim another
scope's upload nor invent an attachment's type or size.
"""

import base64
import binascii
import hashlib
import hmac

from fastapi import UploadFile
from pydantic import ValidationError

from bot.attachments import AttachmentStorage, UnsupportedMedia, sniff
from bot.complaint_record import Attachment, AttachmentKind
from bot.settings import Settings

CHUNK = 64 * 1024


class UploadTooLarge(ValueError):
    pass


async def read_upload(upload: UploadFile, max_bytes: int) -> bytes:
    """The whole file, refusing it as soon as it passes the limit."""
    parts: list[bytes] = []
    size = 0
    while chunk := await upload.read(CHUNK):
        size += len(chunk)
        if size > max_bytes:
            raise UploadTooLarge(f"the file is over {max_bytes} bytes")
        parts.append(chunk)
    return b"".join(parts)


async def store_photo(
    attachments: AttachmentStorage, settings: Settings, upload: UploadFile
) -> Attachment:
    """A photo for a complaint: JPEG, PNG or WebP by its bytes, whatever its name claims."""
    data = await read_upload(upload, settings.max_upload_bytes)
    media_type = sniff(data)
    if not media_type.startswith("image/"):
        raise UnsupportedMedia(media_type)
    kind: AttachmentKind = "photo"
    key = await attachments.save(data, media_type)
    return Attachment(kind=kind, media_type=media_type, size=len(data), storage_key=key)


def attachment_token(secret_key: str, purpose: bytes, scope: str, attachment: Attachment) -> str:
    """`<attachment as base64url JSON>.<HMAC-SHA256 of purpose, scope and attachment>`."""
    body = base64.urlsafe_b64encode(attachment.model_dump_json().encode()).decode().rstrip("=")
    return f"{body}.{_signature(secret_key, purpose, scope, body)}"


def token_attachment(secret_key: str, purpose: bytes, scope: str, token: str) -> Attachment | None:
    """The attachment a token stands for, if it was handed out for this purpose and scope."""
    body, _, signature = token.partition(".")
    if not hmac.compare_digest(_signature(secret_key, purpose, scope, body), signature):
        return None
    try:
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        return Attachment.model_validate_json(raw)
    except (binascii.Error, ValidationError):
        return None


def _signature(secret_key: str, purpose: bytes, scope: str, body: str) -> str:
    message = purpose + f"{scope}|{body}".encode()
    digest = hmac.new(secret_key.encode(), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")
