"""Render alerts as Slack Block Kit messages.

Pure functions: no I/O, no Slack SDK. Everything that came from a report (quotes,
speakers, source names, URLs, agency and topic names) is untrusted and passes the
shared policy in `bot.core.untrusted` (control and bidi characters dropped,
mentions defused, only safe URLs linked); this module adds what is particular to
mrkdwn: `&`, `<` and `>` are escaped, so text can neither ping (`<!channel>`,
`<@U…>`) nor disguise a link (`<https://evil|Reuters>`). Quotes go into
`plain_text` objects so they cannot format either; the only links are the ones
built here, labelled with the host they really lead to.
"""

from __future__ import annotations

import re
from typing import Any

from bot.app.ports import AlertView
from bot.core import untrusted as policy
from bot.core.detection import why_line
from bot.core.domain import Statement, kind_wording
from bot.core.records import Verdict
from bot.core.untrusted import ELLIPSIS, defuse_mentions, url_host

MAX_BLOCKS = 50
MAX_HEADER = 150
MAX_SECTION = 3000
MAX_QUOTE_BLOCK = 2500
"""RELIABILITY R-15: quoted report text stays well below the section limit."""
MAX_CONTEXT_TEXT = 2000
MAX_BUTTON_VALUE = 2000
MAX_FALLBACK = 3000
MAX_SOURCES = 20

ACTION_CONFIRM = "dw_confirm"
ACTION_REJECT = "dw_reject"
ACTION_MUTE = "dw_mute"
FEEDBACK_BLOCK_ID = "dw_feedback"

VERDICT_BY_ACTION = {
    ACTION_CONFIRM: Verdict.CONFIRMED,
    ACTION_REJECT: Verdict.FALSE_ALARM,
    ACTION_MUTE: Verdict.MUTED,
}

_VERDICT_LABELS: dict[str, str] = {
    Verdict.CONFIRMED: ":white_check_mark: Confirmed",
    Verdict.FALSE_ALARM: ":x: Not a contradiction",
    Verdict.MUTED: ":mute: Muted for 7 days",
}

_ENTITY_TAIL = re.compile(r"&[a-z]{0,3}$")
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,20}$")


def escape(text: str) -> str:
    """Escape the three characters mrkdwn treats as control characters."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clip(escaped: str, limit: int) -> str:
    """Shorten escaped text to `limit` characters, ending in an ellipsis.

    Never cuts an entity (`&amp;`, `&lt;`, `&gt;`) in half, so clipping cannot leave a
    bare `&` behind.
    """
    if len(escaped) <= limit:
        return escaped
    cut = escaped[: max(limit - len(ELLIPSIS), 0)]
    cut = _ENTITY_TAIL.sub("", cut)
    return cut.rstrip() + ELLIPSIS


def clean(text: str, *, single_line: bool = True) -> str:
    """The shared untrusted-text policy: invisible characters dropped, mentions defused."""
    return defuse_mentions(policy.clean(text, single_line=single_line))


def untrusted(text: str, limit: int, *, single_line: bool = True) -> str:
    """Clean, escape and clip text that came from a report or a user."""
    return clip(escape(clean(text, single_line=single_line)), limit)


def safe_url(url: str) -> str | None:
    """Return the URL ready to be linked in mrkdwn, or None when it must not be linked.

    Whether it may be linked is the shared policy's call (`bot.core.untrusted`);
    here `<`, `>` and `|` (which would end or relabel a mrkdwn link) are
    percent-encoded and `&` is escaped.
    """
    checked = policy.safe_url(url)
    if checked is None:
        return None
    return escape(checked.replace("|", "%7C").replace("<", "%3C").replace(">", "%3E"))


def link(url: str, fallback: str = "") -> str:
    """A mrkdwn link labelled with its real host, or escaped fallback text."""
    target = safe_url(url)
    if target is None:
        return untrusted(fallback, 200) if fallback else ""
    return f"<{target}|{escape(url_host(url.strip()))}>"


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text, "emoji": False}


def _mrkdwn(text: str) -> dict[str, Any]:
    # verbatim: Slack must not turn bare URLs or channel names into links on its own.
    return {"type": "mrkdwn", "text": text, "verbatim": True}


def _header(view: AlertView) -> str:
    agency = clean(view.alert.agency or view.contradiction.agency)
    topic = clean(view.alert.topic or view.contradiction.topic)
    prefix = "" if view.is_lead else "More evidence: "
    return clip(escape(f"{prefix}{agency} · {topic}"), MAX_HEADER)


def _statement_blocks(title: str, statement: Statement) -> list[dict[str, Any]]:
    prefix = f"{title} ({statement.polarity.value}):\n“"
    quote = untrusted(statement.quote, MAX_QUOTE_BLOCK - len(prefix) - 1)
    body = f"{prefix}{quote}”"
    attribution = [
        clean(statement.speaker) or "unnamed speaker",
        statement.published.isoformat(),
        clean(statement.source),
    ]
    elements: list[dict[str, Any]] = [
        _plain(clip(escape(" · ".join(part for part in attribution if part)), MAX_CONTEXT_TEXT))
    ]
    source_link = link(statement.url)
    if source_link:
        elements.append(_mrkdwn(source_link))
    return [
        {"type": "section", "text": _plain(body)},
        {"type": "context", "elements": elements},
    ]


def _kind_block(view: AlertView) -> dict[str, Any]:
    contradiction = view.contradiction
    label, explanation = kind_wording(contradiction.kind)
    score = f"{contradiction.score:.2f}"
    text = f":warning: *{escape(label)}*: {escape(explanation)} (score *{score}*)"
    text += f"\n{escape(why_line(contradiction))}"
    return {"type": "section", "text": _mrkdwn(text)}


def _sources_block(sources: tuple[str, ...]) -> dict[str, Any] | None:
    lines: list[str] = []
    for source in sources[:MAX_SOURCES]:
        rendered = link(source, fallback=source)
        if rendered:
            lines.append(f"• {rendered}")
    if not lines:
        return None
    if len(sources) > MAX_SOURCES:
        lines.append(f"… and {len(sources) - MAX_SOURCES} more")
    text = "*Sources*\n" + "\n".join(lines)
    while len(text) > MAX_SECTION and len(lines) > 1:
        lines.pop()
        text = "*Sources*\n" + "\n".join(lines) + "\n…"
    return {"type": "section", "text": _mrkdwn(text)}


def _button(text: str, action_id: str, value: str, style: str = "") -> dict[str, Any]:
    button: dict[str, Any] = {
        "type": "button",
        "text": _plain(text),
        "action_id": action_id,
        "value": value[:MAX_BUTTON_VALUE],
    }
    if style:
        button["style"] = style
    return button


def _actions_block(view: AlertView) -> dict[str, Any]:
    key = str(view.alert.key)
    return {
        "type": "actions",
        "block_id": FEEDBACK_BLOCK_ID,
        "elements": [
            _button("Confirmed", ACTION_CONFIRM, key, "primary"),
            _button("Not a contradiction", ACTION_REJECT, key),
            _button("Mute 7 days", ACTION_MUTE, key, "danger"),
        ],
    }


def _timeline_block(view: AlertView) -> dict[str, Any] | None:
    """A link to the alert's evidence page (our own URL, still validated)."""
    target = safe_url(view.timeline_url) if view.timeline_url else None
    if target is None:
        return None
    text = f":spiral_calendar_pad: <{target}|Timeline> · every statement on this practice"
    return {"type": "context", "elements": [_mrkdwn(text)]}


