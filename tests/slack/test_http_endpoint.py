"""Signed (and badly signed) requests into the real HTTP endpoint, served by uvicorn."""

from __future__ import annotations

import json
import logging
import time

import httpx
import pytest

from adapters.slack import SlackAdapter
from adapters.slack.blocks import format_alert
from bot.app.clock import FixedClock
from bot.app.command_service import CommandService
from bot.app.pipeline import Pipeline
from bot.core.language.resources import load_lexicons, load_vocabulary
from storage.memory_store import MemoryStore
from tests.fakes.fake_slack import (
    FORM,
    FakeSlack,
    block_actions,
    event_callback,
    form_body,
    interactive_body,
    signed_headers,
    slash_command,
)
from tests.slack.conftest import ALERTS, SIGNING_SECRET, Commands, Feedback, make_view


async def post_signed(
    http: httpx.AsyncClient,
    endpoint: str,
    body: bytes,
    *,
    content_type: str = FORM,
    secret: str = SIGNING_SECRET,
    timestamp: int | None = None,
    extra: dict[str, str] | None = None,
) -> httpx.Response:
    headers = signed_headers(secret, body, timestamp=timestamp, content_type=content_type)
    return await http.post(endpoint, content=body, headers={**headers, **(extra or {})})


async def test_signed_slash_command_is_answered_ephemerally(
    fake: FakeSlack, endpoint: str, http: httpx.AsyncClient, commands: Commands
) -> None:
    body = form_body(slash_command("watch topic Clearview AI", response_url=fake.response_url()))
    response = await post_signed(http, endpoint, body)
    assert response.status_code == 200
    assert response.json() == {"text": "ok: watch topic Clearview AI", "response_type": "ephemeral"}
    [request] = commands.requests
    assert (request.platform, str(request.channel), request.user) == (
        "slack",
        "slack:C0ALERTS",
        "U0EDITOR",
    )
    assert request.text == "watch topic Clearview AI"


@pytest.mark.parametrize(
    "tamper",
    ["wrong_secret", "stale_past", "stale_future", "no_signature", "no_timestamp", "body_changed"],
)
async def test_bad_or_stale_signatures_get_401_and_nothing_happens(
    fake: FakeSlack, endpoint: str, http: httpx.AsyncClient, commands: Commands, tamper: str
) -> None:
    body = form_body(slash_command("watch topic X", response_url=fake.response_url()))
    now = int(time.time())
    headers = signed_headers(SIGNING_SECRET, body, content_type=FORM)
    if tamper == "wrong_secret":
        headers = signed_headers("not-the-secret", body, content_type=FORM)
    elif tamper == "stale_past":
        headers = signed_headers(SIGNING_SECRET, body, timestamp=now - 301, content_type=FORM)
    elif tamper == "stale_future":
        headers = signed_headers(SIGNING_SECRET, body, timestamp=now + 301, content_type=FORM)
    elif tamper == "no_signature":
        del headers["X-Slack-Signature"]
    elif tamper == "no_timestamp":
        del headers["X-Slack-Request-Timestamp"]
    elif tamper == "body_changed":
        body = body.replace(b"watch", b"unwat")
    calls_before = len(fake.calls)
    response = await http.post(endpoint, content=body, headers=headers)
    assert response.status_code == 401
    assert commands.requests == []
    assert len(fake.calls) == calls_before
    assert fake.response_posts == []


async def test_slow_command_is_acked_within_3_seconds_and_answered_afterwards(
    fake: FakeSlack,
    endpoint: str,
    http: httpx.AsyncClient,
    commands: Commands,
    adapter: SlackAdapter,
) -> None:
    commands.delay = 2.5
    body = form_body(
        slash_command("check https://example.org", response_url=fake.response_url("r1"))
    )
    started = time.monotonic()
    response = await post_signed(http, endpoint, body)
    acked_after = time.monotonic() - started
    assert response.status_code == 200
    assert acked_after < 2.0
    assert response.json()["text"] == "Working on it…"
    assert fake.response_posts == []
    await fake.wait_for(lambda: fake.response_posts, timeout=5)
    [(key, reply)] = fake.response_posts
    assert key == "r1"
    assert reply["text"] == "ok: check https://example.org"
    assert reply["response_type"] == "ephemeral"


async def test_reply_falls_back_to_post_ephemeral_without_response_url(
    fake: FakeSlack, endpoint: str, http: httpx.AsyncClient, commands: Commands
) -> None:
    commands.delay = 1.5
    fields = slash_command("status", response_url="")
    response = await post_signed(http, endpoint, form_body(fields))
    assert response.status_code == 200
    await fake.wait_for(lambda: fake.ephemerals, timeout=5)
    assert fake.ephemerals[0]["user"] == "U0EDITOR"
    assert fake.ephemerals[0]["text"] == "ok: status"


