"""The pages' templates and static files ship in the wheel (the Docker image installs it)."""

from __future__ import annotations

import tomllib
from fnmatch import fnmatch
from pathlib import Path

from bot.entry.pages.routes import STATIC_TYPES

ROOT = Path(__file__).resolve().parents[2]
PAGES = ROOT / "bot" / "entry" / "pages"


def test_every_template_and_static_file_is_package_data() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]["bot.entry.pages"]
    files = [p.relative_to(PAGES).as_posix() for p in PAGES.rglob("*") if p.is_file()]
    data = [f for f in files if not f.endswith(".py") and "__pycache__" not in f]
    assert data
    assert [f for f in data if not any(fnmatch(f, p) for p in patterns)] == []


def test_every_served_static_file_exists() -> None:
    assert sorted(STATIC_TYPES) == sorted(p.name for p in (PAGES / "static").iterdir())
