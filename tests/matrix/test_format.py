"""Matrix alert formatting: untrusted report text stays inert."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.matrix.format import (
    ALERT_KEY_FIELD,
    ALLOWED_TAGS,
    format_alert,
    format_command_reply,
    format_edit,
    safe_url,
    sanitize,
    verdict_for_reaction,
)
from bot.app.ports import CommandReply
from bot.core.domain import kind_wording
from tests.matrix.samples import alert_view

HOSTILE = [
    "@room the police used it",
    "@here @channel <!channel> <!here>",
    "<script>alert(1)</script>",
    '<a href="javascript:alert(1)">click</a>',
    '<img src=x onerror="alert(1)">',
    "<b onclick=alert(1)>bold</b>",
    '"><svg/onload=alert(1)>',
    "<iframe src=https://evil.example></iframe>",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "<style>body{display:none}</style>",
    '<a href="https://evil.example">trusted-looking link</a>',
    "[click](https://evil.example) **bold**",
    "@alice:example.org please look",
    "<!-- comment --><p>x</p>",
    "\u202egnp.exe",
]


class Markup(HTMLParser):
    """Collect the tags and attributes a Matrix client would render."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attributes: list[tuple[str, str, str | None]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attributes.extend((tag, name, value) for name, value in attrs)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(html: str) -> Markup:
    markup = Markup()
    markup.feed(html)
    markup.close()
    return markup


def assert_inert(content: dict[str, object], trusted_urls: set[str]) -> None:
    assert content["m.mentions"] == {}
    body = str(content["body"])
    assert not re.search(r"@(room|here|channel)\b", body)
    assert not re.search(r"@[a-z]+:[a-z]", body)
    markup = parse(str(content["formatted_body"]))
    assert set(markup.tags) <= ALLOWED_TAGS
    for tag, name, value in markup.attributes:
        assert (tag, name) == ("a", "href")
        assert value in trusted_urls
    rendered = "".join(markup.text)
    assert not re.search(r"@(room|here|channel)\b", rendered)


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_quote_never_becomes_markup_links_or_mentions(text: str) -> None:
    view = alert_view(new_quote=text, earlier_quote=text)

    content = format_alert(view)

    assert_inert(content, {"https://example.org/new", "https://example.org/a"})


@settings(max_examples=300, deadline=None)
@given(
    quote=st.text(max_size=300),
    speaker=st.text(max_size=40),
    source=st.text(max_size=40),
    agency=st.text(min_size=1, max_size=40),
)
def test_any_report_text_is_inert(quote: str, speaker: str, source: str, agency: str) -> None:
    view = alert_view(
        new_quote=quote, earlier_quote=speaker + source, agency=agency, sources=(quote, source)
    )

    assert_inert(format_alert(view), {"https://example.org/new", "https://example.org/a"})


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from([*HOSTILE, "text", " ", "<", ">", "&", '"', "'"]), max_size=8))
def test_hostile_fragments_combined_stay_inert(parts: list[str]) -> None:
    quote = "".join(parts)

    assert_inert(
        format_alert(alert_view(new_quote=quote)),
        {"https://example.org/new", "https://example.org/a"},
    )


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        "data:text/html,<script>",
        "ftp://x.example/",
        "//evil.example/x",
        "https://user:pw@evil.example/",
        "https://ex ample.org/",
        "",
        "vbscript:msgbox",
        "https://example.org/\u0000",
    ],
)
def test_only_plain_http_links_are_kept(url: str) -> None:
    content = format_alert(alert_view(url=url))

    assert safe_url(url) == ""
    assert parse(content["formatted_body"]).attributes.count(("a", "href", url)) == 0


def test_alert_names_its_kind_in_the_wording_every_channel_uses() -> None:
    view = alert_view()
    label, explanation = kind_wording(view.contradiction.kind)

    content = format_alert(view)

    assert f"{label}: {explanation} · score 0.91" in content["body"]
    assert f"<em>{label}: {explanation} · score 0.91</em>" in content["formatted_body"]


