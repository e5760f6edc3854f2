"""Dependencies point one way: the core (bot/'s domain, store, notifications, words) imports
neither the channels, nor the custom actions, nor the web pages and API, nor the composition
that wires them together; those import the core."""

import ast
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, APIWebSocketRoute, iter_route_contexts
from starlette.routing import BaseRoute, Mount

from bot.api import deps
from bot.app import create_app
from channels.dependencies import get_recordings
from channels.voice.router import get_line

ROOT = Path(__file__).resolve().parents[1]
# bot/ modules that are not the core: the HTTP adapters and the composition (app, CLI)
EDGES = ("bot/api/", "bot/web/", "bot/app.py", "bot/cli.py", "bot/runner.py", "bot/composition.py")
FORBIDDEN = (
    *("channels", "actions"),
    *("bot.api", "bot.web", "bot.app", "bot.cli", "bot.runner", "bot.composition"),
)


def core_modules() -> list[Path]:
    modules = sorted((ROOT / "bot").rglob("*.py"))
    return [m for m in modules if not str(m.relative_to(ROOT)).startswith(EDGES)]


def imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
    return names


def outward(path: Path) -> list[str]:
    return sorted(
        name
        for name in imported(path)
        if any(name == f or name.startswith(f"{f}.") for f in FORBIDDEN)
    )


@pytest.mark.parametrize("module", core_modules(), ids=lambda m: str(m.relative_to(ROOT)))
def test_a_core_module_imports_only_the_core(module):
    assert outward(module) == []


def test_the_check_sees_an_outward_import(tmp_path):
    module = tmp_path / "leaky.py"
    module.write_text("from bot.web.render import page_labels\nimport channels.chat\n")
    assert outward(module) == ["bot.web.render", "bot.web.render.page_labels", "channels.chat"]


def test_the_core_is_most_of_bot():
    core = {str(m.relative_to(ROOT)) for m in core_modules()}
    assert {"bot/services.py", "bot/handoffs.py", "bot/notifications/handoff.py"} <= core
    assert "bot/words.py" in core
    assert len(core) > 50


# Handlers ask for what they use: only the narrow getters of bot/api/deps.py see `Services`,
# and the channels' getters that assemble what a route uses from several of them at once.
NARROW_GETTERS = {
    get_line,
    get_recordings,
    deps.get_store,
    deps.get_settings,
    deps.get_catalogue,
    deps.get_complaints,
    deps.get_attachments,
    deps.get_auth,
    deps.get_channels,
    deps.get_worker,
    deps.get_http,
    deps.get_staff_contacts,
    deps.get_provider_labels,
}


def asking_for_services(dependant: Dependant) -> set[str]:
    """The handlers and dependencies under `dependant` that ask for the whole `Services`."""
    found: set[str] = set()
    for sub in dependant.dependencies:
        if sub.call is deps.get_services and dependant.call not in NARROW_GETTERS:
            found.add(f"{dependant.call.__module__}.{dependant.call.__qualname__}")  # type: ignore[union-attr]
        found |= asking_for_services(sub)
    return found


def route_dependants(routes: Sequence[BaseRoute]) -> Iterator[Dependant]:
    """The dependant of every handler, with what its routers add: FastAPI's public walk over
    routes, through included routers (`iter_route_contexts`), and through mounts."""
    for context in iter_route_contexts(routes):
        route = context.original_route
        if isinstance(route, APIRoute | APIWebSocketRoute):
            dependant: Dependant = context.dependant
            yield dependant
        elif isinstance(route, Mount):
            yield from route_dependants(route.routes)


def test_handlers_ask_only_for_what_they_use(settings):
    app = create_app(settings)
    dependants = list(route_dependants(app.routes))
    offenders = set().union(*(asking_for_services(dependant) for dependant in dependants))
    assert len(dependants) > 100
    assert sorted(offenders) == []


def test_the_walk_sees_a_handler_asking_for_services_in_an_included_router():
    router = APIRouter(prefix="/staff")

    @router.get("/catch-all")
    async def catch_all(services: deps.ServicesDep) -> str:
        return services.settings.environment

    app = FastAPI()
    app.include_router(router)

    @app.get("/narrow")
    async def narrow(store: deps.StoreDep, settings: deps.SettingsDep) -> str:
        return settings.environment

    dependants = list(route_dependants(app.routes))
    assert {dependant.call for dependant in dependants} == {catch_all, narrow}
    assert set().union(*(asking_for_services(dependant) for dependant in dependants)) == {
        f"{__name__}.{catch_all.__qualname__}"
    }


def test_no_handler_reaches_around_the_dependencies_for_services():
    """`request.app.state.services` is read by the getter itself and by the error pages,
    which exception handlers render outside the dependency system; by nothing else."""
    readers = {
        str(module.relative_to(ROOT))
        for folder in ("bot/api", "bot/web", "channels")
        for module in (ROOT / folder).rglob("*.py")
        if "state.services" in module.read_text(encoding="utf-8")
    }
    assert readers == {"bot/api/deps.py", "bot/web/render.py"}