async def test_command_reply_text_cannot_ping(
    fake: FakeSlack, endpoint: str, http: httpx.AsyncClient, commands: Commands
) -> None:
    commands.reply = "<!channel> see <https://evil|Reuters>"
    body = form_body(slash_command("search x", response_url=fake.response_url()))
    response = await post_signed(http, endpoint, body)
    assert response.json()["text"] == "&lt;!channel&gt; see &lt;https://evil|Reuters&gt;: search x"


@pytest.mark.parametrize(
    "text",
    [
        "x" * 2001,
        "watch topic " + "y" * 64 * 1024,
        "z" * 1024 * 1024,
        "watch topic \x00Clearview",
        "e\u0301" * 10_000,
        "claim \x07 bell",
    ],
    ids=["2001", "64k", "1m", "nul", "combining", "control"],
)
async def test_oversized_or_binary_command_text_is_refused_with_a_message(
    fake: FakeSlack, endpoint: str, http: httpx.AsyncClient, commands: Commands, text: str
) -> None:
    body = form_body(slash_command(text, response_url=fake.response_url()))
    started = time.monotonic()
    response = await post_signed(http, endpoint, body)
    assert time.monotonic() - started < 1.0
    assert response.status_code == 200
    assert "Nothing was changed" in response.json()["text"]
    assert response.json()["response_type"] == "ephemeral"
    assert commands.requests == []


async def test_invalid_utf8_command_text_is_refused(
    fake: FakeSlack, endpoint: str, http: httpx.AsyncClient, commands: Commands
) -> None:
    # Percent-encoded bytes that are not UTF-8, as a misbehaving client would send.
    body = form_body(slash_command("PLACEHOLDER", response_url=fake.response_url()))
    body = body.replace(b"PLACEHOLDER", b"watch+%FF%FE")
    response = await post_signed(http, endpoint, body)
    assert "not valid UTF-8" in response.json()["text"]
    raw = body.replace(b"watch+%FF%FE", b"watch \xff\xfe")
    response = await post_signed(http, endpoint, raw)
    assert "not valid UTF-8" in response.json()["text"]
    assert commands.requests == []


async def test_command_mentioning_payload_reaches_the_handler(
    fake: FakeSlack, endpoint: str, http: httpx.AsyncClient, commands: Commands
) -> None:
    # slack_bolt's parser mistakes any form body containing "payload" for interactivity.
    body = form_body(slash_command("search payload", response_url=fake.response_url()))
    response = await post_signed(http, endpoint, body)
    assert response.json()["text"] == "ok: search payload"


async def test_replayed_command_runs_once(
    fake: FakeSlack, endpoint: str, http: httpx.AsyncClient, commands: Commands
) -> None:
    body = form_body(slash_command("unwatch topic X", response_url=fake.response_url()))
    first = await post_signed(http, endpoint, body)
    second = await post_signed(http, endpoint, body)
    assert first.status_code == second.status_code == 200
    assert len(commands.requests) == 1


