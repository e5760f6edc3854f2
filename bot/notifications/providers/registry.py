"""The one list of notification providers, and which one carries each outbox channel.

A provider is one module with a class implementing `Provider` (base.py), a `build` function
that returns it when its account is configured (None otherwise), its label for staff (the
outbox page names it, configured or not, for the messages it carried), and, when it can
reach a staff member, the contact field staff fill in for it (contact.py). A channel that no
configured provider carries goes to the local outbox: with no account at all (the embedded
default), a fresh install still notifies, into the back office's outbox page.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Final

from bot.notifications.providers import telegram, twilio_sms, twilio_whatsapp, webhook
from bot.notifications.providers.base import Provider
from bot.notifications.providers.contact import ContactField, StaffContacts
from bot.notifications.providers.local import LOCAL_LABEL, LocalProvider
from bot.platforms import Platforms
from bot.words import N_


@dataclass(frozen=True)
class Registration:
    name: str  # the provider's own (`Provider.name`), as the outbox records who carried a message
    label: str  # its name for staff: a catalogue key
    build: Callable[[Platforms], Provider | None]
    staff_contact: ContactField | None = None  # None: it has no address for a staff member


# Staff are reached by the first of these whose contact field they filled in: Telegram, then
# SMS, else the local outbox.
PROVIDERS: Final[tuple[Registration, ...]] = (
    Registration(
        telegram.TelegramProvider.name,
        N_("provider.telegram"),
        telegram.build,
        telegram.STAFF_CONTACT,
    ),
    Registration(
        twilio_sms.TwilioSmsProvider.name,
        N_("provider.twilio_sms"),
        twilio_sms.build,
        twilio_sms.STAFF_CONTACT,
    ),
    Registration(
        twilio_whatsapp.TwilioWhatsAppProvider.name,
        N_("provider.twilio_whatsapp"),
        twilio_whatsapp.build,
    ),
    Registration(webhook.WebhookProvider.name, N_("provider.webhook"), webhook.build),
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


def build_providers(
    platforms: Platforms, registrations: tuple[Registration, ...] = PROVIDERS
) -> Providers:
    built = []
    for registration in registrations:
        provider = registration.build(platforms)
        if provider is not None and provider.name != registration.name:
            raise ValueError(f"{provider.name!r} is registered as {registration.name!r}")
        built.append(provider)
    return Providers(provider for provider in built if provider is not None)


def provider_labels(registrations: tuple[Registration, ...] = PROVIDERS) -> dict[str, str]:
    """Each provider's label key by its name, the local outbox's among them."""
    return {LocalProvider.name: LOCAL_LABEL, **{r.name: r.label for r in registrations}}


def staff_contacts(registrations: tuple[Registration, ...] = PROVIDERS) -> StaffContacts:
    """The contact fields of the registered providers, in the order staff are reached."""
    return StaffContacts(r.staff_contact for r in registrations if r.staff_contact is not None)
