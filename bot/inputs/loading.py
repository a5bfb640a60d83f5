"""Read report streams and watchlists from disk, with one-line errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bot.core.domain import Report, Watchlist
from bot.inputs.reports import ReportError, parse_report
from bot.inputs.watchlist import WatchlistError, parse_watchlist


class InputError(Exception):
    """An input file is missing or malformed; the message is one line for the user."""


def read_text(path: Path) -> str:
    try:
        return path.read_text("utf-8")
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory, expected a file") from None
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 text") from None
    except OSError as error:
        raise InputError(f"{path}: {error.strerror}") from None


def read_jsonl(path: Path) -> list[tuple[int, Any]]:
    """Return (line number, object) for every non-blank line; fail on the first bad one."""
    rows: list[tuple[int, Any]] = []
    for number, line in enumerate(read_text(path).splitlines(), start=1):
        if not line.strip():
            continue
        try:
            rows.append((number, json.loads(line)))
        except json.JSONDecodeError as error:
            raise InputError(f"{path}:{number}: malformed JSON ({error.msg})") from None
    return rows


def read_reports(path: Path) -> list[Report]:
    """Read every report of a JSONL stream, or fail naming the first bad line."""
    reports: list[Report] = []
    seen: set[str] = set()
    for number, row in read_jsonl(path):
        try:
            report = parse_report(row)
        except ReportError as error:
            raise InputError(f"{path}:{number}: {error}") from None
        if report.id in seen:
            raise InputError(f"{path}:{number}: duplicate report id {report.id!r}")
        seen.add(report.id)
        reports.append(report)
    return reports


def read_watchlist(path: Path) -> Watchlist:
    try:
        return parse_watchlist(json.loads(read_text(path)))
    except json.JSONDecodeError as error:
        raise InputError(f"{path}: malformed JSON ({error.msg}, line {error.lineno})") from None
    except WatchlistError as error:
        raise InputError(f"{path}: {error}") from None
