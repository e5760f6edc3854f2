"""Callers' recordings made compact: telephone WAV as Twilio records it, or any other audio."""

import asyncio
import io
import math
import os
import signal
import sys
import wave
from pathlib import Path

import pytest
from pydub import AudioSegment

from bot import audio
from bot.audio import UnreadableAudio, compact_recording

ROOT = Path(__file__).resolve().parents[1]
# a service that has converted a recording: it says its converter's pid, then waits
SERVICE = """
import asyncio, os, signal
from bot import audio
from tests.test_audio import wav
asyncio.run(audio.compact_recording(wav(8000, 1)))
pool = audio._CONVERTER._running()
print(pool.submit(os.getpid).result(), flush=True)
signal.pause()
"""


def wav(rate: int, channels: int, seconds: float = 2.0) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as file:
        file.setnchannels(channels)
        file.setsampwidth(2)
        file.setframerate(rate)
        tone = (
            int(8000 * math.sin(2 * math.pi * 440 * n / rate)).to_bytes(2, "little", signed=True)
            for n in range(int(rate * seconds))
        )
        file.writeframes(b"".join(sample * channels for sample in tone))
    return out.getvalue()


@pytest.mark.parametrize(("rate", "channels"), [(8000, 1), (44100, 2)])
async def test_any_recording_becomes_an_8_khz_mono_mp3(rate: int, channels: int) -> None:
    mp3 = await compact_recording(wav(rate, channels))
    audio = AudioSegment.from_file(io.BytesIO(mp3), format="mp3")
    assert (audio.channels, audio.frame_rate) == (1, 8000)
    assert 2000 <= len(audio) < 2300  # milliseconds: the encoder's delay comes first
    assert len(mp3) < 2 * 16000 / 8 * 1.2  # 16 kbit/s


@pytest.mark.parametrize("data", [b"RIFF\x00\x00\x00\x00WAVE but no audio at all", wav(8000, 1, 0)])
async def test_a_recording_that_is_not_audio_or_empty_is_refused(data: bytes) -> None:
    with pytest.raises(UnreadableAudio):
        await compact_recording(data)


async def test_recordings_convert_in_a_lower_priority_process_replaced_if_it_dies() -> None:
    """LAME holds the GIL: converting in the service's own process would stall its calls."""
    await compact_recording(wav(8000, 1))
    converter = audio._CONVERTER._running()
    pid = await asyncio.get_running_loop().run_in_executor(converter, os.getpid)
    assert pid != os.getpid()
    assert (
        os.getpriority(os.PRIO_PROCESS, pid) == os.getpriority(os.PRIO_PROCESS, 0) + audio.NICENESS
    )
    os.kill(pid, signal.SIGKILL)  # as the OOM killer does
    mp3 = await compact_recording(wav(8000, 1))
    assert AudioSegment.from_file(io.BytesIO(mp3), format="mp3").frame_rate == 8000


async def test_the_converter_ends_when_its_service_is_killed() -> None:
    service = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        SERVICE,
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
    )
    assert service.stdout is not None
    converter = int(await asyncio.wait_for(service.stdout.readline(), 60))
    process = os.pidfd_open(converter)  # readable once the converter has ended
    ended = asyncio.Event()
    asyncio.get_running_loop().add_reader(process, ended.set)
    try:
        service.kill()  # SIGKILL: nothing in the service runs any more
        await asyncio.wait_for(ended.wait(), 10 * audio.PARENT_CHECK_SECONDS)
    finally:
        asyncio.get_running_loop().remove_reader(process)
        if not ended.is_set():
            signal.pidfd_send_signal(process, signal.SIGKILL)
        os.close(process)
        await service.communicate()
