"""Callers benchmark: how many callers the 940 line serves at once on this machine, and a surge.

The stack runs as `make run` starts it, on embedded defaults in a temporary folder: the
dialogue core (Rasa with the trained model) and the service (SQLite store, actions, worker),
plus a stand-in for Twilio's recordings API serving each caller's description. Every caller
dials, chooses Arabic, reports a pothole in Al Hofuf with a recorded description (saying
theirs is a new one when the open reports there are offered, as they are once the first are
filed), confirms their number and the summary and hears the reference, pressing a key 4 s
after each prompt —
every webhook signed as Twilio signs it. Calls start spread over the first think time, so the
line carries N callers at once from then on. A prompt's latency runs from the caller's key to
the prompt itself: a hold ("one moment") and its pause count in it.

1. Reference: the stock `rasa init` assistant's payload turns per second, measured as
   bench/dialogue.py measures it (its code), in this run on this machine.
2. Capacity: the most callers at once with prompt p95 < 1 s, no error and exactly one
   complaint per call, found by search: doubling from `--start` until a run fails, then
   halving the interval down to `--resolution` callers; runs are noisy, so the level found
   runs again and gives way to the next lower one until a run there passes too.
3. Overload: twice the capacity at once, with the line's limit (BALAGH_VOICE_CALL_LIMIT) set
   to the capacity: those past it hear the lines are busy and ask for a call-back (queued in
   the outbox for staff); none of the others may hear an apology, and each completed call
   files exactly one complaint.

Target: capacity ≥ 12 callers per reference turn/s; the overload run as above. Prints one
JSON line last (and keeps it in var/bench/callers.json: `make bench-scale` runs at the capacity
found). Takes about 8–12 minutes.

    python bench/callers.py [--think 4] [--start 40] [--resolution 20] [--callers N]

`--callers N` runs N callers once (no reference, no search), e.g. to profile.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import json
import math
import os
import random
import sys
import tempfile
import time
import wave
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.dialogue import STOCK_SCRIPTS, Connection, drive, stock_model  # noqa: E402
from bot.collector import freeze_what_is_built  # noqa: E402
from bot.handoffs import RECORD_KIND as HANDOFF_KIND  # noqa: E402
from bot.handoffs import HandoffRequest  # noqa: E402
from bot.reference import REFERENCE_LENGTH  # noqa: E402
from bot.store.base import ComplaintFilter, Cursor  # noqa: E402
from bot.store.sqlite import SqliteStore  # noqa: E402
from bot.words import text  # noqa: E402
from channels.voice.speech import digit_name  # noqa: E402
from tests.channels.voice.caller import Answer, SimulatedCall, new_sid  # noqa: E402
from tests.e2e.servers import Stack, missing_prerequisite, start_rasa  # noqa: E402
from tests.ports import free_port  # noqa: E402

PUBLIC = "https://localhost"
P95_TARGET_MS = 1000.0
RATIO_TARGET = 12.0  # callers at once per reference turn/s
# The last search's figures: bench/scale.py places as many callers as were found here.
LAST_RUN = ROOT / "var" / "bench" / "callers.json"
REFERENCE_CONVERSATIONS, REFERENCE_SECONDS = 50, 20.0  # bench/dialogue.py's defaults
WEBHOOK_TIMEOUT_SECONDS = 15.0  # Twilio's
SETTLE_SECONDS = 5.0  # between runs: recordings still being converted finish
# Arabic; report a problem; roads; Al Hofuf; (record); yes, my number; send it.
KEYS_BEFORE_RECORDING = ("1", "1", "1", "1")
KEYS_AFTER_RECORDING = ("1", "1")
PROMPTS_BEFORE_RECORDING = ("main_menu", "category", "district")  # what each key leads to
CALL_BACK_KEY = "1"
APOLOGIES = {text("call.apology", "ar", "voice"), text("call.apology", "en", "voice")}
LINES_BUSY = text("call.lines_busy", "ar", "voice")
# every number a call of this process came from: each call is a new caller
_CALLER_NUMBERS: set[str] = set()


def new_caller_number() -> str:
    """A valid Saudi mobile number no earlier call of this process used. The line greets a
    number with an open report by offering that report's status first, as it should; a
    caller who presses the same keys as everyone else would then be a step out (drawn at
    random, numbers did repeat: about one a run after a few thousand calls)."""
    while True:
        number = f"+96655{random.randrange(10**6, 10**7)}"  # 55: a mobile prefix in use
        if number not in _CALLER_NUMBERS:
            _CALLER_NUMBERS.add(number)
            return number


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
    by_prompt: dict[str, list[float]] = field(default_factory=dict)  # each prompt's latencies
    errors: list[str] = field(default_factory=list)
    outcomes: Counter[str] = field(default_factory=Counter)  # completed, turned_away, apology
    calls: set[str] = field(default_factory=set)  # every CallSid placed
    completed: set[str] = field(default_factory=set)  # CallSids that heard their reference
    heard: dict[str, str] = field(default_factory=dict)  # the reference each of them heard
    turned_away: set[str] = field(default_factory=set)  # heard the lines are busy
    holds: int = 0  # "one moment" heard


class Apology(Exception):
    """The caller heard "our system is temporarily down"."""


class TimedCall(SimulatedCall):
    """A simulated call that times each prompt (its holds included) and checks it.

    Its webhooks go out as Twilio sends them (signed, a connection each) from the light
    client bench/dialogue.py measures with: httpx would take a few milliseconds of CPU per
    request from the two cores the servers under test have.
    """

    def __init__(self, results: Results, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.results = results

    async def post(self, url: str, fields: dict[str, Any]) -> httpx.Response:
        params = {name: str(value) for name, value in fields.items()}
        signature = self.validator.compute_signature(url, params)
        target = urlsplit(url.replace(self.base_url, self.server or self.base_url, 1))
        connection = Connection(target.hostname or "127.0.0.1", target.port or 80)
        try:
            async with asyncio.timeout(WEBHOOK_TIMEOUT_SECONDS):
                status, body = await connection.post(
                    f"{target.path}?{target.query}" if target.query else target.path,
                    urlencode(params).encode(),
                    "application/x-www-form-urlencoded",
                    {"X-Twilio-Signature": signature},
                )
        except (OSError, asyncio.IncompleteReadError, TimeoutError) as exc:
            raise httpx.TransportError(f"{type(exc).__name__}: {exc}") from exc
        finally:
            await connection.close()
        return httpx.Response(status, content=body, request=httpx.Request("POST", url))

    async def answered(self, action: Awaitable[Answer]) -> tuple[Answer, float]:
        """What an action leads to once any hold ("one moment") is over, followed as Twilio
        follows it (its pause too), and how long that took in ms."""
        started = time.perf_counter()
        answer = await action
        while answer.is_hold:
            self.results.holds += 1
            await asyncio.sleep(float(answer.attribute("Pause", "length") or 1))
            answer = await self.hold_on()
        return answer, (time.perf_counter() - started) * 1000

    async def timed(
        self, prompt: str | Callable[[Answer], str], action: Awaitable[Answer]
    ) -> Answer:
        """The `prompt` an action leads to (named by it, or by what was heard), timed."""
        answer, elapsed_ms = await self.answered(action)
        name = prompt if isinstance(prompt, str) else prompt(answer)
        self.results.latencies_ms.append(elapsed_ms)
        self.results.by_prompt.setdefault(name, []).append(elapsed_ms)
        if any(line in APOLOGIES for line in answer.said):
            raise Apology(answer.said[0])
        return answer


DIGITS = {
    digit_name(digit, language): str(digit) for digit in range(10) for language in ("ar", "en")
}
# How the line starts reading back a report it filed ("Your report is registered, its number
# is …"), in each language, as the dialogue says it or as the line does when it recovers a
# step: the summary before it reads the caller's number digit by digit too.
FILED = tuple(
    text(key, language, "voice", reference="\0", due="").split("\0")[0]
    for key in ("report.created", "call.reported")
    for language in ("ar", "en")
)


def heard_reference(answer: Answer) -> str | None:
    """The reference the line read back for the report it filed, digit by digit, if it did."""
    for line in answer.said:
        for lead in FILED:
            if lead in line:
                said = (word.strip("،,.") for word in line.split(lead, 1)[1].split())
                words = [word for word in said if word]  # a separator said on its own
                digits = "".join(DIGITS.get(word, " ") for word in words).strip().split(" ")[0]
                return digits if len(digits) == REFERENCE_LENGTH else None
    return None


def heard_unfiled(heard: dict[str, str], complaints: list[tuple[str, str]]) -> list[str]:
    """The calls that heard a reference no complaint of theirs carries."""
    filed = set(complaints)
    return sorted(sid for sid, reference in heard.items() if (sid, reference) not in filed)


# "No, mine is different, press N" as the line says it, by key (a menu has at most five).
NEW_REPORT_OPTIONS = {
    text("call.option", language, "voice", title=new_report, digit=n): str(n)
    for language in ("ar", "en")
    for new_report in [text("button.nearby_new", language, "voice")]
    for n in range(1, 6)
}


def new_report_key(answer: Answer) -> str | None:
    """At "is yours one of the open reports in your district?" (a storm's callers report
    the same problems), the key of "no, mine is different"."""
    return next(
        (NEW_REPORT_OPTIONS[line] for line in answer.said if line in NEW_REPORT_OPTIONS), None
    )


def nearby_or_description(answer: Answer) -> str:
    return "nearby" if new_report_key(answer) else "description"


def expect(answer: Answer, tag: str) -> Answer:
    if not answer.has(tag):
        raise AssertionError(f"expected <{tag}>, got {answer.xml[:300]}")
    return answer


async def report(call: TimedCall, think: float) -> str:
    """Choose Arabic, report a pothole with a recorded description, hear the reference."""
    for key, prompt in zip(KEYS_BEFORE_RECORDING[:-1], PROMPTS_BEFORE_RECORDING, strict=True):
        await asyncio.sleep(think)
        expect(await call.timed(prompt, call.press(key)), "Gather")
    await asyncio.sleep(think)
    answer = await call.timed(nearby_or_description, call.press(KEYS_BEFORE_RECORDING[-1]))
    different = new_report_key(answer)
    if different:
        await asyncio.sleep(think)
        answer = await call.timed("description", call.press(different))
    expect(answer, "Record")
    await asyncio.sleep(think)
    expect(await call.timed("phone", call.record(new_sid("RE"), seconds=3)), "Gather")
    await asyncio.sleep(think)
    expect(await call.timed("summary", call.press(KEYS_AFTER_RECORDING[0])), "Gather")
    await asyncio.sleep(think)
    created = await call.timed("reference", call.press(KEYS_AFTER_RECORDING[1]))
    reference = heard_reference(created)
    if reference is None:
        raise AssertionError(f"no reference read back: {created.said[:1]}")
    return reference


async def one_caller(
    http: httpx.AsyncClient, server: str, results: Results, start_after: float, think: float
) -> None:
    await asyncio.sleep(start_after)
    call = TimedCall(results, http, PUBLIC, caller=new_caller_number(), server=server)
    results.calls.add(call.call_sid)
    try:
        greeting = expect(await call.timed("greeting", call.dial()), "Gather")
        if LINES_BUSY in greeting.said:  # past the line's limit: ask for a call-back
            await asyncio.sleep(think)
            expect(await call.timed("call_back", call.press(CALL_BACK_KEY)), "Hangup")
            results.turned_away.add(call.call_sid)
            results.outcomes["turned_away"] += 1
        else:
            results.heard[call.call_sid] = await report(call, think)
            results.completed.add(call.call_sid)
            results.outcomes["completed"] += 1
    except Apology:
        results.outcomes["apology"] += 1
    except (AssertionError, httpx.HTTPError) as problem:
        results.outcomes["error"] += 1
        results.errors.append(f"{call.call_sid}: {type(problem).__name__}: {problem}"[:400])
    finally:  # however it went, the call ends and Twilio says so
        with contextlib.suppress(httpx.HTTPError):
            await call.hang_up()


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


async def voice_complaints(database: Path) -> list[tuple[str, str]]:
    """The CallSid and reference of every complaint reported on the phone."""
    store = SqliteStore(database)
    await store.open()
    try:
        complaints: list[tuple[str, str]] = []
        cursor = None
        while True:
            page = await store.list_complaints(ComplaintFilter(channel="voice"), 200, cursor)
            complaints += [(c.sources.get("CallSid", ""), c.reference) for c in page.items]
            if page.next_cursor is None:
                return complaints
            cursor = Cursor.decode(page.next_cursor)
    finally:
        await store.close()


async def call_backs_queued(database: Path) -> set[str]:
    """The CallSids of calls whose call-back request is on the staff's list."""
    store = SqliteStore(database)
    await store.open()
    try:
        requests = await store.list_records(HANDOFF_KIND, HandoffRequest)
    finally:
        await store.close()
    return {r.conversation_id for r in requests if r.channel == "voice"}


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


