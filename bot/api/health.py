"""`GET /health`: always 200 while the process runs, with the state of each component."""

import asyncio
import time
from typing import Literal

import httpx
from fastapi import APIRouter
from pydantic import BaseModel

from bot.api.deps import ServicesDep

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


@router.get("/health")
async def health(services: ServicesDep) -> Health:
    async def store() -> str:
        await services.store.ping()
        return type(services.store).__name__

    async def dialogue() -> str:
        async with httpx.AsyncClient(timeout=CHECK_TIMEOUT_SECONDS) as client:
            response = await client.get(f"{services.settings.rasa_url}/status")
            response.raise_for_status()
            return f"model {response.json().get('model_id', 'unknown')}"

    checks = {"store": store(), "dialogue": dialogue()}
    states = await asyncio.gather(
        *(_timed(asyncio.ensure_future(check)) for check in checks.values())
    )
    components = dict(zip(checks, states, strict=True))
    components["catalogue"] = ComponentState(
        state="up", detail=f"{len(services.catalogue.categories)} categories"
    )
    degraded = any(component.state == "down" for component in components.values())
    return Health(status="degraded" if degraded else "ok", components=components)
