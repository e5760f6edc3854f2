"""One webhook of a call: what the caller did at the last prompt, and what they hear next.

The call starts with a greeting, the municipality's announcements (any key skips them) and
the language menu, the caller's last choice offered first; past the line's capacity, the
caller hears instead that the lines are busy and is offered a call-back or a voicemail. Then
each answer goes to the dialogue and its messages become the next prompt; a turn the
dialogue is slow over is a hold ("one moment"), never an apology. An employee (key 0, the
dialogue's handoff, or a third silence or wrong key in a row) is rung within working hours;
otherwise, when the employees do not answer, or when the dialogue is down, the caller leaves
a voicemail that becomes a complaint. The line hangs up only after a goodbye or a voicemail.
"""

import asyncio
import logging
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any, Final, Literal

from bot.announcements import list_announcements
from bot.audio import RECORDING_MEDIA_TYPE, UnreadableAudio
from bot.call_admission import admit, release
from bot.catalogue import Catalogue
from bot.channel_directory import ChannelDirectory
from bot.clock import utc_now
from bot.complaint_record import Attachment
from bot.complaints import ComplaintService
from bot.conversations import call_ended, call_transferred
from bot.kpi import CallEvent
from bot.metrics import HOLDS
from bot.notifications.handoff import request_handoff
from bot.notifications.providers.contact import StaffContacts
from bot.settings import Settings
from bot.store.base import Store
from bot.types import Language
from bot.voicemails import (
    Voicemail,
    VoicemailReason,
    call_conversation,
    give_up_dialogue,
    keep_voicemail,
    reported_in_call,
)
from bot.words import N_, text
from channels.dialogue import DialogueClient, DialogueUnavailable, Metadata
from channels.recordings import RecordingJob, Recordings, RecordingUnavailable
from channels.voice import twiml
from channels.voice.fallback import voices
from channels.voice.followup import in_background, settle_recording
from channels.voice.line import VOICE
from channels.voice.params import CallRequest
from channels.voice.prompt import (
    Prompt,
    chosen_language,
    language_prompt,
    read_reply,
    understand,
)
from channels.voice.state import (
    CallState,
    load_call,
    record_call_event,
    remember_language,
    remembered_language,
    save_call,
)
from channels.voice.urls import RecordingUse, announcement_url, recording_url, step_url

log = logging.getLogger(__name__)

MAX_MISSES: Final = 2  # re-prompts after silence or a wrong key; the next miss brings an employee
ANNOUNCEMENTS_PLAYED: Final = 3
FETCH_BUDGET_SECONDS: Final = 1.0  # a description recording fetched while the caller waits
CALL_BACK_KEY: Final = "1"  # at the "lines busy" prompt
# A held step's next delivery waits this long for the answer in the process working it out
# (Twilio waits 15 s for a webhook's answer).
COLLECT_SECONDS: Final = 8.0
# Past the turn limit and this margin, a step still unanswered was lost with the process that
# was answering it (a restart): the next delivery answers it.
LOST_AFTER_MARGIN: Final = timedelta(seconds=10)
AfterReply = Callable[[], Coroutine[Any, Any, None]]
# The steps this process is answering, by dedupe key: a hold's redirect or a Twilio retry
# that reaches this process waits here for the answer; one that reaches another replica
# finds it in the store once it is saved.
PENDING: Final[dict[str, "asyncio.Task[str]"]] = {}


@dataclass(frozen=True)
class Step:
    """Which webhook of the call this is: its number in the chain (None when the call starts),
    and whether Twilio came because the caller said nothing."""

    number: int | None
    silent: bool = False

    def key(self, call_sid: str) -> str:
        step = "start" if self.number is None else str(self.number)
        return f"voice:{call_sid}:{step}{':silent' if self.silent else ''}"


@dataclass(frozen=True)
class Line:
    """What answering a call uses, asked for by the voice route."""

    store: Store
    settings: Settings
    catalogue: Catalogue
    channels: ChannelDirectory
    staff_contacts: StaffContacts
    complaints: ComplaintService
    recordings: Recordings