def latency(values: list[float]) -> dict[str, float]:
    return {f"p{n}": round(percentile(values, n / 100), 1) for n in (50, 95, 99)}


class Line:
    """The phone line under test: the stack, a stand-in for Twilio's recordings API, and
    the calls placed on it."""

    def __init__(self, workdir: Path, think: float) -> None:
        self.workdir, self.think = workdir, think
        self.twilio_port = free_port()
        self.twilio: uvicorn.Server | None = None
        self.twilio_task: asyncio.Task[None] | None = None
        self.stack: Stack | None = None

    def env(self, call_limit: int) -> dict[str, str]:
        return {
            "BALAGH_PUBLIC_BASE_URL": PUBLIC,
            "BALAGH_ATTACHMENTS_DIR": str(self.workdir / "attachments"),
            "BALAGH_TWILIO_API_BASE_URL": f"http://127.0.0.1:{self.twilio_port}",
            "BALAGH_VOICE_CALL_LIMIT": str(call_limit),
        }

    async def start(self) -> None:
        route = Route(
            "/2010-04-01/Accounts/{account}/Recordings/{sid}.wav", FakeRecordings().recording
        )
        config = uvicorn.Config(
            Starlette(routes=[route]), port=self.twilio_port, log_level="warning"
        )
        self.twilio = uvicorn.Server(config)
        self.twilio_task = asyncio.create_task(self.twilio.serve())
        with environment(self.env(call_limit=0)):
            self.stack = await asyncio.to_thread(Stack.start, self.workdir)

    async def limit_calls(self, call_limit: int) -> None:
        """Restart the service with the line's limit (Rasa goes on)."""
        assert self.stack is not None
        with environment(self.env(call_limit)):
            await asyncio.to_thread(self.stack.restart_service)

    async def stop(self) -> None:
        if self.stack is not None:
            await asyncio.to_thread(self.stack.stop)
        if self.twilio is not None and self.twilio_task is not None:
            self.twilio.should_exit = True
            await self.twilio_task

    async def run(self, callers: int) -> Run:
        """`callers` at once, each one whole report; their figures."""
        assert self.stack is not None
        results = Results()
        freeze_what_is_built()  # the generator's own collections would count as latency
        async with httpx.AsyncClient() as http:  # SimulatedCall's; TimedCall posts on its own
            started = time.perf_counter()
            await asyncio.gather(
                *(
                    one_caller(
                        http, self.stack.service.url, results, self.think * n / callers, self.think
                    )
                    for n in range(callers)
                )
            )
            elapsed = time.perf_counter() - started
        database = self.workdir / "balagh.db"
        complaints = [
            (sid, reference)
            for sid, reference in await voice_complaints(database)
            if sid in results.calls
        ]
        reported = [sid for sid, _ in complaints]
        call_backs = await call_backs_queued(database)
        await asyncio.sleep(SETTLE_SECONDS)
        return Run(
            callers=callers,
            prompts=len(results.latencies_ms),
            prompts_per_s=round(len(results.latencies_ms) / elapsed, 1),
            prompt_latency_ms=latency(results.latencies_ms),
            p95_ms_by_prompt={
                prompt: latency(values)["p95"] for prompt, values in results.by_prompt.items()
            },
            holds=results.holds,
            errors=len(results.errors),
            first_errors=results.errors[:3],
            apologies=results.outcomes["apology"],
            calls_completed=len(results.completed),
            turned_away=len(results.turned_away),
            call_backs_queued=len(call_backs & results.turned_away),
            complaints_created=len(reported),
            one_complaint_per_completed_call=sorted(reported) == sorted(results.completed),
            heard_a_reference_not_filed=len(heard_unfiled(results.heard, complaints)),
            seconds=round(elapsed, 1),
        )


