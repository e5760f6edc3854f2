"""The service with the action endpoint mounted, for end-to-end runs under uvicorn.

`uvicorn --factory tests.e2e.service_app:create`; settings come from `BALAGH_*` variables.
"""

from fastapi import FastAPI

from actions.endpoint import router
from bot.app import create_app


def create() -> FastAPI:
    app = create_app()
    if not any(getattr(route, "path", None) == "/webhook" for route in app.routes):
        app.include_router(router)
    return app
