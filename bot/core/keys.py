"""The keys stores compare by: one definition for the SQL and the in-memory store.

Pure functions. Both stores call them, so the same name or URL is "the same" in
each (issue 14 item 2: the drifts between memory and SQL came from two rules).
"""

from __future__ import annotations

from collections.abc import Iterable

from bot.core.names import name_key

__all__ = ["name_key", "spelled_as", "url_key"]


def url_key(url: str) -> str | None:
    """A report URL as compared for dedupe (no fragment); None when there is none."""
    cleaned = url.strip().split("#", 1)[0]
    return cleaned or None


def spelled_as(name: str, known: Iterable[str]) -> str:
    """The first known name with the same key as `name`, else `name` itself."""
    key = name_key(name)
    return next((k for k in known if name_key(k) == key), name)
