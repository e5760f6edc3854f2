"""Dialogue benchmark: this assistant beside the stock `rasa init` assistant, on this machine.

Both are served by `rasa run` and driven through Rasa's REST channel by 50 concurrent
conversations, with button-payload turns (the phone's key presses, chat buttons) and with
free-text turns (NLU on every message). Each kind runs twice: saturated (every user sends
its next message as soon as the reply arrives: the throughput) and paced (users pause
`--think` seconds, 2 by default, between a reply and their next message, as people do: the
latency people get). With no pause, latency is only concurrency / throughput (Little's law).
Balagh runs as in production on embedded defaults: its custom actions in the service process,
conversations in its SQLite tracker store, the Rasa fixes of nlu_components/speedups.py, one
TensorFlow thread (bot/runner.py). The stock assistant keeps `rasa init`'s configuration
(DIET, ResponseSelector, TED, UnexpecTED; in-memory tracker store) and Rasa's defaults. The
stock project is created and trained once and kept under var/bench/ (delete the folder to
rebuild it).

Targets: payload turns ≥ 4× the stock assistant's throughput, free-text turns ≥ 2×, paced p95
below 500 ms for both; model training ≤ 3 minutes. Prints one JSON line last.

    python bench/dialogue.py [--conversations 50] [--seconds 20] [--think 2] [--no-train]

Unless `--no-train`, the model is first trained from scratch (empty Rasa cache) into a
temporary folder to time it; the measured servers use models/balagh.tar.gz.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.e2e.servers import (  # noqa: E402
    Server,
    missing_prerequisite,
    model_path,
    rasa_bin,
    start_rasa,
    start_service,
)
from tests.ports import free_port  # noqa: E402

STOCK_DIR = ROOT / "var" / "bench" / "stock-assistant"
THROUGHPUT_TARGETS = {"payload": 4.0, "text": 2.0}
P95_TARGET_MS = 500.0
THINK_SECONDS = 2.0
TRAIN_TARGET_S = 180.0

# Each conversation repeats its script; a script ends where it can start again.
BALAGH_SCRIPTS = {
    "payload": [
        "/greet",
        "/ask_programs",
        "/ask_services",
        "/report_complaint",
        '/inform{"category": "roads"}',
        '/inform{"district": "al_kut"}',
        "/cancel",
        "/check_status",
        "/cancel",
    ],
    "text": [
        "السلام عليكم",
        "ابي ابلغ عن حفرة كبيرة في الشارع",
        "حي الكوت",
        "الغ البلاغ",
        "hello",
        "what events are on this week",
        "how do I get a building permit",
        "thank you",
        "وش صار على بلاغي",
        "cancel",
    ],
}
STOCK_SCRIPTS = {
    "payload": ["/greet", "/mood_great", "/greet", "/mood_unhappy", "/affirm", "/goodbye"],
    "text": [
        "hello",
        "I am feeling great",
        "hi there",
        "I am sad",
        "yes",
        "are you a bot?",
        "bye",
    ],
}


@dataclass
class Result:
    turns: int
    seconds: float
    latencies_ms: list[float]
    errors: int

    def summary(self) -> dict[str, float | int]:
        ordered = sorted(self.latencies_ms) or [0.0]

        def pick(fraction: float) -> float:
            return round(ordered[min(len(ordered) - 1, int(fraction * len(ordered)))], 1)

        return {
            "turns_per_s": round(self.turns / self.seconds, 1) if self.seconds else 0.0,
            "p50_ms": pick(0.50),
            "p95_ms": pick(0.95),
            "turns": self.turns,
            "errors": self.errors,
        }


class Connection:
    """One keep-alive HTTP/1.1 connection: a load generator light enough not to be measured.

    (httpx costs the client a few milliseconds of CPU per request; on two cores that would be
    taken from the servers under test.)
    """

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post_json(self, path: str, payload: Mapping[str, object]) -> tuple[int, bytes]:
        return await self.post(path, json.dumps(payload).encode(), "application/json")

    async def post(
        self, path: str, body: bytes, content_type: str, headers: Mapping[str, str] | None = None
    ) -> tuple[int, bytes]:
        """POST `body`; the answer's status and body (its length given, as our servers do)."""
        if self.writer is None or self.reader is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        extra = "".join(f"{name}: {value}\r\n" for name, value in (headers or {}).items())
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
            f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n{extra}\r\n"
        )
        self.writer.write(head.encode() + body)
        await self.writer.drain()
        status_line = await self.reader.readline()
        length = 0
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b""):
                break
            name, _, value = line.decode().partition(":")
            if name.strip().lower() == "content-length":
                length = int(value.strip())
        data = await self.reader.readexactly(length) if length else b""
        return int(status_line.split()[1]), data

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


