"""Scale benchmark: the replicated topology on one machine, under load, replicas killed midway.

Started here as deploy/compose.yaml lays it out, every part a real process: Redis (Debian's
redis-server); HAProxy with deploy/haproxy.cfg; two service replicas (`balagh run
--no-dialogue`) and two workers (`balagh worker`) sharing one SQLite store and one
PROMETHEUS_MULTIPROC_DIR; two Rasa replicas loading the same trained model and sharing
conversations through Redis (Rasa's tracker store, nlu_components/lock_store.py); and a
stand-in for Twilio's REST API (recordings to fetch, SMS notifications to accept).

The load goes through the load balancer:
- N callers on the 940 line, as bench/callers.py places them (signed webhooks, 4 s between
  keys): each reports a pothole with a recorded description and hears its reference, then
  dials again, until the run ends. A caller is treated as Twilio treats it: a webhook that
  fails (the balancer's 502 when its replica died mid-answer) is followed by the number's
  fallback URL. A caller answers what it hears: an apology leads to a voicemail, recorded and
  reported by callback; "we couldn't save your report, try again?" to pressing 1.
- M web chat users (python-socketio, polling then websocket, each from its own local
  address so the balancer spreads them): a conversation of three turns, then another. A
  socket dropped by a dying replica reconnects, confirms the same session and repeats the
  turn it had not been answered.
Halfway, one service replica and one Rasa replica are SIGKILLed and started again.

Prints one JSON line last: callers; prompt latency p50/p95/p99 (ms); calls completed; calls
that heard silence or an error (target 0; an apology, once, is allowed and counted apart);
complaints against calls (exactly one per call that reported or left a voicemail);
notifications queued, sent, sent twice; chat conversations, and those that went on across
replicas. Target: p95 < 1 s and nothing lost.

    python bench/scale.py [--callers N] [--chats 20] [--seconds 150] [--think 4]

The number of callers is BALAGH_BENCH_CALLERS when set, else the single machine's capacity the
last `make bench-callers` found here (var/bench/callers.json), else 40. Every process's log of
the last run is kept in var/bench/scale-logs/ (in --workdir when one is given).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import httpx
import socketio
import uvicorn
from starlette.applications import Starlette
from starlette.routing import Route

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.callers import (  # noqa: E402
    FakeRecordings,
    Results,
    TimedCall,
    heard_reference,
    heard_unfiled,
    last_capacity,
    latency,
    new_caller_number,
    new_report_key,
    percentile,
    voice_complaints,
)
from bot import words  # noqa: E402
from bot.collector import freeze_what_is_built  # noqa: E402
from bot.notifications.message import MessageFilter  # noqa: E402
from bot.store.sqlite import SqliteStore  # noqa: E402
from bot.voicemails import pending_voicemails  # noqa: E402
from tests.channels.voice.caller import Answer, new_sid  # noqa: E402
from tests.e2e.servers import (  # noqa: E402
    BALAGH,
    Server,
    missing_prerequisite,
    start_haproxy,
    start_rasa,
    start_service,
)
from tests.notifications.fakes import FakeTwilio  # noqa: E402
from tests.ports import free_port  # noqa: E402
from tests.redis_server import RedisServer, start_redis  # noqa: E402

PUBLIC = "https://balagh.example"
LOGS = ROOT / "var" / "bench" / "scale-logs"  # the last run's
FALLBACK = f"{PUBLIC}/channels/twilio/voice/fallback"
ACCOUNT_SID = "AC" + "b" * 32
AUTH_TOKEN = "bench-scale-auth-token"  # noqa: S105 - the fake Twilio's
# Run as deployed (deploy/): production, its own secrets, the dialogue core sending its token.
ACTIONS_TOKEN = "bench-scale-actions-token-0123456789abcdef"  # noqa: S105
METRICS_TOKEN = "bench-scale-metrics-token-0123456789abcdef"  # noqa: S105
P95_TARGET_MS = 1000.0
# Arabic; report a problem; roads; Al Hofuf; (the description is recorded) yes, my number;
# send it. A caller answers what it hears: a menu with the next key ("mine is different" at
# the open reports of its district), a beep with a recording.
KEYS = ("1", "1", "1", "1", "1", "1")
APOLOGIES = {words.text("call.apology", language, "voice") for language in ("ar", "en")}
CHAT_TURNS = ("hello", "2", "1234567890")  # the menu, follow a report, a wrong reference
CHAT_DOWN = {words.text("chat.dialogue_down", language, "chat") for language in ("ar", "en")}
CHAT_WAIT_SECONDS = 15.0
# How long a connection may take to be accepted: the chat widget's socket.io client waits 20 s
# (its default `timeout`); python-socketio's client gives up after 1 s and raises.
CHAT_CONNECT_SECONDS = 20.0
DRAIN_SECONDS = 180.0


@dataclass
class Calls(Results):
    """bench/callers.py's results (errors: silence, an error or a second apology), and:"""

    voicemails: set[str] = field(default_factory=set)  # left a voicemail after an apology
    apologised: set[str] = field(default_factory=set)
    retried: set[str] = field(default_factory=set)  # heard "we couldn't save it: try again?"
    fallbacks: int = 0  # webhooks that failed and went to the fallback URL, as Twilio does
    answered_at: list[float] = field(default_factory=list)  # when each latency ended


