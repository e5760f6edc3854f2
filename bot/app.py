"""The service: one FastAPI application that every HTTP route hangs from."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from actions import endpoint as action_endpoint
from bot.api import (
    auth,
    citizen,
    health,
    kpi,
    metrics,
    notifications,
    open311,
    staff,
    users,
    webhooks,
)
from bot.api.errors import BodySizeLimit, install_error_handlers
from bot.api.observability import RequestObservation
from bot.api.open311 import install_open311_errors
from bot.services import Services
from bot.settings import Settings, get_settings
from bot.web.mount import install_web
from bot.worker import running
from channels import messaging, telegram, webchat, webchat_http
from channels.simulator import router as simulator
from channels.voice import router as voice


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        services = await Services.start(settings)
        app.state.services = services
        try:
            if settings.embedded_worker:
                async with running(services.worker):
                    yield
            else:
                yield
        finally:
            await services.stop()

    app = FastAPI(
        title="Balagh 940",
        description="بلاغ ٩٤٠ — the municipality's bilingual contact center API",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.add_middleware(
        BodySizeLimit,
        max_bytes=settings.max_body_bytes,
        upload_max_bytes=settings.max_upload_bytes,
    )
    app.add_middleware(RequestObservation)  # outermost: every answer has its id and its time
    install_error_handlers(app)
    app.include_router(action_endpoint.router)  # the Rasa action server, in this process
    for module in (health, metrics, citizen, auth, staff, users, notifications, webhooks):
        app.include_router(module.router)
    app.include_router(kpi.router)
    app.include_router(open311.router)
    install_open311_errors(app)
    for channel in (messaging, telegram, webchat_http, voice):  # WhatsApp/SMS, Telegram, web, 940
        app.include_router(channel.router)
    webchat.mount(app, settings)
    app.include_router(simulator.router)  # /simulator: the 940 line from a browser
    install_web(app, settings)  # the back office, the portal and the KPI dashboard
    return app
