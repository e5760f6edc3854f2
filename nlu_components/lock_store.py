"""Rasa's Redis lock store with atomic ticket updates: several Rasa replicas, one turn at a time.

Rasa queues the messages of one conversation with a ticket lock kept in Redis, so replicas
sharing a tracker store never process one conversation at once. Rasa 3.6's `RedisLockStore`
reads the lock, changes it in Python and writes it back; two replicas issuing tickets at the
same moment read the same queue, both take the same ticket number and both process the
conversation (two threads issuing 300 tickets each got 169 duplicates), and a replica that
finishes while another queues can write away the other's ticket, which then fails with a
`LockError`. Here every change is a Redis optimistic transaction (WATCH, then MULTI/EXEC,
started again when another replica wrote in between), and a lock left without tickets is
deleted in the same transaction.

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

import json
import math
import time
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any, TypeVar

from rasa.core import lock_store as rasa_lock_store
from rasa.core.lock import TicketLock
from rasa.utils.endpoints import EndpointConfig

T = TypeVar("T")
DEFAULT_LIFETIME_SECONDS = 10.0
DEFAULT_POLL_SECONDS = 0.05


class RedisLockStore(rasa_lock_store.RedisLockStore):
    """Rasa's Redis lock store; each read-change-write of a ticket lock is one transaction."""

    def __init__(self, endpoint_config: EndpointConfig) -> None:
        options = dict(endpoint_config.kwargs)
        self.lock_lifetime = float(options.pop("lock_lifetime", DEFAULT_LIFETIME_SECONDS))
        self.poll_seconds = float(options.pop("poll_seconds", DEFAULT_POLL_SECONDS))
        super().__init__(host=endpoint_config.url or "localhost", **options)

    def lock(
        self,
        conversation_id: str,
        lock_lifetime: float | None = None,
        wait_time_in_seconds: float | None = None,
    ) -> AbstractAsyncContextManager[TicketLock]:
        return super().lock(
            conversation_id,
            self.lock_lifetime if lock_lifetime is None else lock_lifetime,
            self.poll_seconds if wait_time_in_seconds is None else wait_time_in_seconds,
        )

    def issue_ticket(self, conversation_id: str, lock_lifetime: float | None = None) -> int:
        lifetime = self.lock_lifetime if lock_lifetime is None else lock_lifetime
        try:
            return self._change(conversation_id, lambda lock: lock.issue_ticket(lifetime))
        except Exception as exc:  # as Rasa's: the processor expects a LockError
            raise rasa_lock_store.LockError(f"Error while acquiring lock. Error:\n{exc}") from exc

    def update_lock(self, conversation_id: str) -> None:
        self._change(conversation_id, lambda lock: lock.remove_expired_tickets())

    def finish_serving(self, conversation_id: str, ticket_number: int) -> None:
        self._change(conversation_id, lambda lock: lock.remove_ticket_for(ticket_number))

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        """The lock goes once no ticket is left: `_change` deletes an empty lock."""
        self.finish_serving(conversation_id, ticket_number)

    def _change(self, conversation_id: str, change: Callable[[TicketLock], T]) -> T:
        """Apply `change` to the stored lock in one transaction; the key expires with its
        last ticket, so a conversation whose replicas all died leaves nothing behind."""
        key = self.key_prefix + conversation_id

        def transaction(pipe: Any) -> T:
            stored = pipe.get(key)
            lock = (
                TicketLock.from_dict(json.loads(stored)) if stored else TicketLock(conversation_id)
            )
            result = change(lock)
            lock.remove_expired_tickets()
            pipe.multi()
            if lock.tickets:
                last_expiry = max(ticket.expires for ticket in lock.tickets)
                pipe.set(key, lock.dumps(), ex=max(1, math.ceil(last_expiry - time.time()) + 1))
            else:
                pipe.delete(key)
            return result

        result: T = self.red.transaction(transaction, key, value_from_callable=True)
        return result
