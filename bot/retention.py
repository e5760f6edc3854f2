"""How long personal recordings are kept: `BALAGH_RECORDING_RETENTION_DAYS`.

On every pass the worker deletes the recorded audio (callers' recorded descriptions and
voicemails, whole-call recordings, voice messages) of the complaints made longer ago than
that (a recording joins its report within hours of it being made), and notes on each
complaint which files were deleted and why. A watermark in the store
remembers how far it has swept, so each complaint is looked at once, however many there are.
The file goes first, then the note: a pass cut short leaves a note to write, never a
recording kept past its time.
"""

from datetime import datetime, timedelta
from typing import Final

from pydantic import BaseModel, ConfigDict

from bot.attachments import AttachmentStorage
from bot.complaints import ComplaintService
from bot.store.base import MAX_PAGE_SIZE, ComplaintFilter, Cursor

RECORD_KIND: Final = "retention"
WATERMARK: Final = "recordings"
RECORDINGS: Final = frozenset({"voice", "call_recording"})


class Swept(BaseModel):
    model_config = ConfigDict(extra="forbid")

    created_before: datetime  # every complaint made before this has no recording left


async def delete_old_recordings(
    complaints: ComplaintService, storage: AttachmentStorage, days: int, now: datetime
) -> int:
    """One sweep; returns how many complaints lost recordings."""
    store = complaints.store
    cutoff = now - timedelta(days=days)
    swept = await store.get_record(RECORD_KIND, WATERMARK, Swept)
    window = ComplaintFilter(
        created_from=swept.created_before if swept else None, created_to=cutoff, oldest_first=True
    )
    reason = f"recording deleted: kept {days} days (BALAGH_RECORDING_RETENTION_DAYS)"
    changed = 0
    cursor: Cursor | None = None
    while True:
        page = await store.list_complaints(window, MAX_PAGE_SIZE, cursor)
        for complaint in page.items:
            keys = {item.storage_key for item in complaint.attachments if item.kind in RECORDINGS}
            if keys:
                for key in keys:
                    await storage.delete(key)
                await complaints.drop_attachments(complaint.reference, keys, reason)
                changed += 1
        if page.next_cursor is None:
            break
        cursor = Cursor.decode(page.next_cursor)
    await store.put_record(RECORD_KIND, WATERMARK, Swept(created_before=cutoff))
    return changed