async def drive(
    url: str, script: list[str], conversations: int, seconds: float, think: float = 0.0
) -> Result:
    """`conversations` users each sending the script in a loop for `seconds`, each waiting
    `think` seconds after a reply before the next message."""
    host, _, port = url.removeprefix("http://").partition(":")
    latencies: list[float] = []
    errors = 0
    run_id = f"{time.time_ns()}"
    connections = [Connection(host, int(port)) for _ in range(conversations)]

    async def user(index: int, deadline: float, most: int | None = None) -> None:
        nonlocal errors
        turn = 0
        while time.monotonic() < deadline and (most is None or turn < most):
            # every pass through the script is a new conversation, as a new call would be
            sender = f"bench-{run_id}-{index}-{turn // len(script)}-{most}"
            text = script[turn % len(script)]
            payload = {"sender": sender, "message": text, "metadata": {"channel": "webchat"}}
            started = time.perf_counter()
            try:
                status, body = await connections[index].post_json("/webhooks/rest/webhook", payload)
                ok = status == 200 and isinstance(json.loads(body), list)
            except (OSError, ValueError, asyncio.IncompleteReadError):
                ok = False
                connections[index] = Connection(host, int(port))
            latencies.append((time.perf_counter() - started) * 1000)
            errors += 0 if ok else 1
            turn += 1
            if think and most is None:
                await asyncio.sleep(think)

    try:
        # warm up: one full script per user, not measured
        warm = time.monotonic() + 600
        await asyncio.gather(*(user(i, warm, len(script)) for i in range(conversations)))
        latencies.clear()
        errors = 0
        started = time.monotonic()
        if think:  # spread the users' first messages over one think time
            await asyncio.gather(
                *(
                    staggered(user, i, started + seconds, think * i / conversations)
                    for i in range(conversations)
                )
            )
        else:
            await asyncio.gather(*(user(i, started + seconds) for i in range(conversations)))
        elapsed = time.monotonic() - started
    finally:
        for connection in connections:
            await connection.close()
    return Result(len(latencies), elapsed, latencies, errors)


async def staggered(user: Any, index: int, deadline: float, delay: float) -> None:
    await asyncio.sleep(delay)
    await user(index, deadline)


def clean_training_seconds(workdir: Path) -> float:
    """Train this assistant from scratch (no cache) and return the wall-clock seconds."""
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "RASA_CACHE_DIRECTORY": str(workdir / "rasa-cache"),
        "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
    }
    started = time.monotonic()
    subprocess.run(
        [str(rasa_bin()), "train", "--out", str(workdir / "models"), "--fixed-model-name", "timed"],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return round(time.monotonic() - started, 1)


def stock_model() -> Path:
    """The `rasa init` assistant's model, created and trained once."""
    models = sorted((STOCK_DIR / "models").glob("*.tar.gz")) if STOCK_DIR.exists() else []
    if models:
        return models[-1]
    shutil.rmtree(STOCK_DIR, ignore_errors=True)
    STOCK_DIR.mkdir(parents=True)
    print("creating and training the stock `rasa init` assistant (once)…", file=sys.stderr)
    subprocess.run(
        [str(rasa_bin()), "init", "--no-prompt", "--init-dir", str(STOCK_DIR)],
        cwd=STOCK_DIR,
        check=True,
        stdout=subprocess.DEVNULL,
        env={**os.environ, "SQLALCHEMY_SILENCE_UBER_WARNING": "1"},
    )
    models = sorted((STOCK_DIR / "models").glob("*.tar.gz"))
    if not models:
        raise RuntimeError("rasa init did not produce a model")
    return models[-1]


async def measure(
    url: str, scripts: dict[str, list[str]], conversations: int, seconds: float, think: float
) -> dict[str, dict[str, float | int]]:
    """Per kind of turn: throughput with no pause between turns (the server saturated) and
    latency with users pausing `think` seconds between turns, as people do."""
    found: dict[str, dict[str, float | int]] = {}
    for kind, script in scripts.items():
        saturated = (await drive(url, script, conversations, seconds)).summary()
        paced = (await drive(url, script, conversations, seconds, think)).summary()
        found[kind] = {
            "turns_per_s": saturated["turns_per_s"],
            "saturated_p95_ms": saturated["p95_ms"],
            "paced_turns_per_s": paced["turns_per_s"],
            "p50_ms": paced["p50_ms"],
            "p95_ms": paced["p95_ms"],
            "errors": int(saturated["errors"]) + int(paced["errors"]),
        }
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument(
        "--think", type=float, default=THINK_SECONDS, help="pause between a reply and the next turn"
    )
    parser.add_argument("--no-train", action="store_true", help="do not time a clean training")
    args = parser.parse_args()
    reason = missing_prerequisite()
    if reason:
        print(json.dumps({"skipped": reason}))
        return 1

    stock = stock_model()
    workdir = Path(tempfile.mkdtemp(prefix="balagh-bench-"))
    servers: list[Server] = []
    train_s = None if args.no_train else clean_training_seconds(workdir)
    try:
        rasa_port, service_port = free_port(), free_port()
        servers.append(start_service(workdir, rasa_port, service_port))
        servers.append(start_rasa(workdir, service_port, rasa_port))
        balagh = asyncio.run(
            measure(servers[-1].url, BALAGH_SCRIPTS, args.conversations, args.seconds, args.think)
        )
        servers.pop().stop()
        servers.append(start_rasa(workdir, None, model=stock, tracker_store=False))
        baseline = asyncio.run(
            measure(servers[-1].url, STOCK_SCRIPTS, args.conversations, args.seconds, args.think)
        )
    finally:
        for server in reversed(servers):
            server.stop()
        shutil.rmtree(workdir, ignore_errors=True)

    ratios = {
        kind: round(balagh[kind]["turns_per_s"] / max(baseline[kind]["turns_per_s"], 0.001), 2)
        for kind in THROUGHPUT_TARGETS
    }
    targets_met = (
        all(ratios[kind] >= target for kind, target in THROUGHPUT_TARGETS.items())
        and all(balagh[kind]["p95_ms"] < P95_TARGET_MS for kind in THROUGHPUT_TARGETS)
        and all(balagh[kind]["errors"] == 0 for kind in THROUGHPUT_TARGETS)
        and (train_s is None or train_s <= TRAIN_TARGET_S)
    )
    print(
        json.dumps(
            {
                "benchmark": "dialogue",
                "conversations": args.conversations,
                "seconds_per_run": args.seconds,
                "think_s": args.think,
                "balagh": balagh,
                "stock_rasa_init": baseline,
                "throughput_ratio": ratios,
                "model": str(model_path().relative_to(ROOT)),
                "train_s": train_s,
                "targets_met": targets_met,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
