"""The chat-command grammar: every command parses, bad input gets one line and a usage."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.app.command_service import COMMANDS
from bot.core import commands as cmd
from bot.core.domain import Polarity


def parse(text: str) -> cmd.Command:
    """The grammar as the service uses it: with the one command registry."""
    return cmd.parse_command(text, COMMANDS)[1]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("help", cmd.Help()),
        ("watch topic Clearview AI", cmd.Watch("topic", "Clearview AI")),
        (
            "watch agency Belgian Federal Police country=be aka Federale Politie, Police fédérale",
            cmd.Watch(
                "agency", "Belgian Federal Police", "BE", ("Federale Politie", "Police fédérale")
            ),
        ),
        ("WATCH agency  NSA ", cmd.Watch("agency", "NSA")),
        ("watch topic Pegasus min=0.8", cmd.Watch("topic", "Pegasus", min_score=0.8)),
        ("unwatch topic Clearview AI", cmd.Unwatch("Clearview AI")),
        ("watching", cmd.Watching()),
        (
            "claim Dutch National Police | Clearview AI | denies | We never used it",
            cmd.Claim("Dutch National Police", "Clearview AI", Polarity.DENIES, "We never used it"),
        ),
        (
            "claim A | B | affirms | q | https://example.org/x",
            cmd.Claim("A", "B", Polarity.AFFIRMS, "q", "https://example.org/x"),
        ),
        ("check The police denied it", cmd.Check("The police denied it")),
        ("search clearview belgium", cmd.Search("clearview belgium")),
        ("feeds add https://example.org/rss every 5", cmd.FeedsAdd("https://example.org/rss", 5)),
        ("feeds add <https://example.org/rss>", cmd.FeedsAdd("https://example.org/rss", 15)),
        ("feeds list", cmd.FeedsList()),
        ("feeds remove 3", cmd.FeedsRemove(3)),
        ("mute Pegasus spyware for 12h", cmd.Mute("Pegasus spyware", timedelta(hours=12))),
        ("mute NSA", cmd.Mute("NSA", timedelta(days=7))),
        ("mute NSA for 2 weeks", cmd.Mute("NSA", timedelta(weeks=2))),
        ("unmute NSA", cmd.Unmute("NSA")),
        ("status", cmd.Status()),
        ("digest on 8:00", cmd.Digest(time(8, 0))),
        ("digest off", cmd.Digest(None)),
    ],
    ids=lambda v: v if isinstance(v, str) else type(v).__name__,
)
def test_command_parses(text: str, expected: cmd.Command) -> None:
    assert parse(text) == expected


@pytest.mark.parametrize(
    ("text", "usage_of"),
    [
        ("frobnicate", None),
        ("", None),
        ("watch person Bob", "watch"),
        ("watch topic", "watch"),
        ("watch topic X country=BE", "watch"),
        ("watch topic X min=2", "watch"),
        ("watch topic X min=high", "watch"),
        ("claim a | b | maybe | q", "claim"),
        ("claim a | b | denies", "claim"),
        ("claim a | b | denies | q | ftp://x", "claim"),
        ("feeds add file:///etc/passwd", "feeds"),
        ("feeds add https://x every 0", "feeds"),
        ("feeds remove x", "feeds"),
        ("mute NSA for ever", "mute"),
        ("digest on 25:00", "digest"),
        ("status now", "status"),
        ("check", "check"),
    ],
)
def test_bad_command_names_the_problem_and_shows_usage(text: str, usage_of: str | None) -> None:
    with pytest.raises(cmd.CommandSyntaxError) as raised:
        parse(text)
    assert "\n" not in str(raised.value)
    if usage_of:
        assert raised.value.usage == COMMANDS[usage_of].usage


def test_oversized_and_binary_commands_are_refused() -> None:
    with pytest.raises(cmd.CommandSyntaxError, match="longer than"):
        parse("check " + "x" * 5000)
    with pytest.raises(cmd.CommandSyntaxError, match="control characters"):
        parse("check a\x00b")


@given(st.text(max_size=300))
def test_parser_never_raises_anything_but_syntax_errors(text: str) -> None:
    try:
        parse(text)
    except cmd.CommandSyntaxError as error:
        assert error.usage


def test_usage_and_help_come_from_the_registry() -> None:
    help_text = cmd.help_text(COMMANDS)
    for spec in COMMANDS.values():
        assert spec.usage in help_text
    with pytest.raises(cmd.CommandSyntaxError) as raised:
        parse("frobnicate")
    assert str(raised.value.usage) == "commands: " + ", ".join(COMMANDS)


@pytest.mark.parametrize(
    ("text", "changes"),
    [
        ("watch topic X", True),
        ("unwatch X", True),
        ("claim a | b | denies | q", True),
        ("feeds add https://example.org/rss", True),
        ("feeds remove 1", True),
        ("feeds list", False),
        ("mute X", True),
        ("unmute X", True),
        ("digest off", True),
        ("help", False),
        ("watching", False),
        ("search x", False),
        ("check x", False),
        ("status", False),
    ],
)
def test_each_command_declares_whether_it_changes_state(text: str, changes: bool) -> None:
    name, command = cmd.parse_command(text, COMMANDS)
    assert COMMANDS[name].changes(command) is changes
