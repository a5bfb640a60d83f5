"""The Matrix adapter against a real Synapse homeserver on loopback."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from adapters.matrix.adapter import MatrixAdapter
from adapters.matrix.format import ALERT_KEY_FIELD
from bot.app.clock import FixedClock
from bot.app.command_service import CommandService
from bot.app.pipeline import Pipeline
from bot.app.ports import DeliveryError
from bot.core.domain import Channel, ChannelId
from bot.core.language.resources import load_lexicons, load_vocabulary
from storage.memory_store import MemoryStore
from tests.matrix.conftest import (
    RELAXED_RATE_LIMITS,
    Account,
    AdapterFactory,
    EncryptedUser,
    Homeserver,
    MatrixUser,
    MemoryState,
    start_synapse,
)
from tests.matrix.samples import RecordingFeedback, RecordingHandler, alert_view


def is_reply_to(event_id: str) -> Any:
    def predicate(event: dict[str, Any]) -> bool:
        content = event.get("content", {})
        relates = content.get("m.relates_to", {})
        return bool(
            content.get("msgtype") == "m.notice"
            and relates.get("rel_type") == "m.thread"
            and relates.get("event_id") == event_id
        )

    return predicate


async def room_with_bot(editor: MatrixUser, adapter: MatrixAdapter, bot: Account) -> str:
    """Editor creates a room, invites the bot, and waits until it has joined."""
    room_id = await editor.create_room(invite=(bot.user_id,))
    await editor.wait_membership(room_id, bot.user_id, "join")
    return room_id


async def started(adapter: MatrixAdapter, handler: RecordingHandler) -> MatrixAdapter:
    await adapter.start(handler)
    assert await adapter.wait_ready(20), adapter.last_error
    return adapter


def matrix_channel(room_id: str) -> Channel:
    return Channel("matrix", ChannelId(room_id))


async def test_bot_joins_on_invite_and_answers_help_in_a_thread(
    synapse: Homeserver,
    editor: MatrixUser,
    bot_account: Account,
    make_adapter: AdapterFactory,
) -> None:
    handler = RecordingHandler()
    adapter = await started(make_adapter(synapse, bot_account), handler)
    room_id = await room_with_bot(editor, adapter, bot_account)

    command_id = await editor.say(room_id, "!dw help")

    reply = await editor.wait_for(room_id, is_reply_to(command_id))
    assert reply["sender"] == bot_account.user_id
    assert reply["content"]["msgtype"] == "m.notice"
    assert reply["content"]["m.mentions"] == {}
    assert reply["content"]["m.relates_to"]["m.in_reply_to"] == {"event_id": command_id}
    assert "denialwatch commands" in reply["content"]["body"]
    assert [(r.text, r.user, r.channel.id) for r in handler.requests] == [
        ("help", editor.user_id, room_id)
    ]


async def test_denialwatch_prefix_and_commands_in_threads_are_answered_in_that_thread(
    synapse: Homeserver,
    editor: MatrixUser,
    bot_account: Account,
    make_adapter: AdapterFactory,
) -> None:
    handler = RecordingHandler()
    adapter = await started(make_adapter(synapse, bot_account), handler)
    room_id = await room_with_bot(editor, adapter, bot_account)
    root = await editor.say(room_id, "discussion")
    command_id = await editor.send(
        room_id,
        {
            "msgtype": "m.text",
            "body": "!denialwatch search clearview",
            "m.relates_to": {
                "rel_type": "m.thread",
                "event_id": root,
                "is_falling_back": True,
                "m.in_reply_to": {"event_id": root},
            },
        },
    )

    reply = await editor.wait_for(room_id, is_reply_to(root))
    assert reply["content"]["m.relates_to"]["m.in_reply_to"] == {"event_id": command_id}
    assert handler.requests[0].text == "search clearview"


async def test_invite_from_someone_not_an_admin_is_declined(
    synapse: Homeserver,
    editor: MatrixUser,
    bot_account: Account,
    make_adapter: AdapterFactory,
) -> None:
    adapter = make_adapter(synapse, bot_account, admins=frozenset({"@chief:elsewhere.test"}))
    await started(adapter, RecordingHandler())

    room_id = await editor.create_room(invite=(bot_account.user_id,))

    await editor.wait_membership(room_id, bot_account.user_id, "leave")
    events = await editor.messages(room_id)
    leave = next(
        e
        for e in events
        if e["type"] == "m.room.member"
        and e["state_key"] == bot_account.user_id
        and e["content"]["membership"] == "leave"
    )
    assert "admins" in leave["content"]["reason"]


async def test_invite_from_an_admin_is_accepted(
    synapse: Homeserver,
    editor: MatrixUser,
    bot_account: Account,
    make_adapter: AdapterFactory,
) -> None:
    adapter = make_adapter(synapse, bot_account, admins=frozenset({editor.user_id}))
    await started(adapter, RecordingHandler())

    await room_with_bot(editor, adapter, bot_account)


async def test_alert_is_a_notice_without_mentions_and_follow_up_goes_to_its_thread(
    synapse: Homeserver,
    editor: MatrixUser,
    bot_account: Account,
    make_adapter: AdapterFactory,
) -> None:
    adapter = await started(make_adapter(synapse, bot_account), RecordingHandler())
    room_id = await room_with_bot(editor, adapter, bot_account)
    channel = matrix_channel(room_id)
    view = alert_view(new_quote="@room the police DID use Clearview <script>x</script>")

    posted = await adapter.post_alert(channel, view, "delivery-1")
    follow = await adapter.post_alert(
        channel, alert_view(is_lead=False), "delivery-2", thread_id=posted.thread_id
    )

    lead = await editor.wait_for(room_id, lambda e: e["event_id"] == posted.message_id)
    content = lead["content"]
    assert content["msgtype"] == "m.notice"
    assert content["m.mentions"] == {}
    assert content["format"] == "org.matrix.custom.html"
    assert "<script>" not in content["formatted_body"]
    assert "@room" not in content["body"]
    assert "The police have never used Clearview AI." in content["body"]
    assert content[ALERT_KEY_FIELD] == str(view.alert.key)
    assert posted.thread_id == posted.message_id

    reply = await editor.wait_for(room_id, lambda e: e["event_id"] == follow.message_id)
    relates = reply["content"]["m.relates_to"]
    assert relates["rel_type"] == "m.thread"
    assert relates["event_id"] == posted.message_id
    assert follow.thread_id == posted.message_id


async def test_update_alert_edits_the_alert_in_place(
    synapse: Homeserver,
    editor: MatrixUser,
    bot_account: Account,
    make_adapter: AdapterFactory,
) -> None:
    adapter = await started(make_adapter(synapse, bot_account), RecordingHandler())
    room_id = await room_with_bot(editor, adapter, bot_account)
    posted = await adapter.post_alert(matrix_channel(room_id), alert_view(), "delivery-1")

    await adapter.update_alert(
        matrix_channel(room_id), posted.message_id, alert_view(sources=("Le Soir", "De Standaard"))
    )

    edit = await editor.wait_for(
        room_id, lambda e: e["content"].get("m.relates_to", {}).get("rel_type") == "m.replace"
    )
    assert edit["content"]["m.relates_to"]["event_id"] == posted.message_id
    assert "De Standaard" in edit["content"]["m.new_content"]["body"]
    assert edit["content"]["m.new_content"]["m.mentions"] == {}


async def test_cross_reaction_on_an_alert_is_reported_as_feedback(
    synapse: Homeserver,
    editor: MatrixUser,
    bot_account: Account,
    make_adapter: AdapterFactory,
) -> None:
    feedback = RecordingFeedback()
    adapter = make_adapter(synapse, bot_account, on_feedback=feedback)
    await started(adapter, RecordingHandler())
    room_id = await room_with_bot(editor, adapter, bot_account)
    view = alert_view()
    posted = await adapter.post_alert(matrix_channel(room_id), view, "delivery-1")
    other = await editor.say(room_id, "not an alert")

    await editor.react(room_id, other, "❌")
    await editor.react(room_id, posted.message_id, "❌")

    await asyncio.wait_for(feedback.arrived.wait(), 15)
    assert feedback.calls == [
        (view.alert.key, matrix_channel(room_id), editor.user_id, "false_alarm")
    ]
    edit = await editor.wait_for(
        room_id, lambda e: e["content"].get("m.relates_to", {}).get("rel_type") == "m.replace"
    )
    assert edit["content"]["m.relates_to"]["event_id"] == posted.message_id
    assert (
        f"Feedback: false_alarm by {editor.user_id}"[:20]
        in edit["content"]["m.new_content"]["body"]
    )


async def test_mute_reaction_from_a_non_admin_is_refused_and_audited(
    synapse: Homeserver,
    editor: MatrixUser,
    bot_account: Account,
    make_adapter: AdapterFactory,
) -> None:
    store, clock = MemoryStore(), FixedClock()
    pipeline = Pipeline(store, clock, load_lexicons(), load_vocabulary())
    commands = CommandService(store, pipeline, clock, admins=frozenset({editor.user_id}))
    adapter = make_adapter(
        synapse, bot_account, admins=frozenset({editor.user_id}), on_feedback=commands.feedback
    )
    await started(adapter, RecordingHandler())
    room_id = await room_with_bot(editor, adapter, bot_account)
    intern = synapse.user(synapse.register("intern"))
    try:
        await editor.invite(room_id, intern.user_id)
        await intern.join(room_id)
        posted = await adapter.post_alert(matrix_channel(room_id), alert_view(), "delivery-1")

        await intern.react(room_id, posted.message_id, "🔇")

        refusal = await editor.wait_for(
            room_id, lambda e: "Only denialwatch admins" in e["content"].get("body", "")
        )
        assert refusal["content"]["m.relates_to"]["event_id"] == posted.message_id
        assert store.silences() == [] and store.feedback() == []
        [event] = store.audit_events()
        assert event.actor == f"matrix:{intern.user_id}"
        assert event.detail.startswith("denied: muted")
    finally:
        await intern.aclose()


async def test_reaction_after_restart_finds_the_alert_from_the_event_itself(
    synapse: Homeserver,
    editor: MatrixUser,
    bot_account: Account,
    make_adapter: AdapterFactory,
) -> None:
    first = await started(make_adapter(synapse, bot_account), RecordingHandler())
    room_id = await room_with_bot(editor, first, bot_account)
    view = alert_view()
    posted = await first.post_alert(matrix_channel(room_id), view, "delivery-1")
    await first.stop()

    feedback = RecordingFeedback()
    second = make_adapter(synapse, bot_account, on_feedback=feedback)
    await started(second, RecordingHandler())
    await editor.react(room_id, posted.message_id, "✅\ufe0f")

    await asyncio.wait_for(feedback.arrived.wait(), 15)
    assert feedback.calls == [
        (view.alert.key, matrix_channel(room_id), editor.user_id, "confirmed")
    ]


async def test_restart_does_not_replay_an_old_command_but_sees_one_sent_while_down(
    synapse: Homeserver,
    editor: MatrixUser,
    bot_account: Account,
    make_adapter: AdapterFactory,
) -> None:
    """T-05: the sync token persists, so a restart neither replays nor loses commands."""
    state = MemoryState()
    first_handler = RecordingHandler()
    first = await started(make_adapter(synapse, bot_account, state=state), first_handler)
    room_id = await room_with_bot(editor, first, bot_account)
    old = await editor.say(room_id, "!dw watch topic Clearview AI")
    await editor.wait_for(room_id, is_reply_to(old))
    await first.stop()

    while_down = await editor.say(room_id, "!dw status")
    second_handler = RecordingHandler()
    second = await started(make_adapter(synapse, bot_account, state=state), second_handler)
    await editor.wait_for(room_id, is_reply_to(while_down))
    await asyncio.sleep(1.5)  # a further sync round: nothing else may arrive

    assert [r.text for r in first_handler.requests] == ["watch topic Clearview AI"]
    assert [r.text for r in second_handler.requests] == ["status"]
    assert await second.wait_ready(1)


async def test_stale_sync_token_after_a_crash_does_not_rerun_a_handled_command(
    synapse: Homeserver,
    editor: MatrixUser,
    bot_account: Account,
    make_adapter: AdapterFactory,
) -> None:
    """Sync is at-least-once; handled command ids persist so a redelivery is dropped."""
    state = MemoryState()
    first_handler = RecordingHandler()
    first = await started(make_adapter(synapse, bot_account, state=state), first_handler)
    room_id = await room_with_bot(editor, first, bot_account)
    stale_token = state.values[f"matrix:{bot_account.user_id}:next_batch"]
    command = await editor.say(room_id, "!dw status")
    await editor.wait_for(room_id, is_reply_to(command))
    await first.stop()
    # The crash came after the command ran but before the new token was saved.
    state.values[f"matrix:{bot_account.user_id}:next_batch"] = stale_token

    second_handler = RecordingHandler()
    await started(
        make_adapter(synapse, bot_account, state=state, store_path=first._store_path),
        second_handler,
    )
    await asyncio.sleep(1.5)

    assert second_handler.requests == []


async def test_first_start_ignores_history(
    synapse: Homeserver,
    editor: MatrixUser,
    bot_account: Account,
    make_adapter: AdapterFactory,
) -> None:
    bot_user = synapse.user(bot_account)
    room_id = await editor.create_room(invite=(bot_account.user_id,))
    await bot_user.join(room_id)
    await editor.say(room_id, "!dw help")
    await bot_user.aclose()

    handler = RecordingHandler()
    await started(make_adapter(synapse, bot_account), handler)
    fresh = await editor.say(room_id, "!dw status")
    await editor.wait_for(room_id, is_reply_to(fresh))

    assert [r.text for r in handler.requests] == ["status"]


async def test_own_messages_and_other_bots_notices_are_ignored(
    synapse: Homeserver,
    editor: MatrixUser,
    bot_account: Account,
    make_adapter: AdapterFactory,
) -> None:
    """T-06: no answer to itself nor to an m.notice, so two bots cannot loop."""
    handler = RecordingHandler()
    other_bot = synapse.user(synapse.register("otherbot"))
    noisy_bot = synapse.user(synapse.register("noisybot"))
    adapter = make_adapter(synapse, bot_account, ignore_users=frozenset({noisy_bot.user_id}))
    await started(adapter, handler)
    room_id = await room_with_bot(editor, adapter, bot_account)
    for bot in (other_bot, noisy_bot):
        await editor.invite(room_id, bot.user_id)
        await bot.join(room_id)
    as_bot = synapse.user(bot_account)

    await other_bot.say(room_id, "!dw help", msgtype="m.notice")
    await noisy_bot.say(room_id, "!dw help")  # a bot on the ignore list, even as m.text
    await editor.say(room_id, "!dw help", msgtype="m.notice")
    await as_bot.say(room_id, "!dw help")
    last = await editor.say(room_id, "!dw status")
    await editor.wait_for(room_id, is_reply_to(last))
    for client in (other_bot, noisy_bot, as_bot):
        await client.aclose()

    assert [r.text for r in handler.requests] == ["status"]


async def test_same_delivery_key_after_a_crash_posts_one_event(
    synapse: Homeserver,
    editor: MatrixUser,
    bot_account: Account,
    make_adapter: AdapterFactory,
) -> None:
    """T-03: the transaction id comes from the delivery, and the device is reused."""
    first = await started(make_adapter(synapse, bot_account), RecordingHandler())
    room_id = await room_with_bot(editor, first, bot_account)
    posted = await first.post_alert(matrix_channel(room_id), alert_view(), "alert-1|room")
    await first.stop()  # the outbox never heard back: the delivery stays pending

    second = await started(make_adapter(synapse, bot_account), RecordingHandler())
    again = await second.post_alert(matrix_channel(room_id), alert_view(), "alert-1|room")

    assert again.message_id == posted.message_id
    events = await editor.messages(room_id)
    alerts = [e for e in events if ALERT_KEY_FIELD in e.get("content", {})]
    assert [e["event_id"] for e in alerts] == [posted.message_id]


async def test_password_login_after_losing_the_local_store_reuses_the_device(
    synapse: Homeserver,
    editor: MatrixUser,
    bot_account: Account,
    make_adapter: AdapterFactory,
    tmp_path: Any,
) -> None:
    """Another replica (no local store, shared state) keeps the device, so sends dedupe."""
    state = MemoryState()
    first = make_adapter(
        synapse, bot_account, state=state, store_path=tmp_path / "a", encryption=False
    )
    await started(first, RecordingHandler())
    room_id = await room_with_bot(editor, first, bot_account)
    posted = await first.post_alert(matrix_channel(room_id), alert_view(), "alert-1|room")
    await first.stop()

    second = make_adapter(
        synapse, bot_account, state=state, store_path=tmp_path / "b", encryption=False
    )
    await started(second, RecordingHandler())
    again = await second.post_alert(matrix_channel(room_id), alert_view(), "alert-1|room")

    assert again.message_id == posted.message_id


async def test_posting_to_a_room_the_bot_is_not_in_is_permanent(
    synapse: Homeserver,
    editor: MatrixUser,
    bot_account: Account,
    make_adapter: AdapterFactory,
) -> None:
    adapter = await started(make_adapter(synapse, bot_account), RecordingHandler())
    room_id = await editor.create_room()

    with pytest.raises(DeliveryError) as raised:
        await adapter.post_alert(matrix_channel(room_id), alert_view(), "delivery-1")

    assert raised.value.permanent


async def test_homeserver_unreachable_is_retryable(
    bot_account: Account,
    make_adapter: AdapterFactory,
    synapse: Homeserver,
) -> None:
    dead = Homeserver(
        "http://127.0.0.1:9", synapse.server_name, "", synapse.directory, synapse.process
    )
    adapter = make_adapter(dead, bot_account, ready_timeout=timedelta(seconds=0.5))
    await adapter.start(RecordingHandler())

    with pytest.raises(DeliveryError) as raised:
        await adapter.post_alert(matrix_channel("!nowhere:test"), alert_view(), "d-1")

    assert not raised.value.permanent
    assert not adapter.connected()
    assert adapter.last_error


async def test_encrypted_room_without_encryption_gets_a_clear_notice(
    synapse: Homeserver,
    editor: MatrixUser,
    bot_account: Account,
    make_adapter: AdapterFactory,
) -> None:
    adapter = await started(
        make_adapter(synapse, bot_account, encryption=False), RecordingHandler()
    )
    room_id = await editor.create_room(invite=(bot_account.user_id,), encrypted=True)
    await editor.wait_membership(room_id, bot_account.user_id, "join")

    notice = await editor.wait_for(
        room_id, lambda e: e["sender"] == bot_account.user_id and e["type"] == "m.room.message"
    )
    assert "cannot read encrypted messages" in notice["content"]["body"]
    assert adapter.connected()


async def test_burst_against_stock_rate_limits_raises_retry_after(
    synapse_stock_limits: Homeserver,
    make_adapter: AdapterFactory,
) -> None:
    server = synapse_stock_limits
    bot = server.register("bot")
    editor = server.user(server.register("editor"))
    adapter = await started(make_adapter(server, bot, encryption=False), RecordingHandler())
    room_id = await room_with_bot(editor, adapter, bot)

    limited: DeliveryError | None = None
    for index in range(40):
        try:
            await adapter.post_alert(matrix_channel(room_id), alert_view(), f"burst-{index}")
        except DeliveryError as error:
            limited = error
            break
    await editor.aclose()

    assert limited is not None, "40 sends were not rate limited"
    assert not limited.permanent
    assert limited.retry_after is not None and 0 < limited.retry_after <= 60


async def test_encrypted_room_commands_alerts_and_feedback_work_end_to_end(
    synapse: Homeserver,
    bot_account: Account,
    encrypted_editor: EncryptedUser,
    make_adapter: AdapterFactory,
) -> None:
    """With matrix-nio[e2e] the bot decrypts commands and encrypts its answers."""
    editor = encrypted_editor
    handler, feedback = RecordingHandler(), RecordingFeedback()
    adapter = await started(make_adapter(synapse, bot_account, on_feedback=feedback), handler)
    room_id = await editor.raw.create_room(invite=(bot_account.user_id,), encrypted=True)
    await editor.raw.wait_membership(room_id, bot_account.user_id, "join")

    command_id = await editor.say(room_id, "!dw help")
    reply = await editor.wait_for(is_reply_to(command_id))
    posted = await adapter.post_alert(matrix_channel(room_id), alert_view(), "e2ee-1")
    alert = await editor.wait_for(lambda e: e["event_id"] == posted.message_id)
    raw_alert = await editor.raw.wait_for(room_id, lambda e: e["event_id"] == posted.message_id)
    await editor.raw.react(room_id, posted.message_id, "🔇")

    assert handler.requests[0].text == "help"
    assert "denialwatch commands" in reply["content"]["body"]
    assert raw_alert["type"] == "m.room.encrypted"
    assert alert["content"]["m.mentions"] == {}
    assert alert["content"]["msgtype"] == "m.notice"
    await asyncio.wait_for(feedback.arrived.wait(), 15)
    assert feedback.calls[0][3] == "muted"


@pytest.mark.slow
async def test_deliveries_fail_retryably_while_the_homeserver_is_down_and_resume_after(
    tmp_path: Path, make_adapter: AdapterFactory
) -> None:
    server = start_synapse(tmp_path / "synapse-outage", RELAXED_RATE_LIMITS)
    try:
        bot = server.register("bot")
        editor = server.user(server.register("editor"))
        adapter = await started(make_adapter(server, bot), RecordingHandler())
        room_id = await room_with_bot(editor, adapter, bot)
        await editor.aclose()

        server.stop()
        with pytest.raises(DeliveryError) as raised:
            await adapter.post_alert(matrix_channel(room_id), alert_view(), "outage-1")
        assert not raised.value.permanent
        server.start()

        posted = await adapter.post_alert(matrix_channel(room_id), alert_view(), "outage-1")
        assert posted.message_id.startswith("$")
        for _ in range(100):
            if adapter.connected():
                break
            await asyncio.sleep(0.1)
        assert adapter.connected(), adapter.last_error
    finally:
        server.stop()
