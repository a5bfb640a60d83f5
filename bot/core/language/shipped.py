"""Read the language files shipped with the package (the only file reads of the core)."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any


def read_language_file(name: str) -> Any:
    """Return the parsed JSON of one file under bot/core/language/lexicons."""
    return json.loads(
        resources.files("bot.core.language").joinpath("lexicons", name).read_text("utf-8")
    )
