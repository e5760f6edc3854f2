"""Audio for the phone line: 8 kHz mono, what a telephone carries (anything richer is wasted).

- Announcements the line plays (`telephone_audio`): loudness-normalised and silence trimmed,
  so they sound like the line's other prompts and start at once. pydub drives ffmpeg from a
  worker thread of its own, at a lower CPU priority its ffmpeg processes inherit (on Linux a
  thread's niceness is its own).
- Callers' recordings (`compact_recording`), a burst of them when everyone calls at once:
  one ffmpeg process each, at a lower CPU priority, fed and read through pipes. None of the
  audio passes through Python, so converting holds neither the service's interpreter (its
  GIL) nor a core from the calls: the burst waits for the callers, not they for it.
"""

import asyncio
import io
import os
import shutil
import tempfile
from asyncio.subprocess import DEVNULL, PIPE
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from pydub import AudioSegment
from pydub.silence import detect_leading_silence

TELEPHONE_RATE = 8000
TARGET_DBFS = -18.0
SILENCE_DBFS = -45.0
RECORDING_BITRATE = "16k"  # what a telephone line carries; a 2-minute message is 240 kB
NICENESS = 10


def _lower_priority() -> None:
    os.nice(NICENESS)


_CONVERTER = ThreadPoolExecutor(
    max_workers=1, thread_name_prefix="audio", initializer=_lower_priority
)


async def _in_converter(convert: Callable[[bytes], bytes], data: bytes) -> bytes:
    return await asyncio.get_running_loop().run_in_executor(_CONVERTER, convert, data)


class UnreadableAudio(ValueError):
    """ffmpeg could not decode the file."""


def _trim(segment: AudioSegment) -> AudioSegment:
    start = detect_leading_silence(segment, silence_threshold=SILENCE_DBFS)
    end = detect_leading_silence(segment.reverse(), silence_threshold=SILENCE_DBFS)
    return segment[start : len(segment) - end] if start + end < len(segment) else segment[:0]


def _decode(data: bytes) -> AudioSegment:
    # WAV (what Twilio records) is read natively; anything else goes through ffmpeg
    kind = "wav" if data[8:12] == b"WAVE" else None
    try:
        return AudioSegment.from_file(io.BytesIO(data), format=kind)
    except Exception as exc:  # pydub raises bare exceptions for ffmpeg failures
        raise UnreadableAudio("the file is not audio ffmpeg can read") from exc


def _convert(data: bytes) -> bytes:
    segment = (
        _trim(_decode(data)).set_channels(1).set_frame_rate(TELEPHONE_RATE).set_sample_width(2)
    )
    if len(segment) == 0:
        raise UnreadableAudio("the recording is silent")
    segment = segment.apply_gain(TARGET_DBFS - segment.dBFS)
    out = io.BytesIO()
    segment.export(out, format="wav")
    return out.getvalue()


async def telephone_audio(data: bytes) -> bytes:
    """The recording as 16-bit 8 kHz mono WAV, ready for the phone line."""
    return await _in_converter(_convert, data)


COMPACT = (
    *("nice", "-n", str(NICENESS), "ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error"),
    *("-i", "pipe:0", "-ac", "1", "-ar", str(TELEPHONE_RATE), "-b:a", RECORDING_BITRATE),
    *("-f", "mp3", "-y"),
)


async def compact_recording(data: bytes) -> bytes:
    """A caller's recording as mono 8 kHz MP3: about 2 kB a second, plays in any browser.

    ffmpeg writes a file, not a pipe: it goes back to the start to note the encoder's delay
    and padding, which players then skip (through a pipe the MP3 would start with silence)."""
    folder = Path(await asyncio.to_thread(tempfile.mkdtemp, prefix="balagh-audio-"))
    try:
        target = folder / "recording.mp3"
        process = await asyncio.create_subprocess_exec(
            *COMPACT, str(target), stdin=PIPE, stdout=DEVNULL, stderr=PIPE
        )
        _, errors = await process.communicate(data)
        mp3 = await asyncio.to_thread(target.read_bytes) if process.returncode == 0 else b""
    finally:
        await asyncio.to_thread(shutil.rmtree, folder, True)
    if not mp3:
        reason = errors.decode(errors="replace").strip().splitlines()[-1:] or ["no audio"]
        raise UnreadableAudio(f"the file is not audio ffmpeg can read: {reason[0][:200]}")
    return mp3
