"""Voice messages left on the phone line when no one else could help; each becomes a complaint,
later if need be.

A voicemail is kept durably (keyed by its RecordingSid) as soon as Twilio reports that the
caller left it, from the recording's action or its status callback, whichever comes first.
The worker files each as a complaint on the voice channel, with the caller's number, their
language and the recording attached. Its CallSid and RecordingSid make the complaint's
idempotency key: a repeated report, a second worker or a restart never files it twice, and a
call's second voicemail (its first one's answer failed) joins the first.
"""

import logging
from datetime import datetime
from typing import Final, Literal

from pydantic import BaseModel, ConfigDict

from bot.audio import RECORDING_MEDIA_TYPE
from bot.complaint_record import Attachment, Complaint
from bot.complaints import Actor, ComplaintService, NewComplaint, dialogue_reports
from bot.store.base import Store
from bot.types import Language
from bot.words import N_, text

log = logging.getLogger(__name__)

RECORD_KIND: Final = "voicemail"
VOICE_CHANNEL: Final = "voice"  # the phone line's channel code
VoicemailReason = Literal["dialogue_unavailable", "after_hours", "no_answer", "lines_busy"]
# The complaint's description, for staff: why the caller left a message instead of reporting.
DESCRIPTIONS: Final[dict[VoicemailReason, str]] = {
    "dialogue_unavailable": N_("voicemail.dialogue_unavailable"),
    "after_hours": N_("voicemail.after_hours"),
    "no_answer": N_("voicemail.no_answer"),
    "lines_busy": N_("voicemail.lines_busy"),
}
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


def call_conversation(call_sid: str) -> str:
    """The dialogue conversation a phone call holds."""
    return f"{VOICE_CHANNEL}:{call_sid}"


def voicemail_key(call_sid: str, recording_sid: str) -> str:
    return f"{voicemails_of(call_sid)}{recording_sid}"


def voicemails_of(call_sid: str) -> str:
    """The prefix of the idempotency keys of one call's voicemails."""
    return f"voicemail:{call_sid}:"


async def reported_in_call(store: Store, call_sid: str) -> Complaint | None:
    """The first complaint this call reported, if any: a dialogue turn that outlived its
    timeout may still have committed one (the caller then hears it, and a voicemail joins it);
    a voicemail whose answer failed is left again (the second joins the first)."""
    for prefix in (dialogue_reports(call_conversation(call_sid)), voicemails_of(call_sid)):
        if reports := await store.complaints_keyed(prefix, 1):
            return reports[0]
    return None


async def file_voicemail(complaints: ComplaintService, voicemail: Voicemail, size: int) -> str:
    """File the voicemail once and return its complaint's reference: a new complaint, or the
    one its call already reported (the recording joins it: one problem, one complaint).

    `size` is the stored recording's, or 0 while it is still being fetched.
    """
    recording = Attachment(
        kind="voice", media_type=RECORDING_MEDIA_TYPE, size=size, storage_key=voicemail.storage_key
    )
    reported = await reported_in_call(complaints.store, voicemail.call_sid)
    if reported is not None:
        if all(item.storage_key != recording.storage_key for item in reported.attachments):
            await complaints.add_attachment(reported.reference, CITIZEN, recording)
        reference = reported.reference
    else:
        report = NewComplaint(
            channel=VOICE_CHANNEL,
            language=voicemail.language,
            description=text(DESCRIPTIONS[voicemail.reason], voicemail.language),
            phone=voicemail.caller,
            phone_verified=True,  # the caller id Twilio reported: the line proves it
            attachments=[recording],
            sources={"CallSid": voicemail.call_sid, "RecordingSid": voicemail.recording_sid},
            idempotency_key=voicemail_key(voicemail.call_sid, voicemail.recording_sid),
        )
        reference = (await complaints.create(report, CITIZEN)).complaint.reference
    await complaints.store.delete_record(RECORD_KIND, voicemail.recording_sid)
    log.info("voicemail %s filed on %s", voicemail.recording_sid, reference)
    return reference
