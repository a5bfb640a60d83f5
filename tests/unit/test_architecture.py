"""The dependency rule: the core imports neither adapters nor storage."""

from __future__ import annotations

import ast
from pathlib import Path

BOT = Path(__file__).resolve().parents[2] / "bot"
# Only the composition root and the CLI commands that run it may know implementations.
COMPOSITION = {"service.py", "operations.py"}
FRAMEWORKS = ("sqlmodel", "sqlalchemy", "slack_bolt", "slack_sdk", "nio", "fastapi", "httpx")
PURE_CORE = (
    "domain.py",
    "extraction.py",
    "mentions.py",
    "detection.py",
    "alerts.py",
    "commands.py",
    "evaluation.py",
    "reports.py",
    "watchlist.py",
)


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text("utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_core_modules_do_not_import_adapters_or_storage() -> None:
    offenders = {
        str(path.relative_to(BOT)): sorted(
            n for n in _imports(path) if n.split(".")[0] in ("adapters", "storage")
        )
        for path in BOT.rglob("*.py")
        if path.name not in COMPOSITION
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_pure_core_imports_no_framework() -> None:
    for name in PURE_CORE:
        imported = {n.split(".")[0] for n in _imports(BOT / name)}
        assert not imported & set(FRAMEWORKS), name
