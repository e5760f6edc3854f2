"""Audio for the phone line: 8 kHz mono, what a telephone carries (anything richer is wasted).

- Announcements the line plays (`telephone_audio`): loudness-normalised and silence trimmed,
  so they sound like the line's other prompts and start at once (pydub drives ffmpeg).
- Callers' recordings (`compact_recording`), a burst of them when everyone calls at once:
  encoded to MP3 by LAME. Twilio records 8 kHz mono 16-bit WAV, which LAME takes as it is
  (about 4 ms a second of speech; starting ffmpeg alone costs more); anything else is made
  so by ffmpeg first. A streamed MP3 carries no gapless header, so it plays with the
  encoder's delay (about 0.14 s) of silence first.

Both run in a converter process of their own at a lower CPU priority (its ffmpeg processes
inherit it), one conversion at a time: LAME and pydub hold the GIL while they work, so in a
thread they would stall the event loop that answers calls, for every recording of a surge.
The converter ends with the process that started it, however that ended: one whose service
was killed (SIGKILL, the OOM killer) would otherwise wait for work forever, one more each time.
"""

import asyncio
import io
import multiprocessing
import os
import signal
import threading
import time
import wave
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

import lameenc
from pydub import AudioSegment
from pydub.silence import detect_leading_silence

TELEPHONE_RATE = 8000
TARGET_DBFS = -18.0
SILENCE_DBFS = -45.0
RECORDING_KBPS = 16  # what a telephone line carries; a 2-minute message is 240 kB
RECORDING_MEDIA_TYPE = "audio/mpeg"  # what compact_recording makes
NICENESS = 10
PARENT_CHECK_SECONDS = 1.0


class UnreadableAudio(ValueError):
    """ffmpeg could not decode the file."""


def _start_converter() -> None:
    """In the converter process: a lower priority; Ctrl-C is for the service, which stops it;
    gone with the service."""
    os.nice(NICENESS)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_after, args=(os.getppid(),), daemon=True).start()


def _exit_after(parent: int) -> None:
    """Its queue never closes when the service is killed (the converter holds its writing
    end too), so the converter watches for the service to be gone: it then has a new parent."""
    while os.getppid() == parent:
        time.sleep(PARENT_CHECK_SECONDS)
    os._exit(0)


class Converter:
    """The converter process, started on first use and again after it died (killed, out of
    memory): a conversion it was doing is tried once more in the new one."""

    def __init__(self) -> None:
        self._pool: ProcessPoolExecutor | None = None

    def _running(self) -> ProcessPoolExecutor:
        if self._pool is None:
            # spawned: forking a process that runs threads (the store's, the loop's) is unsafe
            context = multiprocessing.get_context("spawn")
            self._pool = ProcessPoolExecutor(1, context, initializer=_start_converter)
        return self._pool

    async def run(self, convert: Callable[[bytes], bytes], data: bytes) -> bytes:
        try:
            return await self._once(convert, data)
        except BrokenProcessPool:  # it died under this conversion: once more, in a new one
            try:
                return await self._once(convert, data)
            except BrokenProcessPool as exc:
                raise UnreadableAudio("the audio stopped the converter twice") from exc

    async def _once(self, convert: Callable[[bytes], bytes], data: bytes) -> bytes:
        pool = self._running()
        try:
            return await asyncio.get_running_loop().run_in_executor(pool, convert, data)
        except BrokenProcessPool:
            if self._pool is pool:
                self._pool = None
            pool.shutdown(wait=False)
            raise


_CONVERTER = Converter()


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
    return await _CONVERTER.run(_convert, data)


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
    return await _CONVERTER.run(_compress, data)
