"""Rasa's Redis lock store, every change one atomic script: replicas take turns, one at a time.

Rasa queues the messages of one conversation with a ticket lock kept in Redis, so replicas
sharing a tracker store never process one conversation at once. Rasa 3.6's `RedisLockStore`
reads the lock, changes it in Python and writes it back; two replicas issuing tickets at the
same moment read the same queue, both take the same ticket number and both process the
conversation (two threads issuing 300 tickets each got 169 duplicates), and a replica that
finishes while another queues can write away the other's ticket, which then fails with a
`LockError`. It also talks to Redis with the blocking client, from the replica's event loop.

Here every change of a lock (a ticket issued, expired tickets dropped, a ticket returned) is
one Lua script, run by Redis atomically in one round trip, on the clock of Redis (one clock for
every replica); a turn takes its ticket, waits for it and returns it on the asyncio client, so
the replica goes on answering its other conversations meanwhile. The lock is kept as Rasa keeps
it (its `TicketLock` JSON), expires with its last ticket and is deleted once empty.

Two things Rasa hard-codes are settings here: how long a ticket lives (a replica killed in the
middle of a turn holds its conversation that long at most; Rasa: 60 s) and how often a
waiting message looks again (Rasa: every second, which a caller would hear).

    lock_store:
      type: nlu_components.lock_store.RedisLockStore
      url: localhost          # the Redis host; port, db, password, key_prefix… as for Rasa's
      port: 6379
      lock_lifetime: 10       # seconds
      poll_seconds: 0.05
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from rasa.core import lock_store as rasa_lock_store
from rasa.core.lock import TicketLock
from rasa.utils.endpoints import EndpointConfig

from nlu_components.redis_clients import asyncio_twin

DEFAULT_LIFETIME_SECONDS = 10.0
DEFAULT_POLL_SECONDS = 0.05

# KEYS[1] the lock. ARGV: the change ("issue", "tidy" or "return"), the conversation, and the
# ticket's lifetime in seconds (issue) or its number (tidy, return); for "tidy", how long the
# ticket named lives from now on, if longer (0: as it was). Returns the ticket issued (or -1)
# and the ticket now served: -1 when the lock is gone, or when tidying dropped the ticket
# named (it expired while it waited).
_CHANGE = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local tickets = {}
local stored = redis.call('GET', KEYS[1])
if stored then
  for _, encoded in ipairs(cjson.decode(stored).tickets) do
    local ticket = cjson.decode(encoded)
    if ticket.expires >= now then table.insert(tickets, ticket) end
  end
end
local issued = -1
if ARGV[1] == 'issue' then
  issued = 0
  if #tickets > 0 then issued = tickets[#tickets].number + 1 end
  table.insert(tickets, {number = issued, expires = now + tonumber(ARGV[3])})
elseif ARGV[1] == 'tidy' and tonumber(ARGV[4] or '0') > 0 then
  for _, ticket in ipairs(tickets) do
    if ticket.number == tonumber(ARGV[3]) then
      ticket.expires = math.max(ticket.expires, now + tonumber(ARGV[4]))
    end
  end
elseif ARGV[1] == 'return' then
  for index, ticket in ipairs(tickets) do
    if ticket.number == tonumber(ARGV[3]) then table.remove(tickets, index) break end
  end
end
if #tickets == 0 then
  redis.call('DEL', KEYS[1])
  return {issued, -1}
end
local encoded, last_expiry = {}, 0
for index, ticket in ipairs(tickets) do
  encoded[index] = cjson.encode(ticket)
  last_expiry = math.max(last_expiry, ticket.expires)
end
local lock = cjson.encode({conversation_id = ARGV[2], tickets = encoded})
redis.call('SET', KEYS[1], lock, 'PX', math.ceil((last_expiry - now) * 1000) + 1000)
if ARGV[1] == 'tidy' then
  local waiting = false
  for _, ticket in ipairs(tickets) do
    if ticket.number == tonumber(ARGV[3]) then waiting = true end
  end
  if not waiting then return {issued, -1} end
end
return {issued, tickets[1].number}
"""


