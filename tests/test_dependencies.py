"""Dependencies point one way: the core (bot/'s domain, store, notifications, words) imports
neither the channels, nor the custom actions, nor the web pages and API, nor the composition
that wires them together; those import the core."""

import ast
from pathlib import Path

import pytest

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
