"""The fake Slack refuses what real Slack refuses (so passing tests mean something)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.fakes.fake_slack import FakeSlack, block_kit_errors, method_spec


def _header(text: str) -> dict[str, Any]:
    return {"type": "header", "text": {"type": "plain_text", "text": text}}


def _button(text: str, action_id: str) -> dict[str, Any]:
    return {"type": "button", "text": {"type": "plain_text", "text": text}, "action_id": action_id}


@pytest.mark.parametrize(
    ("blocks", "fragment"),
    [
        ([{"type": "divider"}] * 51, "too many blocks"),
        ([_header("h" * 151)], "at most 150"),
        ([_header("")], "non-empty"),
        ([{"type": "header", "text": {"type": "mrkdwn", "text": "x"}}], "plain_text"),
        ([{"type": "section", "text": {"type": "mrkdwn", "text": "s" * 3001}}], "at most 3000"),
        ([{"type": "section"}], "text or fields"),
        ([{"type": "actions", "elements": [_button("b" * 76, "a")]}], "at most 75"),
        ([{"type": "actions", "elements": [_button("x", "a"), _button("y", "a")]}], "duplicate"),
        ([{"type": "context", "elements": []}], "1..10"),
        ([{"type": "banner"}], "unknown block type"),
        ([{"type": "divider", "block_id": "b"}, {"type": "divider", "block_id": "b"}], "duplicate"),
    ],
)
def test_block_kit_limits_are_enforced(blocks: list[dict[str, Any]], fragment: str) -> None:
    errors = block_kit_errors(blocks)
    assert errors and any(fragment in e for e in errors), errors


def test_argument_names_come_from_slacks_openapi_spec() -> None:
    spec = method_spec("chat.postMessage")
    assert spec is not None
    assert {"channel", "text", "blocks", "thread_ts", "unfurl_links"} <= spec["args"]
    assert "channel" in spec["required"]
    assert spec["scopes"] == {"chat:write"}


async def _call(fake: FakeSlack, method: str, token: str, **args: Any) -> httpx.Response:
    async with httpx.AsyncClient() as http:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return await http.post(fake.api_url + method, json=args, headers=headers)


@pytest.mark.parametrize(
    ("token", "args", "error"),
    [
        ("", {"channel": "C0ALERTS", "text": "x"}, "not_authed"),
        ("xoxb-nope", {"channel": "C0ALERTS", "text": "x"}, "invalid_auth"),
        ("xapp-test-token", {"channel": "C0ALERTS", "text": "x"}, "not_allowed_token_type"),
        (None, {"channel": "C0NOPE", "text": "x"}, "channel_not_found"),
        (None, {"channel": "C0ALERTS"}, "no_text"),
        (None, {"channel": "C0ALERTS", "text": "x", "thread-ts": "1.0"}, "invalid_arguments"),
        (
            None,
            {"channel": "C0ALERTS", "text": "x", "metadata": {"a": 1}},
            "invalid_metadata_format",
        ),
        (
            None,
            {"channel": "C0ALERTS", "blocks": [{"type": "banner"}], "text": "x"},
            "invalid_blocks",
        ),
        (None, {"channel": "C0ALERTS", "text": "x" * 40_001}, "msg_too_long"),
    ],
)
async def test_post_message_is_validated_like_slack(
    fake: FakeSlack, token: str | None, args: dict[str, Any], error: str
) -> None:
    response = await _call(
        fake, "chat.postMessage", fake.bot_token if token is None else token, **args
    )
    assert response.json() == {**response.json(), "ok": False, "error": error}
    assert fake.calls[-1].error == error


async def test_missing_scope_is_reported() -> None:
    async with FakeSlack(scopes=frozenset({"commands"})) as fake:
        response = await _call(
            fake, "chat.postMessage", fake.bot_token, channel="C0ALERTS", text="x"
        )
    assert response.json()["error"] == "missing_scope"


async def test_rate_limit_mode_answers_429_with_retry_after(fake: FakeSlack) -> None:
    fake.rate_limit(2, retry_after=3)
    statuses = []
    for _ in range(3):
        response = await _call(
            fake, "chat.postMessage", fake.bot_token, channel="C0ALERTS", text="x"
        )
        statuses.append((response.status_code, response.headers.get("Retry-After")))
    assert statuses == [(429, "3"), (429, "3"), (200, None)]
