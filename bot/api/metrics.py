"""`GET /metrics`: Prometheus' text format (bot/metrics.py declares what is counted).

Only Prometheus reads it: with `BALAGH_METRICS_TOKEN` set it must send that token as a
bearer token (`authorization: {credentials: …}` in its scrape config); unset, only this
machine may read it in local use, and nobody in production (as for the action endpoint: a
load balancer on this machine would otherwise make every reader local).
"""

import asyncio
import hmac

from fastapi import APIRouter, HTTPException, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST

from bot.api.deps import SettingsDep, StoreDep
from bot.call_admission import calls_in_progress
from bot.client_address import client_address
from bot.clock import utc_now
from bot.metrics import exposition, outbox_figures, phone_line_figures
from bot.settings import Settings, is_loopback

router = APIRouter(tags=["health"])


def may_read(settings: Settings, authorization: str | None, client: str) -> bool:
    """Whether a scrape with this `Authorization` header from address `client` is answered
    (the service's /metrics and the worker's, bot/api/worker_metrics.py)."""
    token = settings.metrics_token.get_secret_value() if settings.metrics_token else ""
    if token:  # an empty BALAGH_METRICS_TOKEN counts as unset: it would let everyone in
        given = (authorization or "").removeprefix("Bearer ").strip()
        return hmac.compare_digest(given.encode(), token.encode())
    return settings.environment == "local" and is_loopback(client)


@router.get("/metrics", summary="Prometheus metrics", include_in_schema=False)
async def metrics(request: Request, settings: SettingsDep, store: StoreDep) -> Response:
    allowed = may_read(settings, request.headers.get("authorization"), client_address(request))
    if not allowed:
        raise HTTPException(status_code=403, detail="metrics are for Prometheus only")
    now = utc_now()
    figures = [
        *outbox_figures(await store.outbox_backlog(), now),
        *phone_line_figures(await calls_in_progress(store, now), settings.voice_call_limit),
    ]
    body = await asyncio.to_thread(exposition, figures)  # reads the processes' files
    return Response(body, media_type=CONTENT_TYPE_LATEST)
