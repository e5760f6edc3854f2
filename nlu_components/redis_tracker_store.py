"""Rasa's Redis tracker store for replicas, without replaying the conversation on every turn.

Rasa 3.6's `RedisTrackerStore` keeps each conversation as one JSON value and, on every turn,
parses and replays it to hand it out, parses and replays it again to merge before saving
(comparing every event with every other), and serialises it whole; with the synchronous
client, each round trip blocks the replica's event loop. Under load that is most of a
replica's CPU.

This store keeps the same value under the same key, so it and Rasa's own read each other's
conversations, and adds what nlu_components/tracker_store.py does for one process: the live
tracker of recent conversations in memory (nlu_components/live_trackers.py). Neither a read
nor a save carries the whole conversation between the replica and Redis, which compares the
value's digest itself (two Lua scripts):

- a turn asks for the value only if it is no longer the one this replica last read or wrote;
  when it still is, the live tracker is handed out, else the value comes back and is parsed;
- a save sends only the new events, which Redis appends to the value if it still is the one
  the tracker was built from, so a write from elsewhere is never overwritten: its events are
  read back and the new ones appended after them. Rasa's Redis lock store
  (nlu_components/lock_store.py) makes that the rare case.

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

# KEYS[1] the conversation; ARGV[1] the digest of the value the replica holds ("" for none).
# Nil when there is no value, 1 when it is still the one held, else the value.
_READ_IF_CHANGED = """
local current = redis.call('GET', KEYS[1])
if not current then return false end
if redis.sha1hex(current) == ARGV[1] then return 1 end
return current
"""
UNCHANGED = 1

# KEYS[1] the conversation; ARGV: the digest of the value the new events follow ("" for
# none); the new events' JSON, joined by ", "; the value's end, '], "name": <sender>}';
# the value's lifetime in milliseconds ("" for none); "whole" when ARGV[2] is the whole
# value instead. The new value's digest once written; 0 when Redis holds another value;
# -1 when the value does not end as Rasa's stores write it (it is then written whole).
_APPEND_IF_UNCHANGED = """
local current = redis.call('GET', KEYS[1])
local digest = ''
if current then digest = redis.sha1hex(current) end
if digest ~= ARGV[1] then return 0 end
local ending = ARGV[3]
local value
if ARGV[5] == 'whole' then
  value = ARGV[2]
elseif not current then
  value = '{"events": [' .. ARGV[2] .. ending
elseif string.sub(current, -#ending) == ending then
  local events = string.sub(current, 1, #current - #ending)
  local separator = ', '
  if string.sub(events, -1) == '[' then separator = '' end
  value = events .. separator .. ARGV[2] .. ending
else
  return -1
end
if ARGV[4] == '' then
  redis.call('SET', KEYS[1], value)
else
  redis.call('SET', KEYS[1], value, 'PX', ARGV[4])
end
return redis.sha1hex(value)
"""
CHANGED, NOT_RASA_FORMAT = 0, -1
WRITE_ATTEMPTS = 5


@dataclass
class _Live:
    """A conversation as this replica last read or wrote it."""

    digest: str  # of the JSON in Redis ("" for none)
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
        self._read_if_changed = self.client.register_script(_READ_IF_CHANGED)
        self._append_if_unchanged = self.client.register_script(_APPEND_IF_UNCHANGED)
        self.max_cached = max(int(max_cached), 1)
        self._live: OrderedDict[str, _Live] = OrderedDict()

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        """The conversation's current session: the live tracker while Redis holds what it
        was built from, else parsed from Redis."""
        live = self._live.pop(sender_id, None)
        usable = (
            live is not None
            and live.tracker is not None
            and holds_only_what_is_stored(live.tracker, live.last_stored)
        )
        held = live.digest if live is not None and usable else ""
        value = await self._read_if_changed(keys=[self.key_prefix + sender_id], args=[held])
        if value is None:
            return None
        if live is None or value != UNCHANGED:
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
        merged = False
        if new:
            merged = await self._append(sender, live, [event.as_dict() for event in new])
            if self.event_broker is not None:
                await self._stream_new_events(self.event_broker, new, sender)
        if not merged:  # else the tracker lacks the other writer's events: parsed next turn
            live.tracker, live.last_stored = tracker, last_event(tracker)
            self._remember(sender, live)

    async def _append(self, sender: str, live: _Live, new: list[dict[str, Any]]) -> bool:
        """Append the new events after what Redis holds, `live.digest` updated; whether
        another writer's events came first."""
        key = self.key_prefix + sender
        fragment = ", ".join(json.dumps(event) for event in new)
        ending = '], "name": ' + json.dumps(sender) + "}"
        lifetime = int(self.record_exp * 1000) if self.record_exp else ""  # seconds, as Rasa's
        merged = False
        for _ in range(WRITE_ATTEMPTS):
            args = [live.digest, fragment, ending, lifetime, ""]
            written = await self._append_if_unchanged(keys=[key], args=args)
            if written == NOT_RASA_FORMAT:  # written some other way: first as Rasa writes it
                written = await self._rewrite(sender, live.digest, lifetime)
                if written != CHANGED:
                    live.digest = written
                    continue
            elif written != CHANGED:
                live.digest = written
                return merged
            logger.warning("Conversation %s changed on another replica: appending to it", sender)
            merged = True
            live.digest = (await self._read_events_of(sender))[0]
        raise ConversationChangedElsewhere(sender)

    async def _rewrite(self, sender: str, digest: str, lifetime: int | str) -> Any:
        """The same events, written as Rasa's stores write them, if Redis still holds the
        value of that digest: the new digest, else `CHANGED`."""
        value = await self.client.get(self.key_prefix + sender)
        if value is None or _digest(value) != digest:
            return CHANGED
        whole = json.dumps({"events": json.loads(value)["events"], "name": sender})
        args = [digest, whole, "", lifetime, "whole"]
        return await self._append_if_unchanged(keys=[self.key_prefix + sender], args=args)

    async def _read_for(self, tracker: DialogueStateTracker) -> tuple[_Live, int]:
        """The conversation in Redis, and how many of the tracker's events it holds: a tracker
        this store did not hand out holds, as for Rasa's stores, the current session, whose
        first events are those stored."""
        digest, events = await self._read_events_of(tracker.sender_id)
        # no live tracker: the next retrieve parses the value again
        return _Live(digest, None, None), len(events) - last_session_start_in_dicts(events)

    async def _read_events_of(self, sender_id: str) -> tuple[str, list[dict[str, Any]]]:
        """The digest of the conversation's value in Redis, and its events."""
        value = await self.client.get(self.key_prefix + sender_id)
        events = json.loads(value)["events"] if value is not None else []
        return _digest(value or ""), events

    def _parsed(self, sender_id: str, value: str) -> _Live:
        events = json.loads(value)["events"]
        tracker = DialogueStateTracker.from_dict(
            sender_id,
            events[last_session_start_in_dicts(events) :],
            self.domain.slots,
            self.max_event_history,
        )
        return _Live(_digest(value), tracker, last_event(tracker))

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
