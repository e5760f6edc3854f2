"""Every kind of connector, by the name catalogue.yml gives it (`connector: http_json`).

A connector for another kind of system is one module with a `build(config, http)` function
returning an object that implements `Connector` (bot/transactions/connector.py), added here.
"""

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Final

import httpx
from pydantic import ValidationError

from bot.catalogue import Catalogue, CatalogueError
from bot.transactions import http_json
from bot.transactions.connector import REQUIRED_FIELDS, Connector

Build = Callable[[Mapping[str, Any], httpx.AsyncClient], Connector]
CONNECTORS: Final[dict[str, Build]] = {"http_json": http_json.build}


def build_connectors(
    catalogue: Catalogue, http: httpx.AsyncClient, source: Path
) -> dict[str, Connector]:
    """A connector for each system of the catalogue; CatalogueError naming `source`, the key
    and the problem when a system's settings are wrong or a type needs a field it lacks."""
    problems: list[str] = []
    connectors: dict[str, Connector] = {}
    for code, system in catalogue.transaction_systems.items():
        where = f"{source}: transaction_systems.{code}"
        build = CONNECTORS.get(system.connector)
        if build is None:
            known = ", ".join(sorted(CONNECTORS))
            problems.append(f"{where}.connector: unknown connector {system.connector!r} ({known})")
            continue
        try:
            connectors[code] = build(system.config, http)
        except ValidationError as exc:
            for error in exc.errors():
                key = ".".join(str(part) for part in error["loc"])
                problems.append(f"{where}.config{'.' + key if key else ''}: {error['msg']}")
    for code, kind in catalogue.transactions.items():
        connector = connectors.get(kind.system)
        needed = REQUIRED_FIELDS | {kind.proof}
        if connector is not None and not needed <= connector.fields:
            missing = ", ".join(sorted(needed - connector.fields))
            problems.append(
                f"{source}: transactions.{code}: system {kind.system!r} does not give {missing}"
            )
    if problems:
        raise CatalogueError(problems)
    return connectors