@dataclass
class CallStep:
    """Answers one webhook; changes `state`, which the caller saves with the answer."""

    line: Line
    dialogue: DialogueClient
    request: CallRequest
    state: CallState
    number: int  # this webhook's step; the answer points Twilio at the next one
    now: datetime
    after: list[AfterReply] = field(default_factory=list)  # work to do once answered

    @property
    def voices(self) -> twiml.Voices:
        return voices(self.line.settings)

    @property
    def recordings(self) -> Recordings:
        return self.line.recordings

    # ---- where Twilio goes next -------------------------------------------------------
    def url(self, *, silent: bool = False) -> str:
        return step_url(self.line.settings, self.number + 1, silent=silent)

    def recording_url(self, use: RecordingUse) -> str:
        state = self.state
        return recording_url(
            self.line.settings,
            use,
            reason=state.voicemail_reason or "",
            language=state.language,
            caller=state.caller,
        )

    # ---- answers ----------------------------------------------------------------------
    def ask(
        self,
        prompt: Prompt,
        *,
        preamble: Sequence[str | twiml.Audio] = (),
        conventions: bool = False,
        record_call: str | None = None,
    ) -> str:
        """Put a prompt to the caller; the conventions (0, *, 9) are told at the first menu."""
        state = self.state
        if prompt.kind in ("menu", "digits", "speech") and not state.told_conventions:
            conventions = state.told_conventions = True
        if state.prompt.kind == "menu" and prompt != state.prompt:
            state.previous_menu = state.prompt
        state.prompt = prompt
        recording: RecordingUse | None = (
            "voice"
            if prompt.kind == "recording"
            else "voicemail"
            if prompt.kind == "voicemail"
            else None
        )
        links = twiml.Links(
            action=self.url(),
            no_input=self.url(silent=True),
            recording_status=self.recording_url(recording) if recording else None,
        )
        return twiml.listen(
            prompt,
            links,
            self.voices,
            preamble=preamble,
            conventions=conventions,
            record_call=record_call,
        )

    def say(self, key: str, **values: object) -> str:
        """What the phone line says itself, in the caller's language (the catalogue's voice
        words)."""
        return text(key, self.state.language, "voice", **values)

    def finish(self, *lines: str) -> str:
        return twiml.finish(lines, self.state.language, self.voices)

    @property
    def languages(self) -> tuple[Language, ...]:
        """What the line speaks in: the caller's choice, or both when they never chose
        (turned away at the start: the one offered first, then the other)."""
        language = self.state.language
        if not self.state.turned_away:
            return (language,)
        return (language, "en" if language == "ar" else "ar")

    def in_each(self, key: str, **values: object) -> list[str]:
        """`say`, in each of the line's languages."""
        return [text(key, language, "voice", **values) for language in self.languages]

    async def event(self, kind: Literal["started", "transferred", "busy"]) -> None:
        call = CallEvent(call_id=self.request.call_sid, kind=kind, at=self.now)
        await record_call_event(self.line.store, call)

    # ---- the call starts --------------------------------------------------------------
    async def start(self) -> str:
        await self.event("started")
        settings = self.line.settings
        remembered = await remembered_language(self.line.store, self.state.caller)
        offered = remembered or "ar"
        other: Language = "en" if offered == "ar" else "ar"
        self.state.language, self.state.remembered_language = offered, remembered
        if not await admit(self.line.store, settings, self.request.call_sid, self.now):
            return await self.turn_away()
        preamble: list[str | twiml.Audio] = [
            text("call.greeting", offered, "voice"),
            text("call.greeting", other, "voice"),
        ]
        if settings.record_calls:
            preamble += [
                text("call.recorded", offered, "voice"),
                text("call.recorded", other, "voice"),
            ]
        preamble += await self.announcements(offered)
        return self.ask(
            language_prompt(offered),
            preamble=preamble,
            record_call=self.recording_url("call_recording") if settings.record_calls else None,
        )

    async def turn_away(self) -> str:
        """Every line is taken: a call-back on the caller's number, else a voicemail."""
        self.state.turned_away = True
        await self.event("busy")
        if self.state.caller is None:
            return self.voicemail("lines_busy", self.in_each(N_("call.lines_busy")))
        offer = [
            text(key, language, "voice")
            for language in self.languages
            for key in (N_("call.lines_busy"), N_("call.call_back_offer"))
        ]
        prompt = Prompt(kind="busy", language=self.state.language, texts=tuple(offer), step="busy")
        return self.ask(prompt)

    async def call_back(self) -> str:
        """An employee calls back: a request on the back office's list and an alert to the
        agents, through the outbox (once, however often the step is delivered)."""
        state = self.state
        assert state.caller is not None  # offered only to a caller with a number
        hint = {
            "reason": "call_back",
            "available": self.line.catalogue.working_hours.is_open(self.now),
            "language": state.language,
        }
        line, call_sid = self.line, self.request.call_sid
        await request_handoff(
            line.store,
            line.catalogue,
            line.channels,
            line.staff_contacts,
            line.settings.public_base_url,
            hint,
            channel=VOICE.code,
            conversation_id=call_sid,
            phone=state.caller,
            request_id=f"{call_sid}:{self.number}",
            now=self.now,
        )
        await call_transferred(
            line.store, call_sid, state.caller, state.language, self.now, call_back=True
        )
        state.served = True
        last = state.caller[-4:]
        return self.finish(*self.in_each(N_("call.call_back_promised"), last=last))

    async def announcements(self, language: Language) -> list[str | twiml.Audio]:
        """The municipality's programs and events: its recording, else its text."""
        said: list[str | twiml.Audio] = []
        for item in (await list_announcements(self.line.store))[:ANNOUNCEMENTS_PLAYED]:
            if item.audio_key:
                said.append(twiml.Audio(announcement_url(self.line.settings, item.code)))
            else:
                title, text = (
                    (item.title_ar, item.text_ar)
                    if language == "ar"
                    else (item.title_en, item.text_en)
                )
                said.append(f"{title}. {text}")
        return said

    # ---- the caller answered ----------------------------------------------------------
    async def respond(self) -> str:
        prompt = self.state.prompt
        if prompt.kind == "busy":
            if self.request.digits.strip() == CALL_BACK_KEY:
                return await self.call_back()
            return self.voicemail("lines_busy", ())
        if prompt.kind == "recording":
            return await self.described()
        if prompt.kind == "voicemail":
            return await self.voicemail_left()
        if prompt.kind == "transfer":
            return await self.dial_ended()
        request = self.request
        if prompt.kind == "language" and (
            chosen := chosen_language(request.digits, request.speech)
        ):
            return await self.chose(chosen)
        answer = understand(prompt, self.request.digits, self.request.speech)
        if answer.kind == "repeat":
            return self.ask(prompt)
        if answer.kind == "previous":
            return self.ask(self.state.previous_menu or prompt)
        if answer.kind == "employee":
            return await self.employee()
        if answer.kind == "send" and prompt.kind != "language":
            return await self.turn(answer.text)
        return await self.miss(
            N_("call.no_input") if answer.kind == "nothing" else N_("call.invalid_choice")
        )

    async def silence(self) -> str:
        if self.state.prompt.kind == "busy":  # stayed on the line
            return self.voicemail("lines_busy", ())
        if self.state.prompt.kind == "voicemail" and self.state.misses >= MAX_MISSES:
            return self.finish(*self.in_each(N_("call.voicemail_empty")))
        return await self.miss(N_("call.no_input"))

    async def miss(self, why: str) -> str:
        """Say what went wrong and ask again, at most twice in a row; then an employee."""
        self.state.misses += 1
        if self.state.misses > MAX_MISSES and self.state.prompt.kind != "voicemail":
            return await self.employee()
        return self.ask(self.state.prompt, preamble=[self.say(why)], conventions=True)

    async def chose(self, language: Language) -> str:
        self.state.language = language
        if language != self.state.remembered_language:
            await remember_language(self.line.store, self.state.caller, language)
        return await self.turn("/greet")

    async def turn(self, text: str, media: Sequence[Attachment] = ()) -> str:
        """One turn of the dialogue; its messages become the next prompt."""
        state = self.state
        metadata = Metadata(
            channel=VOICE.code,
            language=state.language,
            phone=state.caller,
            media=[item.model_dump(mode="json") for item in media],
            message_id=f"{self.request.call_sid}:{self.number}",
            sources={"CallSid": self.request.call_sid},
        )
        try:
            sender = call_conversation(self.request.call_sid)
            seconds = self.line.settings.voice_turn_limit_seconds
            messages = await self.dialogue.send(sender, text, metadata, VOICE.medium, seconds)
        except DialogueUnavailable as exc:
            log.warning("dialogue unavailable on call %s: %s", self.request.call_sid, exc)
            return await self.dialogue_failed()
        reply = read_reply(messages, state.language)
        state.language = reply.prompt.language
        state.references += reply.references
        state.served = state.served or bool(reply.references) or reply.offers_goodbye
        state.misses = 0
        if reply.handoff is not None:
            return await self.employee(reply.prompt.texts, on_duty=reply.handoff)
        if text == "/goodbye" or reply.ends:
            state.served = True
            return self.finish(*(reply.prompt.texts or (self.say("call.goodbye"),)))
        if not reply.prompt.texts:
            return self.ask(state.prompt, preamble=[self.say("call.sorry")])
        return self.ask(reply.prompt)

    async def dialogue_failed(self) -> str:
        """The turn that timed out may have committed the caller's report: if so they hear
        its reference; otherwise an apology and a voicemail, which the report joins if the
        turn files it after all (the call is given up first: bot/voicemails.py)."""
        state = self.state
        await give_up_dialogue(self.line.store, self.request.call_sid, self.now)
        reported = await reported_in_call(self.line.store, self.request.call_sid)
        if reported is None:
            return self.voicemail("dialogue_unavailable", (self.say("call.apology"),))
        if reported.reference not in state.references:
            state.references.append(reported.reference)
        state.served = True
        return self.finish(self.say("call.reported", reference=reported.reference))

    # ---- recordings -------------------------------------------------------------------
    async def described(self) -> str:
        """The description was recorded: it goes to the dialogue as a voice attachment."""
        recording_sid = self.request.recording_sid
        if recording_sid is None:
            return await self.miss(N_("call.no_input"))
        job = self.recordings.planned(recording_sid, self.request.call_sid, "voice")
        return await self.turn("/inform", [await self.fetch_now(job)])

    async def fetch_now(self, job: RecordingJob) -> Attachment:
        """The recording kept, if that takes only a moment (nothing is written then).
        Otherwise the job is kept for the worker, the fetch goes on after the answer, and the
        complaint names the recording's future place (its size 0 until it is there)."""
        if self.recordings.busy():  # others are being converted: no waiting in line
            self.after.append(partial(self.settle, job))
        else:
            fetch = asyncio.ensure_future(self.recordings.fetch(job))
            done, _ = await asyncio.wait({fetch}, timeout=FETCH_BUDGET_SECONDS)
            if not done:
                self.after.append(partial(finish_fetch, self.recordings, job, fetch))
            elif fetch.exception() is None:
                return fetch.result()
            else:
                log.warning(
                    "recording %s left for the worker: %s", job.recording_sid, fetch.exception()
                )
        await self.recordings.keep(job)
        return Attachment(
            kind=job.kind, media_type=RECORDING_MEDIA_TYPE, size=0, storage_key=job.storage_key
        )

    def voicemail(self, reason: VoicemailReason, texts: Sequence[str]) -> str:
        self.state.voicemail_reason = reason
        self.state.misses = 0
        prompt = Prompt(
            kind="voicemail",
            language=self.state.language,
            texts=(*texts, *self.in_each(N_("call.voicemail"))),
            step="voicemail",
        )
        return self.ask(prompt)

    async def voicemail_left(self) -> str:
        state = self.state
        recording_sid = self.request.recording_sid
        if recording_sid is None or state.voicemail_reason is None:
            return await self.silence()
        job = await self.recordings.job(recording_sid, self.request.call_sid, "voice")
        voicemail = Voicemail(
            recording_sid=recording_sid,
            call_sid=self.request.call_sid,
            caller=state.caller,
            language=state.language,
            reason=state.voicemail_reason,
            storage_key=job.storage_key,
            left_at=self.now,
        )
        await keep_voicemail(self.line.store, voicemail)
        state.served = True
        self.after.append(partial(self.settle, job))
        return self.finish(*self.in_each(N_("call.voicemail_kept")))

    async def settle(self, job: RecordingJob) -> None:
        await settle_recording(self.line.complaints, self.recordings, job)

    # ---- employees --------------------------------------------------------------------
    async def employee(self, texts: Sequence[str] = (), *, on_duty: bool = True) -> str:
        """Ring the employees within working hours; otherwise a voicemail."""
        settings, language = self.line.settings, self.state.language
        hours = self.line.catalogue.working_hours
        if not (on_duty and settings.agents_number and hours.is_open(self.now)):
            return self.voicemail("after_hours", texts or (self.say("call.employees_away"),))
        self.state.transferred = True
        await self.event("transferred")
        await release(self.line.store, self.request.call_sid)  # the employees' call now
        state = self.state
        await call_transferred(
            self.line.store, state.call_sid, state.caller, state.language, self.now
        )
        self.state.prompt = Prompt(
            kind="transfer",
            language=language,
            texts=tuple(texts) or (self.say("handoff.transfer"),),
            step="transfer",
        )
        return twiml.transfer(self.state.prompt, settings.agents_number, self.url(), self.voices)

    async def dial_ended(self) -> str:
        outcome = self.request.dial_status or "no-answer"
        await call_ended(self.line.store, self.state.call_sid, outcome, self.now)
        if outcome in ("completed", "answered"):
            return self.finish()
        return self.voicemail("no_answer", (self.say("call.employees_busy"),))


