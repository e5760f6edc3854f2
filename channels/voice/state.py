"""A call as the store keeps it between two webhooks, and each caller's language.

The state carries the answer given to the last step (`answered`, `reply`): a Twilio retry of
that step gets the same TwiML back without a second turn. Twilio posts one step of a call at
a time, so one write per step keeps it; the dedupe claim makes a concurrent retry wait.
"""

from datetime import datetime
from typing import Annotated, Final

from pydantic import BaseModel, ConfigDict, Field

from bot.kpi import CallEvent
from bot.metrics import CALLS
from bot.store.base import Store
from bot.types import Language
from bot.voicemails import VoicemailReason
from channels.voice.prompt import Prompt

CALL_KIND: Final = "voice_call"
LANGUAGE_KIND: Final = "caller_language"


class CallState(BaseModel):
    model_config = ConfigDict(extra="ignore")

    call_sid: str
    caller: str | None = None  # the caller id in E.164, when the network gave a real one
    language: Language = "ar"
    remembered_language: Language | None = None  # the caller's choice on their last call
    started_at: datetime
    step: Annotated[int, Field(ge=0)] = 0  # how many webhooks of this call were answered
    answered: str = ""  # the dedupe key of the last one…
    reply: str = ""  # …and the TwiML it got
    prompt: Prompt
    previous_menu: Prompt | None = None
    misses: Annotated[int, Field(ge=0)] = 0  # silences or invalid keys in a row
    told_conventions: bool = False
    voicemail_reason: VoicemailReason | None = None
    transferred: bool = False
    turned_away: bool = False  # the lines were busy when it started
    served: bool = False  # what the caller called for is done (self-service)
    references: list[str] = []  # complaints reported during the call


class CallerLanguage(BaseModel):
    model_config = ConfigDict(extra="ignore")

    language: Language


async def load_call(store: Store, call_sid: str) -> CallState | None:
    return await store.get_record(CALL_KIND, call_sid, CallState)


async def save_call(store: Store, state: CallState) -> None:
    await store.put_record(CALL_KIND, state.call_sid, state)


async def forget_call(store: Store, call_sid: str) -> None:
    await store.delete_record(CALL_KIND, call_sid)


async def record_call_event(store: Store, event: CallEvent) -> None:
    """Into the phone KPIs, and into the metrics when first recorded (a retry counts once)."""
    if await store.record_call_event(event):
        CALLS.labels(event.kind).inc()


async def remembered_language(store: Store, caller: str | None) -> Language | None:
    if caller is None:
        return None
    found = await store.get_record(LANGUAGE_KIND, caller, CallerLanguage)
    return found.language if found else None


async def remember_language(store: Store, caller: str | None, language: Language) -> None:
    if caller is not None:
        await store.put_record(LANGUAGE_KIND, caller, CallerLanguage(language=language))