async def test_event_retries_are_acked_and_processed_once(
    fake: FakeSlack,
    endpoint: str,
    http: httpx.AsyncClient,
    adapter: SlackAdapter,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="denialwatch.slack")
    event = event_callback({"type": "tokens_revoked", "tokens": {"bot": ["U0BOT"]}})
    body = json.dumps(event).encode()
    assert adapter.connected()
    statuses = []
    for retry in range(4):
        extra = {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
        if retry == 0:
            extra = {}
        response = await post_signed(
            http, endpoint, body, content_type="application/json", extra=extra
        )
        statuses.append(response.status_code)
    assert statuses == [200, 200, 200, 200]
    assert not adapter.connected()
    revoked = [r for r in caplog.records if "alerts cannot be delivered" in r.getMessage()]
    skipped = [r for r in caplog.records if "duplicate event:" in r.getMessage()]
    assert (len(revoked), len(skipped)) == (1, 3)


async def test_bot_own_messages_and_unknown_events_are_acked_and_ignored(
    fake: FakeSlack, endpoint: str, http: httpx.AsyncClient, commands: Commands
) -> None:
    own = event_callback(
        {
            "type": "message",
            "subtype": "bot_message",
            "bot_id": "B0BOT",
            "text": "<!channel>",
            "channel": "C0ALERTS",
            "ts": "1.000001",
        }
    )
    other = event_callback({"type": "reaction_added", "user": "U1", "reaction": "x"})
    for event in (own, other):
        body = json.dumps(event).encode()
        response = await post_signed(http, endpoint, body, content_type="application/json")
        assert response.status_code == 200
    assert commands.requests == []
    assert fake.calls_to("chat.postMessage") == []


async def test_url_verification_challenge_is_answered(
    endpoint: str, http: httpx.AsyncClient
) -> None:
    body = json.dumps(
        {
            "token": "t",
            "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
            "type": "url_verification",
        }
    ).encode()
    response = await post_signed(http, endpoint, body, content_type="application/json")
    assert response.status_code == 200
    assert response.json()["challenge"].startswith("3eZbrw")


async def _posted_alert(fake: FakeSlack, adapter: SlackAdapter) -> dict[str, object]:
    posted = await adapter.post_alert(ALERTS, make_view(), "delivery-1")
    [message] = [m for m in fake.messages("C0ALERTS") if m["ts"] == posted.message_id]
    return message


async def test_button_press_is_stored_and_updates_the_message(
    fake: FakeSlack,
    endpoint: str,
    http: httpx.AsyncClient,
    adapter: SlackAdapter,
    feedback: Feedback,
) -> None:
    message = await _posted_alert(fake, adapter)
    payload = block_actions(
        "dw_confirm",
        "federal police|clearview ai",
        message=message,
        response_url=fake.response_url(),
    )
    response = await post_signed(http, endpoint, interactive_body(payload))
    assert response.status_code == 200
    await adapter.drain()
    assert [(p[0], str(p[1]), p[2], p[3]) for p in feedback.presses] == [
        ("federal police|clearview ai", "slack:C0ALERTS", "U0EDITOR", "confirmed")
    ]
    [update] = fake.calls_to("chat.update")
    assert update.ok
    assert update.args["ts"] == message["ts"]
    blocks = fake.messages("C0ALERTS")[0]["blocks"]
    assert not [b for b in blocks if b["type"] == "actions"]
    assert blocks[-1]["elements"][0]["text"] == ":white_check_mark: Confirmed by <@U0EDITOR>"


async def test_button_without_a_view_swaps_the_buttons_in_place(
    fake: FakeSlack,
    endpoint: str,
    http: httpx.AsyncClient,
    adapter: SlackAdapter,
    feedback: Feedback,
) -> None:
    feedback.view = None
    message = await _posted_alert(fake, adapter)
    payload = block_actions("dw_reject", "k", message=message, response_url=fake.response_url())
    await post_signed(http, endpoint, interactive_body(payload))
    await adapter.drain()
    assert feedback.presses[0][3] == "false_alarm"
    blocks = fake.messages("C0ALERTS")[0]["blocks"]
    assert blocks[:-1] == [b for b in format_alert(make_view())["blocks"] if b["type"] != "actions"]
    assert "Not a contradiction" in blocks[-1]["elements"][0]["text"]


async def test_mute_button_is_refused_to_non_admins_and_audited(
    fake: FakeSlack,
    endpoint: str,
    http: httpx.AsyncClient,
    adapter: SlackAdapter,
    feedback: Feedback,
) -> None:
    store, clock = MemoryStore(), FixedClock()
    pipeline = Pipeline(store, clock, load_lexicons(), load_vocabulary())
    feedback.service = CommandService(store, pipeline, clock, admins=frozenset({"U0EDITOR"}))
    message = await _posted_alert(fake, adapter)
    payload = block_actions(
        "dw_mute", "k", message=message, response_url=fake.response_url("m"), user_id="U0INTERN"
    )
    response = await post_signed(http, endpoint, interactive_body(payload))
    assert response.status_code == 200
    await adapter.drain()
    assert feedback.presses == []
    assert fake.calls_to("chat.update") == []
    assert fake.response_posts[0][1]["text"] == "Only denialwatch admins can mute alerts."
    assert store.silences() == []
    [refusal] = store.audit_events()
    assert refusal.actor == "slack:U0INTERN" and refusal.detail == "denied: muted k"


async def test_oversized_bodies_are_refused_before_verification(
    endpoint: str, http: httpx.AsyncClient, commands: Commands
) -> None:
    body = b"x" * (3 * 1024 * 1024)
    response = await post_signed(http, endpoint, body)
    assert response.status_code == 413
    assert commands.requests == []


@pytest.mark.parametrize("content_type", [FORM, "application/json"])
async def test_a_signed_but_deeply_nested_payload_is_a_400_not_a_500(
    endpoint: str, http: httpx.AsyncClient, feedback: Feedback, content_type: str
) -> None:
    nested = "[" * 100_000 + "]" * 100_000
    body = (
        form_body({"payload": nested})
        if content_type == FORM
        else ('{"a": ' + nested + "}").encode()
    )
    response = await post_signed(http, endpoint, body, content_type=content_type)
    assert response.status_code == 400
    assert feedback.presses == []
