"""Socket Mode against the fake's WebSocket server: hello, envelopes, acks, reconnects."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from adapters.slack import SlackAdapter, SlackStartError
from tests.fakes.fake_slack import FakeSlack, block_actions, event_callback, slash_command
from tests.slack.conftest import ALERTS, Commands, Feedback, make_view


@pytest.fixture
async def socket_adapter(
    fake: FakeSlack, commands: Commands, feedback: Feedback
) -> AsyncIterator[SlackAdapter]:
    adapter = SlackAdapter(
        bot_token=fake.bot_token,
        signing_secret="",
        api_url=fake.api_url,
        app_token=fake.app_token,
        on_feedback=feedback,
    )
    await adapter.start(commands)
    yield adapter
    await adapter.stop()


async def test_connects_through_apps_connections_open(
    fake: FakeSlack, socket_adapter: SlackAdapter
) -> None:
    assert socket_adapter.connected()
    [opened] = fake.calls_to("apps.connections.open")
    assert opened.token == fake.app_token
    assert fake.connections_opened == 1


async def test_slash_command_envelope_is_acked_with_the_reply(
    fake: FakeSlack, socket_adapter: SlackAdapter, commands: Commands
) -> None:
    envelope = await fake.send_envelope(
        "slash_commands", slash_command("status", response_url=fake.response_url())
    )
    ack = await fake.wait_ack(envelope)
    assert ack["payload"] == {"text": "ok: status", "response_type": "ephemeral"}
    assert [r.text for r in commands.requests] == ["status"]


async def test_oversized_command_envelope_is_refused(
    fake: FakeSlack, socket_adapter: SlackAdapter, commands: Commands
) -> None:
    envelope = await fake.send_envelope(
        "slash_commands", slash_command("x" * 5000, response_url=fake.response_url())
    )
    ack = await fake.wait_ack(envelope)
    assert "too long" in ack["payload"]["text"]
    assert commands.requests == []


async def test_button_envelope_records_feedback_and_updates_the_message(
    fake: FakeSlack, socket_adapter: SlackAdapter, feedback: Feedback
) -> None:
    posted = await socket_adapter.post_alert(ALERTS, make_view(), "d1")
    [message] = fake.messages("C0ALERTS")
    assert message["ts"] == posted.message_id
    payload = block_actions("dw_confirm", "k", message=message, response_url=fake.response_url())
    await fake.wait_ack(await fake.send_envelope("interactive", payload))
    await fake.wait_for(lambda: fake.calls_to("chat.update"))
    await socket_adapter.drain()
    assert feedback.presses[0][3] == "confirmed"
    assert fake.calls_to("chat.update")[0].ok


async def test_redelivered_event_is_acked_every_time_but_processed_once(
    fake: FakeSlack, socket_adapter: SlackAdapter
) -> None:
    event = event_callback({"type": "app_uninstalled"}, event_id="Ev0SAME")
    for attempt in range(4):
        envelope = await fake.send_envelope("events_api", event, retry_attempt=attempt)
        await fake.wait_ack(envelope)
    assert not socket_adapter.connected()


async def test_disconnect_message_makes_the_client_reconnect(
    fake: FakeSlack, socket_adapter: SlackAdapter, commands: Commands
) -> None:
    await fake.disconnect("refresh_requested")
    await fake.wait_for(lambda: fake.connections_opened == 2 and fake.open_connections == 1)
    assert len(fake.calls_to("apps.connections.open")) == 2
    envelope = await fake.send_envelope(
        "slash_commands", slash_command("help", response_url=fake.response_url())
    )
    assert (await fake.wait_ack(envelope))["payload"]["text"] == "ok: help"
    assert socket_adapter.connected()


async def test_rejected_app_token_fails_start(fake: FakeSlack, commands: Commands) -> None:
    adapter = SlackAdapter(fake.bot_token, "", api_url=fake.api_url, app_token="xapp-wrong")
    with pytest.raises(SlackStartError, match="SLACK_APP_TOKEN"):
        await adapter.start(commands)
    await adapter.stop()