@dataclass
class Chats:
    conversations: int = 0
    moved: int = 0  # finished after their socket was dropped and reconnected elsewhere
    answered_turns: int = 0
    apologies: int = 0
    errors: list[str] = field(default_factory=list)


class TwilioCall(TimedCall):
    """A call as Twilio carries it: timed webhooks, and the fallback URL when one fails."""

    def __init__(self, calls: Calls, *args: Any, **kwargs: Any) -> None:
        super().__init__(calls, *args, **kwargs)
        self.calls = calls

    async def _follow(self, url: str, **extra: Any) -> Answer:
        fields = {**self.fields, **extra}
        try:
            response = await self.post(url, fields)
        except httpx.TransportError:
            response = None
        if response is None or response.status_code != 200:
            self.calls.fallbacks += 1
            response = await self.post(FALLBACK, {**fields, "ErrorCode": "11200", "ErrorUrl": url})
            response.raise_for_status()
        self.answer = Answer(response.text)
        return self.answer

    async def prompt(self, action: Awaitable[Answer]) -> Answer:
        """What the caller hears next, holds followed, its latency counted."""
        answer, elapsed_ms = await self.answered(action)
        self.calls.latencies_ms.append(elapsed_ms)
        self.calls.answered_at.append(time.monotonic())
        return answer


def apologises(answer: Answer) -> bool:
    return any(line in APOLOGIES for line in answer.said)


async def one_call(http: httpx.AsyncClient, lb: str, calls: Calls, think: float) -> None:
    call = TwilioCall(
        calls,
        http,
        PUBLIC,
        token=AUTH_TOKEN,
        account_sid=ACCOUNT_SID,
        caller=new_caller_number(),
        server=lb,
    )
    sid = call.call_sid
    try:
        answer = await call.prompt(call.dial())
        pressed = 0
        while True:
            if pressed >= len(KEYS) and (reference := heard_reference(answer)):
                calls.completed.add(sid)  # after "send it": the reference, digit by digit
                calls.heard[sid] = reference
                break
            if pressed > len(KEYS) + 1:
                raise AssertionError(f"no reference read back: {answer.said[:2]}")
            retry_offered = pressed == len(KEYS) and answer.has("Gather")  # "try again?"
            if retry_offered or apologises(answer):  # a caller may hear one apology
                if sid in calls.apologised:
                    raise AssertionError("a second apology")
                calls.apologised.add(sid)
            if retry_offered:
                calls.retried.add(sid)
            elif apologises(answer):
                await leave_voicemail(call, answer, think)
                calls.voicemails.add(sid)
                break
            if answer.has("Record"):
                await asyncio.sleep(think)
                answer = await call.prompt(call.record(new_sid("RE"), seconds=3))
            elif key := new_report_key(answer):  # open reports nearby: "mine is different"
                await asyncio.sleep(think)
                answer = await call.prompt(call.press(key))
            elif answer.has("Gather"):
                await asyncio.sleep(think)
                answer = await call.prompt(
                    call.press(KEYS[min(pressed, len(KEYS) - 1)])
                )  # 1: again
                pressed += 1
            else:
                raise AssertionError(f"neither a prompt nor a reference: {answer.xml[:300]}")
        await call.hang_up()
    except (AssertionError, httpx.HTTPError) as problem:
        calls.errors.append(f"{sid}: {type(problem).__name__}: {problem}"[:300])


