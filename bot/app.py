"""The service: one FastAPI application that every HTTP route hangs from."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from bot.api import auth, citizen, health, staff, users
from bot.api.errors import BodySizeLimit, install_error_handlers
from bot.services import Services
from bot.settings import Settings, get_settings
from bot.worker import running


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
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    install_error_handlers(app)
    for module in (health, citizen, auth, staff, users):
        app.include_router(module.router)
    return app
