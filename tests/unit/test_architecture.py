"""The dependency rule, as a contract on packages rather than a list of files.

Layers, innermost first: `bot.core` (pure rules, no I/O, no frameworks), `bot.inputs`
(parsers of outside data), `bot.app` (ports and use cases), `bot.entry` (composition
root, HTTP, CLI) and `bot.tools` (evaluation and benchmarks). A module may import its
own layer and the layers inside it; only the entry points and tools know `adapters`
and `storage`, which in turn see nothing of the bot but its core and its ports.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FRAMEWORKS = frozenset(
    {
        "sqlmodel",
        "sqlalchemy",
        "alembic",
        "psycopg",
        "slack_bolt",
        "slack_sdk",
        "nio",
        "fastapi",
        "starlette",
        "uvicorn",
        "httpx",
        "aiohttp",
        "apscheduler",
        "structlog",
        "prometheus_client",
    }
)
STDLIB_IO = frozenset({"socket", "subprocess", "sqlite3", "urllib", "http", "requests"})
PURE_STDLIB = ("urllib.parse",)
"""Parts of those packages that only compute (URL splitting): allowed in the core."""

# What each package may import of ours; anything not listed is forbidden.
ALLOWED: dict[str, frozenset[str]] = {
    "bot.core": frozenset({"bot.core"}),
    "bot.inputs": frozenset({"bot.core", "bot.inputs"}),
    "bot.app": frozenset({"bot.core", "bot.inputs", "bot.app"}),
    "bot.entry": frozenset({"bot", "adapters", "storage"}),
    "bot.tools": frozenset({"bot", "adapters", "storage"}),
    "adapters": frozenset({"bot.core", "bot.app.ports", "bot.app.clock", "adapters"}),
    "storage": frozenset({"bot.core", "bot.app.ports", "bot.app.clock", "storage"}),
}
OURS = ("bot", "adapters", "storage")


def imports_of(source: str) -> set[str]:
    """Return every module named by an import statement in `source`."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            # `from bot import core` names the submodule too.
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def layer_of(module: str) -> str | None:
    for layer in sorted(ALLOWED, key=len, reverse=True):
        if module == layer or module.startswith(layer + "."):
            return layer
    return None


def violations(module: str, source: str) -> list[str]:
    """Return the imports of `module` that break the contract."""
    layer = layer_of(module)
    if layer is None:
        return [f"{module}: in no layer (put it in core, inputs, app, entry or tools)"]
    allowed = ALLOWED[layer]
    found = []
    for name in sorted(imports_of(source)):
        top = name.split(".")[0]
        if top in OURS:
            if name in OURS and top == "bot":
                continue  # `from bot import x`: judged by the submodule name
            if not any(name == a or name.startswith(a + ".") for a in allowed):
                found.append(f"{module} imports {name}")
        elif layer == "bot.core" and (top in FRAMEWORKS or top in STDLIB_IO):
            if any(name == pure or name.startswith(pure + ".") for pure in PURE_STDLIB):
                continue
            found.append(f"{module} imports {name} (the core does no I/O)")
    return found


def project_modules() -> list[tuple[str, Path]]:
    modules = []
    for package in OURS:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue  # Alembic scripts run inside Alembic, not the bot
            parts = path.relative_to(ROOT).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            if parts == ("bot",):
                continue
            modules.append((".".join(parts), path))
    return modules


def test_every_module_keeps_the_dependency_rule() -> None:
    found = [v for module, path in project_modules() for v in violations(module, path.read_text())]
    assert found == []


@pytest.mark.parametrize(
    ("module", "planted"),
    [
        ("bot.core.extraction", "from storage.sql_store import SqlStore"),
        ("bot.core.new_rule", "import sqlmodel"),
        ("bot.core.matching.fresh", "from bot.app.pipeline import Pipeline"),
        ("bot.core.alerts", "from bot.entry import service"),
        ("bot.core.detection", "import httpx"),
        ("bot.inputs.reports", "from bot.app.ports import Store"),
        ("bot.app.pipeline", "from adapters.slack.adapter import SlackAdapter"),
        ("adapters.slack.blocks", "from storage.tables import ReportRow"),
        ("storage.sql_store", "from bot.entry.config import Settings"),
        ("bot.stray", "import json"),
    ],
)
def test_contract_fails_on_a_planted_import(module: str, planted: str) -> None:
    assert violations(module, planted + "\n") != []


def test_contract_accepts_inward_imports() -> None:
    assert violations("bot.app.pipeline", "from bot.core.extraction import extract\n") == []
    assert violations("storage.sql_store", "from bot.app.ports import Store\n") == []
    assert violations("bot.entry.service", "from storage.sql_store import SqlStore\n") == []