async def leave_voicemail(call: TwilioCall, answer: Answer, think: float) -> None:
    if not answer.has("Record"):
        raise AssertionError(f"an apology without a voicemail: {answer.xml[:300]}")
    callback = answer.attribute("Record", "recordingStatusCallback")
    recording = new_sid("RE")
    await asyncio.sleep(think)
    goodbye = await call.record(recording, seconds=5)
    if callback:
        (await call.recording_ready(callback, recording)).raise_for_status()
    if goodbye.has("Gather") or goodbye.has("Record"):
        raise AssertionError(f"the voicemail was not taken: {goodbye.xml[:300]}")


async def caller(http: httpx.AsyncClient, lb: str, calls: Calls, think: float, end: float) -> None:
    await asyncio.sleep(random.uniform(0, think))  # the line fills over the first think time
    while time.monotonic() < end:
        await one_call(http, lb, calls, think)
        await asyncio.sleep(random.uniform(0.5, 2))


class ChatUser:
    """One person on the web chat, from their own address (the balancer keeps them on one
    replica by it), one conversation after another."""

    def __init__(self, number: int, lb: str, chats: Chats) -> None:
        self.address = f"127.0.{1 + number // 250}.{2 + number % 250}"
        self.lb = lb
        self.chats = chats
        self.uttered: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.confirmed: asyncio.Queue[str] = asyncio.Queue()
        self.connected = asyncio.Event()  # the namespace, not only the transport
        self.dropped = False

    async def run(self, end: float, think: float) -> None:
        await asyncio.sleep(random.uniform(0, think))
        while time.monotonic() < end:
            connector = aiohttp.TCPConnector(local_addr=(self.address, 0))
            async with aiohttp.ClientSession(connector=connector) as session:
                sio = socketio.AsyncClient(
                    http_session=session, reconnection_delay=0.5, handle_sigint=False
                )
                sio.on("bot_uttered", self.uttered.put_nowait)
                sio.on("session_confirm", self.confirmed.put_nowait)
                sio.on("connect", self.connected.set)
                sio.on("disconnect", self._dropped)
                try:
                    await sio.connect(
                        self.lb,
                        socketio_path="socket.io",
                        retry=True,
                        wait_timeout=CHAT_CONNECT_SECONDS,
                    )
                    await self.conversation(sio, think)
                except (TimeoutError, socketio.exceptions.SocketIOError) as problem:
                    self.chats.errors.append(f"{self.address}: {type(problem).__name__}: {problem}")
                finally:
                    await sio.disconnect()
            await asyncio.sleep(random.uniform(0.5, 2))

    def _dropped(self, *_: object) -> None:
        self.connected.clear()
        self.dropped = True

    async def conversation(self, sio: socketio.AsyncClient, think: float) -> None:
        session = await self.confirm(sio, None)
        moved = False
        for text in CHAT_TURNS:
            await asyncio.sleep(think)
            answer = await self.turn(sio, session, text)
            if answer is None:  # the socket was dropped: reconnect, same session, ask again
                moved = True
                await self.confirm(sio, session)
                answer = await self.turn(sio, session, text)
            if answer is None:
                self.chats.errors.append(f"{self.address}: no answer to {text!r}")
                return
            if answer.get("text") in CHAT_DOWN:
                self.chats.apologies += 1
            self.chats.answered_turns += 1
        self.chats.conversations += 1
        self.chats.moved += moved

    async def confirm(self, sio: socketio.AsyncClient, session: str | None) -> str:
        async with asyncio.timeout(CHAT_WAIT_SECONDS):
            await self.connected.wait()  # socket.io reconnects on its own
            self.dropped = False
            await sio.emit("session_request", {"session_id": session})
            return await self.confirmed.get()

    async def turn(
        self, sio: socketio.AsyncClient, session: str, text: str
    ) -> dict[str, Any] | None:
        while not self.uttered.empty():
            self.uttered.get_nowait()
        try:
            await sio.emit("user_uttered", {"message": text, "session_id": session})
        except socketio.exceptions.BadNamespaceError:  # dropped just now
            return None
        deadline = time.monotonic() + CHAT_WAIT_SECONDS
        while time.monotonic() < deadline and not self.dropped:
            try:
                async with asyncio.timeout(0.2):
                    return await self.uttered.get()
            except TimeoutError:
                continue
        return None


