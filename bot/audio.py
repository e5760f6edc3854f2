"""Recordings for the phone line: mono, 8 kHz, loudness-normalised, silence trimmed.

What the 940 line plays must sound the same level as its other prompts and start at
once; telephone audio is 8 kHz mono, so anything richer is wasted bytes. pydub drives
ffmpeg (a separate process), so the conversion runs in a worker thread of its own, at a
lower CPU priority that its ffmpeg processes inherit (on Linux a thread's niceness is its
own): a burst of recordings then waits for the calls instead of slowing every caller.
"""

import asyncio
import io
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from pydub import AudioSegment
from pydub.silence import detect_leading_silence

TELEPHONE_RATE = 8000
TARGET_DBFS = -18.0
SILENCE_DBFS = -45.0
RECORDING_BITRATE = "16k"  # what a telephone line carries; a 2-minute message is 240 kB
RECORDING_MEDIA_TYPE = "audio/mpeg"  # what compact_recording makes
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


def _compress(data: bytes) -> bytes:
    out = io.BytesIO()
    mono = _decode(data).set_channels(1).set_frame_rate(TELEPHONE_RATE)
    mono.export(out, format="mp3", bitrate=RECORDING_BITRATE)
    return out.getvalue()


async def compact_recording(data: bytes) -> bytes:
    """A caller's recording as mono 8 kHz MP3: about 2 kB a second, plays in any browser."""
    return await _in_converter(_compress, data)