@dataclass(frozen=True)
class Run:
    """What one run of callers at once heard."""

    callers: int
    prompts: int
    prompts_per_s: float
    prompt_latency_ms: dict[str, float]
    p95_ms_by_prompt: dict[str, float]  # where the time goes
    holds: int  # "one moment" heard
    errors: int  # a wrong answer, silence, an HTTP error
    first_errors: list[str]
    apologies: int  # callers who heard "our system is temporarily down"
    calls_completed: int  # heard their reference
    turned_away: int  # heard the lines are busy (and asked for a call-back)
    call_backs_queued: int  # of those, on the staff's list with an alert in the outbox
    complaints_created: int
    one_complaint_per_completed_call: bool
    heard_a_reference_not_filed: int  # a reference read back that no complaint of theirs has
    seconds: float

    @property
    def served(self) -> bool:
        """Every caller served well: p95 < 1 s, no error, no apology, one complaint each."""
        return (
            self.prompt_latency_ms["p95"] < P95_TARGET_MS
            and self.errors == 0
            and self.apologies == 0
            and self.calls_completed == self.callers
            and self.one_complaint_per_completed_call
            and self.heard_a_reference_not_filed == 0
        )

    def surge_met(self, call_limit: int) -> bool:
        """A surge past the limit: every line served with no apology and no error, everyone
        else told the lines are busy with their call-back queued, one complaint per call."""
        return (
            self.apologies == 0
            and self.errors == 0
            and self.calls_completed == min(self.callers, call_limit)
            and self.calls_completed + self.turned_away == self.callers
            and self.call_backs_queued == self.turned_away
            and self.one_complaint_per_completed_call
            and self.heard_a_reference_not_filed == 0
        )


