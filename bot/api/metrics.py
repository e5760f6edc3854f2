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

from bot.api.deps import ServicesDep
from bot.client_address import client_address
from bot.clock import utc_now
from bot.metrics import exposition, outbox_figures
from bot.settings import Settings, is_loopback

router = APIRouter(tags=["health"])


def _allowed(request: Request, settings: Settings) -> bool:
    if settings.metrics_token is not None:
        token = settings.metrics_token.get_secret_value()
        given = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        return hmac.compare_digest(given.encode(), token.encode())
    return settings.environment == "local" and is_loopback(client_address(request))


@router.get("/metrics", summary="Prometheus metrics", include_in_schema=False)
async def metrics(request: Request, services: ServicesDep) -> Response:
    if not _allowed(request, services.settings):
        raise HTTPException(status_code=403, detail="metrics are for Prometheus only")
    backlog = await services.store.outbox_backlog()
    body = await asyncio.to_thread(exposition, outbox_figures(backlog, utc_now()))  # files
    return Response(body, media_type=CONTENT_TYPE_LATEST)
