"""The one list of notification providers, and which one carries each outbox channel.

A provider is one module with a class implementing `Provider` (base.py) and a `build`
function that returns it when its account is configured, None otherwise. A channel that no
configured provider carries goes to the local outbox: with no account at all (the embedded
default), a fresh install still notifies, into the back office's outbox page.
"""

from collections.abc import Callable, Iterable
from typing import Final

from bot.notifications.providers import telegram, twilio_sms, twilio_whatsapp, webhook
from bot.notifications.providers.base import Provider
from bot.notifications.providers.local import LocalProvider
from bot.platforms import Platforms

PROVIDERS: Final[tuple[Callable[[Platforms], Provider | None], ...]] = (
    twilio_sms.build,
    twilio_whatsapp.build,
    telegram.build,
    webhook.build,
)


class Providers:
    def __init__(self, providers: Iterable[Provider]) -> None:
        self.local = LocalProvider()
        self.by_channel: dict[str, Provider] = {}
        for provider in providers:
            if provider.channel in self.by_channel:
                raise ValueError(f"two providers carry {provider.channel!r}")
            self.by_channel[provider.channel] = provider

    def for_channel(self, channel: str) -> Provider:
        return self.by_channel.get(channel, self.local)


def build_providers(platforms: Platforms) -> Providers:
    built = (build(platforms) for build in PROVIDERS)
    return Providers(provider for provider in built if provider is not None)
