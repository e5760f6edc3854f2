"""`GET /metrics`: Prometheus' text format (bot/metrics.py declares what is counted).

Only Prometheus reads it: with `BALAGH_METRICS_TOKEN` set it must send that token as a
bearer token (`authorization: {credentials: …}` in its scrape config); unset, only this
machine may read it, as for the action endpoint.
"""

import asyncio
import hmac

from fastapi import APIRouter, HTTPException, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST

from bot.api.deps import ServicesDep
from bot.call_admission import calls_in_progress
from bot.clock import utc_now
from bot.metrics import exposition, outbox_figures, phone_line_figures

router = APIRouter(tags=["health"])
LOOPBACK = frozenset({"127.0.0.1", "::1"})


def _allowed(request: Request, token: str) -> bool:
    if token:
        given = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        return hmac.compare_digest(given.encode(), token.encode())
    return (request.client.host if request.client else "") in LOOPBACK


@router.get("/metrics", summary="Prometheus metrics", include_in_schema=False)
async def metrics(request: Request, services: ServicesDep) -> Response:
    secret = services.settings.metrics_token
    if not _allowed(request, secret.get_secret_value() if secret else ""):
        raise HTTPException(status_code=403, detail="metrics are for Prometheus only")
    store, now = services.store, utc_now()
    figures = [
        *outbox_figures(await store.outbox_backlog(), now),
        *phone_line_figures(
            await calls_in_progress(store, now), services.settings.voice_call_limit
        ),
    ]
    body = await asyncio.to_thread(exposition, figures)  # reads the processes' files
    return Response(body, media_type=CONTENT_TYPE_LATEST)
