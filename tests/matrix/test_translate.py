"""Matrix event translation and error mapping, on recorded-style payloads."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from nio import RoomSendError

from adapters.matrix.adapter import delivery_error, transaction_id
from adapters.matrix.translate import (
    CommandMessage,
    ReactionMessage,
    command_text,
    invite_sender,
    translate,
)

BOT = "@denialwatch:news.test"
EDITOR = "@editor:news.test"


def message(
    body: str,
    *,
    sender: str = EDITOR,
    msgtype: str = "m.text",
    relates_to: dict[str, Any] | None = None,
) -> dict[str, Any]:
    content: dict[str, Any] = {"msgtype": msgtype, "body": body}
    if relates_to is not None:
        content["m.relates_to"] = relates_to
    return {
        "type": "m.room.message",
        "event_id": "$cmd",
        "sender": sender,
        "origin_server_ts": 1_700_000_000_000,
        "content": content,
    }


@pytest.mark.parametrize(
    ("body", "text"),
    [
        ("!dw help", "help"),
        ("!DW   watch topic Clearview AI", "watch topic Clearview AI"),
        ("!denialwatch search clearview", "search clearview"),
        ("!dw", "help"),
        ("  !dw status  ", "status"),
        ("> <@a:b> earlier\n> text\n\n!dw status", "status"),
        ("!dwx help", None),
        ("!denialwatcher help", None),
        ("hello !dw help", None),
        ("", None),
    ],
)
def test_command_prefixes(body: str, text: str | None) -> None:
    assert command_text(body) == text


def test_command_message_becomes_a_command() -> None:
    result = translate("!room", message("!dw help"), BOT)

    assert result == CommandMessage("!room", "$cmd", EDITOR, "help", "", 1_700_000_000_000)


def test_command_in_a_thread_keeps_its_thread_root() -> None:
    relates = {"rel_type": "m.thread", "event_id": "$root"}

    result = translate("!room", message("!dw help", relates_to=relates), BOT)

    assert isinstance(result, CommandMessage) and result.thread_root == "$root"


@pytest.mark.parametrize(
    "event",
    [
        message("!dw help", sender=BOT),
        message("!dw help", msgtype="m.notice"),
        message("!dw help", msgtype="m.emote"),
        message("!dw help", relates_to={"rel_type": "m.replace", "event_id": "$old"}),
        message("just chatting"),
        {"type": "m.room.message", "sender": EDITOR, "content": {"body": "!dw help"}},
        {"type": "m.room.member", "event_id": "$m", "sender": EDITOR, "content": {}},
    ],
    ids=["own", "notice", "emote", "edit", "chat", "no-event-id", "member"],
)
def test_events_the_bot_must_ignore(event: dict[str, Any]) -> None:
    assert translate("!room", event, BOT) is None


def reaction(key: str, *, sender: str = EDITOR, rel_type: str = "m.annotation") -> dict[str, Any]:
    return {
        "type": "m.reaction",
        "event_id": "$r",
        "sender": sender,
        "origin_server_ts": 5,
        "content": {"m.relates_to": {"rel_type": rel_type, "event_id": "$alert", "key": key}},
    }


def test_feedback_reaction_becomes_a_reaction_message() -> None:
    assert translate("!room", reaction("❌"), BOT) == ReactionMessage(
        "!room", "$r", EDITOR, "$alert", "false_alarm", 5
    )


@pytest.mark.parametrize(
    "event",
    [
        reaction("👍"),
        reaction("❌", sender=BOT),
        reaction("❌", rel_type="m.reference"),
    ],
)
def test_other_reactions_are_ignored(event: dict[str, Any]) -> None:
    assert translate("!room", event, BOT) is None


@given(
    st.dictionaries(
        st.text(max_size=10),
        st.recursive(
            st.none() | st.booleans() | st.integers() | st.text(max_size=20),
            lambda inner: (
                st.lists(inner, max_size=3)
                | st.dictionaries(st.text(max_size=5), inner, max_size=3)
            ),
            max_leaves=10,
        ),
    )
)
def test_malformed_events_never_raise(event: dict[str, Any]) -> None:
    translate("!room", event, BOT)


def test_inviter_is_the_sender_of_the_bots_invite() -> None:
    state = [
        {
            "type": "m.room.member",
            "state_key": EDITOR,
            "sender": EDITOR,
            "content": {"membership": "join"},
        },
        {
            "type": "m.room.member",
            "state_key": BOT,
            "sender": EDITOR,
            "content": {"membership": "invite"},
        },
    ]

    assert invite_sender(state, BOT) == EDITOR
    assert invite_sender(state[:1], BOT) is None


def error(errcode: str, retry_after_ms: int | None = None) -> RoomSendError:
    return RoomSendError("refused", errcode, retry_after_ms, room_id="!room")


def test_rate_limit_maps_to_retry_after_seconds() -> None:
    mapped = delivery_error(error("M_LIMIT_EXCEEDED", 2500))

    assert mapped.retry_after == 2.5
    assert not mapped.permanent


@pytest.mark.parametrize("errcode", ["M_FORBIDDEN", "M_NOT_FOUND", "M_TOO_LARGE"])
def test_refusals_are_permanent(errcode: str) -> None:
    assert delivery_error(error(errcode)).permanent


def test_unknown_token_is_retried_after_relogin() -> None:
    assert not delivery_error(error("M_UNKNOWN_TOKEN")).permanent


def test_transaction_ids_are_stable_and_path_safe() -> None:
    first = transaction_id("alert|matrix:!room:news.test")

    assert first == transaction_id("alert|matrix:!room:news.test")
    assert first != transaction_id("alert|matrix:!other:news.test")
    assert first.replace("-", "").isalnum()