@dataclass
class Topology:
    workdir: Path
    redis: RedisServer
    services: list[Server]
    rasa: list[Server]
    workers: list[subprocess.Popen[bytes]]
    haproxy: Server
    service_env: dict[str, str]
    ports: dict[str, int]

    @property
    def lb(self) -> str:
        return self.haproxy.url

    def restart_service(self, index: int) -> None:
        port = self.ports[f"service{index + 1}"]
        self.services[index] = start_service(
            self.workdir, 0, port, self.service_env, name=f"service{index + 1}-again"
        )

    def restart_rasa(self, index: int) -> None:
        self.rasa[index] = rasa_replica(
            self.workdir, self.ports, self.redis, index, f"rasa{index + 1}-again"
        )

    def stop(self) -> None:
        for worker in self.workers:
            worker.terminate()
        for server in (self.haproxy, *self.rasa, *self.services):
            server.stop()
        for worker in self.workers:
            worker.wait(timeout=20)
        self.redis.stop()


def rasa_replica(
    workdir: Path, ports: dict[str, int], redis: RedisServer, index: int, name: str
) -> Server:
    return start_rasa(
        workdir,
        None,
        port=ports[f"rasa{index + 1}"],
        actions_token=ACTIONS_TOKEN,
        redis_port=redis.port,
        actions_url=f"http://127.0.0.1:{ports['actions']}/webhook",
        name=name,  # its log's: a restarted replica's does not replace the first's
    )


def start_topology(workdir: Path, twilio_url: str) -> Topology:
    """Every part started. The phone line has no limit: the load is a fixed number of
    callers here (a call's slot held by a killed replica would turn a caller away until it
    expires), and the limit is bench/callers.py's subject."""
    names = ("public", "actions", "dialogue", "service1", "service2", "rasa1", "rasa2")
    ports = {name: free_port() for name in names}
    redis = start_redis(workdir)
    metrics = workdir / "prometheus"
    metrics.mkdir()
    service_env = {
        "BALAGH_ENVIRONMENT": "production",
        "BALAGH_SECRET_KEY": "bench-scale-secret-key-0123456789abcdefghijklmnop",
        "BALAGH_ACTIONS_TOKEN": ACTIONS_TOKEN,
        "BALAGH_METRICS_TOKEN": METRICS_TOKEN,
        "BALAGH_STORE_URL": f"sqlite:///{workdir / 'balagh.db'}",
        "BALAGH_RASA_URL": f"http://127.0.0.1:{ports['dialogue']}",
        "BALAGH_REDIS_URL": redis.url,
        "BALAGH_PUBLIC_BASE_URL": PUBLIC,
        "BALAGH_EMBEDDED_WORKER": "false",
        "BALAGH_ATTACHMENTS_DIR": str(workdir / "attachments"),
        "BALAGH_TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "BALAGH_TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "BALAGH_TWILIO_SMS_FROM": "+14155550100",
        "BALAGH_TWILIO_API_BASE_URL": twilio_url,
        "BALAGH_WORKER_INTERVAL_SECONDS": "2",
        "BALAGH_VOICE_CALL_LIMIT": "0",
        "PROMETHEUS_MULTIPROC_DIR": str(metrics),
    }
    started: list[Server] = []
    try:
        with ThreadPoolExecutor(4) as starting:
            services = [
                starting.submit(
                    start_service, workdir, 0, ports[f"service{n}"], service_env, f"service{n}"
                )
                for n in (1, 2)
            ]
            rasa = [
                starting.submit(rasa_replica, workdir, ports, redis, n, f"rasa{n + 1}")
                for n in (0, 1)
            ]
            for future in (*services, *rasa):
                started.append(future.result())
        haproxy = start_haproxy(
            workdir,
            ports,
            [f"127.0.0.1:{ports[f'service{n}']}" for n in (1, 2)],
            [f"127.0.0.1:{ports[f'rasa{n}']}" for n in (1, 2)],
        )
    except BaseException:
        for server in started:
            server.stop()
        redis.stop()
        raise
    worker_env = {**os.environ, "PYTHONPATH": str(ROOT), **service_env}
    workers = []
    for n in (1, 2):
        with (workdir / f"worker{n}.log").open("wb") as log:
            command = [str(BALAGH), "worker"]
            workers.append(subprocess.Popen(command, env=worker_env, stdout=log, stderr=log))
    return Topology(workdir, redis, started[:2], started[2:], workers, haproxy, service_env, ports)


