"""Article pages and HTML fragments turned into plain text.

`extract_article` reads a fetched page with trafilatura (main text, title) and
htmldate (publication date). `html_to_text` turns feed summaries into plain
text: everything that comes out of a feed or page is untrusted text, never HTML
to forward.
"""

from __future__ import annotations

import re
from datetime import date
from html.parser import HTMLParser

MAX_ARTICLE_BYTES = 5_000_000

_BLOCKS = frozenset(
    {
        "address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt",
        "figcaption", "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header",
        "hr", "li", "main", "nav", "ol", "p", "pre", "section", "table", "td", "th",
        "tr", "ul",
    }
)  # fmt: skip
_SKIPPED = frozenset({"script", "style", "template", "noscript", "svg", "math", "head", "title"})
_SPACES = re.compile(r"[ \t\r\f\v\u00a0\u200b]+")
_BREAKS = re.compile(r"\s*\n\s*")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})")


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.title_parts: list[str] = []
        self._skip_depth = 0
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "title":
            self._in_title = True
        if tag in _SKIPPED:
            self._skip_depth += 1
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        if tag in _SKIPPED:
            self._skip_depth = max(0, self._skip_depth - 1)
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title_parts.append(data)
        if not self._skip_depth:
            self.parts.append(data)


def normalise_space(text: str) -> str:
    """Collapse runs of spaces; keep single line breaks between blocks."""
    text = _SPACES.sub(" ", text)
    return _BREAKS.sub("\n", text).strip()


def html_to_text(fragment: str) -> str:
    """Return the visible text of an HTML fragment, block elements on their own lines."""
    if "<" not in fragment and "&" not in fragment:
        return normalise_space(fragment)
    collector = _TextCollector()
    collector.feed(fragment)
    collector.close()
    return normalise_space("".join(collector.parts))


def _title_of(document: str) -> str:
    collector = _TextCollector()
    collector.feed(document)
    collector.close()
    return normalise_space(" ".join(collector.title_parts))


def _parse_iso_date(value: str | None) -> date | None:
    if not value:
        return None
    match = _ISO_DATE.match(value)
    if not match:
        return None
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None


def extract_article(html: bytes, url: str) -> tuple[str, str, date | None]:
    """Return the title, main text and publication date of an article page.

    The page is only parsed: nothing here fetches (htmldate would download a
    `str` that looks like a URL, so it is only ever given bytes).
    """
    html = html[:MAX_ARTICLE_BYTES]
    if not html.strip():
        return "", "", None
    title, text, published = _extract_with_trafilatura(html, url)
    if not text:
        document = html.decode("utf-8", "replace")
        text = html_to_text(document)
        title = title or _title_of(document)
    return normalise_space(title), normalise_space(text), published


def _extract_with_trafilatura(html: bytes, url: str) -> tuple[str, str, date | None]:
    # Imported here: both load lxml and data tables (about a second), which
    # commands that never read an article should not pay for.
    import htmldate
    import trafilatura

    document = trafilatura.bare_extraction(
        html,
        url=url or None,
        with_metadata=True,
        include_comments=False,
        include_tables=True,
        favor_precision=True,
    )
    title = ""
    text = ""
    published: date | None = None
    if isinstance(document, trafilatura.settings.Document):
        title = document.title or ""
        text = document.text or ""
        published = _parse_iso_date(document.date)
    found = htmldate.find_date(
        html, url=url or None, original_date=True, extensive_search=False, outputformat="%Y-%m-%d"
    )
    published = _parse_iso_date(found) or published
    return title, text, published
