"""Alert rendering: valid Block Kit, and report text that can never ping or disguise a link."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.slack.blocks import (
    ACTION_CONFIRM,
    ACTION_MUTE,
    ACTION_REJECT,
    format_alert,
    format_verdict,
    replace_buttons,
    safe_url,
)
from tests.fakes.fake_slack import block_kit_errors
from tests.slack.conftest import make_view

# Our own link tokens: <http(s)://…|label>, with nothing unescaped inside.
OUR_LINK = re.compile(r"<https?://[^<>|\s]+\|[^<>|]*>")
ENTITY = re.compile(r"&(amp|lt|gt);")
MENTION = re.compile(r"<[!@#]|<(?!https?://)")

INJECTIONS = [
    "<!channel>",
    "<!here>",
    "<!everyone>",
    "<@U123ABC>",
    "<!subteam^S1>",
    "<#C0SECRET>",
    "<https://evil.example|Reuters>",
    "@here @channel @room",
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    '<a href="javascript:alert(1)">x</a>',
    "\u202eevil\u202c",
    "*bold* _it_ ~strike~ `code`",
    "A & B &amp; &lt;",
]


def texts(payload: Any) -> list[tuple[str, str]]:
    """Every (object type, text) in a payload, plus the fallback text."""
    found: list[tuple[str, str]] = []
    if isinstance(payload, dict):
        if payload.get("type") in ("plain_text", "mrkdwn") and isinstance(payload.get("text"), str):
            found.append((payload["type"], payload["text"]))
        for key, value in payload.items():
            if key == "text" and isinstance(value, str) and "blocks" in payload:
                found.append(("fallback", value))
            else:
                found.extend(texts(value))
    elif isinstance(payload, list):
        for item in payload:
            found.extend(texts(item))
    return found


def assert_inert(payload: dict[str, Any]) -> None:
    """No mention tokens, no links we did not build, every & < > escaped."""
    for kind, text in texts(payload):
        rest = OUR_LINK.sub("", text) if kind == "mrkdwn" else text
        assert "<" not in rest and ">" not in rest, (kind, text)
        assert not MENTION.search(rest), (kind, text)
        assert ENTITY.sub("", rest).count("&") == 0, (kind, text)
        for link in OUR_LINK.findall(text):
            assert link.startswith(("<https://", "<http://")), link


def test_alert_is_valid_block_kit_with_the_three_buttons() -> None:
    payload = format_alert(make_view())
    assert block_kit_errors(payload["blocks"]) == []
    actions = [b for b in payload["blocks"] if b["type"] == "actions"]
    assert [e["action_id"] for e in actions[0]["elements"]] == [
        ACTION_CONFIRM,
        ACTION_REJECT,
        ACTION_MUTE,
    ]
    assert [e["text"]["text"] for e in actions[0]["elements"]] == [
        "Confirmed",
        "Not a contradiction",
        "Mute 7 days",
    ]
    assert {e["value"] for e in actions[0]["elements"]} == {"federal police|clearview ai"}
    header = payload["blocks"][0]
    assert header == {
        "type": "header",
        "text": {"type": "plain_text", "text": "Federal Police · Clearview AI", "emoji": False},
    }
    body = str(payload["blocks"])
    for expected in ("never used Clearview", "2020-02-28", "2021-10-20", "Knack", "0.91"):
        assert expected in body
    assert "<https://www.knack.be/nieuws/clearview|knack.be>" in body
    assert "Denial contradicted" in payload["text"]


def test_follow_up_has_no_buttons_and_says_it_is_more_evidence() -> None:
    payload = format_alert(make_view(is_lead=False))
    assert not [b for b in payload["blocks"] if b["type"] == "actions"]
    assert payload["blocks"][0]["text"]["text"].startswith("More evidence:")


def test_verdict_replaces_buttons_with_who_answered() -> None:
    payload = format_verdict(make_view(verdict="confirmed"), user="U0EDITOR")
    assert block_kit_errors(payload["blocks"]) == []
    assert not [b for b in payload["blocks"] if b["type"] == "actions"]
    assert (
        payload["blocks"][-1]["elements"][0]["text"]
        == ":white_check_mark: Confirmed by <@U0EDITOR>"
    )


def test_verdict_never_mentions_a_malformed_user_id() -> None:
    payload = format_verdict(make_view(verdict="false_alarm"), user="!channel")
    assert "<" not in payload["blocks"][-1]["elements"][0]["text"]


def test_replace_buttons_keeps_the_posted_blocks() -> None:
    blocks = format_alert(make_view())["blocks"]
    replaced = replace_buttons(blocks, "muted", "U0EDITOR")
    assert block_kit_errors(replaced) == []
    assert len(replaced) == len(blocks)
    assert "Muted for 7 days" in replaced[-1]["elements"][0]["text"]


@pytest.mark.parametrize("injection", INJECTIONS)
def test_injected_markup_in_every_field_is_inert(injection: str) -> None:
    view = make_view(
        agency=f"Police {injection}",
        topic=f"Clearview {injection}",
        earlier_quote=f"We never {injection} used it.",
        new_quote=injection,
        speaker=injection,
        source=injection,
        url=f"https://news.example/{injection}",
        sources=(injection, "https://ok.example/a?b=1&c=2", f"https://x.example/{injection}"),
    )
    payload = format_alert(view)
    assert block_kit_errors(payload["blocks"]) == []
    assert_inert(payload)


def test_disguised_link_with_credentials_is_not_linked() -> None:
    view = make_view(source="Reuters", url="https://reuters.com@evil.example/story")
    body = str(format_alert(view)["blocks"])
    assert "<https://reuters.com" not in body and "evil.example>" not in body
    assert "|reuters" not in body


def test_a_link_shows_where_it_really_goes() -> None:
    view = make_view(source="Reuters", url="https://www.evil.example/reuters.com/story")
    body = str(format_alert(view)["blocks"])
    assert "|evil.example>" in body
    assert "|reuters" not in body


@pytest.mark.parametrize(
    ("url", "linked"),
    [
        ("https://example.org/a?b=1&c=2", "https://example.org/a?b=1&amp;c=2"),
        ("http://example.org/x|y", "http://example.org/x%7Cy"),
        ("https://example.org/<!channel>", "https://example.org/%3C!channel%3E"),
        ("javascript:alert(1)", None),
        ("ftp://example.org/file", None),
        ("file:///etc/passwd", None),
        ("//example.org/x", None),
        ("https://", None),
        ("https://exa mple.org/", None),
        ("https://example.org/\nx", None),
        ("https://example.org:99999/", None),
        ("data:text/html,<b>x</b>", None),
        ("https://user:pw@example.org/", None),
        ("https://matrix.to/#/@alice:example.org", None),
        ("https://team.slack.com/archives/C1/p1", None),
        ("https://chat.example.org/#/room/!abc:example.org", None),
        ("https://example.org/a\u202eb", None),
    ],
)
def test_only_http_urls_are_linked(url: str, linked: str | None) -> None:
    assert safe_url(url) == linked


def test_huge_quotes_are_clipped_with_an_ellipsis_within_limits() -> None:
    view = make_view(earlier_quote="&<>" * 40_000, new_quote="x" * 100_000, sources=("s",) * 500)
    payload = format_alert(view)
    assert block_kit_errors(payload["blocks"]) == []
    sections = [b["text"]["text"] for b in payload["blocks"] if b["type"] == "section"]
    assert all(len(text) <= 2500 for text in sections)
    quotes = [t for t in sections if t.startswith(("Earlier statement", "New statement"))]
    assert len(quotes) == 2
    assert all(t.endswith("…”") for t in quotes)
    assert_inert(payload)


def test_long_agency_and_topic_fit_the_header() -> None:
    payload = format_alert(make_view(agency="A" * 200, topic="&" * 200))
    assert block_kit_errors(payload["blocks"]) == []
    assert len(payload["blocks"][0]["text"]["text"]) <= 150


untrusted = st.lists(
    st.one_of(
        st.text(max_size=20),
        st.text(alphabet="<>&|!@#^*\u202e\x00\n:/", max_size=20),
        st.sampled_from(INJECTIONS),
    ),
    max_size=12,
).map("".join)


@settings(max_examples=300, deadline=None)
@given(
    agency=untrusted.filter(str.strip),
    topic=untrusted,
    quote=untrusted,
    speaker=untrusted,
    source=untrusted,
    url=st.one_of(untrusted, untrusted.map(lambda s: "https://example.org/" + s)),
    extra=st.lists(untrusted, max_size=5),
    lead=st.booleans(),
)
def test_generated_report_text_never_pings_links_or_breaks_limits(
    agency: str,
    topic: str,
    quote: str,
    speaker: str,
    source: str,
    url: str,
    extra: list[str],
    lead: bool,
) -> None:
    view = make_view(
        agency=agency,
        topic=topic,
        earlier_quote=quote,
        new_quote=quote[::-1],
        speaker=speaker,
        source=source,
        url=url,
        sources=(url, *extra),
        is_lead=lead,
    )
    payload = format_alert(view)
    assert block_kit_errors(payload["blocks"]) == []
    assert_inert(payload)


def test_timeline_link_is_valid_block_kit_and_survives_the_verdict() -> None:
    from dataclasses import replace

    url = "https://dw.example.org/alerts/a%7Cb?exp=1&sig=ab"
    view = replace(make_view(), timeline_url=url)
    for message in (format_alert(view), format_alert(replace(view, verdict="confirmed"))):
        assert block_kit_errors(message["blocks"]) == []
        texts = [
            e["text"]
            for b in message["blocks"]
            if b["type"] == "context"
            for e in b["elements"]
            if isinstance(e.get("text"), str)
        ]
        assert "<https://dw.example.org/alerts/a%7Cb?exp=1&amp;sig=ab|Timeline>" in " ".join(texts)
    assert "Timeline" not in str(format_alert(replace(view, timeline_url="javascript:x")))
    assert "Timeline" not in str(format_alert(make_view()))
