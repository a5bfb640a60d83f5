"""Article pages become title, plain text and publication date, without fetching anything."""

from __future__ import annotations

from datetime import date

import pytest

from bot.inputs.articles import extract_article, html_to_text

PARAGRAPH = (
    "The interior minister confirmed in parliament that the federal police had used "
    "Clearview AI on several occasions, contradicting an earlier denial. "
)

ARTICLE = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Minister confirms police used Clearview | Example News</title>
<meta property="article:published_time" content="2021-10-05T09:30:00+02:00">
<script>window.tracking = "do not read me";</script>
</head><body>
<nav><a href="/">Home</a> <a href="/politics">Politics</a></nav>
<article><h1>Minister confirms police used Clearview</h1>
<p>{PARAGRAPH * 3}</p><p>{PARAGRAPH * 2}</p></article>
<footer>© Example News. All rights reserved.</footer>
</body></html>""".encode()


def test_article_title_text_and_date_are_extracted() -> None:
    title, text, published = extract_article(ARTICLE, "https://news.example/2021/10/05/a")

    assert title == "Minister confirms police used Clearview"
    assert "confirmed in parliament" in text
    assert "tracking" not in text
    assert "All rights reserved" not in text
    assert published == date(2021, 10, 5)


def test_latin1_page_is_decoded_by_its_meta_charset() -> None:
    body = (
        '<html><head><meta charset="iso-8859-1"><title>Société</title></head><body><article>'
        f"<p>{'La police fédérale a nié utiliser le logiciel de reconnaissance. ' * 8}</p>"
        "</article></body></html>"
    ).encode("iso-8859-1")

    title, text, _ = extract_article(body, "https://lesoir.example/a")

    assert title == "Société"
    assert "fédérale" in text


def test_page_that_looks_like_a_url_is_not_fetched(monkeypatch: pytest.MonkeyPatch) -> None:
    # htmldate downloads a str that starts with http; only bytes may reach it.
    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("extract_article tried to fetch")

    monkeypatch.setattr("htmldate.utils.fetch_url", no_network)
    monkeypatch.setattr("trafilatura.downloads.fetch_url", no_network)
    _, text, published = extract_article(b"http://169.254.169.254/latest/", "https://x.example")

    assert published is None
    assert text == "http://169.254.169.254/latest/"


@pytest.mark.parametrize("body", [b"", b"   ", b"\x00\xff\xfe", b"<html></html>"])
def test_empty_or_junk_pages_give_empty_results(body: bytes) -> None:
    title, text, published = extract_article(body, "https://x.example/a")

    assert published is None
    assert len(title) + len(text) < 10


def test_short_page_falls_back_to_its_visible_text() -> None:
    body = b"<html><head><title>Brief</title></head><body><p>Police deny it.</p></body></html>"

    title, text, _ = extract_article(body, "https://x.example/a")

    assert title == "Brief"
    assert text == "Police deny it."


@pytest.mark.parametrize(
    ("fragment", "expected"),
    [
        ("<p>Hello&nbsp;<b>world</b></p><p>x &amp; y<br>z</p>", "Hello world\nx & y\nz"),
        ("<script>alert(1)</script><style>p{}</style>kept", "kept"),
        ("no markup   at\tall", "no markup at all"),
        ("a &lt; b", "a < b"),
        ("<a href='javascript:x'>link text</a>", "link text"),
        ("<img src=x onerror=alert(1)>after", "after"),
        ("", ""),
    ],
)
def test_html_to_text(fragment: str, expected: str) -> None:
    assert html_to_text(fragment) == expected
