"""What calls leave for later: recordings to fetch, call recordings to attach, voicemails to file.

The worker runs `follow_up_calls` on every pass, and a recording is settled the moment Twilio
reports it; each job is durable in the store until done, so a failure only delays it.
"""

import logging
from datetime import timedelta
from typing import Final

from bot.audio import UnreadableAudio
from bot.clock import utc_now
from bot.complaint import Attachment
from bot.complaints import SYSTEM, ComplaintNotFound, ComplaintService
from channels.recordings import RecordingJob, Recordings, RecordingUnavailable
from channels.voice.state import forget_call, load_call
from channels.voice.voicemail import file_voicemail, pending_voicemails

log = logging.getLogger(__name__)
GIVE_UP_AFTER: Final = timedelta(days=2)  # Twilio keeps recordings; an outage is over by then


async def settle_recording(
    complaints: ComplaintService, recordings: Recordings, job: RecordingJob
) -> bool:
    """Fetch and keep one recording (a whole call's goes onto its complaints); False: later."""
    try:
        attachment = await recordings.fetch(job)
    except RecordingUnavailable as exc:
        if utc_now() - job.created_at < GIVE_UP_AFTER:
            log.info("recording %s not fetched yet: %s", job.recording_sid, exc)
            return False
        log.error("recording %s given up after %s: %s", job.recording_sid, GIVE_UP_AFTER, exc)
        await recordings.drop(job)
        return False
    except UnreadableAudio as exc:
        log.error("recording %s is not audio and is dropped: %s", job.recording_sid, exc)
        await recordings.drop(job)
        return False
    if job.kind == "call_recording":
        await attach_to_call(complaints, job.call_sid, attachment)
    return True


async def attach_to_call(
    complaints: ComplaintService, call_sid: str, attachment: Attachment
) -> None:
    """A whole-call recording goes onto each complaint reported during that call."""
    state = await load_call(complaints.store, call_sid)
    if state is None:
        return
    for reference in state.references:
        try:
            complaint = await complaints.get(reference)
        except ComplaintNotFound:
            continue
        if all(item.storage_key != attachment.storage_key for item in complaint.attachments):
            await complaints.add_attachment(reference, SYSTEM, attachment)
    await forget_call(complaints.store, call_sid)


async def follow_up_calls(complaints: ComplaintService, recordings: Recordings) -> int:
    """One worker pass: recordings first, so a voicemail filed next names its real size."""
    done = 0
    for job in await recordings.pending():
        done += await settle_recording(complaints, recordings, job)
    for voicemail in await pending_voicemails(complaints.store):
        size = await recordings.stored_size(voicemail.storage_key)
        await file_voicemail(complaints, voicemail, size)
        done += 1
    return done
