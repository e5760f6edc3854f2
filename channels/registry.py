"""The one list of channels: every way a citizen reaches the service through a platform.

Each entry is a class with `infos` (the channel(s) it carries, as the core knows them:
`bot.channel_directory.ChannelInfo`) and `mount(app)` (how the platform reaches the service).
Chat channels implement `channels.chat_channel.ChatChannel`; the phone line is its own.
The composition (bot/composition.py, bot/app.py) builds the core's channel directory and the
routes from this list alone: add a channel here and nowhere else.
"""

from collections.abc import Iterator
from typing import ClassVar, Final, Protocol

from fastapi import FastAPI

from bot.channel_directory import CORE_SOURCES, ChannelDirectory, ChannelInfo
from channels.messaging import TwilioMessagingChannel
from channels.telegram import TelegramChannel
from channels.voice.router import PhoneLine
from channels.webchat import WebChatChannel


class Channel(Protocol):
    infos: ClassVar[tuple[ChannelInfo, ...]]

    def mount(self, app: FastAPI) -> None: ...


CHANNELS: Final[tuple[type[Channel], ...]] = (
    PhoneLine,
    TwilioMessagingChannel,
    TelegramChannel,
    WebChatChannel,
)


def channel_infos(channels: tuple[type[Channel], ...] = CHANNELS) -> Iterator[ChannelInfo]:
    for channel in channels:
        yield from channel.infos


def directory(channels: tuple[type[Channel], ...] = CHANNELS) -> ChannelDirectory:
    """Every channel the core knows: the service's own sources, then the registered ones."""
    return ChannelDirectory([*CORE_SOURCES, *channel_infos(channels)])
