"""RSS and Atom documents turned into reports.

The bytes come from `SafeFetcher`; feedparser only ever sees them in a BytesIO,
so it never fetches anything itself. Before feedparser runs, the document is
decoded the way feedparser will decode it and checked with defusedxml: any
entity declaration or external reference is refused, so billion laughs,
quadratic blowup and external entities (`file://`, http) cost nothing.
"""

from __future__ import annotations

import calendar
import email.utils
import hashlib
import io
import re
import time
import xml.sax
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlsplit

import defusedxml
import defusedxml.sax
import feedparser
from feedparser.encodings import convert_to_utf8

from bot.core.domain import Report, ReportId
from bot.inputs.articles import html_to_text, normalise_space

MAX_FEED_BYTES = 5_000_000
_ENTITY_DECLARATION = re.compile(rb"<!\s*ENTITY", re.IGNORECASE)
_LANGUAGE_TAG = re.compile(r"^([a-z]{2,3})(?:[-_][a-z0-9]{1,8})*$")


class FeedError(Exception):
    """The document is not a readable, safe RSS or Atom feed; one-line message."""


def parse_feed(
    body: bytes,
    feed_url: str,
    *,
    today: date,
    content_type: str = "",
) -> list[Report]:
    """Return one report per feed entry, in document order.

    `today` dates entries that carry no date of their own (the core reads no
    clock); `content_type` is the HTTP header, which can name the charset.
    Raises `FeedError`, and nothing else, for unsafe or unreadable documents.
    """
    if len(body) > MAX_FEED_BYTES:
        raise FeedError(f"feed is larger than {MAX_FEED_BYTES} bytes")
    if not body.strip():
        raise FeedError("feed is empty")
    headers = {"content-location": feed_url}
    if content_type:
        headers["content-type"] = content_type
    try:
        _refuse_entities(body, headers)
        parsed = feedparser.parse(
            io.BytesIO(body),
            response_headers=headers,
            resolve_relative_uris=True,
            sanitize_html=True,
        )
        return _reports(parsed, feed_url, today)
    except FeedError:
        raise
    except Exception as exc:
        # Untrusted bytes go through third-party parsers: whatever they raise,
        # the caller only needs to know this feed is broken.
        raise FeedError(f"unreadable feed: {type(exc).__name__}: {_one_line(exc)}") from exc


def _refuse_entities(body: bytes, headers: dict[str, str]) -> None:
    """Refuse documents that declare entities or external references."""
    # Decode exactly as feedparser will, so the check sees what it will parse
    # (UTF-16, EBCDIC and mislabelled documents included).
    data = convert_to_utf8(dict(headers), body, {"bozo": False})
    if isinstance(data, str):
        data = data.encode("utf-8", "replace")
    for candidate in (data, body):
        if _ENTITY_DECLARATION.search(candidate):
            raise FeedError("feed declares XML entities; refused")
    try:
        defusedxml.sax.parseString(
            data,
            xml.sax.handler.ContentHandler(),
            forbid_dtd=False,
            forbid_entities=True,
            forbid_external=True,
        )
    except defusedxml.ExternalReferenceForbidden:
        # With no entity declared (checked above) the only external reference
        # is the DOCTYPE's DTD, as in legacy RSS 0.91 feeds. Nothing loads it:
        # feedparser drops the DOCTYPE before parsing.
        pass
    except defusedxml.DefusedXmlException as exc:
        raise FeedError(
            f"feed declares XML entities or external references; refused ({exc})"
        ) from exc
    except xml.sax.SAXException:
        # Not well-formed: feedparser's lenient parser reads it, and the entity
        # scan above has already ruled out what it could expand.
        pass