async def finish_fetch(
    recordings: Recordings, job: RecordingJob, fetch: "asyncio.Future[Attachment]"
) -> None:
    """After answering: a fetch that outlasted its budget ends, and its job with it."""
    try:
        await fetch
    except (RecordingUnavailable, UnreadableAudio) as exc:
        log.warning("recording %s left for the worker: %s", job.recording_sid, exc)
    else:
        await recordings.drop(job)


async def answer_call(
    line: Line, dialogue: DialogueClient, request: CallRequest, step: Step
) -> str:
    """The TwiML for one voice webhook.

    Each step is worked out once, by its first delivery (the store's claim), apart from the
    request. Not ready within `voice_hold_after_seconds`, the caller hears "one moment" and
    Twilio is sent back to the same step: that delivery, like a retry by Twilio, collects the
    answer (here, waiting for it; elsewhere, from the store) or holds again; the dialogue never
    gets a step twice. A step already answered gets the same TwiML again. The call's start
    makes no dialogue turn and a repeat changes nothing, so it needs no claim.
    """
    store, settings = line.store, line.settings
    now = utc_now()
    key = step.key(request.call_sid)
    claim = None if step.number is None else await store.claim_inbound(key, now)
    state = await load_call(store, request.call_sid)
    if state is not None and state.answered == key:
        return state.reply
    if claim is None:
        return await answer_step(line, dialogue, request, step, None, now)
    if not claim.first:
        return await collect(line, dialogue, request, step, claim.claimed_at, now)
    work = in_background(answer_step(line, dialogue, request, step, state, now))
    PENDING[key] = work
    work.add_done_callback(lambda _: PENDING.pop(key, None))
    reply = await answered_within(work, settings.voice_hold_after_seconds)
    return reply or hold(line, step, state)


