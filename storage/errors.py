"""Database failures as one line a person can act on, never with the password."""

from __future__ import annotations

import sqlite3

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, SQLAlchemyError


class DatabaseUnavailable(Exception):
    """The configured database cannot be opened or used; the message is one line."""


def shown_url(url: str) -> str:
    """The URL with its password replaced by `***` (or a placeholder if it does not parse)."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # a URL that does not even parse: show nothing of it
        return "(unparseable URL)"


def describe(error: BaseException, url: str) -> str | None:
    """One line naming a database problem, or None when `error` is not one."""
    if isinstance(error, ArgumentError):
        reason = f"malformed URL ({_first_line(error)})"
    elif isinstance(error, DBAPIError):
        reason = _first_line(error.orig) if error.orig is not None else _first_line(error)
    elif isinstance(error, SQLAlchemyError | sqlite3.Error):
        reason = _first_line(error)
    elif isinstance(error, ValueError) and "port" in str(error).casefold():
        reason = f"malformed URL ({_first_line(error)})"
    else:
        return None
    reason = reason.replace(url, shown_url(url))
    password = _password(url)
    if password:
        reason = reason.replace(password, "***")
    return f"DENIALWATCH_DATABASE_URL {shown_url(url)}: {reason}"


def _password(url: str) -> str:
    try:
        return make_url(url).password or ""
    except Exception:  # unparseable: fall back to the text between ':' and '@'
        head = url.split("@", 1)[0]
        return head.rsplit(":", 1)[-1] if "@" in url and ":" in head.split("//", 1)[-1] else ""


def _first_line(error: object) -> str:
    text = str(error).strip()
    line = text.splitlines()[0] if text else type(error).__name__
    return line[:300]
