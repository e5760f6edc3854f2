"""What calls leave for later: recordings to fetch, call recordings to attach, voicemails to file.

The worker runs `follow_up_calls` on every pass, and a recording is settled the moment Twilio
reports it; each job is durable in the store until done, so a failure only delays it.
"""

import asyncio
import logging
from collections.abc import Coroutine
from datetime import timedelta
from typing import Any, Final, TypeVar

from bot.audio import UnreadableAudio
from bot.clock import utc_now
from bot.complaint_record import Attachment
from bot.complaints import SYSTEM, ComplaintNotFound, ComplaintService
from bot.conversations import call_recorded
from bot.voicemails import file_voicemail, pending_voicemails
from channels.recordings import RecordingJob, Recordings, RecordingUnavailable
from channels.voice.state import forget_call, load_call

log = logging.getLogger(__name__)
GIVE_UP_AFTER: Final = timedelta(days=2)  # Twilio keeps recordings; an outage is over by then
# a fresh job is still in the hands of the request or callback that made it
LEFT_ALONE_FOR: Final = timedelta(minutes=2)
BACKGROUND: Final[set[asyncio.Task[Any]]] = set()  # work started apart from requests, running
T = TypeVar("T")


def in_background(work: Coroutine[Any, Any, T]) -> "asyncio.Task[T]":
    """Run work apart from the request, to its end even once the request is answered: a task
    left in the request (Starlette's BackgroundTasks) holds a keep-alive connection until it
    ends. Every job it finishes is durable, so a run lost to a restart only waits for the
    worker (or, for a call's step, is answered by the next delivery)."""
    task = asyncio.create_task(work)
    BACKGROUND.add(task)
    task.add_done_callback(_finished)
    return task


async def finish_background(seconds: float) -> None:
    """On shutdown, once no request is left: the work started apart from them (a held call
    step above all, whose next delivery reaches another replica) ends before the services
    close, within `seconds`."""
    if BACKGROUND:
        await asyncio.wait(set(BACKGROUND), timeout=seconds)


def _finished(task: "asyncio.Task[Any]") -> None:
    BACKGROUND.discard(task)
    if not task.cancelled() and task.exception() is not None:
        log.error("background work failed", exc_info=task.exception())


async def settle_recording(
    complaints: ComplaintService, recordings: Recordings, job: RecordingJob
) -> bool:
    """Fetch and keep one recording (a whole call's goes onto its complaints); False: later."""
    try:
        attachment = await recordings.settle(job)
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
    """A whole-call recording goes onto each complaint reported during that call, and onto
    the call in the agent inbox when it was transferred to the employees."""
    await call_recorded(complaints.store, call_sid, attachment, utc_now())
    state = await load_call(complaints.store, call_sid)
    if state is None:
        return
    for reference in state.references:
        try:
            await complaints.add_attachment(reference, SYSTEM, attachment)
        except ComplaintNotFound:
            continue
    await forget_call(complaints.store, call_sid)


async def follow_up_calls(complaints: ComplaintService, recordings: Recordings) -> int:
    """One worker pass: recordings first, so a voicemail filed next names its real size."""
    done = 0
    for job in await recordings.pending():
        if utc_now() - job.created_at >= LEFT_ALONE_FOR:
            done += await settle_recording(complaints, recordings, job)
    for voicemail in await pending_voicemails(complaints.store):
        size = await recordings.stored_size(voicemail.storage_key)
        await file_voicemail(complaints, voicemail, size)
        done += 1
    return done