@dataclass
class Restarts:
    killed_at: float
    service_back_at: float
    rasa_back_at: float

    def summary(self) -> dict[str, float]:
        return {
            "service_back_after_s": round(self.service_back_at - self.killed_at, 1),
            "rasa_back_after_s": round(self.rasa_back_at - self.killed_at, 1),
        }

    def latency_by_phase(self, calls: Calls) -> dict[str, dict[str, float]]:
        """Prompt latency before the kill, until both replicas were back, and after."""
        phases: dict[str, list[float]] = {"before": [], "restarting": [], "after": []}
        for ended, elapsed in zip(calls.answered_at, calls.latencies_ms, strict=True):
            if ended < self.killed_at:
                phases["before"].append(elapsed)
            elif ended <= max(self.service_back_at, self.rasa_back_at):
                phases["restarting"].append(elapsed)
            else:
                phases["after"].append(elapsed)
        return {phase: latency(values) for phase, values in phases.items()}


async def kill_and_restart(topology: Topology, at: float) -> Restarts:
    """SIGKILL service replica 1 and Rasa replica 1 at `at`; start both again at once."""
    await asyncio.sleep(max(0.0, at - time.monotonic()))
    killed = time.monotonic()
    for server in (topology.services[0], topology.rasa[0]):
        server.process.send_signal(signal.SIGKILL)
        server.process.wait()
    rasa_back = asyncio.create_task(asyncio.to_thread(topology.restart_rasa, 0))
    await asyncio.to_thread(topology.restart_service, 0)
    service_back = time.monotonic()
    await rasa_back
    return Restarts(killed, service_back, time.monotonic())


