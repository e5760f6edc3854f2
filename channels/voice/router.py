"""The phone line's webhooks; the Twilio number is configured with them (see the README).

    POST /channels/twilio/voice            a call starts, and every <Gather>/<Record>/<Dial> action
    POST /channels/twilio/voice/status     the call's status (its end: the phone KPIs)
    POST /channels/twilio/voice/recording  a recording is ready to fetch
    POST /channels/twilio/voice/fallback   Twilio's fallback URL: TwiML only
    GET  /channels/twilio/voice/announcements/{code}  an announcement's audio, for <Play>

Every POST must carry Twilio's signature (403 otherwise, nothing changed).
"""

import logging
from typing import Annotated, ClassVar

from fastapi import APIRouter, Depends, FastAPI, Query, Response

from bot.announcements import Announcement
from bot.api.deps import (
    AttachmentsDep,
    ComplaintsDep,
    ServicesDep,
    SettingsDep,
    StoreDep,
)
from bot.api.errors import ApiError
from bot.attachments import UnknownKey, sniff
from bot.call_admission import release
from bot.channel_directory import ChannelInfo
from bot.clock import utc_now
from bot.kpi import CallEvent
from bot.phone import InvalidPhone, normalise_phone
from bot.types import Language
from bot.voicemails import Voicemail, VoicemailReason, keep_voicemail
from channels.dependencies import DialogueDep, RecordingsDep, recordings_of
from channels.recordings import RecordingKind
from channels.simulator import endpoints
from channels.twilio_webhook import TwilioForm, parse
from channels.voice.call import Line, Step, answer_call
from channels.voice.fallback import fallback_answer, out_of_service
from channels.voice.followup import in_background, settle_recording
from channels.voice.line import VOICE
from channels.voice.params import FINAL_CALL_STATUSES, CallRequest, RecordingStatus
from channels.voice.state import forget_call, load_call, record_call_event
from channels.voice.urls import VOICE_PATH, RecordingUse

log = logging.getLogger(__name__)
router = APIRouter(prefix=VOICE_PATH, tags=["channels"])


class PhoneLine:
    """The 940 line, registered beside the chat channels (channels/registry.py). A call is a
    chain of Twilio webhooks rather than chat messages, so its routes are its own; the
    simulator (`/simulator`) places calls through them from a browser."""

    infos: ClassVar[tuple[ChannelInfo, ...]] = (VOICE,)

    def mount(self, app: FastAPI) -> None:
        app.include_router(router)
        settings = app.state.settings
        if settings.shows(settings.simulator):  # production: only if BALAGH_SIMULATOR says so
            app.include_router(endpoints.router)


TWIML = "application/xml"
StepNumber = Annotated[int | None, Query(alias="s", ge=1, le=100_000)]
Silent = Annotated[bool, Query(alias="e")]


async def get_line(services: ServicesDep) -> Line:
    """The line's collaborators from the services in one dependency, rather than one each
    (eleven with the recordings'), which cost every webhook more than building them."""
    return Line(
        services.store,
        services.settings,
        services.catalogue,
        services.channels,
        services.staff_contacts,
        services.complaints,
        recordings_of(services),
    )


LineDep = Annotated[Line, Depends(get_line)]


@router.post("", summary="Twilio Voice: a call starts, or the caller answered a prompt")
async def voice(
    form: TwilioForm,
    line: LineDep,
    dialogue: DialogueDep,
    number: StepNumber = None,
    silent: Silent = False,
) -> Response:
    try:
        request = parse(CallRequest, form)
    except ApiError as invalid:  # never anything but TwiML to Twilio: apology and voicemail
        log.warning("voice webhook with %s; answered out of service", invalid.message)
        return Response(out_of_service(line.settings, None), media_type=TWIML)
    reply = await answer_call(line, dialogue, request, Step(number, silent))
    return Response(reply, media_type=TWIML)


@router.post("/status", status_code=204, summary="Twilio Voice: the call's status changed")
async def status(form: TwilioForm, store: StoreDep, settings: SettingsDep) -> None:
    """At the call's end, its line is free again, and its outcome goes to the KPIs: served,
    transferred, or abandoned where (a call turned away was counted when it was)."""
    request = parse(CallRequest, form)
    if request.call_status not in FINAL_CALL_STATUSES:
        return
    await release(store, request.call_sid)
    state = await load_call(store, request.call_sid)
    if state is None:
        return
    if not (state.transferred or state.turned_away):
        served = state.served
        event = CallEvent(
            call_id=request.call_sid,
            kind="self_service" if served else "abandoned",
            at=utc_now(),
            step=None if served else state.prompt.step,
        )
        await record_call_event(store, event)
    if not (settings.record_calls and state.references):
        await forget_call(store, request.call_sid)  # else once its recording is attached


@router.post("/recording", status_code=204, summary="Twilio Voice: a recording is ready")
async def recording(
    form: TwilioForm,
    store: StoreDep,
    complaints: ComplaintsDep,
    recordings: RecordingsDep,
    use: Annotated[RecordingUse, Query(alias="kind")],
    reason: VoicemailReason = "dialogue_unavailable",
    lang: Language = "ar",
    caller: Annotated[str, Query(max_length=32)] = "",
) -> None:
    report = parse(RecordingStatus, form)
    if report.status != "completed":
        log.warning("recording %s of %s: %s", report.recording_sid, report.call_sid, report.status)
        return
    kind: RecordingKind = "call_recording" if use == "call_recording" else "voice"
    job = recordings.planned(report.recording_sid, report.call_sid, kind)
    if use == "voicemail":
        voicemail = Voicemail(
            recording_sid=report.recording_sid,
            call_sid=report.call_sid,
            caller=_phone(caller),
            language=lang,
            reason=reason,
            storage_key=job.storage_key,
            left_at=utc_now(),
        )
        await keep_voicemail(store, voicemail)
    if await recordings.stored_size(job.storage_key):
        return  # already kept while the caller waited
    job = await recordings.job(report.recording_sid, report.call_sid, kind)
    in_background(settle_recording(complaints, recordings, job))


def _phone(raw: str) -> str | None:
    try:
        return normalise_phone(raw) if raw else None
    except InvalidPhone:
        return None


@router.post("/fallback", summary="Twilio Voice: the fallback URL (neither dialogue nor store)")
async def fallback(form: TwilioForm, settings: SettingsDep, silent: Silent = False) -> Response:
    return Response(fallback_answer(settings, form, silent=silent), media_type=TWIML)


@router.get("/announcements/{code}", summary="An announcement's audio, played to callers")
async def announcement_audio(code: str, store: StoreDep, attachments: AttachmentsDep) -> Response:
    announcement = await store.get_record("announcement", code, Announcement)
    if announcement is None or announcement.audio_key is None:
        return Response(status_code=404)
    try:
        data = await attachments.read(announcement.audio_key)
    except UnknownKey:
        return Response(status_code=404)
    return Response(data, media_type=sniff(data), headers={"Cache-Control": "public, max-age=300"})