def _fallback(view: AlertView) -> str:
    label, _ = kind_wording(view.contradiction.kind)
    agency = clean(view.alert.agency or view.contradiction.agency)
    topic = clean(view.alert.topic or view.contradiction.topic)
    return clip(escape(f"{label}: {agency} · {topic}"), MAX_FALLBACK)


def _body_blocks(view: AlertView) -> list[dict[str, Any]]:
    contradiction = view.contradiction
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": _plain(_header(view))},
        _kind_block(view),
        *_statement_blocks("Earlier statement", contradiction.earlier),
        *_statement_blocks("New statement", contradiction.new),
    ]
    timeline = _timeline_block(view)
    if timeline is not None:
        blocks.append(timeline)
    sources = _sources_block(view.sources)
    if sources is not None:
        blocks.append({"type": "divider"})
        blocks.append(sources)
    return blocks


def format_alert(view: AlertView) -> dict[str, Any]:
    """Render one alert delivery: `{"text": fallback, "blocks": [...]}`."""
    if view.verdict:
        return format_verdict(view)
    blocks = _body_blocks(view)
    if view.is_lead:
        blocks.append(_actions_block(view))
    return {"text": _fallback(view), "blocks": blocks[:MAX_BLOCKS]}


def verdict_context(verdict: str, user: str = "") -> dict[str, Any]:
    """The context line that replaces the buttons once someone has answered."""
    label = _VERDICT_LABELS.get(verdict, escape(clean(verdict)) or "Answered")
    text = f"{label} by <@{user}>" if _USER_ID.match(user) else label
    return {"type": "context", "elements": [_mrkdwn(text)]}


def format_verdict(view: AlertView, user: str = "") -> dict[str, Any]:
    """Render an alert after feedback: the buttons give way to who said what."""
    blocks = _body_blocks(view)
    blocks.append(verdict_context(view.verdict, user))
    return {"text": _fallback(view), "blocks": blocks[:MAX_BLOCKS]}


def replace_buttons(blocks: list[dict[str, Any]], verdict: str, user: str) -> list[dict[str, Any]]:
    """Swap the feedback buttons of an already posted alert for the verdict line.

    Used when the core has no view to re-render: the blocks are the bot's own, as
    Slack echoes them in the interaction payload.
    """
    kept = [b for b in blocks if b.get("block_id") != FEEDBACK_BLOCK_ID]
    return [*kept[: MAX_BLOCKS - 1], verdict_context(verdict, user)]
