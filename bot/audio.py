"""Audio for the phone line: 8 kHz mono, what a telephone carries (anything richer is wasted).

- Announcements the line plays (`telephone_audio`): loudness-normalised and silence trimmed,
  so they sound like the line's other prompts and start at once. pydub drives ffmpeg from a
  worker thread of its own, at a lower CPU priority its ffmpeg processes inherit (on Linux a
  thread's niceness is its own).
- Callers' recordings (`compact_recording`), a burst of them when everyone calls at once:
  encoded to MP3 by LAME in the same low-priority thread. Twilio records 8 kHz mono 16-bit
  WAV, which LAME takes as it is (a few milliseconds for a minute; starting ffmpeg alone
  costs ten times that); anything else is made so by ffmpeg first. A streamed MP3 carries
  no gapless header, so it plays with the encoder's delay (about 0.14 s) of silence first.
"""

import asyncio
import io
import os
import wave
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import lameenc
from pydub import AudioSegment
from pydub.silence import detect_leading_silence

TELEPHONE_RATE = 8000
TARGET_DBFS = -18.0
SILENCE_DBFS = -45.0
RECORDING_KBPS = 16  # what a telephone line carries; a 2-minute message is 240 kB
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


def _telephone_samples(data: bytes) -> bytes | None:
    """The samples of a WAV recorded as Twilio records (8 kHz mono 16-bit PCM), else None."""
    try:
        with wave.open(io.BytesIO(data)) as recording:
            shape = (recording.getframerate(), recording.getnchannels(), recording.getsampwidth())
            if shape != (TELEPHONE_RATE, 1, 2):
                return None
            return bytes(recording.readframes(recording.getnframes()))
    except (wave.Error, EOFError):
        return None


def _compress(data: bytes) -> bytes:
    samples = _telephone_samples(data)
    if samples is None:  # recorded otherwise: ffmpeg (through pydub) makes it telephone audio
        segment = _decode(data).set_channels(1).set_frame_rate(TELEPHONE_RATE)
        samples = segment.set_sample_width(2).raw_data
    if not samples:
        raise UnreadableAudio("the recording is empty")
    encoder = lameenc.Encoder()
    encoder.set_in_sample_rate(TELEPHONE_RATE)
    encoder.set_channels(1)
    encoder.set_bit_rate(RECORDING_KBPS)
    encoder.set_quality(5)
    return bytes(encoder.encode(samples) + encoder.flush())


async def compact_recording(data: bytes) -> bytes:
    """A caller's recording as mono 8 kHz MP3: about 2 kB a second, plays in any browser."""
    return await _in_converter(_compress, data)