def _reports(parsed: Any, feed_url: str, today: date) -> list[Report]:
    feed = parsed.get("feed", {})
    entries = parsed.get("entries", [])
    if not entries and not parsed.get("version"):
        problem = parsed.get("bozo_exception")
        detail = f": {_one_line(problem)}" if isinstance(problem, xml.sax.SAXException) else ""
        raise FeedError(f"not an RSS or Atom feed{detail}")
    source = html_to_text(str(feed.get("title", ""))) or urlsplit(feed_url).hostname or ""
    feed_language = _language(feed.get("language"))
    reports: list[Report] = []
    seen: set[str] = set()
    for entry in entries:
        report = _report(entry, feed_url, source, feed_language, today)
        if report is not None and report.id not in seen:
            seen.add(report.id)
            reports.append(report)
    return reports


def _report(
    entry: Any, feed_url: str, source: str, feed_language: str | None, today: date
) -> Report | None:
    link = _text(entry.get("link"))
    guid = _text(entry.get("id"))
    title = _field_text(entry, "title")
    text = _entry_text(entry)
    if not (link or title or text):
        return None
    return Report(
        id=_report_id(feed_url, guid, link, title, text),
        published=_published(entry) or today,
        source=source,
        url=link if _is_web_url(link) else "",
        language=_entry_language(entry) or feed_language,
        title=title,
        text=text,
    )


def _report_id(feed_url: str, guid: str, link: str, title: str, text: str) -> ReportId:
    # A link names the story wherever it is syndicated; a guid is only unique
    # within its feed; an entry with neither is known by its content.
    if _is_web_url(link):
        key = f"link\n{link}"
    elif guid:
        key = f"guid\n{feed_url}\n{guid}"
    else:
        key = f"content\n{feed_url}\n{title}\n{text}"
    return ReportId("feed-" + hashlib.sha256(key.encode("utf-8", "replace")).hexdigest()[:24])


def _entry_text(entry: Any) -> str:
    texts = [_field_text(entry, "summary")]
    for content in entry.get("content", []) or []:
        if isinstance(content, dict):
            texts.append(_plain(content.get("value"), content.get("type")))
    return max(texts, key=len)


def _field_text(entry: Any, key: str) -> str:
    detail = entry.get(f"{key}_detail")
    kind = detail.get("type") if isinstance(detail, dict) else None
    return _plain(entry.get(key), kind)


def _plain(value: object, kind: object) -> str:
    """Return plain text; markup is only parsed where the feed says it is HTML."""
    text = value if isinstance(value, str) else ""
    return normalise_space(text) if kind == "text/plain" else html_to_text(text)


def _published(entry: Any) -> date | None:
    # The date as written keeps the publisher's own day; feedparser's parsed
    # form is shifted to UTC. dict.get: FeedParserDict maps 'updated' to
    # 'published' with a warning.
    for key in ("published", "updated", "created"):
        written = _written_date(dict.get(entry, key))
        if written is not None:
            return written
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        value = dict.get(entry, key)
        if isinstance(value, time.struct_time):
            try:
                return datetime.fromtimestamp(calendar.timegm(value), UTC).date()
            except (OverflowError, ValueError, OSError):
                continue
    return None


def _written_date(value: object) -> date | None:
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    try:
        return email.utils.parsedate_to_datetime(text).date()
    except (TypeError, ValueError, IndexError, OverflowError):
        pass
    try:
        return datetime.fromisoformat(text).date()
    except ValueError:
        return None


def _entry_language(entry: Any) -> str | None:
    for key in ("title_detail", "summary_detail"):
        detail = entry.get(key)
        if isinstance(detail, dict):
            language = _language(detail.get("language"))
            if language:
                return language
    for content in entry.get("content", []) or []:
        if isinstance(content, dict):
            language = _language(content.get("language"))
            if language:
                return language
    return None


def _language(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    match = _LANGUAGE_TAG.match(value.strip().lower())
    return match[1] if match else None


def _is_web_url(value: str) -> bool:
    return value.startswith(("http://", "https://")) and len(value) <= 2048


def _text(value: object) -> str:
    return normalise_space(value) if isinstance(value, str) else ""


def _one_line(error: object) -> str:
    return " ".join(str(error).split())[:200]
