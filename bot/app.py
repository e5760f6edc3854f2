"""The service: one FastAPI application that every HTTP route hangs from."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from actions import endpoint
from bot.api import (
    api_keys,
    auth,
    citizen,
    docs,
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
from bot.client_address import TrustedProxies
from bot.composition import chats, dialogue_client, inbox, start_services
from bot.notifications.providers.registry import PROVIDERS, Registration
from bot.settings import Settings, check_safe, get_settings
from bot.web.inbox_live import InboxLive
from bot.web.mount import install_web, too_large_page
from bot.worker import running
from channels.registry import CHANNELS, Channel
from channels.voice.followup import finish_background


def create_app(
    settings: Settings | None = None,
    channels: tuple[type[Channel], ...] = CHANNELS,
    providers: tuple[Registration, ...] = PROVIDERS,
) -> FastAPI:
    """The service, with the channels of channels/registry.py and the notification providers
    of bot/notifications/providers/registry.py (tests add their own); raises UnsafeSettings
    (every problem, one line each) first."""
    settings = settings or get_settings()
    check_safe(settings)
    mounted = [channel() for channel in channels]
    live = InboxLive()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        services = await start_services(settings, channels, providers)
        app.state.services = services
        app.state.dialogue = dialogue_client(services)
        app.state.inbox = inbox(services, app.state.dialogue, mounted, live)
        live.serve(services.auth, app.state.inbox)
        app.state.chats = chats(services, app.state.dialogue, app.state.inbox)
        try:
            if settings.embedded_worker:
                async with running(services.worker):
                    yield
            else:
                yield
        finally:
            await finish_background(settings.shutdown_grace_seconds)
            await services.stop()

    show_docs = settings.shows(settings.api_docs)  # production hides them unless BALAGH_API_DOCS
    app = FastAPI(
        title="Balagh 940",
        description="بلاغ ٩٤٠ — the municipality's bilingual contact center API",
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,  # bot.api.docs serves them with vendored assets (no CDN)
        redoc_url=None,
        openapi_url="/openapi.json" if show_docs else None,
    )
    app.state.settings = settings
    app.state.draining = False  # set on SIGTERM (bot/runner.py): /health/ready says not ready
    app.add_middleware(
        BodySizeLimit,
        max_bytes=settings.max_body_bytes,
        upload_max_bytes=settings.max_upload_bytes,
        page_refusal=too_large_page,
    )
    app.add_middleware(RequestObservation)  # outermost: every answer has its id and its time
    install_error_handlers(app)
    app.include_router(endpoint.router)  # the Rasa action server, in this process
    routers = (health, metrics, citizen, auth, staff, users, api_keys, notifications, webhooks)
    for module in (docs, *routers) if show_docs else routers:
        app.include_router(module.router)
    app.include_router(kpi.router)
    app.include_router(open311.router)
    install_open311_errors(app)
    for channel in mounted:  # the 940 line, WhatsApp/SMS, Telegram, the web chat…
        channel.mount(app)
    live.mount(app)  # the agent inbox's live updates
    install_web(app, settings)  # the back office, the portal and the KPI dashboard
    # outermost: everything inside sees the client a trusted proxy forwarded for
    app.add_middleware(TrustedProxies, networks=settings.trusted_proxies)
    return app
