"""Programs and events the municipality announces, in both languages, maybe with a recording.

Admins write them in the back office; the channels read them from the store (the phone
plays `audio_key`, converted for the telephone by `bot.audio`).
"""

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from bot.attachments import AttachmentStorage, UnknownKey
from bot.store.base import Store

Text = Annotated[str, Field(min_length=1, max_length=2000)]


class Announcement(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{1,39}$")]
    title_ar: Annotated[str, Field(min_length=1, max_length=200)]
    title_en: Annotated[str, Field(min_length=1, max_length=200)]
    text_ar: Text
    text_en: Text
    audio_key: str | None = None
    created_by: str
    created_at: datetime


async def list_announcements(store: Store) -> list[Announcement]:
    return await store.list_records("announcement", Announcement)


async def save_announcement(store: Store, announcement: Announcement) -> None:
    await store.put_record("announcement", announcement.code, announcement)


async def delete_announcement(store: Store, code: str) -> None:
    await store.delete_record("announcement", code)


async def announcement_recording(
    store: Store, attachments: AttachmentStorage, code: str
) -> bytes | None:
    """The telephone recording of an announcement, or None when it has none."""
    announcement = await store.get_record("announcement", code, Announcement)
    if announcement is None or announcement.audio_key is None:
        return None
    try:
        return await attachments.read(announcement.audio_key)
    except UnknownKey:
        return None
