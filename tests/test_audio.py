"""Callers' recordings made compact by ffmpeg: what is not audio is refused, never kept."""

import pytest

from bot.audio import UnreadableAudio, compact_recording


async def test_a_recording_that_is_not_audio_is_refused() -> None:
    with pytest.raises(UnreadableAudio, match="not audio ffmpeg can read"):
        await compact_recording(b"RIFF\x00\x00\x00\x00WAVE but no audio at all")
