"""What the core knows about each channel a complaint can come from: its name, the medium its
words are for, and where its citizens hear back about their reports.

The phone line and the chat channels are adapters in `channels/`, each declaring its own
`ChannelInfo`, registered in one list (`channels/registry.py`); the portal, the citizen API
and Open311 are the service's own. The composition (`bot/app.py`) builds one directory from
both, so nothing in the core imports a channel, and a channel's name, medium and contact are
never asked of anything but its registration.
"""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Final

from bot.notifications.message import MessageChannel
from bot.types import Language
from bot.words import N_, Medium, has, text

PORTAL: Final = "portal"
API: Final = "api"
OPEN311: Final = "open311"


@dataclass(frozen=True)
class ChannelInfo:
    """One channel as the core sees it."""

    code: str  # on complaints, in the KPIs and the queue's filters: "telegram"
    label: str  # the words key of its name, marked for extraction: N_("channel.telegram")
    medium: Medium  # whose words it is given (bot.words): voice, chat, sms or web
    notify_via: MessageChannel = "sms"  # how its citizens are told about their reports
    # the complaint source holding their address there (e.g. a Telegram chat id); None: phone
    contact_source: str | None = None


CORE_SOURCES: Final = (
    ChannelInfo(PORTAL, N_("channel.portal"), "web"),
    ChannelInfo(API, N_("channel.api"), "web"),
    ChannelInfo(OPEN311, N_("channel.open311"), "web"),
)


class ChannelDirectory:
    """Every channel of this service, in registration order."""

    def __init__(self, channels: Iterable[ChannelInfo]) -> None:
        self._channels: dict[str, ChannelInfo] = {}
        for info in channels:
            if info.code in self._channels:
                raise ValueError(f"channel {info.code!r} is registered twice")
            self._channels[info.code] = info

    def __iter__(self) -> Iterator[ChannelInfo]:
        return iter(self._channels.values())

    def __contains__(self, code: object) -> bool:
        return code in self._channels

    def get(self, code: str) -> ChannelInfo | None:
        return self._channels.get(code)

    def medium(self, code: str) -> Medium:
        """Whose words the channel is given; a chat's for a channel no longer registered."""
        info = self._channels.get(code)
        return info.medium if info is not None else "chat"

    def label(self, code: str, language: Language) -> str:
        """The channel's name; its code when it has no words (the locales check reports
        that) or is no longer registered (old complaints keep their channel)."""
        info = self._channels.get(code)
        if info is None or not has(info.label, language):
            return code
        return text(info.label, language)
