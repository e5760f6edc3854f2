"""The 940 phone line as the core knows it: its code, the words key of its name, its medium."""

from typing import Final

from bot.channel_directory import ChannelInfo
from bot.voicemails import VOICE_CHANNEL
from bot.words import N_

VOICE: Final = ChannelInfo(VOICE_CHANNEL, N_("channel.voice"), "voice")