async def capacity(line: Line, start: int, resolution: int) -> tuple[int, list[Run]]:
    """The most callers served well: double until a run fails, bisect, then run it again."""
    runs: list[Run] = []

    async def passes(callers: int) -> bool:
        run = await line.run(callers)
        runs.append(run)
        print(json.dumps({"served": run.served, **asdict(run)}), file=sys.stderr, flush=True)
        return run.served

    good, bad = 0, start
    while await passes(bad):
        good, bad = bad, bad * 2
    while bad - good > resolution:
        middle = (good + bad) // 2 // resolution * resolution or resolution
        if middle <= good:
            break
        if await passes(middle):
            good = middle
        else:
            bad = middle
    # Near the limit a run passes or fails by chance, and the search keeps the best pass: the
    # capacity is the most callers that pass again, stepping down until a level does.
    while good > 0 and not await passes(good):
        good = max(0, good - resolution)
    return good, runs


async def reference_turns_per_s(workdir: Path) -> float:
    """The stock `rasa init` assistant's payload turns/s, as bench/dialogue.py measures it."""
    model = stock_model()
    rasa = await asyncio.to_thread(
        partial(start_rasa, workdir, None, model=model, tracker_store=False)
    )
    try:
        result = await drive(
            rasa.url, STOCK_SCRIPTS["payload"], REFERENCE_CONVERSATIONS, REFERENCE_SECONDS
        )
    finally:
        await asyncio.to_thread(rasa.stop)
    return float(result.summary()["turns_per_s"])


