"""Turn alerts and command replies into Matrix event content (pure: no I/O).

Report text is untrusted and passes the shared policy in `bot.core.untrusted`
(control and bidi characters dropped, a word joiner after every `@`, only safe
http(s) URLs linked, never a `matrix.to` or other permalink pill); this module
adds what is particular to Matrix: HTML escaping and `"m.mentions": {}`. The only
links in an alert are source URLs that this module puts there itself. The finished
HTML is run through an allow-list sanitiser (nh3) holding just the tags emitted
here, so a mistake in this module cannot smuggle markup through either.
"""

from __future__ import annotations

import html
from typing import Any

import nh3

from bot.app.ports import AlertView, CommandReply
from bot.core import untrusted as policy
from bot.core.detection import why_line
from bot.core.domain import Contradiction, Statement, kind_wording
from bot.core.records import Verdict

ALERT_KEY_FIELD = "denialwatch.alert_key"
"""Custom content field that lets a reaction be traced back to its alert."""

HTML_FORMAT = "org.matrix.custom.html"

ALLOWED_TAGS = frozenset({"p", "strong", "em", "blockquote", "a", "br", "ul", "li"})
ALLOWED_ATTRIBUTES = {"a": {"href"}}
ALLOWED_SCHEMES = frozenset({"http", "https"})

MAX_QUOTE_CHARS = 1200
MAX_FIELD_CHARS = 200
MAX_SOURCES = 20

WORD_JOINER = policy.WORD_JOINER

# Reaction keys on an alert and the feedback verdict each one stands for.
REACTION_VERDICTS = {
    "\u2705": Verdict.CONFIRMED,  # ✅
    "\u274c": Verdict.FALSE_ALARM,  # ❌
    "\U0001f507": Verdict.MUTED,  # 🔇
}

_FEEDBACK_HINT = "React ✅ confirmed · ❌ not a contradiction · 🔇 mute 7 days"


def verdict_for_reaction(key: str) -> Verdict | None:
    """Return the feedback verdict for a reaction key, ignoring emoji variation selectors."""
    return REACTION_VERDICTS.get(key.replace("\ufe0f", "").replace("\ufe0e", "").strip())


def defuse(text: str, limit: int = MAX_FIELD_CHARS) -> str:
    """Make untrusted text inert (the shared policy) and cap its length."""
    return policy.defuse_mentions(policy.clip(policy.clean(text), limit))


def safe_url(url: str) -> str:
    """Return url when the shared policy lets report data link it, else ""."""
    return policy.safe_url(url) or ""


