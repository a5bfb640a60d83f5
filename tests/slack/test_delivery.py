"""Posting alerts to the fake Slack Web API: arguments, errors, threads, reconciliation."""

from __future__ import annotations

import time

import pytest

from adapters.slack import SlackAdapter, SlackDeliveryError, SlackStartError
from bot.app.ports import DeliveryError, Posted
from bot.core.domain import Channel, ChannelId
from tests.fakes.fake_slack import FakeSlack
from tests.slack.conftest import ALERTS, SIGNING_SECRET, Commands, make_view


async def test_alert_is_posted_as_valid_block_kit_with_metadata(
    fake: FakeSlack, adapter: SlackAdapter
) -> None:
    posted = await adapter.post_alert(ALERTS, make_view(), "delivery-1")
    [call] = fake.calls_to("chat.postMessage")
    assert call.ok, call.response
    assert call.token == fake.bot_token
    assert call.args["metadata"] == {
        "event_type": "denialwatch_alert",
        "event_payload": {"delivery_key": "delivery-1", "alert_key": "federal police|clearview ai"},
    }
    assert call.args["unfurl_links"] is False
    assert call.args["unfurl_media"] is False
    assert "thread_ts" not in call.args
    assert posted == Posted(message_id=call.response["ts"])


async def test_follow_up_goes_into_the_alert_thread(fake: FakeSlack, adapter: SlackAdapter) -> None:
    lead = await adapter.post_alert(ALERTS, make_view(), "d-lead")
    reply = await adapter.post_alert(
        ALERTS, make_view(is_lead=False), "d-follow", thread_id=lead.message_id
    )
    assert reply.thread_id == lead.message_id
    assert fake.calls_to("chat.postMessage")[1].args["thread_ts"] == lead.message_id


async def test_429_becomes_a_retryable_error_with_retry_after(
    fake: FakeSlack, adapter: SlackAdapter
) -> None:
    fake.rate_limit(1, retry_after=7)
    with pytest.raises(DeliveryError) as caught:
        await adapter.post_alert(ALERTS, make_view(), "d1")
    assert caught.value.retry_after == 7.0
    assert not caught.value.permanent
    assert fake.messages("C0ALERTS") == []
    # The SDK must not have retried (and slept) inside the call: the outbox decides.
    assert len(fake.calls_to("chat.postMessage")) == 1
    await adapter.post_alert(ALERTS, make_view(), "d1")
    assert len(fake.messages("C0ALERTS")) == 1


async def test_server_errors_are_retryable(fake: FakeSlack, adapter: SlackAdapter) -> None:
    fake.fail(1, status=503)
    with pytest.raises(DeliveryError) as caught:
        await adapter.post_alert(ALERTS, make_view(), "d1")
    assert not caught.value.permanent
    assert caught.value.retry_after is None


@pytest.mark.parametrize("case", ["channel_not_found", "not_in_channel"])
async def test_permanent_errors_are_marked_permanent(fake: FakeSlack, case: str) -> None:
    fake.add_channel("C0NOTJOINED", member=False)
    token = "xoxb-revoked" if case == "invalid_auth" else fake.bot_token
    adapter = SlackAdapter(token, SIGNING_SECRET, api_url=fake.api_url)
    channel = {
        "channel_not_found": "C0MISSING",
        "not_in_channel": "C0NOTJOINED",
        "invalid_auth": "C0ALERTS",
    }[case]
    with pytest.raises(SlackDeliveryError) as caught:
        await adapter.post_alert(Channel("slack", ChannelId(channel)), make_view(), "d1")
    assert caught.value.permanent
    assert caught.value.code == case


async def test_a_rejected_token_pauses_instead_of_failing_the_row(fake: FakeSlack) -> None:
    adapter = SlackAdapter("xoxb-revoked", SIGNING_SECRET, api_url=fake.api_url)
    with pytest.raises(SlackDeliveryError) as caught:
        await adapter.post_alert(ALERTS, make_view(), "d1")
    assert caught.value.auth and not caught.value.permanent
    assert caught.value.code == "invalid_auth"


async def test_unreachable_slack_is_retryable(fake: FakeSlack) -> None:
    adapter = SlackAdapter(fake.bot_token, SIGNING_SECRET, api_url=fake.api_url, timeout=2)
    await fake.stop()
    with pytest.raises(DeliveryError) as caught:
        await adapter.post_alert(ALERTS, make_view(), "d1")
    assert not caught.value.permanent


