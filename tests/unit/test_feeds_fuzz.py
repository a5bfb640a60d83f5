"""Fuzzing the feed parser: whatever the bytes, the only failure is FeedError."""

from __future__ import annotations

from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core.domain import Report
from bot.inputs.feeds import FeedError, parse_feed

TODAY = date(2024, 5, 1)

FRAGMENTS = [
    '<?xml version="1.0"?>',
    '<?xml version="1.0" encoding="utf-16"?>',
    '<?xml version="1.0" encoding="shift_jis"?>',
    '<?xml version="1.0" encoding="bogus-8"?>',
    '<rss version="2.0">',
    "</rss>",
    "<channel>",
    "</channel>",
    "<item>",
    "</item>",
    "<title>",
    "</title>",
    "<link>",
    "</link>",
    "https://x.example/a",
    "javascript:alert(1)",
    "<description>",
    "</description>",
    "<pubDate>Wed, 04 Mar 2020 09:00:00 GMT</pubDate>",
    "<pubDate>Feb 31 99999</pubDate>",
    '<feed xmlns="http://www.w3.org/2005/Atom">',
    "</feed>",
    "<entry>",
    "</entry>",
    '<content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">',
    "</div></content>",
    "<updated>2021-13-45T99:99:99Z</updated>",
    "<!DOCTYPE rss [",
    "]>",
    '<!ENTITY a "aaaa">',
    '<!ENTITY b SYSTEM "file:///etc/passwd">',
    "&a;",
    "&b;",
    "&#0;",
    "&#x110000;",
    "&amp;",
    "&lt;script&gt;",
    "<![CDATA[",
    "]]>",
    "<!--",
    "-->",
    "\x00",
    "\ufeff",
    "police denied using Clearview",
    "<p>",
    "<",
    ">",
    '"',
    'xml:lang="nl"',
]


def check(body: bytes) -> None:
    try:
        reports = parse_feed(body, "https://x.example/rss", today=TODAY)
    except FeedError as error:
        assert "\n" not in str(error)
        return
    assert all(isinstance(report, Report) for report in reports)
    assert len({report.id for report in reports}) == len(reports)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.sampled_from(FRAGMENTS) | st.text(max_size=8), max_size=60),
    st.sampled_from(["utf-8", "utf-16", "latin-1", "cp1252"]),
)
def test_feedish_documents_only_ever_raise_feed_error(parts: list[str], encoding: str) -> None:
    check("".join(parts).encode(encoding, "replace"))


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2_000))
def test_arbitrary_bytes_only_ever_raise_feed_error(body: bytes) -> None:
    check(body)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200), st.text(max_size=400))
def test_any_escaped_entry_text_parses_or_fails_cleanly(title: str, summary: str) -> None:
    from xml.sax.saxutils import escape

    body = (
        '<rss version="2.0"><channel><title>T</title><item>'
        f"<title>{escape(title)}</title><description>{escape(summary)}</description>"
        "<link>https://x.example/1</link></item></channel></rss>"
    ).encode("utf-8", "replace")
    check(body)
