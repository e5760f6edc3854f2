"""Callers benchmark: N simulated callers on the 940 line at once, each a whole report.

The stack runs as `make run` starts it, on embedded defaults in a temporary folder: the
dialogue core (Rasa with the trained model) and the service (SQLite store, actions, worker),
plus a stand-in for Twilio's recordings API serving each caller's description. Every caller
dials, chooses Arabic, reports a pothole in Al Hofuf with a recorded description, confirms
their number and the summary and hears the reference, pressing a key 4 s after each prompt —
every webhook signed as Twilio signs it. Calls start spread over the first think time, so the
line carries N callers at once from then on.

Target on this machine: 300 callers, prompt latency p95 < 1 s, no errors, exactly one
complaint per completed call. Prints one JSON line last.

    python bench/callers.py [--callers 300] [--think 4]
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import math
import os
import random
import sys
import tempfile
import time
import wave
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.store.base import ComplaintFilter, Cursor  # noqa: E402
from bot.store.sqlite import SqliteStore  # noqa: E402
from channels.voice.speech import digit_name  # noqa: E402
from tests.channels.voice.caller import Answer, SimulatedCall, new_sid  # noqa: E402
from tests.e2e.servers import Stack, free_port, missing_prerequisite  # noqa: E402

PUBLIC = "https://localhost"
P95_TARGET_MS = 1000.0
# Arabic; report a problem; roads; Al Hofuf; (record); yes, my number; send it.
KEYS_BEFORE_RECORDING = ("1", "1", "1", "1")
KEYS_AFTER_RECORDING = ("1", "1")


def description_wav(seconds: float = 3.0) -> bytes:
    """What Twilio hands back: 8 kHz mono 16-bit PCM (a warbling tone stands in for a voice)."""
    rate = 8000
    frames = bytearray()
    for n in range(int(rate * seconds)):
        sample = 0.3 * math.sin(2 * math.pi * (300 + 80 * math.sin(n / 900)) * n / rate)
        frames += int(sample * 32767).to_bytes(2, "little", signed=True)
    out = io.BytesIO()
    with wave.open(out, "wb") as file:
        file.setnchannels(1)
        file.setsampwidth(2)
        file.setframerate(rate)
        file.writeframes(bytes(frames))
    return out.getvalue()


@dataclass
class Results:
    latencies_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    completed: set[str] = field(default_factory=set)  # CallSids that heard their reference


class TimedCall(SimulatedCall):
    """A simulated call that times each webhook and checks each answer is a real prompt."""

    def __init__(self, results: Results, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.results = results

    async def post(self, url: str, fields: dict[str, object]) -> httpx.Response:
        started = time.perf_counter()
        response = await super().post(url, fields)
        self.results.latencies_ms.append((time.perf_counter() - started) * 1000)
        return response


def reads_a_reference(line: str) -> bool:
    """A reference is ten digits read one by one (and only the line reads them so)."""
    digits = {digit_name(digit, language) for digit in range(10) for language in ("ar", "en")}
    return sum(word.strip("،,.") in digits for word in line.split()) >= 10


def expect_prompt(answer: Answer, tag: str) -> None:
    if not answer.has(tag) or any("نعتذر" in line for line in answer.said):
        raise AssertionError(f"expected <{tag}>, got {answer.xml[:300]}")


async def one_caller(
    http: httpx.AsyncClient, server: str, results: Results, start_after: float, think: float
) -> None:
    await asyncio.sleep(start_after)
    caller = f"+9665{random.randrange(10**7, 10**8)}"
    call = TimedCall(results, http, PUBLIC, caller=caller, server=server)
    try:
        expect_prompt(await call.dial(), "Gather")
        for key in KEYS_BEFORE_RECORDING[:-1]:
            await asyncio.sleep(think)
            expect_prompt(await call.press(key), "Gather")
        await asyncio.sleep(think)
        expect_prompt(await call.press(KEYS_BEFORE_RECORDING[-1]), "Record")
        await asyncio.sleep(think)
        expect_prompt(await call.record(new_sid("RE"), seconds=3), "Gather")
        await asyncio.sleep(think)
        expect_prompt(await call.press(KEYS_AFTER_RECORDING[0]), "Gather")
        await asyncio.sleep(think)
        created = await call.press(KEYS_AFTER_RECORDING[1])  # then "anything else?", or goodbye
        if not any(reads_a_reference(line) for line in created.said):
            raise AssertionError(f"no reference read back: {created.said[:1]}")
        results.completed.add(call.call_sid)
        await call.hang_up()
    except (AssertionError, httpx.HTTPError) as problem:
        results.errors.append(f"{call.call_sid}: {type(problem).__name__}: {problem}"[:400])


class FakeRecordings:
    """Twilio's recordings media endpoint: every recording is the same short description."""

    def __init__(self) -> None:
        self.audio = description_wav()

    async def recording(self, request: Request) -> Response:
        return Response(self.audio, media_type="audio/x-wav")


@contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


async def count_voice_complaints(database: Path) -> list[str]:
    """The CallSid of every complaint reported on the phone."""
    store = SqliteStore(database)
    await store.open()
    try:
        call_sids: list[str] = []
        cursor = None
        while True:
            page = await store.list_complaints(ComplaintFilter(channel="voice"), 200, cursor)
            call_sids += [complaint.sources.get("CallSid", "") for complaint in page.items]
            if page.next_cursor is None:
                return call_sids
            cursor = Cursor.decode(page.next_cursor)
    finally:
        await store.close()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


async def run(callers: int, think: float, workdir: Path) -> dict[str, object]:
    fake = FakeRecordings()
    twilio_port = free_port()
    route = Route("/2010-04-01/Accounts/{account}/Recordings/{sid}.wav", fake.recording)
    twilio = uvicorn.Server(
        uvicorn.Config(Starlette(routes=[route]), port=twilio_port, log_level="warning")
    )
    twilio_task = asyncio.create_task(twilio.serve())
    env = {
        "BALAGH_PUBLIC_BASE_URL": PUBLIC,
        "BALAGH_ATTACHMENTS_DIR": str(workdir / "attachments"),
        "BALAGH_TWILIO_API_BASE_URL": f"http://127.0.0.1:{twilio_port}",
    }
    with environment(env):
        stack = await asyncio.to_thread(Stack.start, workdir)
    try:
        results = Results()
        # a connection per webhook, as Twilio makes them (none idle past the server's keep-alive)
        limits = httpx.Limits(max_connections=callers, max_keepalive_connections=0)
        async with httpx.AsyncClient(timeout=30, limits=limits) as http:
            started = time.perf_counter()
            await asyncio.gather(
                *(
                    one_caller(http, stack.service.url, results, think * n / callers, think)
                    for n in range(callers)
                )
            )
            elapsed = time.perf_counter() - started
        call_sids = await count_voice_complaints(workdir / "balagh.db")
    finally:
        await asyncio.to_thread(stack.stop)
        twilio.should_exit = True
        await twilio_task
    one_each = sorted(call_sids) == sorted(results.completed)
    return {
        "callers": callers,
        "think_seconds": think,
        "turns": len(results.latencies_ms),
        "turns_per_s": round(len(results.latencies_ms) / elapsed, 1),
        "prompt_latency_ms": {
            "p50": round(percentile(results.latencies_ms, 0.50), 1),
            "p95": round(percentile(results.latencies_ms, 0.95), 1),
            "p99": round(percentile(results.latencies_ms, 0.99), 1),
        },
        "errors": len(results.errors),
        "first_errors": results.errors[:3],
        "calls_completed": len(results.completed),
        "complaints_created": len(call_sids),
        "one_complaint_per_completed_call": one_each,
        "seconds": round(elapsed, 1),
        "meets_target": not results.errors
        and one_each
        and percentile(results.latencies_ms, 0.95) < P95_TARGET_MS,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--callers", type=int, default=300)
    parser.add_argument("--think", type=float, default=4.0, help="seconds between key presses")
    args = parser.parse_args()
    problem = missing_prerequisite()
    if problem:
        sys.exit(f"bench/callers.py needs the dialogue core: {problem}")
    with tempfile.TemporaryDirectory(prefix="balagh-callers-") as folder:
        summary = asyncio.run(run(args.callers, args.think, Path(folder)))
    print(json.dumps(summary, ensure_ascii=False))


if __name__ == "__main__":
    main()