async def collect(
    line: Line,
    dialogue: DialogueClient,
    request: CallRequest,
    step: Step,
    claimed_at: datetime,
    now: datetime,
) -> str:
    """The next delivery of a step still being answered: its answer, or another hold."""
    key = step.key(request.call_sid)
    work = PENDING.get(key)
    state = await load_call(line.store, request.call_sid)
    if work is not None:
        reply = await answered_within(work, COLLECT_SECONDS)
        return reply or hold(line, step, state, again=True)
    if state is not None and state.answered == key:
        return state.reply  # answered here a moment ago, or by another replica
    lost_after = timedelta(seconds=line.settings.voice_turn_limit_seconds) + LOST_AFTER_MARGIN
    if now - claimed_at < lost_after:
        return hold(line, step, state, again=True)
    return await answer_step(line, dialogue, request, step, state, now, lost=True)


async def answered_within(work: "asyncio.Task[str]", seconds: float) -> str | None:
    """The step's answer if it is ready within `seconds` (the work goes on regardless)."""
    done, _ = await asyncio.wait({work}, timeout=seconds)
    return work.result() if done else None


def hold(line: Line, step: Step, state: CallState | None, *, again: bool = False) -> str:
    """A moment's wait, then the same step again (to collect its answer); said in the call's
    language as far as the step has got (a caller who just chose English hears English)."""
    assert step.number is not None  # the call's start is never held
    language = state.language if state else "ar"
    url = step_url(line.settings, step.number, silent=step.silent)
    said = text(N_("call.still_holding") if again else N_("call.hold"), language, "voice")
    HOLDS.labels("again" if again else "first").inc()
    return twiml.hold(url, said, language, voices(line.settings))


async def answer_step(
    line: Line,
    dialogue: DialogueClient,
    request: CallRequest,
    step: Step,
    state: CallState | None,
    now: datetime,
    *,
    lost: bool = False,
) -> str:
    """Work out one step's answer and keep it with the call; `lost`: the process that was
    working it out is gone, and with it what the dialogue did (so: its reference, if it
    reported, else the apology and a voicemail)."""
    fresh = state is None or step.number is None
    if state is None or step.number is None:
        state = CallState(
            call_sid=request.call_sid,
            caller=request.caller_phone,
            started_at=now,
            prompt=language_prompt("ar"),
        )
    call = CallStep(line, dialogue, request, state, step.number or 0, now)
    if fresh:
        reply = await call.start()
    elif lost:
        reply = await call.dialogue_failed()
    elif step.silent:
        reply = await call.silence()
    else:
        reply = await call.respond()
    state.step, state.answered, state.reply = call.number, step.key(request.call_sid), reply
    await save_call(line.store, state)
    for work in call.after:
        in_background(work())
    return reply
