"""The local outbox: no account, no network; staff read the messages in the back office.

It is the embedded default for every channel without a configured account. Delivering
is recording the outcome in the store, so a message is delivered exactly once.
"""

from bot.notifications.message import OutboxMessage
from bot.notifications.providers.base import Accepted
from bot.words import N_

PROVIDER_NAME = "local"
LOCAL_LABEL = N_("provider.local")


class LocalProvider:
    name = PROVIDER_NAME
    channel = "local"

    async def send(self, message: OutboxMessage) -> Accepted:
        return Accepted(f"local:{message.id}", "delivered", recorded=True)

    async def find_accepted(self, message: OutboxMessage) -> list[str]:
        """Nothing leaves the store, so there is never an attempt to find."""
        return []
