"""Where attachment files live: photos, voice messages, call recordings, announcement audio.

A complaint keeps only an `Attachment` with its `storage_key`; the bytes live here, under
`BALAGH_ATTACHMENTS_DIR` (var/attachments by default). Keys are generated, never taken
from outside, and checked on the way back in so a key can never walk out of the folder.
"""

import asyncio
import re
import secrets
from pathlib import Path

from bot.clock import utc_now

_KEY = re.compile(r"^\d{4}/\d{2}/[0-9a-f]{32}\.[a-z0-9]{1,5}$")
# Media types we accept from outside, recognised by their first bytes rather than a claim.
_SIGNATURES: tuple[tuple[bytes, int, str, str], ...] = (
    (b"\xff\xd8\xff", 0, "image/jpeg", "jpg"),
    (b"\x89PNG\r\n\x1a\n", 0, "image/png", "png"),
    (b"WEBP", 8, "image/webp", "webp"),
    (b"OggS", 0, "audio/ogg", "ogg"),
    (b"WAVE", 8, "audio/wav", "wav"),
    (b"ID3", 0, "audio/mpeg", "mp3"),
    # an MP3 frame without tags: MPEG-1 (44.1/48 kHz), MPEG-2 (22/24 kHz), MPEG-2.5 (8–12 kHz)
    (b"\xff\xfb", 0, "audio/mpeg", "mp3"),
    (b"\xff\xf3", 0, "audio/mpeg", "mp3"),
    (b"\xff\xe3", 0, "audio/mpeg", "mp3"),
    (b"ftyp", 4, "audio/mp4", "m4a"),
)
EXTENSIONS = {media_type: extension for _, _, media_type, extension in _SIGNATURES}


class UnknownKey(LookupError):
    """A storage key that is malformed or names no file."""


class UnsupportedMedia(ValueError):
    """Bytes that are not one of the photo or audio formats we accept."""


def sniff(data: bytes) -> str:
    """The media type the bytes really are, or UnsupportedMedia."""
    for magic, offset, media_type, _ in _SIGNATURES:
        if data[offset : offset + len(magic)] == magic:
            return media_type
    raise UnsupportedMedia("only JPEG, PNG or WebP photos and OGG, WAV, MP3 or M4A audio")


class AttachmentStorage:
    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, key: str) -> Path:
        if not _KEY.match(key):
            raise UnknownKey(key)
        return self.root / key

    @staticmethod
    def new_key(media_type: str, name: str | None = None) -> str:
        """A key for new bytes: a random name, or a unique 32-hex one (a provider's id)."""
        now = utc_now()
        name = name or secrets.token_hex(16)
        return f"{now:%Y}/{now:%m}/{name}.{EXTENSIONS.get(media_type, 'bin')}"

    async def save(self, data: bytes, media_type: str) -> str:
        """Write the bytes under a new random key and return it."""
        key = self.new_key(media_type)
        await self.save_as(key, data)
        return key

    async def save_as(self, key: str, data: bytes) -> None:
        """Write the bytes under a key chosen before they arrived (a recording being fetched)."""
        path = self.path(key)
        await asyncio.to_thread(path.parent.mkdir, parents=True, exist_ok=True)
        await asyncio.to_thread(path.write_bytes, data)

    async def read(self, key: str) -> bytes:
        try:
            return await asyncio.to_thread(self.path(key).read_bytes)
        except FileNotFoundError:
            raise UnknownKey(key) from None

    async def delete(self, key: str) -> None:
        """Remove the file; one already gone is fine."""
        await asyncio.to_thread(self.path(key).unlink, missing_ok=True)
