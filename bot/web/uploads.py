"""Files people upload from a page: read within a size limit, checked by content, stored."""

from fastapi import UploadFile

from bot.attachments import UnsupportedMedia, sniff
from bot.complaint_record import Attachment, AttachmentKind
from bot.services import Services

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


async def store_photo(services: Services, upload: UploadFile) -> Attachment:
    """A photo for a complaint: JPEG, PNG or WebP by its bytes, whatever its name claims."""
    data = await read_upload(upload, services.settings.max_upload_bytes)
    media_type = sniff(data)
    if not media_type.startswith("image/"):
        raise UnsupportedMedia(media_type)
    kind: AttachmentKind = "photo"
    key = await services.attachments.save(data, media_type)
    return Attachment(kind=kind, media_type=media_type, size=len(data), storage_key=key)
