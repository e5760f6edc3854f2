"""What every provider promises the dispatcher, and how it reports a failed attempt."""

from dataclasses import dataclass
from typing import Protocol

from bot.notifications.message import DeliveryState, OutboxMessage


@dataclass(frozen=True)
class Accepted:
    """The provider took the message; its id is what later status callbacks name.

    `recorded`: the delivery is the outbox record itself (the local outbox), so the record
    keeps the text exactly as delivered."""

    provider_message_id: str
    state: DeliveryState
    recorded: bool = False


class RetryLater(Exception):
    """A failure worth another attempt.

    `in_doubt`: the request may have reached the provider (timeout, 5xx), so the next
    attempt first asks the provider whether it already has the message.
    `retry_after`: the provider said how long to wait (seconds).
    """

    def __init__(
        self, reason: str, *, retry_after: float | None = None, in_doubt: bool = False
    ) -> None:
        super().__init__(reason)
        self.retry_after = retry_after
        self.in_doubt = in_doubt


class Rejected(Exception):
    """A failure no retry will fix (invalid number, blocked bot, deleted subscription)."""


class Refused(Rejected):
    """Not sent at all, by the service's own rule (a webhook to a private address)."""


class Provider(Protocol):
    name: str  # recorded on each message it sends
    channel: str  # the outbox channel it carries: "sms", "whatsapp", "telegram"…

    async def send(self, message: OutboxMessage) -> Accepted:
        """Hand the message over; raise RetryLater or Rejected when it was not taken."""

    async def find_accepted(self, message: OutboxMessage) -> list[str]:
        """Provider ids of messages it already took that may be this one (an attempt in
        doubt); empty when there are none or the provider cannot tell."""
