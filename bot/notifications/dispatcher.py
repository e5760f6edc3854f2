"""The dispatcher: claims due outbox messages, hands them to providers, records outcomes.

Guarantees (the store holds all state, so they survive restarts and SIGKILL):
- Nothing is lost: a message leaves `pending`/`sending` only with an outcome written.
  A claim is a lease; if the worker dies, the lease runs out and another worker takes
  the message again. Every send is bounded by the provider timeout, and a message is
  only sent while its lease outlasts that bound, so two workers never send it at once.
- Nothing the provider accepted is sent twice, except where the provider cannot tell:
  the provider's message id is written as soon as it answers (outcomes that finish
  together share one commit: bot/notifications/group_commit.py). An attempt whose answer
  was lost (worker killed, lease expired, timeout, 5xx) is marked in doubt; before
  sending it again the dispatcher asks the provider for an accepted message with the same
  recipient and text that no other outbox message owns (Twilio SMS and free-text
  WhatsApp) and records that instead of re-sending. Telegram and webhooks cannot be
  asked: they are at-least-once (webhook receivers dedupe on the delivery id); the local
  provider is exactly-once (its delivery is the store write itself).
- Failures are retried with exponential backoff and jitter (a provider's `retry_after`
  wins) up to `max_attempts`, then the message is `failed` for staff to see. A failed
  WhatsApp message is queued again as an SMS in the same store write.
- Every message passes the send policy first (country codes, a daily ceiling per number:
  bot/notifications/send_policy.py); one it refuses ends `refused`, never sent. A phone
  code's text gets its code only here, on its way to the provider (bot/phone_check.py).
"""

import asyncio
import logging
import os
import random
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from uuid import uuid4

from bot.clock import utc_now
from bot.metrics import NOTIFICATIONS
from bot.notifications.fallback import sms_fallbacks
from bot.notifications.group_commit import GroupCommit
from bot.notifications.message import Attempt, DeliveryState, OutboxMessage
from bot.notifications.providers.base import (
    Accepted,
    Provider,
    Refused,
    Rejected,
    RetryLater,
)
from bot.notifications.providers.registry import (
    PROVIDERS,
    Providers,
    Registration,
    build_providers,
)
from bot.notifications.send_policy import SendPolicy
from bot.phone import mask_phone
from bot.phone_check import PhoneCodes
from bot.platforms import Platforms
from bot.store.base import Store

log = logging.getLogger(__name__)
# an outcome as the metrics count it: back to pending is a retry; any other state was sent
_COUNTED_AS = {"pending": "retry", "failed": "failed"}


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int
    base_seconds: float
    max_seconds: float

    def delay(self, attempts: int, retry_after: float | None) -> float:
        """Exponential backoff with equal jitter: half the step fixed, half random, so
        messages that failed together do not all come back at the same instant."""
        if retry_after is not None:
            return retry_after
        step = min(self.max_seconds, self.base_seconds * 2.0 ** (attempts - 1))
        return step / 2 + random.uniform(0, step / 2)


