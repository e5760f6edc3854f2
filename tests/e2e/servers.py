"""Start and stop the real dialogue core (Rasa), the service and HAProxy for end-to-end runs.

Used by tests/e2e, bench/dialogue.py, bench/callers.py and bench/scale.py. Each server runs
as a child process on a free port with its data in a temporary folder; `stop()` ends only
the processes started here.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bot.runner import RASA_RUNTIME_ENV
from tests.ports import free_port

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_RASA = ROOT / ".venv-rasa" / "bin" / "rasa"
BALAGH = Path(sys.executable).parent / "balagh"
DEFAULT_MODEL = ROOT / "models" / "balagh.tar.gz"
RASA_START_SECONDS = 300.0
SERVICE_START_SECONDS = 60.0


def rasa_bin() -> Path:
    return Path(os.environ.get("BALAGH_RASA_BIN", str(DEFAULT_RASA)))


def model_path() -> Path:
    return Path(os.environ.get("BALAGH_RASA_MODEL", str(DEFAULT_MODEL)))


def missing_prerequisite() -> str | None:
    """Why the Rasa server cannot be started here, or None when it can."""
    if not rasa_bin().exists():
        return f"no Rasa environment at {rasa_bin()} (make .venv-rasa, or set BALAGH_RASA_BIN)"
    if not model_path().exists():
        return f"no trained model at {model_path()} (rasa train --fixed-model-name balagh)"
    return None


@dataclass
class Server:
    name: str
    process: subprocess.Popen[bytes]
    url: str
    log: Path

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def _start(
    name: str,
    command: Sequence[str],
    env: Mapping[str, str],
    url: str,
    ready_path: str,
    workdir: Path,
    timeout: float,
) -> Server:
    log = workdir / f"{name}.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            list(command), cwd=ROOT, env={**os.environ, **env}, stdout=output, stderr=output
        )
    server = Server(name, process, url, log)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited with {process.returncode}:\n{server.tail()}")
        try:  # 200 only: another server on the port (ours failed to bind) says 404
            if httpx.get(url + ready_path, timeout=2).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    server.stop()
    raise RuntimeError(f"{name} did not start within {timeout:.0f} s:\n{server.tail()}")


def start_service(
    workdir: Path,
    rasa_port: int,
    port: int | None = None,
    env: Mapping[str, str] | None = None,
    name: str = "service",
) -> Server:
    """The Balagh service (`balagh run --no-dialogue`) on a temporary SQLite store; `env`
    adds to or overrides its settings."""
    port = port or free_port()
    env = {
        "PYTHONPATH": str(ROOT),
        "BALAGH_STORE_URL": f"sqlite:///{workdir / 'balagh.db'}",
        "BALAGH_RASA_URL": f"http://127.0.0.1:{rasa_port}",
        "BALAGH_PORT": str(port),
        "BALAGH_LOG_LEVEL": "WARNING",
        **(env or {}),
    }
    command = [str(BALAGH), "run", "--no-dialogue"]  # as a container runs a replica
    return _start(
        name,
        command,
        env,
        f"http://127.0.0.1:{port}",
        "/health/live",
        workdir,
        SERVICE_START_SECONDS,
    )


def start_demo_system(workdir: Path, slow_seconds: float) -> Server:
    """The demonstration system of record, as `balagh run` starts it, on a free port."""
    port = free_port()
    command = [sys.executable, "-m", "bot.transactions.demo_system", "--port", str(port)]
    return _start(
        "demo-system",
        [*command, "--slow-seconds", str(slow_seconds)],
        {"PYTHONPATH": str(ROOT)},
        f"http://127.0.0.1:{port}",
        "/health",
        workdir,
        SERVICE_START_SECONDS,
    )


def start_rasa(
    workdir: Path,
    service_port: int | None,
    port: int | None = None,
    model: Path | None = None,
    tracker_store: bool = True,
    actions_token: str | None = None,
    redis_port: int | None = None,
    actions_url: str | None = None,
    name: str | None = None,
) -> Server:
    """`rasa run --enable-api` with the REST channel, its actions at the service's /webhook
    (or at `actions_url`); its log is `name`.log in `workdir` (by default rasa-<port>.log).

    With `tracker_store`, this assistant as `balagh run` runs it (its tracker store and
    runtime settings); without, the model runs on Rasa's defaults (the stock assistant).
    With `actions_token`, Rasa sends it as `balagh run` has it send it: a header read from
    its environment. With `redis_port`, a replica: conversations in Redis (Rasa's format,
    nlu_components/redis_tracker_store.py), one turn of a conversation at a time across
    replicas through the Redis lock store (deploy/rasa/)."""
    port = port or free_port()
    endpoints = workdir / f"endpoints-{port}.yml"
    lines = []
    if actions_url is None and service_port is not None:
        actions_url = f"http://127.0.0.1:{service_port}/webhook"
    if actions_url is not None:
        lines += [
            "action_endpoint:",
            f'  url: "{actions_url}"',
            "  enable_selective_domain: true",
        ]
        if actions_token is not None:
            # unquoted: Rasa expands ${…} only in plain YAML values
            lines += ["  headers:", "    Authorization: Bearer ${BALAGH_ACTIONS_TOKEN}"]
    if redis_port is not None:
        lines += [
            "tracker_store:",
            "  type: nlu_components.redis_tracker_store.RedisTrackerStore",
            "  url: 127.0.0.1",
            f"  port: {redis_port}",
            "  db: 0",
            "lock_store:",
            "  type: nlu_components.lock_store.RedisLockStore",
            "  url: 127.0.0.1",
            f"  port: {redis_port}",
            "  db: 1",
        ]
    elif tracker_store:
        lines += [
            "tracker_store:",
            "  type: nlu_components.tracker_store.SQLiteTrackerStore",
            f'  db: "{workdir / f"rasa-tracker-{port}.db"}"',
        ]
    endpoints.write_text("\n".join(lines) + "\n")
    command = [
        str(rasa_bin()),
        "run",
        "--enable-api",
        "--model",
        str(model or model_path()),
        "--endpoints",
        str(endpoints),
        "--port",
        str(port),
        "--interface",
        "127.0.0.1",
    ]
    env = {"PYTHONPATH": str(ROOT), "SQLALCHEMY_SILENCE_UBER_WARNING": "1"}
    if tracker_store:  # this assistant, run as `balagh run` runs it
        env.update(RASA_RUNTIME_ENV)
    if actions_token is not None:
        env["BALAGH_ACTIONS_TOKEN"] = actions_token
    return _start(
        name or f"rasa-{port}",
        command,
        env,
        f"http://127.0.0.1:{port}",
        "/status",
        workdir,
        RASA_START_SECONDS,
    )


@dataclass
class Stack:
    """The service and the dialogue core, wired to each other."""

    workdir: Path
    service: Server
    rasa: Server
    servers: list[Server] = field(default_factory=list)

    @classmethod
    def start(cls, workdir: Path, settings: Mapping[str, str] = {}) -> Stack:
        """`settings`: more BALAGH_* variables of the service (its actions token is given
        to Rasa too)."""
        rasa_port, service_port = free_port(), free_port()
        service = start_service(workdir, rasa_port, service_port, settings)
        try:
            token = settings.get("BALAGH_ACTIONS_TOKEN")
            rasa = start_rasa(workdir, service_port, rasa_port, actions_token=token)
        except Exception:
            service.stop()
            raise
        return cls(workdir, service, rasa, [service, rasa])

    def restart_service(self) -> None:
        """The service stopped and started again on its port, with the environment as it is
        now (the dialogue core goes on)."""
        port = int(self.service.url.rsplit(":", 1)[1])
        rasa_port = int(self.rasa.url.rsplit(":", 1)[1])
        self.service.stop()
        self.servers.remove(self.service)
        self.service = start_service(self.workdir, rasa_port, port)
        self.servers.insert(0, self.service)

    def stop(self) -> None:
        for server in reversed(self.servers):
            server.stop()


def start_haproxy(
    workdir: Path,
    ports: Mapping[str, int],
    services: Sequence[str],
    rasas: Sequence[str],
) -> Server:
    """HAProxy with deploy/haproxy.cfg on 127.0.0.1: `ports` its `public`, `actions` and
    `dialogue` ports, in front of the two service and the two Rasa replicas (host:port).
    Ready once a service replica answers through it."""
    addresses = {
        "BALAGH_LB_PUBLIC": f"127.0.0.1:{ports['public']}",
        "BALAGH_LB_ACTIONS": f"127.0.0.1:{ports['actions']}",
        "BALAGH_LB_DIALOGUE": f"127.0.0.1:{ports['dialogue']}",
        **{f"BALAGH_SERVICE_{n}": address for n, address in enumerate(services, 1)},
        **{f"BALAGH_RASA_{n}": address for n, address in enumerate(rasas, 1)},
    }
    binary = shutil.which("haproxy") or "/usr/sbin/haproxy"  # /usr/sbin: not on every PATH
    command = [binary, "-db", "-f", str(ROOT / "deploy" / "haproxy.cfg")]
    return _start(
        f"haproxy-{ports['public']}",
        command,
        addresses,
        f"http://127.0.0.1:{ports['public']}",
        "/health/live",
        workdir,
        SERVICE_START_SECONDS,
    )
