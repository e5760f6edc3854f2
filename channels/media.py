"""Photos and voice messages sent on chat channels, kept as complaint attachments.

A platform's file is fetched within the upload limit (counted while it streams, whatever
the headers claim), recognised by its bytes rather than by the type the platform or the file
name states, and stored; the dialogue gets only the attachment's description.
"""

import httpx

from bot.attachments import AttachmentStorage, UnsupportedMedia, sniff
from bot.complaint_record import Attachment
from bot.words import N_

ACCEPTED_PREFIXES = ("image/", "audio/")
FETCH_TIMEOUT_SECONDS = 20.0


class MediaRefused(Exception):
    """A file we did not keep; `reason` is the words key that tells the user why (its
    `{limit}` is the upload limit in MB)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def check_declared_type(media_type: str) -> None:
    """Refuse before downloading what cannot be a photo or a voice message."""
    if not media_type.lower().startswith(ACCEPTED_PREFIXES):
        raise MediaRefused(N_("chat.media_unsupported"))


def check_size(size: int | None, max_bytes: int) -> None:
    if size is not None and size > max_bytes:
        raise MediaRefused(N_("chat.media_too_large"))


async def fetch(
    http: httpx.AsyncClient, url: str, max_bytes: int, auth: tuple[str, str] | None = None
) -> bytes:
    """The file at `url`, refused as soon as it passes `max_bytes`."""
    parts: list[bytes] = []
    size = 0
    try:
        async with http.stream(
            "GET", url, auth=auth, follow_redirects=True, timeout=FETCH_TIMEOUT_SECONDS
        ) as response:
            if response.status_code != httpx.codes.OK:
                raise MediaRefused(N_("chat.media_failed"))
            declared = response.headers.get("content-length")
            check_size(int(declared) if declared and declared.isdigit() else None, max_bytes)
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                check_size(size, max_bytes)
                parts.append(chunk)
    except httpx.HTTPError:
        raise MediaRefused(N_("chat.media_failed")) from None
    return b"".join(parts)


async def keep(storage: AttachmentStorage, data: bytes) -> Attachment:
    """Store a photo or a voice message; anything else is refused."""
    try:
        media_type = sniff(data)
    except UnsupportedMedia:
        raise MediaRefused(N_("chat.media_unsupported")) from None
    key = await storage.save(data, media_type)
    kind = "photo" if media_type.startswith("image/") else "voice"
    return Attachment(kind=kind, media_type=media_type, size=len(data), storage_key=key)
