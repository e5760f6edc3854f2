"""Rasa's Redis tracker store for replicas, without replaying the conversation on every turn.

Rasa 3.6's `RedisTrackerStore` keeps each conversation as one JSON value and, on every turn,
parses and replays it to hand it out, parses and replays it again to merge before saving
(comparing every event with every other), and serialises it whole; with the synchronous
client, each round trip blocks the replica's event loop. Under load that is most of a
replica's CPU.

This store keeps the same value under the same key, so it and Rasa's own read each other's
conversations, and adds what nlu_components/tracker_store.py does for one process: the live
tracker of recent conversations in memory (nlu_components/live_trackers.py). A turn reads the
value (one GET, on the asyncio client) and, when it is what this replica last read or wrote,
hands out the live tracker; otherwise, after another replica's turn, it parses it. A save
serialises only the new events and writes the value only if Redis still holds what this
replica's tracker was built from (one Lua script comparing digests), so a write from
elsewhere is never overwritten: its events are read back and the new ones appended to them.
Rasa's Redis lock store (nlu_components/lock_store.py) makes that the rare case.

    tracker_store:
      type: nlu_components.redis_tracker_store.RedisTrackerStore
      url: localhost        # port, db, password, username, key_prefix, record_exp, use_ssl…
      port: 6379            # as for Rasa's `type: redis`
      max_cached: 1000      # conversations kept in memory
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from rasa.core import tracker_store as rasa_tracker_store
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import Event
from rasa.shared.core.trackers import DialogueStateTracker

from nlu_components.live_trackers import (
    current_session,
    holds_only_what_is_stored,
    last_event,
    last_session_start_in_dicts,
    stored_count,
)
from nlu_components.redis_clients import asyncio_twin

logger = logging.getLogger(__name__)

# KEYS[1] the conversation; ARGV: the digest of the value the new one was built from ("" for
# none), the new value, its lifetime in milliseconds ("" for none). 1 when written, else 0.
_WRITE_IF_UNCHANGED = """
local current = redis.call('GET', KEYS[1])
local digest = ''
if current then digest = redis.sha1hex(current) end
if digest ~= ARGV[1] then return 0 end
if ARGV[3] == '' then
  redis.call('SET', KEYS[1], ARGV[2])
else
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
end
return 1
"""
WRITE_ATTEMPTS = 5


@dataclass
class _Live:
    """A conversation as this replica last read or wrote it."""

    digest: str  # of the JSON in Redis ("" for none)
    events: list[dict[str, Any]]  # its events, serialised
    tracker: DialogueStateTracker | None  # its current session, as last handed out or saved
    last_stored: Event | None  # the tracker's last event that is in Redis


class ConversationChangedElsewhere(RuntimeError):
    """Another writer kept changing the conversation while this replica tried to save."""


class RedisTrackerStore(rasa_tracker_store.RedisTrackerStore):
    """Rasa's Redis tracker store, its conversations' live trackers kept in memory."""

    def __init__(self, domain: Domain, max_cached: int = 1000, **kwargs: Any) -> None:
        """`kwargs`: Rasa's Redis tracker store's (host, port, db, credentials, TLS…)."""
        super().__init__(domain, **kwargs)
        self.client = asyncio_twin(self.red)
        self._write_if_unchanged = self.client.register_script(_WRITE_IF_UNCHANGED)
        self.max_cached = max(int(max_cached), 1)
        self._live: OrderedDict[str, _Live] = OrderedDict()

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        """The conversation's current session: the live tracker while Redis holds what it
        was built from, else parsed from Redis."""
        value = await self.client.get(self.key_prefix + sender_id)
        live = self._live.pop(sender_id, None)
        if value is None:
            return None
        if (
            live is None
            or live.tracker is None
            or live.digest != _digest(value)
            or not holds_only_what_is_stored(live.tracker, live.last_stored)
        ):
            live = self._parsed(sender_id, value)
        live.tracker = current_session(live.tracker)
        self._remember(sender_id, live)
        return live.tracker

    async def retrieve_full_tracker(self, sender_id: str) -> DialogueStateTracker | None:
        """Every session of the conversation, parsed from Redis."""
        value = await self.client.get(self.key_prefix + sender_id)
        if value is None:
            return None
        events = json.loads(value)["events"]
        return DialogueStateTracker.from_dict(
            sender_id, events, self.domain.slots, self.max_event_history
        )

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Append the tracker's new events to the conversation in Redis."""
        sender = tracker.sender_id
        events = list(tracker.events)
        live = self._live.pop(sender, None)
        count = _stored_count(live, tracker, events)
        if live is None or count is None:
            live, count = await self._read_for(tracker)
        new = events[count:]
        lifetime = self.record_exp  # seconds, as for Rasa's
        merged = False
        for _ in range(WRITE_ATTEMPTS):
            if not new:
                break
            stored = [*live.events, *(event.as_dict() for event in new)]
            value = json.dumps({"events": stored, "name": sender})
            if await self._write_if_unchanged(
                keys=[self.key_prefix + sender],
                args=[live.digest, value, int(lifetime * 1000) if lifetime else ""],
            ):
                live.digest, live.events = _digest(value), stored
                break
            logger.warning("Conversation %s changed on another replica: appending to it", sender)
            merged = True
            live = await self._read_events_of(sender)
        else:
            raise ConversationChangedElsewhere(sender)
        if new and self.event_broker is not None:
            await self._stream_new_events(self.event_broker, new, sender)
        if not merged:  # else the tracker lacks the other writer's events: parsed next turn
            live.tracker, live.last_stored = tracker, last_event(tracker)
            self._remember(sender, live)

    async def _read_for(self, tracker: DialogueStateTracker) -> tuple[_Live, int]:
        """The conversation in Redis, and how many of the tracker's events it holds: a tracker
        this store did not hand out holds, as for Rasa's stores, the current session, whose
        first events are those stored."""
        live = await self._read_events_of(tracker.sender_id)
        return live, len(live.events) - last_session_start_in_dicts(live.events)

    async def _read_events_of(self, sender_id: str) -> _Live:
        value = await self.client.get(self.key_prefix + sender_id)
        events = json.loads(value)["events"] if value is not None else []
        # no live tracker: the next retrieve parses the value again
        return _Live(_digest(value or ""), events, None, None)

    def _parsed(self, sender_id: str, value: str) -> _Live:
        events = json.loads(value)["events"]
        tracker = DialogueStateTracker.from_dict(
            sender_id,
            events[last_session_start_in_dicts(events) :],
            self.domain.slots,
            self.max_event_history,
        )
        return _Live(_digest(value), events, tracker, last_event(tracker))

    def _remember(self, sender_id: str, live: _Live) -> None:
        """Keep the newest conversations in memory, least recently used first out."""
        self._live[sender_id] = live
        while len(self._live) > self.max_cached:
            self._live.popitem(last=False)


def _stored_count(
    live: _Live | None, tracker: DialogueStateTracker, events: list[Event]
) -> int | None:
    """How many of the tracker's events are in Redis, when this replica knows."""
    if live is None:
        return None
    if live.last_stored is None and live.tracker is tracker:
        return 0
    return stored_count(events, live.last_stored)


def _digest(value: str) -> str:
    return hashlib.sha1(value.encode()).hexdigest() if value else ""  # noqa: S324 - Redis's