async def benchmark(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    started = time.monotonic()
    line = Line(workdir, args.think)
    if args.callers:
        await line.start()
        try:
            run = await line.run(args.callers)
            return {"benchmark": "callers", "think_seconds": args.think, **asdict(run)}
        finally:
            await line.stop()
    reference = await reference_turns_per_s(workdir)
    await line.start()
    try:
        found, runs = await capacity(line, args.start, args.resolution)
        await line.limit_calls(found)
        surge = await line.run(2 * found)
    finally:
        await line.stop()
    ratio = round(found / reference, 2) if reference else 0.0
    at_capacity = next((run for run in reversed(runs) if run.callers == found), None)
    return {
        "benchmark": "callers",
        "think_seconds": args.think,
        "reference_stock_payload_turns_per_s": reference,
        "capacity_callers": found,
        "callers_per_reference_turn_per_s": ratio,
        "ratio_target": RATIO_TARGET,
        "search": [
            {"callers": run.callers, "p95_ms": run.prompt_latency_ms["p95"], "served": run.served}
            for run in runs
        ],
        "at_capacity": asdict(at_capacity) if at_capacity else None,
        "overload": {"call_limit": found, **asdict(surge), "met": surge.surge_met(found)},
        "seconds": round(time.monotonic() - started),
        "targets_met": found > 0 and ratio >= RATIO_TARGET and surge.surge_met(found),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--think", type=float, default=4.0, help="seconds between key presses")
    parser.add_argument("--start", type=int, default=40, help="callers of the first run")
    parser.add_argument("--resolution", type=int, default=20, help="callers the search stops at")
    parser.add_argument("--callers", type=int, default=0, help="one run of N callers only")
    args = parser.parse_args()
    problem = missing_prerequisite()
    if problem:
        sys.exit(f"bench/callers.py needs the dialogue core: {problem}")
    with tempfile.TemporaryDirectory(prefix="balagh-callers-") as folder:
        summary = asyncio.run(benchmark(args, Path(folder)))
    line = json.dumps(summary, ensure_ascii=False)
    if "capacity_callers" in summary:
        LAST_RUN.parent.mkdir(parents=True, exist_ok=True)
        LAST_RUN.write_text(line + "\n")
    print(line)


def last_capacity() -> int | None:
    """The capacity the last search on this machine found, if one ran."""
    if not LAST_RUN.exists():
        return None
    return int(json.loads(LAST_RUN.read_text())["capacity_callers"]) or None


if __name__ == "__main__":
    main()