async def until(condition: Callable[[], Awaitable[bool]], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if await condition():
            return True
        await asyncio.sleep(1)
    return False


async def settle(database: Path) -> tuple[bool, int, int]:
    """Wait for the workers to file every voicemail and send every notification; whether they
    did, how many notifications were queued and how many the providers accepted."""
    store = SqliteStore(database)
    await store.open()
    try:

        async def settled() -> bool:
            backlog = await store.outbox_backlog()
            return backlog.depth == 0 and not await pending_voicemails(store)

        done = await until(settled, DRAIN_SECONDS)
        page = await store.list_messages(MessageFilter(), 10_000, None)
        accepted = [m for m in page.items if m.state not in ("pending", "sending", "failed")]
        return done, len(page.items), len(accepted)
    finally:
        await store.close()


async def dialogue_turns(service: Server) -> dict[str, int]:
    """What /metrics says of the turns, summed over every process."""
    async with httpx.AsyncClient(timeout=10) as http:
        answer = await http.get(
            f"{service.url}/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}
        )
        text = answer.raise_for_status().text
    turns: Counter[str] = Counter()
    for line in text.splitlines():
        if line.startswith("balagh_dialogue_turns_total{"):
            outcome = line.split('outcome="', 1)[1].split('"', 1)[0]
            turns[outcome] += int(float(line.rsplit(" ", 1)[1]))
    return dict(turns)


async def run(
    callers: int, chat_users: int, seconds: float, think: float, workdir: Path
) -> dict[str, Any]:
    twilio = FakeTwilio()
    recordings = FakeRecordings()
    fake_routes = [
        *twilio.app().routes,
        Route("/2010-04-01/Accounts/{account}/Recordings/{sid}.wav", recordings.recording),
    ]
    twilio_port = free_port()
    fake = uvicorn.Server(
        uvicorn.Config(Starlette(routes=fake_routes), port=twilio_port, log_level="warning")
    )
    fake_task = asyncio.create_task(fake.serve())
    topology = await asyncio.to_thread(start_topology, workdir, f"http://127.0.0.1:{twilio_port}")
    try:
        calls, chats = Calls(), Chats()
        freeze_what_is_built()  # the generator's own collections would count as latency
        started = time.monotonic()
        end = started + seconds
        limits = httpx.Limits(max_connections=callers + 10, max_keepalive_connections=0)
        async with httpx.AsyncClient(timeout=30, limits=limits) as http:
            killing = asyncio.create_task(kill_and_restart(topology, started + seconds / 2))
            await asyncio.gather(
                *(caller(http, topology.lb, calls, think, end) for _ in range(callers)),
                *(ChatUser(n, topology.lb, chats).run(end, think / 2) for n in range(chat_users)),
            )
            restarts = await killing
        elapsed = time.monotonic() - started
        settled, queued, accepted = await settle(workdir / "balagh.db")
        turns = await dialogue_turns(topology.services[1])
        filed = await voice_complaints(workdir / "balagh.db")
        complaints = Counter(sid for sid, _ in filed)
    finally:
        await asyncio.to_thread(topology.stop)
        fake.should_exit = True
        await fake_task
    reported = calls.completed | calls.voicemails
    sent_twice = sum(count - 1 for count in twilio.sent_counts().values() if count > 1)
    unfiled = heard_unfiled(calls.heard, filed)
    one_each = set(complaints) == reported and set(complaints.values()) <= {1} and not unfiled
    p95 = percentile(calls.latencies_ms, 0.95)
    return {
        "callers": callers,
        "think_seconds": think,
        "seconds": round(elapsed, 1),
        "prompt_latency_ms": latency(calls.latencies_ms),
        "prompt_latency_ms_by_phase": restarts.latency_by_phase(calls),
        "webhooks": len(calls.latencies_ms),
        "calls_completed": len(calls.completed),
        "calls_heard_silence_or_error": len(calls.errors),
        "first_errors": calls.errors[:3],
        "calls_heard_apology_once": len(calls.apologised),
        "calls_left_voicemail": len(calls.voicemails),
        "calls_offered_a_retry": len(calls.retried),
        "webhooks_failed_to_fallback": calls.fallbacks,
        "complaints_created": sum(complaints.values()),
        "calls_reported": len(reported),
        "one_complaint_per_call": one_each,
        # the first calls that break it: reported without a complaint, complaints of calls
        # that reported nothing, calls with more than one
        "calls_without_complaint": {
            "completed": sorted(calls.completed - set(complaints))[:5],
            "voicemail": sorted(calls.voicemails - set(complaints))[:5],
        },
        "complaints_without_report": sorted(set(complaints) - reported)[:5],
        "calls_heard_a_reference_not_filed": unfiled[:5],
        "calls_with_complaints": sorted(sid for sid, n in complaints.items() if n > 1)[:5],
        "workers_settled": settled,  # every voicemail filed, the outbox empty
        "notifications_queued": queued,
        "notifications_sent": accepted,
        "notifications_sent_twice": sent_twice,
        "chat_conversations": chats.conversations,
        "chat_conversations_continued_across_replicas": chats.moved,
        "chat_turns_answered": chats.answered_turns,
        "chat_apologies": chats.apologies,
        "chat_errors": len(chats.errors),
        "first_chat_errors": chats.errors[:3],
        "dialogue_turns_by_outcome": turns,
        "killed_and_restarted": restarts.summary(),
        "meets_target": p95 < P95_TARGET_MS
        and not calls.errors
        and not chats.errors
        and one_each
        and settled
        and accepted == queued
        and sent_twice == 0,
    }


def keep_logs(workdir: Path) -> Path:
    """Every process's log of the run, kept past its temporary folder (the last run's only,
    in var/): what a caller who heard an error went through is there."""
    shutil.rmtree(LOGS, ignore_errors=True)
    LOGS.mkdir(parents=True)
    for log in workdir.glob("*.log"):
        shutil.copy2(log, LOGS)
    return LOGS


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--callers",
        type=int,
        default=int(os.environ.get("BALAGH_BENCH_CALLERS", 0)) or last_capacity() or 40,
        help="callers at once (default: the capacity the last `make bench-callers` found)",
    )
    parser.add_argument("--chats", type=int, default=20, help="web chat users at once")
    parser.add_argument("--seconds", type=float, default=150, help="how long the load lasts")
    parser.add_argument("--think", type=float, default=4.0, help="seconds between key presses")
    parser.add_argument(
        "--workdir", type=Path, help="keep the logs and data here (default: a temporary folder)"
    )
    args = parser.parse_args()
    problem = missing_prerequisite()
    if problem:
        sys.exit(f"bench/scale.py needs the dialogue core: {problem}")
    with tempfile.TemporaryDirectory(prefix="balagh-scale-") as folder:
        workdir = args.workdir or Path(folder)
        workdir.mkdir(parents=True, exist_ok=True)
        summary = asyncio.run(run(args.callers, args.chats, args.seconds, args.think, workdir))
        logs = workdir if args.workdir else keep_logs(workdir)
        print(f"the processes' logs: {logs}", file=sys.stderr)
    print(json.dumps(summary, ensure_ascii=False))


if __name__ == "__main__":
    main()