class Dispatcher:
    def __init__(
        self,
        store: Store,
        providers: Providers,
        policy: RetryPolicy,
        *,
        lease: timedelta,
        send_timeout: timedelta,
        batch: int,
        concurrency: int,
        poll_seconds: float,
        send_policy: SendPolicy,
        prepare: Callable[[OutboxMessage], OutboxMessage],
    ) -> None:
        """`prepare`: the message as handed to the provider (a phone code gets its code)."""
        self.store = store
        self.providers = providers
        self.policy = policy
        self.send_policy = send_policy
        self.prepare = prepare
        self.lease = lease
        self.send_timeout = send_timeout
        self.batch = batch
        self.poll_seconds = poll_seconds
        self._slots = asyncio.Semaphore(concurrency)
        self._outcomes = GroupCommit(store.finish_messages)
        self._worker = f"{socket.gethostname()}:{os.getpid()}"

    async def run_once(self) -> int:
        """Deliver everything due now; returns how many attempts were made."""
        attempted = 0
        while True:
            now = utc_now()
            token = f"{self._worker}:{uuid4().hex}"
            claimed = await self.store.claim_messages(now, now + self.lease, token, self.batch)
            await asyncio.gather(*(self._deliver(message) for message in claimed))
            attempted += len(claimed)
            if len(claimed) < self.batch:
                return attempted

    async def run_forever(self) -> None:
        while True:
            try:
                await self.run_once()
            except Exception:
                log.exception("delivery pass failed; retrying in %ss", self.poll_seconds)
            await asyncio.sleep(self.poll_seconds)

    async def _deliver(self, message: OutboxMessage) -> None:
        provider = self.providers.for_channel(message.channel)
        async with self._slots:
            if utc_now() + self.send_timeout >= message.due_at:
                log.warning("%s waited past its lease; the next claim takes it", message.id)
                return
            outcome = await self._attempt(provider, message)
        follow_ups = sms_fallbacks(outcome, outcome.updated_at) if outcome.state == "failed" else []
        assert message.claim_token is not None
        if not await self._outcomes.write(Attempt(outcome, message.claim_token, follow_ups)):
            log.warning("lease on %s ran out before its outcome was written", message.id)
            return
        NOTIFICATIONS.labels(provider.name, _COUNTED_AS.get(outcome.state, "sent")).inc()
        phone = message.channel in ("sms", "whatsapp")
        log.info(
            "%s %s to %s via %s: %s%s",
            message.event,
            message.id,
            mask_phone(message.to) if phone else message.to,
            provider.name,
            outcome.state,
            f" ({outcome.error})" if outcome.error else "",
        )

    async def _attempt(self, provider: Provider, message: OutboxMessage) -> OutboxMessage:
        refusal = await self.send_policy.refusal(message)
        if refusal is not None:
            return self._end(message, provider, state="refused", error=refusal)
        outgoing = self.prepare(message)
        try:
            async with asyncio.timeout(self.send_timeout.total_seconds()):
                earlier = (
                    await self._earlier_attempt(provider, outgoing) if message.in_doubt else None
                )
                accepted = earlier or await provider.send(outgoing)
        except TimeoutError:
            no_answer = f"no answer within {self.send_timeout.total_seconds():g}s"
            return self._retry(message, provider, no_answer, None, in_doubt=True)
        except RetryLater as exc:
            return self._retry(message, provider, str(exc), exc.retry_after, exc.in_doubt)
        except Refused as exc:
            return self._end(message, provider, state="refused", error=str(exc))
        except Rejected as exc:
            return self._end(message, provider, state="failed", error=str(exc))
        except Exception as exc:  # a bug or an unexpected library error: never lose the message
            log.exception("%s failed unexpectedly", provider.name)
            return self._retry(message, provider, repr(exc), None, in_doubt=True)
        # the local outbox's delivery is the record itself: it keeps what was delivered
        return self._end(
            outgoing if accepted.recorded else message,
            provider,
            state=accepted.state,
            provider_message_id=accepted.provider_message_id,
        )

    async def _earlier_attempt(self, provider: Provider, message: OutboxMessage) -> Accepted | None:
        """An accepted message from a lost attempt that no other outbox message owns."""
        for provider_message_id in await provider.find_accepted(message):
            if await self.store.get_message_by_provider_id(provider_message_id) is None:
                log.info(
                    "%s was already accepted as %s; not sending again",
                    message.id,
                    provider_message_id,
                )
                return Accepted(provider_message_id, "queued")
        return None

    def _retry(
        self,
        message: OutboxMessage,
        provider: Provider,
        error: str,
        retry_after: float | None,
        in_doubt: bool,
    ) -> OutboxMessage:
        if message.attempts >= self.policy.max_attempts:
            gave_up = f"gave up after {message.attempts} attempts: {error}"
            return self._end(message, provider, state="failed", error=gave_up)
        now = utc_now()
        delay = timedelta(seconds=self.policy.delay(message.attempts, retry_after))
        return message.model_copy(
            update={
                "state": "pending",
                "due_at": now + delay,
                "claim_token": None,
                "in_doubt": message.in_doubt or in_doubt,
                "provider": provider.name,
                "error": error,
                "updated_at": now,
            }
        )

    @staticmethod
    def _end(
        message: OutboxMessage,
        provider: Provider,
        *,
        state: DeliveryState,
        error: str | None = None,
        provider_message_id: str | None = None,
    ) -> OutboxMessage:
        now = utc_now()
        return message.model_copy(
            update={
                "state": state,
                "due_at": now,
                "claim_token": None,
                "in_doubt": False,
                "provider": provider.name,
                "provider_message_id": provider_message_id,
                "error": error,
                "updated_at": now,
            }
        )


def build_dispatcher(
    platforms: Platforms, providers: tuple[Registration, ...] = PROVIDERS
) -> Dispatcher:
    settings = platforms.settings
    return Dispatcher(
        platforms.store,
        build_providers(platforms, providers),
        RetryPolicy(
            max_attempts=settings.notification_max_attempts,
            base_seconds=settings.notification_backoff_seconds,
            max_seconds=settings.notification_backoff_max_seconds,
        ),
        lease=timedelta(seconds=settings.notification_lease_seconds),
        send_timeout=timedelta(seconds=settings.provider_timeout_seconds),
        batch=settings.notification_batch,
        concurrency=settings.notification_concurrency,
        poll_seconds=settings.notification_poll_seconds,
        send_policy=SendPolicy(
            platforms.store,
            frozenset(settings.phone_country_codes),
            settings.messages_per_phone_per_day,
        ),
        prepare=PhoneCodes.from_settings(settings).fill,
    )
