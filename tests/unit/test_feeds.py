"""RSS and Atom entries become reports: ids, dates, sources, languages, plain text."""

from __future__ import annotations

from datetime import date

import pytest

from bot.inputs.feeds import FeedError, parse_feed

TODAY = date(2024, 5, 1)

BELGIAN_RSS = """<?xml version="1.0" encoding="{encoding}"?>
<rss version="2.0"><channel><title>Le Soir · Société</title><language>fr-BE</language>
<item><title>La police fédérale dément utiliser Clearview AI</title>
<link>/2020/03/04/clearview</link><guid isPermaLink="false">ls-1</guid>
<description>&lt;p&gt;La police &lt;b&gt;n'a jamais&lt;/b&gt; utilisé Clearview.&lt;/p&gt;
&lt;script&gt;alert(1)&lt;/script&gt;</description>
<pubDate>Wed, 04 Mar 2020 23:30:00 +0100</pubDate></item>
<item><title>Verhofstadt répond</title><description>Sans date ni lien.</description></item>
</channel></rss>"""

DUTCH_ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en">
<title type="text">NOS Nieuws</title><id>urn:nos</id><updated>2021-10-05T12:00:00Z</updated>
<entry xml:lang="nl-NL"><id>urn:nos:1</id>
<title type="html">Minister: politie &lt;i&gt;heeft&lt;/i&gt; Clearview gebruikt</title>
<published>2021-10-05T08:15:00+02:00</published><updated>2021-10-06T08:00:00Z</updated>
<link rel="alternate" href="https://nos.example/artikel/1"/>
<summary>Kort.</summary>
<content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">
<p>De minister bevestigde dat de politie <b>51 tot 100</b> zoekopdrachten deed.</p>
<p>Eerder werd dat ontkend.</p></div></content></entry>
<entry><id>urn:nos:2</id><title type="text">a &lt; b &amp; c</title>
<updated>2021-10-07T00:00:00Z</updated></entry>
</feed>"""


@pytest.mark.parametrize("encoding", ["utf-8", "iso-8859-1", "windows-1252", "utf-16"])
def test_rss_entries_become_reports_in_any_declared_encoding(encoding: str) -> None:
    body = BELGIAN_RSS.format(encoding=encoding).encode(encoding)

    first, second = parse_feed(body, "https://lesoir.example/feeds/rss.xml", today=TODAY)

    assert first.title == "La police fédérale dément utiliser Clearview AI"
    assert first.text == "La police n'a jamais utilisé Clearview."
    assert first.url == "https://lesoir.example/2020/03/04/clearview"
    assert first.published == date(2020, 3, 4)
    assert first.source == "Le Soir · Société"
    assert first.language == "fr"
    assert second.published == TODAY
    assert second.url == ""
    assert second.text == "Sans date ni lien."


def test_charset_from_the_http_header_is_honoured() -> None:
    body = BELGIAN_RSS.replace(' encoding="{encoding}"', "").encode("iso-8859-1")

    reports = parse_feed(
        body,
        "https://lesoir.example/rss",
        today=TODAY,
        content_type="application/rss+xml; charset=ISO-8859-1",
    )

    assert reports[0].title == "La police fédérale dément utiliser Clearview AI"


def test_undeclared_windows_1252_is_decoded_without_mojibake() -> None:
    body = (
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>Caf\xe9</title>'
        b"<item><title>\x93Never used\x94 \x96 police</title><link>https://x.example/1</link>"
        b"</item></channel></rss>"
    )

    (report,) = parse_feed(body, "https://x.example/rss", today=TODAY)

    assert report.title == "\u201cNever used\u201d \u2013 police"
    assert report.source == "Café"


def test_atom_entry_uses_its_own_language_content_and_publication_date() -> None:
    first, second = parse_feed(DUTCH_ATOM, "https://nos.example/atom", today=TODAY)

    assert first.title == "Minister: politie heeft Clearview gebruikt"
    assert first.text == (
        "De minister bevestigde dat de politie 51 tot 100 zoekopdrachten deed.\n"
        "Eerder werd dat ontkend."
    )
    assert first.language == "nl"
    assert first.published == date(2021, 10, 5)
    assert first.source == "NOS Nieuws"
    assert second.title == "a < b & c"
    assert second.language == "en"
    assert second.published == date(2021, 10, 7)


def test_ids_are_stable_and_distinct() -> None:
    body = BELGIAN_RSS.format(encoding="utf-8").encode()
    once = parse_feed(body, "https://lesoir.example/rss", today=TODAY)
    again = parse_feed(body, "https://lesoir.example/rss", today=date(2030, 1, 1))

    assert [r.id for r in once] == [r.id for r in again]
    assert len({r.id for r in once}) == 2
    assert all(r.id.startswith("feed-") for r in once)


def test_same_link_in_two_feeds_is_the_same_report() -> None:
    item = (
        "<item><title>{title}</title><link>https://wire.example/story</link>"
        "<guid>{guid}</guid></item>"
    )
    feed_a = f'<rss version="2.0"><channel><title>A</title>{item}</channel></rss>'
    feed_b = f'<rss version="2.0"><channel><title>B</title>{item}</channel></rss>'
    (a,) = parse_feed(
        feed_a.format(title="x", guid="1").encode(), "https://a.example/rss", today=TODAY
    )
    (b,) = parse_feed(
        feed_b.format(title="y", guid="2").encode(), "https://b.example/rss", today=TODAY
    )

    assert a.id == b.id


def test_duplicate_entries_in_one_document_are_reported_once() -> None:
    item = "<item><title>t</title><link>https://x.example/1</link></item>"
    body = f'<rss version="2.0"><channel><title>X</title>{item}{item}</channel></rss>'.encode()

    assert len(parse_feed(body, "https://x.example/rss", today=TODAY)) == 1


def test_feed_without_title_is_named_by_its_host() -> None:
    body = b'<rss version="2.0"><channel><item><title>t</title></item></channel></rss>'

    (report,) = parse_feed(body, "https://feeds.example.org/rss", today=TODAY)

    assert report.source == "feeds.example.org"


def test_empty_but_valid_feed_has_no_reports() -> None:
    body = b'<rss version="2.0"><channel><title>Quiet</title></channel></rss>'

    assert parse_feed(body, "https://x.example/rss", today=TODAY) == []


def test_slightly_broken_feed_is_still_read() -> None:
    body = (
        b'<rss version="2.0"><channel><title>Sloppy & Co</title>'
        b"<item><title>Police deny it</title><link>https://x.example/1</link>"
        b"<description>unclosed <b>bold</description></item></channel></rss>"
    )

    (report,) = parse_feed(body, "https://x.example/rss", today=TODAY)

    assert report.title == "Police deny it"


def test_legacy_doctype_without_entities_is_accepted() -> None:
    body = (
        b'<?xml version="1.0"?><!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN"'
        b' "http://my.netscape.com/publish/formats/rss-0.91.dtd">'
        b'<rss version="0.91"><channel><title>Old</title>'
        b"<item><title>t</title><link>https://x.example/1</link></item></channel></rss>"
    )

    (report,) = parse_feed(body, "https://x.example/rss", today=TODAY)

    assert report.source == "Old"


def test_javascript_links_are_not_kept() -> None:
    body = (
        b'<rss version="2.0"><channel><title>X</title>'
        b"<item><title>t</title><link>javascript:alert(1)</link></item></channel></rss>"
    )

    (report,) = parse_feed(body, "https://x.example/rss", today=TODAY)

    assert report.url == ""


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"   \n",
        b"<html><head><title>Not a feed</title></head><body><p>hi</p></body></html>",
        b'{"version": "not a feed"}',
        b"\x00\x01\x02\xff\xfe\xfd",
        b"plain text, no markup at all",
        b"<?xml version='1.0'?><unrelated><x/></unrelated>",
    ],
    ids=["empty", "blank", "html", "json", "binary", "text", "other-xml"],
)
def test_non_feeds_raise_a_one_line_feed_error(body: bytes) -> None:
    with pytest.raises(FeedError) as error:
        parse_feed(body, "https://x.example/rss", today=TODAY)
    assert "\n" not in str(error.value)


def test_oversized_document_is_refused_unparsed() -> None:
    with pytest.raises(FeedError, match="larger than"):
        parse_feed(b"<rss>" + b" " * 5_000_001 + b"</rss>", "https://x.example/", today=TODAY)
