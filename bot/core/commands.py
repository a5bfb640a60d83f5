"""The chat-command grammar shared by Slack and Matrix: parse text into commands.

Each verb's parser is a pure function here; the registry that pairs it with its
usage line, its handler and whether it changes state is declared once, in
`bot.app.command_service.COMMANDS`, and `parse_command` takes it as an argument.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import time, timedelta
from enum import StrEnum
from typing import Protocol

from bot.core.domain import Polarity

MAX_COMMAND_CHARS = 4000
DEFAULT_MUTE = timedelta(days=7)


class WatchKind(StrEnum):
    AGENCY = "agency"
    TOPIC = "topic"


class CommandSyntaxError(ValueError):
    """A command that does not parse; carries the usage line to show."""

    def __init__(self, message: str, usage: str) -> None:
        super().__init__(message)
        self.usage = usage


@dataclass(frozen=True, slots=True)
class Help:
    pass


@dataclass(frozen=True, slots=True)
class Watch:
    kind: WatchKind
    name: str
    country: str = ""
    aliases: tuple[str, ...] = ()
    min_score: float = 0.0
    """Alerts below this score are not posted to the channel."""


@dataclass(frozen=True, slots=True)
class Unwatch:
    name: str


@dataclass(frozen=True, slots=True)
class Watching:
    pass


@dataclass(frozen=True, slots=True)
class Claim:
    agency: str
    topic: str
    polarity: Polarity
    quote: str
    url: str = ""


@dataclass(frozen=True, slots=True)
class Check:
    text: str


@dataclass(frozen=True, slots=True)
class Search:
    words: str


@dataclass(frozen=True, slots=True)
class FeedsAdd:
    url: str
    every_minutes: int = 15


@dataclass(frozen=True, slots=True)
class FeedsList:
    pass


@dataclass(frozen=True, slots=True)
class FeedsRemove:
    feed_id: int


@dataclass(frozen=True, slots=True)
class Mute:
    target: str
    duration: timedelta = DEFAULT_MUTE


@dataclass(frozen=True, slots=True)
class Unmute:
    target: str


@dataclass(frozen=True, slots=True)
class Status:
    pass


@dataclass(frozen=True, slots=True)
class Digest:
    at: time | None
    """When the daily digest is posted (UTC); None turns it off."""


Command = (
    Help
    | Watch
    | Unwatch
    | Watching
    | Claim
    | Check
    | Search
    | FeedsAdd
    | FeedsList
    | FeedsRemove
    | Mute
    | Unmute
    | Status
    | Digest
)
Parser = Callable[[str], Command]


class Verb(Protocol):
    """What the grammar needs of a registry entry: its name, usage line and parser."""

    @property
    def name(self) -> str: ...

    @property
    def usage(self) -> str: ...

    @property
    def parse(self) -> Parser: ...


_DURATION = re.compile(
    r"^(\d{1,4})\s*(m|min|mins|minutes?|h|hours?|d|days?|w|weeks?)$", re.IGNORECASE
)
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


def help_text(verbs: Mapping[str, Verb]) -> str:
    lines = ["denialwatch commands:"]
    lines.extend(f"  {verb.usage}" for verb in verbs.values())
    return "\n".join(lines)


def parse_duration(text: str) -> timedelta:
    match = _DURATION.match(text.strip())
    if not match:
        raise ValueError(f"not a duration: {text!r} (try 7d, 12h or 30m)")
    amount = int(match.group(1))
    if amount <= 0:
        raise ValueError("a duration must be positive")
    unit = _UNITS[match.group(2)[0].lower()]
    return timedelta(**{unit: amount})


def parse_command(text: str, verbs: Mapping[str, Verb]) -> tuple[str, Command]:
    """Parse the text after the command prefix into (verb, command), or raise
    CommandSyntaxError carrying the usage line to show."""
    overview = "commands: " + ", ".join(verbs)
    help_usage = verbs["help"].usage if "help" in verbs else overview
    if len(text) > MAX_COMMAND_CHARS:
        raise CommandSyntaxError(
            f"command is longer than {MAX_COMMAND_CHARS} characters", help_usage
        )
    if "\x00" in text or any(ord(c) < 32 and c not in "\t\n\r" for c in text):
        raise CommandSyntaxError("command contains control characters", help_usage)
    text = text.strip()
    name, _, rest = text.partition(" ")
    name = name.casefold()
    verb = verbs.get(name)
    if verb is None:
        shown = name[:40] if name else "(empty)"
        raise CommandSyntaxError(f"unknown command: {shown}", overview)
    try:
        return name, verb.parse(rest.strip())
    except ValueError as error:
        raise CommandSyntaxError(str(error), verb.usage) from None


def no_args(command: Command) -> Parser:
    def parse(rest: str) -> Command:
        if rest:
            raise ValueError("this command takes no arguments")
        return command

    return parse


def parse_watch(rest: str) -> Command:
    word, _, body = rest.partition(" ")
    if word.casefold() not in tuple(WatchKind):
        raise ValueError("say 'watch agency <name>' or 'watch topic <name>'")
    kind = WatchKind(word.casefold())
    body, aliases = _split_aka(body)
    country = ""
    match = re.search(r"(?:^|\s)country=([A-Za-z]{2})(?=\s|$)", body)
    if match:
        if kind is WatchKind.TOPIC:
            raise ValueError("a topic has no country")
        country = match.group(1).upper()
        body = (body[: match.start()] + " " + body[match.end() :]).strip()
    min_score = 0.0
    match = re.search(r"(?:^|\s)min=(\S+)(?=\s|$)", body)
    if match:
        try:
            min_score = float(match.group(1))
        except ValueError:
            raise ValueError("min= takes a score between 0 and 1, such as min=0.7") from None
        if not 0.0 <= min_score <= 1.0:
            raise ValueError("min= takes a score between 0 and 1, such as min=0.7")
        body = (body[: match.start()] + " " + body[match.end() :]).strip()
    name = " ".join(body.split())
    if not name:
        raise ValueError(f"the {kind} needs a name")
    return Watch(kind, name, country, aliases, min_score)


def _split_aka(body: str) -> tuple[str, tuple[str, ...]]:
    match = re.search(r"(?:^|\s)aka\s", body + " ", re.IGNORECASE)
    if not match:
        return body.strip(), ()
    aliases = tuple(a.strip() for a in body[match.end() :].split(",") if a.strip())
    if not aliases:
        raise ValueError("'aka' needs at least one alias")
    return body[: match.start()].strip(), aliases


def _target(rest: str) -> str:
    name = " ".join(rest.split())
    for prefix in ("agency ", "topic "):
        if name.casefold().startswith(prefix):
            name = name[len(prefix) :].strip()
    if not name:
        raise ValueError("say which agency or topic")
    return name


def parse_claim(rest: str) -> Command:
    parts = [p.strip() for p in rest.split("|")]
    if len(parts) not in (4, 5) or not all(parts[:4]):
        raise ValueError("a claim has four or five parts separated by |")
    polarity = parts[2].casefold()
    if polarity not in ("denies", "affirms"):
        raise ValueError("the third part must be 'denies' or 'affirms'")
    url = parts[4] if len(parts) == 5 else ""
    if url and not url.startswith(("http://", "https://")):
        raise ValueError("the fifth part must be an http(s) URL")
    return Claim(parts[0], parts[1], Polarity(polarity), parts[3], url)


def rest_of_line(command: Callable[[str], Command], missing: str) -> Parser:
    """Parse a command whose one argument is the rest of the line; `missing` if there is none."""

    def parse(rest: str) -> Command:
        if not rest:
            raise ValueError(missing)
        return command(rest)

    return parse


parse_check = rest_of_line(Check, "give a text or a URL to check")
parse_search = rest_of_line(Search, "give some words to search for")


def parse_feeds(rest: str) -> Command:
    action, _, body = rest.partition(" ")
    action = action.casefold()
    body = body.strip()
    if action == "list" and not body:
        return FeedsList()
    if action == "remove":
        if not body.isdigit():
            raise ValueError("say which feed id to remove")
        return FeedsRemove(int(body))
    if action == "add":
        match = re.match(r"^(\S+)(?:\s+every\s+(\d{1,5}))?$", body, re.IGNORECASE)
        if not match:
            raise ValueError("say 'feeds add <url> [every <minutes>]'")
        url = match.group(1).strip("<>")
        if not url.startswith(("http://", "https://")):
            raise ValueError("a feed URL must start with http:// or https://")
        every = int(match.group(2) or 15)
        if not 1 <= every <= 10080:
            raise ValueError("every must be between 1 and 10080 minutes")
        return FeedsAdd(url, every)
    raise ValueError("say 'feeds add', 'feeds list' or 'feeds remove'")


def parse_mute(rest: str) -> Command:
    match = re.match(r"^(.*?)\s+for\s+(\S+(?:\s+\S+)?)$", rest, re.IGNORECASE)
    target, duration = (
        (match.group(1), parse_duration(match.group(2))) if match else (rest, DEFAULT_MUTE)
    )
    target = " ".join(target.split())
    if not target:
        raise ValueError("say which agency or topic to mute")
    return Mute(target, duration)


def parse_digest(rest: str) -> Command:
    action, _, when = rest.partition(" ")
    if action.casefold() == "off" and not when.strip():
        return Digest(None)
    match = _TIME.match(when.strip())
    if action.casefold() != "on" or not match:
        raise ValueError("say 'digest on HH:MM' or 'digest off'")
    return Digest(time(int(match.group(1)), int(match.group(2))))


def parse_unwatch(rest: str) -> Command:
    return Unwatch(_target(rest))


def parse_unmute(rest: str) -> Command:
    return Unmute(_target(rest))