def sanitize(fragment: str) -> str:
    """Run HTML through the allow-list: only the tags this module emits survive."""
    return nh3.clean(
        fragment,
        tags=set(ALLOWED_TAGS),
        clean_content_tags={"script", "style"},
        attributes={tag: set(attrs) for tag, attrs in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(ALLOWED_SCHEMES),
        link_rel=None,
        strip_comments=True,
    )


def _esc(text: str, limit: int = MAX_FIELD_CHARS) -> str:
    return html.escape(defuse(text, limit), quote=True)


def _statement_lines(label: str, statement: Statement) -> tuple[str, str]:
    """Return (plain, html) for one side of a contradiction."""
    meta = [statement.published.isoformat()]
    if statement.speaker:
        meta.append(defuse(statement.speaker))
    if statement.source:
        meta.append(defuse(statement.source))
    quote = defuse(statement.quote, MAX_QUOTE_CHARS)
    url = safe_url(statement.url)
    plain = f"{label} ({', '.join(meta)}): “{quote}”"
    if url:
        plain += f"\n{url}"

    html_meta = ", ".join(html.escape(part) for part in meta)
    source_html = ""
    if url:
        source_html = f' — <a href="{html.escape(url, quote=True)}">source</a>'
    markup = (
        f"<p><strong>{html.escape(label)}</strong> ({html_meta}){source_html}</p>"
        f"<blockquote>{html.escape(quote)}</blockquote>"
    )
    return plain, markup


def _kind_line(contradiction: Contradiction) -> str:
    label, explanation = kind_wording(contradiction.kind)
    return f"{label}: {explanation} · score {contradiction.score:.2f}"


def _render(view: AlertView) -> tuple[str, str]:
    """Return (plain body, sanitised HTML) for an alert or a follow-up."""
    contradiction = view.contradiction
    title = f"{defuse(view.alert.agency)} · {defuse(view.alert.topic)}"
    heading = "Contradiction" if view.is_lead else "Further evidence"
    earlier_plain, earlier_html = _statement_lines("Earlier", contradiction.earlier)
    new_plain, new_html = _statement_lines("New", contradiction.new)
    kind = _kind_line(contradiction)
    why = defuse(why_line(contradiction))

    plain = [f"{heading}: {title}", kind, why, "", earlier_plain, "", new_plain]
    parts = [
        f"<p><strong>{html.escape(heading)}: {html.escape(title)}</strong><br>"
        f"<em>{html.escape(kind)}</em><br>{html.escape(why)}</p>",
        earlier_html,
        new_html,
    ]
    timeline = safe_url(view.timeline_url)
    if timeline:
        plain += ["", f"Timeline: {timeline}"]
        parts.append(f'<p><a href="{html.escape(timeline, quote=True)}">Timeline</a></p>')
    sources = [defuse(source) for source in view.sources[:MAX_SOURCES] if source.strip()]
    if sources:
        plain += ["", "Sources: " + "; ".join(sources)]
        items = "".join(f"<li>{html.escape(source)}</li>" for source in sources)
        parts.append(f"<p>Sources:</p><ul>{items}</ul>")
    if view.verdict:
        verdict = defuse(view.verdict)
        plain += ["", f"Feedback: {verdict}"]
        parts.append(f"<p><em>Feedback: {html.escape(verdict)}</em></p>")
    elif view.is_lead:
        plain += ["", _FEEDBACK_HINT]
        parts.append(f"<p><em>{html.escape(_FEEDBACK_HINT)}</em></p>")
    return "\n".join(plain), sanitize("".join(parts))


def format_alert(view: AlertView, thread_root: str = "") -> dict[str, Any]:
    """Build `m.notice` content for an alert; with thread_root, a threaded follow-up."""
    body, formatted = _render(view)
    content: dict[str, Any] = {
        "msgtype": "m.notice",
        "body": body,
        "format": HTML_FORMAT,
        "formatted_body": formatted,
        "m.mentions": {},
        ALERT_KEY_FIELD: str(view.alert.key),
    }
    if thread_root:
        content["m.relates_to"] = thread_relation(thread_root)
    return content


def format_edit(view: AlertView, event_id: str) -> dict[str, Any]:
    """Build an `m.replace` edit that swaps an alert's text for the view's."""
    new_content = format_alert(view)
    return {
        "msgtype": "m.notice",
        "body": "* " + new_content["body"],
        "format": HTML_FORMAT,
        "formatted_body": "* " + new_content["formatted_body"],
        "m.mentions": {},
        "m.new_content": new_content,
        "m.relates_to": {"rel_type": "m.replace", "event_id": event_id},
    }


def thread_relation(thread_root: str, reply_to: str = "") -> dict[str, Any]:
    """Relate an event to a thread, with a reply fallback for clients without threads."""
    return {
        "rel_type": "m.thread",
        "event_id": thread_root,
        "is_falling_back": True,
        "m.in_reply_to": {"event_id": reply_to or thread_root},
    }


def format_notice(text: str) -> dict[str, Any]:
    """Build a plain `m.notice` from the bot's own text."""
    return {"msgtype": "m.notice", "body": text, "m.mentions": {}}


def format_command_reply(
    reply: CommandReply, command_event_id: str, thread_root: str = ""
) -> dict[str, Any]:
    """Build the threaded `m.notice` that answers a command message."""
    # Replies quote stored statements and user input, so they are defused like report
    # text, but keep their line breaks.
    text = "\n".join(defuse(line, MAX_QUOTE_CHARS * 4) for line in reply.text.splitlines()) or (
        "ok" if reply.ok else "error"
    )
    return {
        "msgtype": "m.notice",
        "body": text,
        "m.mentions": {},
        "m.relates_to": thread_relation(thread_root or command_event_id, command_event_id),
    }
