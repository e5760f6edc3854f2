"""Voice messages left on the phone line when no one else could help; each becomes a complaint,
later if need be.

A voicemail is kept durably (keyed by its RecordingSid) as soon as Twilio reports that the
caller left it, from the recording's action or its status callback, whichever comes first.
The worker files each as a complaint on the voice channel, with the caller's number, their
language and the recording attached. Its CallSid and RecordingSid make the complaint's
idempotency key (its CallSid alone when the dialogue was down, below): a repeated report, a second
worker or a restart never files it twice, and a call's second voicemail (its first one's answer
failed) joins the first.

A caller hears the dialogue is down when their turn took too long or its Rasa replica died,
yet that turn may still run on and file their report after the line has offered the
voicemail, even after the worker has filed it. So the line marks the call as given up before
it apologises, and from then on the call's report and its voicemail file under one
idempotency key (`given_up_key`): whichever comes second joins the first, and the call has one
complaint, with the report's details when the report came first.
"""

import logging
from datetime import datetime, timedelta
from typing import Final, Literal

from pydantic import BaseModel, ConfigDict

from bot.audio import RECORDING_MEDIA_TYPE
from bot.complaint_record import Attachment, Complaint
from bot.complaints import (
    Actor,
    ComplaintService,
    NewComplaint,
    dialogue_report_key,
    dialogue_reports,
)
from bot.store.base import Store
from bot.types import Language
from bot.words import N_, text

log = logging.getLogger(__name__)

RECORD_KIND: Final = "voicemail"
GIVEN_UP_KIND: Final = "dialogue_given_up"
# Longer than a turn the line gave up on can go on: Rasa waits 5 minutes at most for an action
# (its DEFAULT_REQUEST_TIMEOUT), after waiting two lock lifetimes at most for its turn.
GIVEN_UP_KEPT: Final = timedelta(hours=1)
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


class GivenUp(BaseModel):
    model_config = ConfigDict(extra="ignore")

    call_sid: str
    at: datetime


async def keep_voicemail(store: Store, voicemail: Voicemail) -> None:
    await store.put_record(RECORD_KIND, voicemail.recording_sid, voicemail)


async def pending_voicemails(store: Store) -> list[Voicemail]:
    return await store.list_records(RECORD_KIND, Voicemail)


def call_conversation(call_sid: str) -> str:
    """The dialogue conversation a phone call holds."""
    return f"{VOICE_CHANNEL}:{call_sid}"


def conversation_call(conversation: str) -> str | None:
    """The phone call a dialogue conversation is, if it is one."""
    channel, _, call_sid = conversation.partition(":")
    return call_sid if channel == VOICE_CHANNEL and call_sid else None


async def give_up_dialogue(store: Store, call_sid: str, now: datetime) -> None:
    """Before the caller hears the dialogue is down: their report, if the turn still files
    one, and their voicemail become one complaint."""
    await store.put_record(GIVEN_UP_KIND, call_sid, GivenUp(call_sid=call_sid, at=now))


def given_up_key(call_sid: str) -> str:
    """The idempotency key a call's report and voicemail share once the line gave up."""
    return f"{voicemails_of(call_sid)}given-up"


async def report_key(store: Store, conversation: str, started: float | None) -> str:
    """The idempotency key of a report the dialogue files: its conversation's own, or the
    call's voicemail's when the line has given up on the dialogue (read only for calls)."""
    call_sid = conversation_call(conversation)
    if call_sid and await store.get_record(GIVEN_UP_KIND, call_sid, GivenUp) is not None:
        return given_up_key(call_sid)
    return dialogue_report_key(conversation, started)


async def forget_given_up(store: Store, given_up_before: datetime) -> int:
    """Drop the marks no turn can come after any more; how many."""
    forgotten = 0
    for given_up in await store.list_records(GIVEN_UP_KIND, GivenUp):
        if given_up.at < given_up_before:
            await store.delete_record(GIVEN_UP_KIND, given_up.call_sid)
            forgotten += 1
    return forgotten


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
    call_sid = voicemail.call_sid
    reported = await reported_in_call(complaints.store, call_sid)
    if reported is None:
        report = NewComplaint(
            channel=VOICE_CHANNEL,
            language=voicemail.language,
            description=text(DESCRIPTIONS[voicemail.reason], voicemail.language),
            phone=voicemail.caller,
            phone_verified=True,  # the caller id Twilio reported: the line proves it
            attachments=[recording],
            sources={"CallSid": call_sid, "RecordingSid": voicemail.recording_sid},
            idempotency_key=given_up_key(call_sid)
            if voicemail.reason == "dialogue_unavailable"
            else voicemail_key(call_sid, voicemail.recording_sid),
        )
        reported = (await complaints.create(report, CITIZEN)).complaint
    reference = reported.reference
    if all(item.storage_key != recording.storage_key for item in reported.attachments):
        await complaints.add_attachment(reference, CITIZEN, recording)
    await complaints.store.delete_record(RECORD_KIND, voicemail.recording_sid)
    log.info("voicemail %s filed on %s", voicemail.recording_sid, reference)
    return reference
