"""The one policy for untrusted text: what report data may carry into a chat message.

Everything that came from a report or a user (quotes, speakers, sources, agency and
topic names, URLs) passes through here before an adapter renders it, whatever the
platform:

- control, bidi and invisible format characters are dropped (`clean`), so text
  reads as what it is;
- mentions are neutralised (`defuse_mentions`): a word joiner after every `@`
  keeps `@room`, `@here` and `@user:server` from matching push rules or pills;
- a URL is linked only when `safe_url` accepts it: absolute http(s), a plain
  ASCII host, no credentials, no control characters, not too long, and not a
  chat permalink (`matrix.to`, Slack archive links, Element-style `#/room/…`),
  which clients would turn into pills or previews of other conversations.

Platform escaping (mrkdwn entities for Slack, HTML for Matrix) stays in each
adapter's formatter; the rules above live only here. Pure: no I/O.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import urlsplit

MAX_URL = 3000
WORD_JOINER = "\u2060"
ELLIPSIS = "…"

BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
"""Bidi marks, overrides and isolates: they can make text read differently from what it is."""

PERMALINK_HOSTS = frozenset({"matrix.to", "slack.com", "element.io"})
"""Hosts (and their subdomains) whose links are chat permalinks, never linked from data."""

_HOST = re.compile(r"^[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?$|^\[[0-9a-f:.]+\]$")
_SPACE_RUN = re.compile(r"[ \u00a0]{2,}")
_MATRIX_TO = re.compile(r"(matrix)(\.to)", re.IGNORECASE)


def clean(text: str, *, single_line: bool = True) -> str:
    """Drop control, bidi and format characters; fold whitespace runs to one space.

    With `single_line=False` line breaks are kept. A zero-width joiner stays: emoji
    sequences need it.
    """
    kept: list[str] = []
    for char in text:
        if char in BIDI:
            continue
        if char in "\n\r\t":
            kept.append("\n" if not single_line and char == "\n" else " ")
            continue
        category = unicodedata.category(char)
        if category in ("Cc", "Cs", "Co", "Cn") or (category == "Cf" and char != "\u200d"):
            continue
        kept.append(char)
    joined = "".join(kept)
    if single_line:
        joined = _SPACE_RUN.sub(" ", joined)
    return joined.strip()


def clip(text: str, limit: int) -> str:
    """Shorten text to `limit` characters, ending in an ellipsis when it was cut."""
    if len(text) <= limit:
        return text
    return text[: max(limit - len(ELLIPSIS), 0)].rstrip() + ELLIPSIS


def defuse_mentions(text: str) -> str:
    """Make mentions and permalink pills inert: an invisible word joiner after every `@`
    and inside every `matrix.to`, so clients neither ping nor linkify them."""
    text = text.replace("@", "@" + WORD_JOINER)
    return _MATRIX_TO.sub(lambda found: found[1] + WORD_JOINER + found[2], text)


def safe_url(url: str) -> str | None:
    """Return the URL (stripped) when report data may link it, else None."""
    url = url.strip()
    if not url or len(url) > MAX_URL or any(unicodedata.category(c)[0] in "CZ" for c in url):
        return None
    try:
        parts = urlsplit(url)
        host = parts.hostname
        _ = parts.port  # raises on a malformed port
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not host or not _HOST.match(host):
        return None
    if parts.username is not None or parts.password is not None:
        return None
    if is_permalink(host, parts.fragment):
        return None
    return url


def is_permalink(host: str, fragment: str = "") -> bool:
    """True for a chat permalink: a known permalink host, or an Element-style fragment."""
    host = host.lower().rstrip(".")
    if any(host == known or host.endswith("." + known) for known in PERMALINK_HOSTS):
        return True
    return fragment.startswith(("/room/", "/user/", "/group/"))


def url_host(url: str) -> str:
    """The host a validated URL leads to, without `www.` (used as its link label)."""
    host = urlsplit(url.strip()).hostname or ""
    return host.removeprefix("www.")