async def test_find_posted_reconciles_a_delivery_after_a_crash(
    fake: FakeSlack, adapter: SlackAdapter
) -> None:
    assert await adapter.find_posted(ALERTS, "d-lead") is None
    lead = await adapter.post_alert(ALERTS, make_view(), "d-lead")
    for n in range(5):
        await adapter.post_alert(ALERTS, make_view(agency=f"Agency {n}"), f"other-{n}")
    reply = await adapter.post_alert(
        ALERTS, make_view(is_lead=False), "d-follow", thread_id=lead.message_id
    )
    assert await adapter.find_posted(ALERTS, "d-lead") == lead
    assert await adapter.find_posted(ALERTS, "d-follow", thread_id=lead.message_id) == reply
    assert await adapter.find_posted(ALERTS, "d-missing") is None
    history = fake.calls_to("conversations.history")
    assert all(c.ok and c.args["include_all_metadata"] in ("1", "true") for c in history)


async def test_find_posted_pages_through_history(fake: FakeSlack) -> None:
    adapter = SlackAdapter(
        fake.bot_token,
        SIGNING_SECRET,
        api_url=fake.api_url,
        history_limit=1000,
    )
    first = await adapter.post_alert(ALERTS, make_view(), "d-first")
    for n in range(250):
        await adapter.post_alert(ALERTS, make_view(), f"later-{n}")
    assert await adapter.find_posted(ALERTS, "d-first") == first
    assert len(fake.calls_to("conversations.history")) == 2


async def test_update_alert_edits_the_message(fake: FakeSlack, adapter: SlackAdapter) -> None:
    lead = await adapter.post_alert(ALERTS, make_view(), "d1")
    sources = ("https://www.lesoir.be/a", "https://www.standaard.be/b")
    await adapter.update_alert(ALERTS, lead.message_id, make_view(sources=sources))
    [update] = fake.calls_to("chat.update")
    assert update.ok
    assert "lesoir.be" in str(fake.messages("C0ALERTS")[0]["blocks"])


async def test_start_checks_the_token_and_reports_connected(fake: FakeSlack) -> None:
    adapter = SlackAdapter(fake.bot_token, SIGNING_SECRET, api_url=fake.api_url)
    assert not adapter.connected()
    await adapter.start(Commands())
    assert adapter.connected()
    assert adapter.identity is not None and adapter.identity.bot_id == "B0BOT"
    await adapter.stop()
    assert not adapter.connected()


async def test_start_with_a_rejected_token_fails_with_one_clear_line(fake: FakeSlack) -> None:
    adapter = SlackAdapter("xoxb-wrong", SIGNING_SECRET, api_url=fake.api_url)
    with pytest.raises(SlackStartError, match="SLACK_BOT_TOKEN rejected by Slack: invalid_auth"):
        await adapter.start(Commands())


async def test_start_while_slack_is_unreachable_keeps_retrying(fake: FakeSlack) -> None:
    adapter = SlackAdapter(
        fake.bot_token, SIGNING_SECRET, api_url=fake.api_url, timeout=2, reconnect_seconds=0.2
    )
    fake.fail(2, status=502, method="auth.test")
    await adapter.start(Commands())
    assert not adapter.connected()
    deadline = time.monotonic() + 5
    while not adapter.connected() and time.monotonic() < deadline:
        await fake.wait_for(lambda: len(fake.calls_to("auth.test")) >= 3, timeout=5)
        await adapter.drain()
    assert adapter.connected()
    await adapter.stop()


def test_no_environment_fallback_for_tokens(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-from-env")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "from-env")
    with pytest.raises(ValueError, match="SLACK_BOT_TOKEN"):
        SlackAdapter("", "secret")
    adapter = SlackAdapter("xoxb-given", "secret", api_url="http://127.0.0.1:9/api")
    assert adapter.app.client.token == "xoxb-given"
    assert adapter.app.client.base_url == "http://127.0.0.1:9/api/"


def test_oauth_environment_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_CLIENT_ID", "111.222")
    monkeypatch.setenv("SLACK_CLIENT_SECRET", "shh")
    with pytest.raises(ValueError, match="SLACK_CLIENT_ID"):
        SlackAdapter("xoxb-given", "secret")
