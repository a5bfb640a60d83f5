"""Turn Slack payloads into denialwatch values. Pure: no I/O, no Slack SDK."""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from adapters.slack.blocks import VERDICT_BY_ACTION
from bot.app.ports import CommandRequest
from bot.core.domain import AlertKey, Channel, ChannelId
from bot.core.records import Verdict

PLATFORM = "slack"
MAX_COMMAND_CHARS = 2000
COMMAND = "/denialwatch"


@dataclass(frozen=True, slots=True)
class FeedbackAction:
    """A press on one of an alert's feedback buttons."""

    alert_key: AlertKey
    channel: Channel
    user: str
    verdict: Verdict
    message_ts: str
    blocks: tuple[dict[str, Any], ...] = ()


def parse_body(raw: str, content_type: str) -> dict[str, Any]:
    """Parse a Slack HTTP request body (JSON, form, or form with a JSON `payload`).

    slack_bolt's own parser treats any form body that merely *contains* the word
    "payload" as an interactivity payload, which silently empties a slash command
    such as `/denialwatch search payload`; this one looks at the parsed keys.
    """
    if not raw:
        return {}
    if content_type.startswith("application/json") or raw.lstrip().startswith("{"):
        parsed = _json(raw)
        return parsed if isinstance(parsed, dict) else {}
    params = dict(parse_qsl(raw, keep_blank_values=True))
    payload = params.get("payload")
    if payload is not None and "command" not in params:
        parsed = _json(payload)
        return parsed if isinstance(parsed, dict) else {}
    return dict(params)


def _json(text: str) -> Any:
    """json.loads, with too deep nesting a ValueError (answered 400) like other bad JSON."""
    try:
        return json.loads(text)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None


def command_refusal(text: str) -> str | None:
    """Why this command text is refused before any work is done, or None."""
    if len(text) > MAX_COMMAND_CHARS:
        return (
            f"That command is too long ({len(text):,} characters; the limit is "
            f"{MAX_COMMAND_CHARS:,}). Nothing was changed."
        )
    if "\ufffd" in text:
        return "That command is not valid UTF-8 text. Nothing was changed."
    for char in text:
        if char in "\t\n\r":
            continue
        if unicodedata.category(char) in ("Cc", "Cs", "Co"):
            return "That command contains binary or control characters. Nothing was changed."
    return None


def command_request(body: Mapping[str, Any]) -> CommandRequest:
    """The platform-neutral command of a slash-command payload."""
    return CommandRequest(
        platform=PLATFORM,
        channel=Channel(PLATFORM, ChannelId(str(body.get("channel_id", "")))),
        user=str(body.get("user_id", "")),
        text=str(body.get("text", "")).strip(),
    )


def feedback_action(body: Mapping[str, Any]) -> FeedbackAction | None:
    """The feedback a `block_actions` payload carries, or None if it carries none."""
    actions = body.get("actions") or []
    if not actions or not isinstance(actions[0], Mapping):
        return None
    action = actions[0]
    verdict = VERDICT_BY_ACTION.get(str(action.get("action_id", "")))
    if verdict is None:
        return None
    container = body.get("container") or {}
    channel = (body.get("channel") or {}).get("id") or container.get("channel_id") or ""
    message = body.get("message") or {}
    ts = container.get("message_ts") or message.get("ts") or ""
    blocks = message.get("blocks") or []
    return FeedbackAction(
        alert_key=AlertKey(str(action.get("value", ""))),
        channel=Channel(PLATFORM, ChannelId(str(channel))),
        user=str((body.get("user") or {}).get("id", "")),
        verdict=verdict,
        message_ts=str(ts),
        blocks=tuple(b for b in blocks if isinstance(b, dict)),
    )


def inbound_key(body: Mapping[str, Any]) -> str | None:
    """The id that makes an inbound request unique, for redelivery dedupe.

    Events carry `event_id` (the same on every Slack retry); commands and button
    presses carry a `trigger_id` that a replayed request would repeat.
    """
    event_id = body.get("event_id")
    if body.get("type") == "event_callback" and event_id:
        return f"event:{event_id}"
    trigger_id = body.get("trigger_id")
    if trigger_id:
        return f"trigger:{trigger_id}"
    return None