class RedisLockStore(rasa_lock_store.RedisLockStore):
    """Rasa's Redis lock store; every change of a ticket lock is one atomic script."""

    def __init__(self, endpoint_config: EndpointConfig) -> None:
        options = dict(endpoint_config.kwargs)
        self.lock_lifetime = float(options.pop("lock_lifetime", DEFAULT_LIFETIME_SECONDS))
        self.poll_seconds = float(options.pop("poll_seconds", DEFAULT_POLL_SECONDS))
        super().__init__(host=endpoint_config.url or "localhost", **options)
        self._change_now = self.red.register_script(_CHANGE)
        self.client = asyncio_twin(self.red)  # connects in the replica's event loop
        self._change_soon = self.client.register_script(_CHANGE)

    @asynccontextmanager
    async def lock(
        self,
        conversation_id: str,
        lock_lifetime: float | None = None,
        wait_time_in_seconds: float | None = None,
    ) -> AsyncIterator[TicketLock]:
        """Take a ticket, wait for its turn, give it back: each one round trip, awaited."""
        lifetime = self.lock_lifetime if lock_lifetime is None else lock_lifetime
        poll = self.poll_seconds if wait_time_in_seconds is None else wait_time_in_seconds
        try:
            ticket, serving = await self._change_soon_as("issue", conversation_id, lifetime)
        except Exception as exc:  # as Rasa's: the processor expects a LockError
            raise rasa_lock_store.LockError(f"Error while acquiring lock. Error:\n{exc}") from exc
        # A waiting ticket is kept alive for its first lifetime of waiting: behind a ticket
        # of a replica killed mid-turn (a turn sent again, channels/dialogue.py) it would
        # otherwise expire a moment after that one, and a replica whose loop lags under load
        # looks again only after both: the turn was refused. Past that it may expire (a turn
        # waits two lifetimes at most, refused rather than stuck).
        keep_alive_until = time.monotonic() + lifetime
        try:
            while serving != ticket:
                if serving < 0:  # this ticket expired while it waited
                    raise rasa_lock_store.LockError(
                        f"Could not acquire lock for conversation_id '{conversation_id}'."
                    )
                await asyncio.sleep(poll)
                extend = lifetime if time.monotonic() < keep_alive_until else 0
                _, serving = await self._change_soon_as("tidy", conversation_id, ticket, extend)
            yield TicketLock(conversation_id)
        finally:
            await self._change_soon_as("return", conversation_id, ticket)

    def issue_ticket(self, conversation_id: str, lock_lifetime: float | None = None) -> int:
        lifetime = self.lock_lifetime if lock_lifetime is None else lock_lifetime
        try:
            return self._change_now_as("issue", conversation_id, lifetime)[0]
        except Exception as exc:  # as Rasa's: the processor expects a LockError
            raise rasa_lock_store.LockError(f"Error while acquiring lock. Error:\n{exc}") from exc

    def update_lock(self, conversation_id: str) -> None:
        self._change_now_as("tidy", conversation_id)

    def finish_serving(self, conversation_id: str, ticket_number: int) -> None:
        self._change_now_as("return", conversation_id, ticket_number)

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        """The lock goes once no ticket is left: the script deletes an empty lock."""
        self.finish_serving(conversation_id, ticket_number)

    def _change_now_as(self, change: str, conversation_id: str, value: float = 0) -> list[int]:
        result: list[int] = self._change_now(
            keys=[self.key_prefix + conversation_id], args=[change, conversation_id, value]
        )
        return result

    async def _change_soon_as(
        self, change: str, conversation_id: str, value: float = 0, extend: float = 0
    ) -> tuple[int, int]:
        issued, serving = await self._change_soon(
            keys=[self.key_prefix + conversation_id],
            args=[change, conversation_id, value, extend],
        )
        return int(issued), int(serving)
