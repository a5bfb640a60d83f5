"""The chat-command grammar shared by Slack and Matrix: parse text into commands."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from bot.core.domain import Polarity

MAX_COMMAND_CHARS = 4000
DEFAULT_MUTE = timedelta(days=7)

USAGE = {
    "help": "help",
    "watch": (
        "watch agency <name> [country=XX] [min=0.N] [aka <alias>, <alias>]"
        " | watch topic <name> [min=0.N] [aka <alias>, …]"
    ),
    "unwatch": "unwatch <agency or topic name>",
    "watching": "watching",
    "claim": "claim <agency> | <topic> | denies|affirms | <quote> [| <url>]",
    "check": "check <text or URL>",
    "search": "search <words>",
    "feeds": "feeds add <url> [every <minutes>] | feeds list | feeds remove <id>",
    "mute": "mute <agency or topic> [for <duration, e.g. 7d, 12h, 30m>]",
    "unmute": "unmute <agency or topic>",
    "status": "status",
    "digest": "digest on <HH:MM> | digest off",
}


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
    kind: str
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
    at: str
    """"HH:MM" (UTC) or empty for off."""


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
MUTATING = (Watch, Unwatch, Claim, FeedsAdd, FeedsRemove, Mute, Unmute, Digest)
_Parser = Callable[[str], "Command"]

_DURATION = re.compile(
    r"^(\d{1,4})\s*(m|min|mins|minutes?|h|hours?|d|days?|w|weeks?)$", re.IGNORECASE
)
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


def help_text() -> str:
    lines = ["denialwatch commands:"]
    lines.extend(f"  {usage}" for usage in USAGE.values())
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


def parse_command(text: str) -> Command:
    """Parse the text after the command prefix, or raise CommandSyntaxError."""
    if len(text) > MAX_COMMAND_CHARS:
        raise CommandSyntaxError(
            f"command is longer than {MAX_COMMAND_CHARS} characters", USAGE["help"]
        )
    if "\x00" in text or any(ord(c) < 32 and c not in "\t\n\r" for c in text):
        raise CommandSyntaxError("command contains control characters", USAGE["help"])
    text = text.strip()
    verb, _, rest = text.partition(" ")
    verb = verb.casefold()
    rest = rest.strip()
    parser = _PARSERS.get(verb)
    if parser is None:
        shown = verb[:40] if verb else "(empty)"
        raise CommandSyntaxError(f"unknown command: {shown}", "commands: " + ", ".join(USAGE))
    try:
        return parser(rest)
    except ValueError as error:
        raise CommandSyntaxError(str(error), USAGE[verb]) from None


def _no_args(command: Command) -> _Parser:
    def parse(rest: str) -> Command:
        if rest:
            raise ValueError("this command takes no arguments")
        return command

    return parse


def _watch(rest: str) -> Command:
    kind, _, body = rest.partition(" ")
    kind = kind.casefold()
    if kind not in ("agency", "topic"):
        raise ValueError("say 'watch agency <name>' or 'watch topic <name>'")
    body, aliases = _split_aka(body)
    country = ""
    match = re.search(r"(?:^|\s)country=([A-Za-z]{2})(?=\s|$)", body)
    if match:
        if kind == "topic":
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


def _name(kind: str) -> _Parser:
    def parse(rest: str) -> Command:
        name = " ".join(rest.split())
        for prefix in ("agency ", "topic "):
            if name.casefold().startswith(prefix):
                name = name[len(prefix) :].strip()
        if not name:
            raise ValueError("say which agency or topic")
        return Unwatch(name) if kind == "unwatch" else Unmute(name)

    return parse


def _claim(rest: str) -> Command:
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


def _check(rest: str) -> Command:
    if not rest:
        raise ValueError("give a text or a URL to check")
    return Check(rest)


def _search(rest: str) -> Command:
    if not rest:
        raise ValueError("give some words to search for")
    return Search(rest)


def _feeds(rest: str) -> Command:
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


def _mute(rest: str) -> Command:
    match = re.match(r"^(.*?)\s+for\s+(\S+(?:\s+\S+)?)$", rest, re.IGNORECASE)
    target, duration = (
        (match.group(1), parse_duration(match.group(2))) if match else (rest, DEFAULT_MUTE)
    )
    target = " ".join(target.split())
    if not target:
        raise ValueError("say which agency or topic to mute")
    return Mute(target, duration)


def _digest(rest: str) -> Command:
    action, _, when = rest.partition(" ")
    if action.casefold() == "off" and not when.strip():
        return Digest("")
    match = _TIME.match(when.strip())
    if action.casefold() != "on" or not match:
        raise ValueError("say 'digest on HH:MM' or 'digest off'")
    return Digest(f"{int(match.group(1)):02d}:{match.group(2)}")


_PARSERS = {
    "help": _no_args(Help()),
    "watch": _watch,
    "unwatch": _name("unwatch"),
    "watching": _no_args(Watching()),
    "claim": _claim,
    "check": _check,
    "search": _search,
    "feeds": _feeds,
    "mute": _mute,
    "unmute": _name("unmute"),
    "status": _no_args(Status()),
    "digest": _digest,
}
