"""Turn report documents (JSON objects) into Reports, with one-line errors."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any

from bot.core.domain import LANGUAGES, Report, ReportId

MAX_TEXT_CHARS = 200_000
MAX_TITLE_CHARS = 1_000
MAX_ID_CHARS = 200
MAX_SOURCE_CHARS = 300
MAX_URL_CHARS = 2_000
FUTURE_SLACK = timedelta(days=1)
"""A report may be dated at most this far ahead of today (time zones); later is an error."""


class ReportError(ValueError):
    """A report document is malformed."""


def parse_report(data: Any, *, today: date | None = None) -> Report:
    """Build a Report from a JSON object, or raise ReportError saying what is wrong.

    With `today`, a report dated more than a day after it is refused.
    """
    if not isinstance(data, Mapping):
        raise ReportError("a report must be a JSON object")
    text = _string(data, "text")
    title = _string(data, "title")
    url = _string(data, "url")
    source = _string(data, "source")
    if not (text.strip() or title.strip() or url.strip()):
        raise ReportError("report has no text, title or url")
    for key, value, cap in (
        ("text", text, MAX_TEXT_CHARS),
        ("title", title, MAX_TITLE_CHARS),
        ("url", url, MAX_URL_CHARS),
        ("source", source, MAX_SOURCE_CHARS),
    ):
        if len(value) > cap:
            raise ReportError(f"report {key} is longer than {cap} characters")
        if "\x00" in value:
            raise ReportError(f"report {key} contains NUL bytes (binary data?)")
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
    if not isinstance(report_id, str | int) or isinstance(report_id, bool):
        raise ReportError("'id' must be a string")
    report_id = str(report_id)
    if len(report_id) > MAX_ID_CHARS or "\x00" in report_id:
        raise ReportError(f"'id' must be at most {MAX_ID_CHARS} characters, without NUL")
    for key, value in (("id", report_id), ("title", title), ("text", text), ("url", url)):
        _refuse_lone_surrogates(key, value)
    _refuse_lone_surrogates("source", source)
    published = _published(data.get("published"))
    if today is not None and published > today + FUTURE_SLACK:
        raise ReportError(f"'published' {published.isoformat()} is more than a day in the future")
    return Report(
        id=ReportId(report_id),
        published=published,
        source=source,
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


def bounded_report(report: Report) -> tuple[Report, tuple[str, ...]]:
    """Cut every field of a report from an outside source to its cap.

    For feed items and fetched articles, which cannot be refused like an API call;
    returns the report and the names of the fields that were cut, for the log.
    """
    cut: list[str] = []
    changes: dict[str, str] = {}
    for key, cap in (
        ("title", MAX_TITLE_CHARS),
        ("text", MAX_TEXT_CHARS),
        ("source", MAX_SOURCE_CHARS),
        ("url", MAX_URL_CHARS),
    ):
        value: str = getattr(report, key)
        clean = value.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")
        if len(clean) > cap:
            clean = clean[:cap]
            cut.append(key)
        if clean != value:
            changes[key] = clean
    if len(report.id) > MAX_ID_CHARS:
        changes["id"] = report.id[:MAX_ID_CHARS]
        cut.append("id")
    if not changes:
        return report, ()
    return replace(report, **changes), tuple(cut)  # type: ignore[arg-type]  # str fields only


def _refuse_lone_surrogates(key: str, value: str) -> None:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ReportError(f"report {key} holds a lone surrogate (invalid Unicode)") from None


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
    except (ValueError, OverflowError):
        raise ReportError(f"'published' is not an ISO date: {value[:40]!r}") from None
