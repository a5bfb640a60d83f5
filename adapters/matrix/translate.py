"""Turn raw Matrix events into denialwatch's inbound messages (pure: no I/O).

Only two kinds of room event matter to the bot: a text message that starts with
`!dw` / `!denialwatch` (a command) and a ✅ / ❌ / 🔇 reaction (feedback). Everything
else, the bot's own events, and `m.notice` messages from anyone (other bots) are
dropped here, so the adapter never answers an automated message.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from adapters.matrix.format import verdict_for_reaction
from bot.core.records import Verdict

COMMAND_PREFIXES = ("!dw", "!denialwatch")
_PREFIX = re.compile(r"^!(?:dw|denialwatch)(?:\s+|$)", re.IGNORECASE)
_TEXT_MSGTYPES = frozenset({"m.text"})


@dataclass(frozen=True, slots=True)
class CommandMessage:
    """A `!dw …` message: the command text without its prefix."""

    room_id: str
    event_id: str
    sender: str
    text: str
    thread_root: str
    sent_at_ms: int


@dataclass(frozen=True, slots=True)
class ReactionMessage:
    """A feedback reaction on some event the bot may have posted."""

    room_id: str
    event_id: str
    sender: str
    target_event_id: str
    verdict: Verdict
    sent_at_ms: int


Inbound = CommandMessage | ReactionMessage


def command_text(body: str) -> str | None:
    """Return the command after a `!dw` / `!denialwatch` prefix, or None for other text."""
    body = _strip_reply_fallback(body).strip()
    match = _PREFIX.match(body)
    if match is None:
        return None
    return body[match.end() :].strip() or "help"


def _strip_reply_fallback(body: str) -> str:
    """Drop the `> <@user> quoted` lines that clients put before a reply's own text."""
    lines = body.splitlines()
    if not lines or not lines[0].startswith("> "):
        return body
    index = 0
    while index < len(lines) and lines[index].startswith(">"):
        index += 1
    return "\n".join(lines[index:])


def translate(room_id: str, event: Mapping[str, Any], own_user_id: str) -> Inbound | None:
    """Return the inbound message in a room timeline event, or None to ignore it."""
    sender = event.get("sender")
    event_id = event.get("event_id")
    content = event.get("content")
    if not isinstance(sender, str) or not isinstance(event_id, str):
        return None
    if sender == own_user_id or not isinstance(content, Mapping):
        return None
    sent_at = event.get("origin_server_ts")
    sent_at_ms = sent_at if isinstance(sent_at, int) else 0
    relates = content.get("m.relates_to")
    relates_to = relates if isinstance(relates, Mapping) else {}
    kind = event.get("type")

    if kind == "m.reaction":
        if relates_to.get("rel_type") != "m.annotation":
            return None
        target, key = relates_to.get("event_id"), relates_to.get("key")
        if not isinstance(target, str) or not isinstance(key, str):
            return None
        verdict = verdict_for_reaction(key)
        if verdict is None:
            return None
        return ReactionMessage(room_id, event_id, sender, target, verdict, sent_at_ms)

    if kind != "m.room.message" or content.get("msgtype") not in _TEXT_MSGTYPES:
        # m.notice included: automated messages are never answered.
        return None
    if relates_to.get("rel_type") == "m.replace":
        # An edit of an earlier message must not run the command a second time.
        return None
    body = content.get("body")
    if not isinstance(body, str):
        return None
    text = command_text(body)
    if text is None:
        return None
    thread_root = ""
    if relates_to.get("rel_type") == "m.thread" and isinstance(relates_to.get("event_id"), str):
        thread_root = relates_to["event_id"]
    return CommandMessage(room_id, event_id, sender, text, thread_root, sent_at_ms)


def invite_sender(invite_state: Sequence[Mapping[str, Any]], own_user_id: str) -> str | None:
    """Return who invited the bot, from a room's stripped invite state."""
    for event in invite_state:
        if event.get("type") != "m.room.member" or event.get("state_key") != own_user_id:
            continue
        content = event.get("content")
        if isinstance(content, Mapping) and content.get("membership") == "invite":
            sender = event.get("sender")
            return sender if isinstance(sender, str) else None
    return None
