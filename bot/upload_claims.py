"""Files kept before any complaint names them: web chat photo uploads.

An upload is recorded as unclaimed when it is kept; a complaint made with it claims it (before
the complaint is written, so a crash can only leave a file, never lose one a complaint names);
the worker deletes the files still unclaimed after `BALAGH_UNCLAIMED_UPLOAD_HOURS`: the chat
was left, or the photo was never sent.
"""

from collections.abc import Iterable
from datetime import datetime
from typing import Final

from pydantic import BaseModel, ConfigDict

from bot.attachments import AttachmentStorage
from bot.complaint_record import Attachment
from bot.store.base import Store

RECORD_KIND: Final = "unclaimed_upload"


class UnclaimedUpload(BaseModel):
    model_config = ConfigDict(extra="forbid")

    storage_key: str
    kept_at: datetime


async def keep_unclaimed(store: Store, storage_key: str, now: datetime) -> None:
    await store.put_record(
        RECORD_KIND, storage_key, UnclaimedUpload(storage_key=storage_key, kept_at=now)
    )


async def claim_uploads(store: Store, attachments: Iterable[Attachment]) -> None:
    """Only an upload has a record to claim (read first): a phone recording or a messaging
    channel's photo costs the report no write (a commit, waited for on the phone line)."""
    for attachment in attachments:
        key = attachment.storage_key
        if await store.get_record(RECORD_KIND, key, UnclaimedUpload) is not None:
            await store.delete_record(RECORD_KIND, key)


async def delete_unclaimed(store: Store, storage: AttachmentStorage, kept_before: datetime) -> int:
    """Delete the uploads kept before `kept_before` that no complaint claimed; how many."""
    deleted = 0
    for upload in await store.list_records(RECORD_KIND, UnclaimedUpload):
        if upload.kept_at < kept_before:
            await storage.delete(upload.storage_key)
            await store.delete_record(RECORD_KIND, upload.storage_key)
            deleted += 1
    return deleted
