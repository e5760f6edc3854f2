"""Admission control: how many calls the 940 line serves at once (channels/voice asks).

A call takes a slot when it starts and gives it back when it ends (Twilio's final status)
or goes to an employee; past `voice_call_limit` slots a new caller hears that the lines are
busy, so the calls in progress keep their pace. The slots are counted in the store, shared
by every service replica: a call's webhooks and its final status reach any replica, and what
runs out (the dialogue core, the store) is shared too, so the limit is the deployment's.
A slot whose end was never reported (a lost status callback) frees itself after `SLOT_LASTS`.
"""

import sys
from datetime import datetime, timedelta
from typing import Final

from bot.settings import Settings
from bot.store.base import Store

POOL: Final = "voice_calls"
SLOT_LASTS: Final = timedelta(minutes=20)  # longer than any self-service call


async def admit(store: Store, settings: Settings, call_sid: str, now: datetime) -> bool:
    """Take a slot for the call (a retried start keeps its own); False: the lines are busy.
    With no limit set, the slot is taken all the same: the calls in progress are counted."""
    limit = settings.voice_call_limit or sys.maxsize
    return await store.take_slot(POOL, call_sid, limit, now, now + SLOT_LASTS)


async def release(store: Store, call_sid: str) -> None:
    await store.release_slot(POOL, call_sid)


async def calls_in_progress(store: Store, now: datetime) -> int:
    return await store.slots_held(POOL, now)
