"""Health: `GET /health` for people, `/health/live` and `/health/ready` for orchestrators.

- `/health`: always 200 while the process runs, with the state of each component and the
  phone line's calls. The details (store, dialogue, worker: names, latencies, errors; the
  calls) are shown only to staff and to this machine (loopback); anyone else sees the
  overall status alone.
- `/health/live`: 200 while the process answers at all (restart it otherwise).
- `/health/ready`: 200 when this replica can serve a turn (its store and the dialogue core
  answer), else 503 naming what failed: the load balancer sends it nothing meanwhile.
"""

import asyncio
import time
from datetime import timedelta
from typing import Literal

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from bot.api.deps import (
    AuthDep,
    CatalogueDep,
    HttpDep,
    SettingsDep,
    StoreDep,
    WorkerDep,
    session_token,
)
from bot.auth import Authenticator
from bot.call_admission import calls_in_progress
from bot.client_address import client_address
from bot.clock import utc_now
from bot.settings import Settings, is_loopback
from bot.store.base import Store
from bot.worker import Worker

router = APIRouter(tags=["health"])
CHECK_TIMEOUT_SECONDS = 2.0


class ComponentState(BaseModel):
    state: Literal["up", "down"]
    detail: str
    latency_ms: float | None = None


class PhoneLine(BaseModel):
    """The calls the 940 line serves now, over every replica, and how many it takes at once
    (`BALAGH_VOICE_CALL_LIMIT`; None: no limit) before callers hear that lines are busy."""

    calls_in_progress: int
    call_limit: int | None


class Health(BaseModel):
    status: Literal["ok", "degraded"]
    components: dict[str, ComponentState]
    phone_line: PhoneLine | None  # None while the store does not answer, or to the public


async def _timed(check: "asyncio.Future[str] | asyncio.Task[str]") -> ComponentState:
    started = time.perf_counter()
    try:
        detail = await asyncio.wait_for(check, CHECK_TIMEOUT_SECONDS)
    except Exception as exc:
        return ComponentState(state="down", detail=f"{type(exc).__name__}: {exc}"[:200])
    return ComponentState(
        state="up", detail=detail, latency_ms=round((time.perf_counter() - started) * 1000, 2)
    )


def _worker_state(settings: Settings, worker: Worker) -> ComponentState:
    if not settings.embedded_worker:
        return ComponentState(state="up", detail="runs as its own process (balagh worker)")
    last = worker.last_pass_at
    stale = timedelta(seconds=settings.worker_interval_seconds * 3 + 60)
    if last is None or utc_now() - last > stale:
        return ComponentState(state="down", detail=f"last pass: {last or 'never'}")
    return ComponentState(state="up", detail=f"last pass: {last.isoformat()}")


async def sees_details(request: Request, auth: Authenticator) -> bool:
    if is_loopback(client_address(request)):
        return True
    token = session_token(request)
    return token is not None and await auth.resolve(token) is not None


async def _store(store: Store) -> str:
    await store.ping()
    return type(store).__name__


async def _dialogue(http: httpx.AsyncClient, settings: Settings) -> str:
    response = await http.get(f"{settings.rasa_url}/status", timeout=CHECK_TIMEOUT_SECONDS)
    response.raise_for_status()
    return f"model {response.json().get('model_id', 'unknown')}"


async def _serving_parts(
    store: Store, http: httpx.AsyncClient, settings: Settings
) -> dict[str, ComponentState]:
    """What a turn needs, checked at once: the store and the dialogue core."""
    checks = {"store": _store(store), "dialogue": _dialogue(http, settings)}
    states = await asyncio.gather(
        *(_timed(asyncio.ensure_future(check)) for check in checks.values())
    )
    return dict(zip(checks, states, strict=True))


@router.get("/health/live", summary="Liveness: the process answers")
async def live() -> dict[str, str]:
    return {"status": "alive"}


@router.get("/health/ready", summary="Readiness: this replica can serve a turn")
async def ready(
    request: Request, store: StoreDep, http: HttpDep, settings: SettingsDep
) -> JSONResponse:
    if request.app.state.draining:  # stopping: serves what still comes, but send no more
        return JSONResponse({"status": "draining"}, status_code=503)
    parts = await _serving_parts(store, http, settings)
    failing = sorted(name for name, state in parts.items() if state.state == "down")
    if failing:
        return JSONResponse({"status": "not ready", "failing": failing}, status_code=503)
    return JSONResponse({"status": "ready"})


@router.get("/health")
async def health(
    request: Request,
    store: StoreDep,
    http: HttpDep,
    settings: SettingsDep,
    catalogue: CatalogueDep,
    worker: WorkerDep,
    auth: AuthDep,
) -> Health:
    components = await _serving_parts(store, http, settings)
    components["catalogue"] = ComponentState(
        state="up", detail=f"{len(catalogue.categories)} categories"
    )
    components["worker"] = _worker_state(settings, worker)
    degraded = any(component.state == "down" for component in components.values())
    status: Literal["ok", "degraded"] = "degraded" if degraded else "ok"
    if not await sees_details(request, auth):
        return Health(status=status, components={}, phone_line=None)
    store_up = components["store"].state == "up"
    return Health(
        status=status,
        components=components,
        phone_line=await _phone_line(store, settings) if store_up else None,
    )


async def _phone_line(store: Store, settings: Settings) -> PhoneLine:
    return PhoneLine(
        calls_in_progress=await calls_in_progress(store, utc_now()),
        call_limit=settings.voice_call_limit or None,
    )
