"""Turn report documents (JSON objects) into Reports, with one-line errors."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from bot.core.domain import LANGUAGES, Report, ReportId

MAX_TEXT_CHARS = 200_000


class ReportError(ValueError):
    """A report document is malformed."""


def parse_report(data: Any) -> Report:
    """Build a Report from a JSON object, or raise ReportError saying what is wrong."""
    if not isinstance(data, Mapping):
        raise ReportError("a report must be a JSON object")
    text = _string(data, "text")
    title = _string(data, "title")
    url = _string(data, "url")
    if not (text.strip() or title.strip() or url.strip()):
        raise ReportError("report has no text, title or url")
    if len(text) > MAX_TEXT_CHARS:
        raise ReportError(f"report text is longer than {MAX_TEXT_CHARS} characters")
    if "\x00" in text or "\x00" in title:
        raise ReportError("report text contains NUL bytes (binary data?)")
    language = data.get("language")
    if language is not None and not isinstance(language, str):
        raise ReportError("'language' must be a string")
    if language and language.casefold().split("-")[0] not in LANGUAGES:
        raise ReportError(
            f"language {language[:20]!r} is not supported ({', '.join(LANGUAGES)}); "
            "leave it out and the text decides"
        )
    language = language.casefold().split("-")[0] if language else None
    report_id = data.get("id")
    if report_id is None or report_id == "":
        report_id = "r-" + hashlib.sha256(f"{url}\n{title}\n{text}".encode()).hexdigest()[:16]
    if not isinstance(report_id, str | int):
        raise ReportError("'id' must be a string")
    return Report(
        id=ReportId(str(report_id)),
        published=_published(data.get("published")),
        source=_string(data, "source"),
        url=url,
        language=language or None,
        title=title,
        text=text,
    )


def report_document(report: Report) -> dict[str, Any]:
    return {
        "id": report.id,
        "published": report.published.isoformat(),
        "source": report.source,
        "url": report.url,
        "language": report.language,
        "title": report.title,
        "text": report.text,
    }


def _string(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ReportError(f"'{key}' must be a string")
    return value


def _published(value: Any) -> date:
    if not isinstance(value, str) or not value:
        raise ReportError("'published' must be an ISO date such as 2021-10-29")
    try:
        if len(value) == 10:
            return date.fromisoformat(value)
        return datetime.fromisoformat(value.replace("Z", "+00:00")).date()
    except ValueError:
        raise ReportError(f"'published' is not an ISO date: {value[:40]!r}") from None
