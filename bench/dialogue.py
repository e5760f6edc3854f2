"""Dialogue benchmark: this assistant beside the stock `rasa init` assistant, on this machine.

Both are served by `rasa run` and driven through Rasa's REST channel by 50 concurrent
conversations, first with button-payload turns (the phone's key presses, chat buttons), then
with free-text turns (NLU on every message). Balagh runs as in production on embedded
defaults: its custom actions in the service process, conversations in a SQLite tracker store.
The stock assistant keeps `rasa init`'s configuration (DIET, ResponseSelector, TED,
UnexpecTED; in-memory tracker store). The stock project is created and trained once and kept
under var/bench/ (delete the folder to rebuild it).

Targets: payload turns ≥ 4× the stock assistant's throughput, free-text turns ≥ 2×, p95 below
500 ms for both; model training ≤ 3 minutes. Prints one JSON line last.

    python bench/dialogue.py [--conversations 50] [--seconds 20]
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
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.e2e.servers import (  # noqa: E402
    Server,
    free_port,
    missing_prerequisite,
    model_path,
    rasa_bin,
    start_rasa,
    start_service,
)

STOCK_DIR = ROOT / "var" / "bench" / "stock-assistant"
TRAIN_SECONDS_FILE = ROOT / "models" / "balagh.train_seconds"
THROUGHPUT_TARGETS = {"payload": 4.0, "text": 2.0}
P95_TARGET_MS = 500.0
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


async def drive(url: str, script: list[str], conversations: int, seconds: float) -> Result:
    """`conversations` users each sending the script in a loop for `seconds`."""
    latencies: list[float] = []
    errors = 0
    limits = httpx.Limits(max_connections=conversations, max_keepalive_connections=conversations)
    run_id = f"{time.time_ns()}"
    async with httpx.AsyncClient(base_url=url, timeout=30, limits=limits) as http:

        async def user(index: int, deadline: float, most: int | None = None) -> None:
            nonlocal errors
            turn = 0
            while time.monotonic() < deadline and (most is None or turn < most):
                # every pass through the script is a new conversation, as a new call would be
                sender = f"bench-{run_id}-{index}-{turn // len(script)}-{most}"
                text = script[turn % len(script)]
                started = time.perf_counter()
                try:
                    response = await http.post(
                        "/webhooks/rest/webhook",
                        json={
                            "sender": sender,
                            "message": text,
                            "metadata": {"channel": "webchat"},
                        },
                    )
                    ok = response.status_code == 200 and isinstance(response.json(), list)
                except httpx.HTTPError:
                    ok = False
                latencies.append((time.perf_counter() - started) * 1000)
                errors += 0 if ok else 1
                turn += 1

        # warm up: one full script per user, not measured
        warm = time.monotonic() + 600
        await asyncio.gather(*(user(i, warm, len(script)) for i in range(conversations)))
        latencies.clear()
        errors = 0
        started = time.monotonic()
        await asyncio.gather(*(user(i, started + seconds) for i in range(conversations)))
        elapsed = time.monotonic() - started
    return Result(len(latencies), elapsed, latencies, errors)


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
    url: str, scripts: dict[str, list[str]], conversations: int, seconds: float
) -> dict[str, dict[str, float | int]]:
    return {
        kind: (await drive(url, script, conversations, seconds)).summary()
        for kind, script in scripts.items()
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    reason = missing_prerequisite()
    if reason:
        print(json.dumps({"skipped": reason}))
        return 1

    stock = stock_model()
    workdir = Path(tempfile.mkdtemp(prefix="balagh-bench-"))
    servers: list[Server] = []
    try:
        rasa_port, service_port = free_port(), free_port()
        servers.append(start_service(workdir, rasa_port, service_port))
        servers.append(start_rasa(workdir, service_port, rasa_port))
        balagh = asyncio.run(
            measure(servers[-1].url, BALAGH_SCRIPTS, args.conversations, args.seconds)
        )
        servers.pop().stop()
        servers.append(start_rasa(workdir, None, model=stock, tracker_store=False))
        baseline = asyncio.run(
            measure(servers[-1].url, STOCK_SCRIPTS, args.conversations, args.seconds)
        )
    finally:
        for server in reversed(servers):
            server.stop()
        shutil.rmtree(workdir, ignore_errors=True)

    ratios = {
        kind: round(balagh[kind]["turns_per_s"] / max(baseline[kind]["turns_per_s"], 0.001), 2)
        for kind in THROUGHPUT_TARGETS
    }
    train_s = float(TRAIN_SECONDS_FILE.read_text()) if TRAIN_SECONDS_FILE.exists() else None
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
