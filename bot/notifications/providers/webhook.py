"""Outbound webhooks: each complaint event POSTed as signed JSON to a subscriber.

Any answer but 2xx is retried with the outbox's backoff (a receiver being fixed or
redeployed should not lose events), except 410 Gone, which ends the delivery.
Delivery is at-least-once; receivers dedupe on `X-Balagh-Delivery`. In production a
delivery goes only to a public address, resolved and checked as it is made
(bot/notifications/webhook_target.py); one that is not ends `refused`.
"""

import httpx

from bot.clock import utc_now
from bot.notifications.message import OutboxMessage
from bot.notifications.providers.base import Accepted, Refused, Rejected, RetryLater
from bot.notifications.subscription import RECORD_KIND, WebhookSubscription
from bot.notifications.webhook_signature import (
    DELIVERY_HEADER,
    EVENT_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    signature,
)
from bot.notifications.webhook_target import TargetRefused, WebhookTargets, webhook_targets
from bot.platforms import Platforms
from bot.store.base import Store


def build(platforms: Platforms) -> "WebhookProvider":
    """Subscriptions need no account: always on."""
    return WebhookProvider(platforms.store, platforms.http, webhook_targets(platforms.settings))


class WebhookProvider:
    name = "webhook"
    channel = "webhook"

    def __init__(self, store: Store, http: httpx.AsyncClient, targets: WebhookTargets) -> None:
        self._store = store
        self._http = http
        self._targets = targets

    async def send(self, message: OutboxMessage) -> Accepted:
        subscription = await self._store.get_record(RECORD_KIND, message.to, WebhookSubscription)
        if subscription is None:
            raise Rejected("the subscription was deleted")
        body = message.body.encode()
        timestamp = int(utc_now().timestamp())
        headers = {
            "Content-Type": "application/json",
            TIMESTAMP_HEADER: str(timestamp),
            SIGNATURE_HEADER: signature(subscription.secret, timestamp, body),
            DELIVERY_HEADER: message.id,
            EVENT_HEADER: message.event,
        }
        try:
            target = await self._targets.target(subscription.url)
        except TargetRefused as exc:
            raise Refused(str(exc)) from None
        try:
            response = await self._http.post(
                target.url,
                content=body,
                headers={**headers, **target.headers},
                extensions=target.extensions,
                follow_redirects=False,
            )
        except httpx.ConnectError as exc:
            raise RetryLater(f"cannot connect: {exc}") from exc
        except httpx.HTTPError as exc:
            raise RetryLater(f"no answer: {exc!r}", in_doubt=True) from exc
        if response.is_success:
            return Accepted(f"webhook:{message.id}", "delivered")
        reason = f"HTTP {response.status_code}"
        if response.status_code == httpx.codes.GONE:
            raise Rejected(reason)
        raise RetryLater(reason, retry_after=_retry_after(response))

    async def find_accepted(self, message: OutboxMessage) -> list[str]:
        """A receiver cannot be asked; it dedupes repeats by the delivery id instead."""
        return []


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After", "")
    return float(value) if value.isdigit() else None
