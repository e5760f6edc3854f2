"""Hang the web pages on the service: routers, static files, security headers, error pages."""

from fastapi import FastAPI, Request
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles
from starlette.types import Scope

from bot.settings import Settings
from bot.web import (
    add_details,
    admin,
    complaint_page,
    field,
    inbox,
    kpi_page,
    login,
    outbox,
    portal,
    queue,
)
from bot.web.render import STATIC_DIR, error_page
from bot.web.security import SecurityHeaders, install_web_handlers
from bot.words import N_


def install_web(app: FastAPI, settings: Settings) -> None:
    pages = (login, queue, complaint_page, field, kpi_page, admin, outbox, portal)
    for module in (*pages, add_details):
        app.include_router(module.router)
    app.include_router(inbox.router)  # the agent inbox
    app.include_router(inbox.media_router)  # the photos its employees send
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.add_middleware(
        SecurityHeaders,
        tile_url=settings.map_tile_url,
        hsts=settings.environment == "production",
    )
    install_web_handlers(app, error_page)
    inbox.install_inbox_errors(app)


def too_large_page(scope: Scope) -> Response:
    """What a browser gets for a body too large to read at all: a page in its language."""
    return error_page(Request(scope), N_("portal.error.too_large"), status_code=413)
