"""Voice messages left when no one else could help; each becomes a complaint, later if need be.

A voicemail is kept durably (keyed by its RecordingSid) as soon as Twilio reports that the
caller left it, from the recording's action or its status callback, whichever comes first.
The worker files each as a complaint on the voice channel, with the caller's number, their
language and the recording attached. The RecordingSid is the complaint's idempotency key:
a repeated report, a second worker or a restart never files it twice.
"""

import logging
from datetime import datetime
from typing import Final

from pydantic import BaseModel, ConfigDict

from bot.complaint import Attachment
from bot.complaints import Actor, ComplaintService, NewComplaint
from bot.store.base import Store
from bot.types import Channel, Language
from channels.recordings import MEDIA_TYPE
from channels.voice.state import VoicemailReason
from channels.voice.texts import VOICEMAIL_DESCRIPTIONS

log = logging.getLogger(__name__)

RECORD_KIND: Final = "voicemail"
CITIZEN: Final = Actor("citizen", "citizen")


class Voicemail(BaseModel):
    model_config = ConfigDict(extra="ignore")

    recording_sid: str
    call_sid: str
    caller: str | None
    language: Language
    reason: VoicemailReason
    storage_key: str  # where its recording is (or will be) kept
    left_at: datetime


async def keep_voicemail(store: Store, voicemail: Voicemail) -> None:
    await store.put_record(RECORD_KIND, voicemail.recording_sid, voicemail)


async def pending_voicemails(store: Store) -> list[Voicemail]:
    return await store.list_records(RECORD_KIND, Voicemail)


async def file_voicemail(complaints: ComplaintService, voicemail: Voicemail, size: int) -> str:
    """Report the voicemail as a complaint (once) and return its reference.

    `size` is the stored recording's, or 0 while it is still being fetched.
    """
    report = NewComplaint(
        channel=Channel.VOICE,
        language=voicemail.language,
        description=VOICEMAIL_DESCRIPTIONS[voicemail.reason][voicemail.language],
        phone=voicemail.caller,
        attachments=[
            Attachment(
                kind="voice", media_type=MEDIA_TYPE, size=size, storage_key=voicemail.storage_key
            )
        ],
        sources={"CallSid": voicemail.call_sid, "RecordingSid": voicemail.recording_sid},
        idempotency_key=f"voicemail:{voicemail.recording_sid}",
    )
    result = await complaints.create(report, CITIZEN)
    await complaints.store.delete_record(RECORD_KIND, voicemail.recording_sid)
    log.info("voicemail %s filed as %s", voicemail.recording_sid, result.complaint.reference)
    return result.complaint.reference
