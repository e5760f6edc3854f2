"""Health: `GET /health` for people, `/health/live` and `/health/ready` for orchestrators.

- `/health`: always 200 while the process runs, with the state of each component. The
  components (names, latencies, errors) are shown only to staff and to this machine
  (loopback); anyone else sees the overall status alone.
- `/health/live`: 200 while the process answers at all (restart it otherwise).
- `/health/ready`: 200 when this replica can serve a turn (its store and the dialogue core
  answer), else 503 naming what failed: the load balancer sends it nothing meanwhile.
"""

import asyncio
import time
from datetime import timedelta
from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from bot.api.deps import ServicesDep, session_token
from bot.client_address import client_address
from bot.clock import utc_now
from bot.services import Services
from bot.settings import is_loopback

router = APIRouter(tags=["health"])
CHECK_TIMEOUT_SECONDS = 2.0


class ComponentState(BaseModel):
    state: Literal["up", "down"]
    detail: str
    latency_ms: float | None = None


class Health(BaseModel):
    status: Literal["ok", "degraded"]
    components: dict[str, ComponentState]


async def _timed(check: "asyncio.Future[str] | asyncio.Task[str]") -> ComponentState:
    started = time.perf_counter()
    try:
        detail = await asyncio.wait_for(check, CHECK_TIMEOUT_SECONDS)
    except Exception as exc:
        return ComponentState(state="down", detail=f"{type(exc).__name__}: {exc}"[:200])
    return ComponentState(
        state="up", detail=detail, latency_ms=round((time.perf_counter() - started) * 1000, 2)
    )


def _worker_state(services: Services) -> ComponentState:
    settings = services.settings
    if not settings.embedded_worker:
        return ComponentState(state="up", detail="runs as its own process (balagh worker)")
    last = services.worker.last_pass_at
    stale = timedelta(seconds=settings.worker_interval_seconds * 3 + 60)
    if last is None or utc_now() - last > stale:
        return ComponentState(state="down", detail=f"last pass: {last or 'never'}")
    return ComponentState(state="up", detail=f"last pass: {last.isoformat()}")


async def sees_details(request: Request, services: Services) -> bool:
    if is_loopback(client_address(request)):
        return True
    token = session_token(request)
    return token is not None and await services.auth.resolve(token) is not None


async def _store(services: Services) -> str:
    await services.store.ping()
    return type(services.store).__name__


async def _dialogue(services: Services) -> str:
    response = await services.http.get(
        f"{services.settings.rasa_url}/status", timeout=CHECK_TIMEOUT_SECONDS
    )
    response.raise_for_status()
    return f"model {response.json().get('model_id', 'unknown')}"


async def _serving_parts(services: Services) -> dict[str, ComponentState]:
    """What a turn needs, checked at once: the store and the dialogue core."""
    checks = {"store": _store(services), "dialogue": _dialogue(services)}
    states = await asyncio.gather(
        *(_timed(asyncio.ensure_future(check)) for check in checks.values())
    )
    return dict(zip(checks, states, strict=True))


@router.get("/health/live", summary="Liveness: the process answers")
async def live() -> dict[str, str]:
    return {"status": "alive"}


@router.get("/health/ready", summary="Readiness: this replica can serve a turn")
async def ready(services: ServicesDep) -> JSONResponse:
    parts = await _serving_parts(services)
    failing = sorted(name for name, state in parts.items() if state.state == "down")
    if failing:
        return JSONResponse({"status": "not ready", "failing": failing}, status_code=503)
    return JSONResponse({"status": "ready"})


@router.get("/health")
async def health(request: Request, services: ServicesDep) -> Health:
    components = await _serving_parts(services)
    components["catalogue"] = ComponentState(
        state="up", detail=f"{len(services.catalogue.categories)} categories"
    )
    components["worker"] = _worker_state(services)
    degraded = any(component.state == "down" for component in components.values())
    shown = components if await sees_details(request, services) else {}
    return Health(status="degraded" if degraded else "ok", components=shown)
