"""The one untrusted-text policy both chat adapters render report data through."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core.untrusted import BIDI, WORD_JOINER, clean, defuse_mentions, safe_url


@pytest.mark.parametrize(
    ("url", "kept"),
    [
        ("https://example.org/a?b=1", True),
        (" http://example.org/x ", True),
        ("https://user:pw@example.org/", False),
        ("https://example.org@evil.example/", False),
        ("javascript:alert(1)", False),
        ("ftp://example.org/", False),
        ("//example.org/", False),
        ("https://exämple.org/", False),
        ("https://example.org/\u202e", False),
        ("https://example.org/a b", False),
        ("https://example.org:99999/", False),
        ("https://matrix.to/#/@alice:example.org", False),
        ("https://MATRIX.TO/#/!room:example.org", False),
        ("https://myteam.slack.com/archives/C1/p1", False),
        ("https://app.element.io/#/room/!r:example.org", False),
        ("https://chat.example.org/#/user/@a:example.org", False),
        ("https://example.org/" + "a" * 3000, False),
    ],
)
def test_only_plain_http_links_that_are_no_permalinks_are_kept(url: str, kept: bool) -> None:
    assert (safe_url(url) is not None) is kept


def test_mentions_and_matrix_permalinks_are_defused() -> None:
    text = defuse_mentions("@room @here ping @alice:example.org via Matrix.to/#/x")
    assert "@room" not in text and "@here" not in text and "matrix.to" not in text.lower()
    assert text.replace(WORD_JOINER, "") == "@room @here ping @alice:example.org via Matrix.to/#/x"


@given(st.text(max_size=200))
def test_clean_text_has_no_control_or_bidi_characters(text: str) -> None:
    cleaned = clean(text)
    assert not any(c in BIDI or (ord(c) < 32) for c in cleaned)
    assert "\n" not in cleaned