def test_alert_shows_both_quotes_dates_sources_and_score() -> None:
    content = format_alert(alert_view(sources=("Le Soir", "De Standaard")))

    body = content["body"]
    assert body.startswith("Contradiction: Belgian Federal Police · Clearview AI")
    assert "The police have never used Clearview AI." in body
    assert "The minister confirmed the police used Clearview AI." in body
    assert "2020-02-28" in body and "2021-10-27" in body
    assert "score 0.91" in body
    assert "Le Soir; De Standaard" in body
    assert "✅" in body
    assert content["msgtype"] == "m.notice"
    assert content["format"] == "org.matrix.custom.html"
    assert '<a href="https://example.org/new">source</a>' in content["formatted_body"]
    assert content[ALERT_KEY_FIELD] == "belgian federal police|clearview ai"
    assert "m.relates_to" not in content


def test_follow_up_is_a_thread_reply_with_fallback() -> None:
    content = format_alert(alert_view(is_lead=False), thread_root="$lead")

    assert content["m.relates_to"] == {
        "rel_type": "m.thread",
        "event_id": "$lead",
        "is_falling_back": True,
        "m.in_reply_to": {"event_id": "$lead"},
    }
    assert content["body"].startswith("Further evidence:")
    assert content["m.mentions"] == {}


def test_edit_replaces_the_alert_and_carries_new_content() -> None:
    content = format_edit(alert_view(verdict="confirmed by @alice:example.org"), "$lead")

    assert content["m.relates_to"] == {"rel_type": "m.replace", "event_id": "$lead"}
    assert content["body"].startswith("* ")
    new = content["m.new_content"]
    assert "m.relates_to" not in new
    assert new["m.mentions"] == {} and content["m.mentions"] == {}
    assert "Feedback: confirmed" in new["body"]
    assert_inert(new, {"https://example.org/new", "https://example.org/a"})


def test_command_reply_is_a_threaded_notice_without_mentions() -> None:
    content = format_command_reply(
        CommandReply("found: @room said <b>x</b>\nline 2"), "$cmd", thread_root="$root"
    )

    assert content["msgtype"] == "m.notice"
    assert content["m.mentions"] == {}
    assert "@room" not in content["body"]
    assert content["body"].endswith("\nline 2")
    assert "formatted_body" not in content
    assert content["m.relates_to"] == {
        "rel_type": "m.thread",
        "event_id": "$root",
        "is_falling_back": True,
        "m.in_reply_to": {"event_id": "$cmd"},
    }


def test_sanitizer_drops_everything_outside_the_allow_list() -> None:
    dirty = (
        '<p onclick="x">a</p><script>bad()</script><a href="javascript:x">j</a>'
        '<img src="mxc://a/b"><table><tr><td>t</td></tr></table>'
    )

    clean = sanitize(dirty)

    assert clean == "<p>a</p><a>j</a>t"


@pytest.mark.parametrize(
    ("key", "verdict"),
    [
        ("✅", "confirmed"),
        ("❌", "false_alarm"),
        ("🔇", "muted"),
        ("✅\ufe0f", "confirmed"),
        ("👍", None),
        ("", None),
    ],
)
def test_reaction_keys_map_to_verdicts(key: str, verdict: str | None) -> None:
    assert verdict_for_reaction(key) == verdict


def test_timeline_link_survives_sanitising_and_edits_and_is_http_only() -> None:
    from dataclasses import replace

    url = "https://dw.example.org/alerts/a%7Cb?exp=1&sig=ab"
    view = replace(alert_view(), timeline_url=url)
    content = format_alert(view)
    assert f"Timeline: {url}" in content["body"]
    assert (
        '<a href="https://dw.example.org/alerts/a%7Cb?exp=1&amp;sig=ab">Timeline</a>'
        in (content["formatted_body"])
    )
    edit = format_edit(replace(view, verdict="confirmed"), "$lead")
    assert ">Timeline</a>" in edit["m.new_content"]["formatted_body"]
    hostile = format_alert(replace(view, timeline_url="javascript:alert(1)"))
    assert "Timeline" not in hostile["body"] and "Timeline" not in hostile["formatted_body"]


def test_bidi_controls_are_dropped_and_permalinks_never_linked() -> None:
    view = alert_view(
        new_quote="The police \u202eyllatot\u202c used it, see matrix.to/#/!room:x",
        url="https://matrix.to/#/!room:example.org/$event",
        sources=("https://matrix.to/#/@alice:example.org",),
    )
    content = format_alert(view)
    for text in (content["body"], content["formatted_body"]):
        assert "\u202e" not in text and "\u202c" not in text
        assert "matrix.to" not in text
    # Only the earlier statement's plain https source is linked.
    assert content["formatted_body"].count("<a ") == 1
