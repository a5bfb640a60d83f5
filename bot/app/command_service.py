"""Carry out chat commands against the store and the pipeline, for any platform.

Every command is declared once, in `COMMANDS` (after maubot's `@command.new`): its
name, usage line, parser, handler and whether it changes state. The usage text,
the help reply and the permission gate all come from that entry, and feedback
that acts like a command (a mute by button or reaction) passes the same gate.
"""

from __future__ import annotations

import hashlib
import inspect
from collections.abc import Awaitable, Callable
from dataclasses import KW_ONLY, dataclass
from datetime import date
from typing import Any, cast

import anyio.to_thread

from bot.app.pipeline import Pipeline
from bot.app.ports import AlertView, Clock, CommandReply, CommandRequest, Refused, Store
from bot.core import commands as cmd
from bot.core.domain import (
    Agency,
    AgencyName,
    AlertKey,
    Analysis,
    Channel,
    Polarity,
    Report,
    ReportId,
    Silence,
    Statement,
    StatementRole,
    Subscription,
    Topic,
    TopicName,
    Watchlist,
)
from bot.core.keys import name_key, spelled_as
from bot.core.names import MAX_ALIASES, vet_name
from bot.core.records import AuditEvent, FeedbackRecord, Verdict
from bot.inputs.fetching import redact_credentials

UrlChecker = Callable[[str], None]
"""Raise ValueError with a reason when a URL may not be fetched."""
UrlReader = Callable[[str], Awaitable[Report]]
SearchFn = Callable[[str, int], list[tuple[Statement, float]]]

VERDICTS = {
    Verdict.CONFIRMED: "Confirmed",
    Verdict.FALSE_ALARM: "Not a contradiction",
    Verdict.MUTED: "Muted 7 days",
}
DENIED = "Permission denied: only denialwatch admins can change this."
MUTE_DENIED = "Only denialwatch admins can mute alerts."
DIGEST_STATE = "digest:{channel}"
"""Key-value entry holding a channel's digest time, "HH:MM" (UTC)."""

Handler = Callable[["CommandService", CommandRequest, Any], CommandReply | Awaitable[CommandReply]]


@dataclass(frozen=True, slots=True)
class CommandSpec:
    """One chat command, declared once."""

    name: str
    usage: str
    parse: cmd.Parser
    run: Handler
    changes_state: bool | Callable[[cmd.Command], bool] = False
    """Limited to DENIALWATCH_ADMINS when set, and audited (per parsed command if a
    verb has read-only forms, such as `feeds list`)."""

    def changes(self, command: cmd.Command) -> bool:
        return self.changes_state(command) if callable(self.changes_state) else self.changes_state


COMMANDS: dict[str, CommandSpec] = {}
"""Every chat command by verb, in the order `help` lists them."""


def command(
    name: str,
    usage: str,
    parse: cmd.Parser,
    *,
    changes_state: bool | Callable[[cmd.Command], bool] = False,
) -> Callable[[Handler], Handler]:
    """Declare a chat command: register its handler with its grammar and its gate."""

    def register(run: Handler) -> Handler:
        COMMANDS[name] = CommandSpec(name, usage, parse, run, changes_state)
        return run

    return register


def parse(text: str) -> tuple[CommandSpec, cmd.Command]:
    """Parse command text with the registry; raise CommandSyntaxError."""
    name, parsed = cmd.parse_command(text, COMMANDS)
    return COMMANDS[name], parsed


FEEDBACK_COMMANDS = {Verdict.MUTED: "mute"}
"""Feedback that acts as a command, and so passes that command's gate."""


@dataclass(frozen=True, slots=True)
class CommandService:
    """Execute parsed commands; state-changing ones are limited to admins and audited."""

    store: Store
    pipeline: Pipeline
    clock: Clock
    _: KW_ONLY
    admins: frozenset[str] = frozenset()
    check_url: UrlChecker | None = None
    read_url: UrlReader | None = None
    search: SearchFn | None = None

    async def handle(self, request: CommandRequest) -> CommandReply:
        """Parse and run one command; errors come back as one line plus the usage."""
        try:
            spec, command = parse(request.text)
        except cmd.CommandSyntaxError as error:
            return CommandReply(f"Error: {error}\nUsage: {error.usage}", ok=False)
        actor = f"{request.platform}:{request.user}"
        changes = spec.changes(command)
        detail = redact_credentials(request.text[:200])
        if changes and not await self.permit(actor, request.user, spec.name, detail):
            return CommandReply(DENIED, ok=False)
        if inspect.iscoroutinefunction(spec.run):
            reply: CommandReply = await spec.run(self, request, command)
        else:
            run = cast(Callable[[CommandService, CommandRequest, Any], CommandReply], spec.run)
            reply = await anyio.to_thread.run_sync(run, self, request, command)
        if changes:
            await self._audit(actor, spec.name, detail)
        return reply

    async def permit(self, actor: str, user: str, action: str, detail: str) -> bool:
        """The one permission gate: admins only when admins are set; refusals audited."""
        if not self.admins or user in self.admins:
            return True
        await self._audit(actor, action, f"denied: {detail}")
        return False

    async def _audit(self, actor: str, action: str, detail: str) -> None:
        event = AuditEvent(actor=actor, action=action[:40], detail=detail, at=self.clock.now())
        await anyio.to_thread.run_sync(self.store.audit, event)

    async def feedback(
        self, alert_key: AlertKey, channel: Channel, user: str, verdict: Verdict
    ) -> AlertView | None:
        """Store feedback on an alert (a mute also silences its agency for seven days).

        Returns the alert as it should now be shown, with its verdict. A verdict
        that acts as a command passes that command's gate: a refusal is audited
        and raised as `Refused`.
        """
        actor = f"{channel.platform}:{user}"
        detail = f"{verdict} {alert_key}"
        gate = COMMANDS.get(FEEDBACK_COMMANDS.get(verdict, ""))
        # A verb with read-only forms counts as state-changing here: refuse rather than guess.
        changes = gate is not None and gate.changes_state is not False
        if changes and not await self.permit(actor, user, "feedback", detail):
            raise Refused(MUTE_DENIED)
        now = self.clock.now()
        record = FeedbackRecord(
            alert_key=alert_key, channel=channel, user=user, verdict=verdict, at=now
        )
        await anyio.to_thread.run_sync(self.store.add_feedback, record)
        stored = await anyio.to_thread.run_sync(self.store.alert, alert_key)
        if verdict is Verdict.MUTED and stored is not None:
            silence = Silence(stored.alert.agency, now + cmd.DEFAULT_MUTE, user)
            await anyio.to_thread.run_sync(self.store.add_silence, silence)
        await self._audit(actor, "feedback", detail)
        if stored is None or not stored.alert.contradictions:
            return None
        label = VERDICTS.get(verdict, verdict)
        return AlertView(
            alert=stored.alert,
            contradiction=stored.alert.contradictions[0],
            is_lead=True,
            verdict=f"{label} by {user}",
        )

    # -- the commands, in the order `help` lists them. Each handler is declared once
    # with its grammar and its gate. Handlers run in a worker thread (the store is
    # synchronous); coroutine handlers run on the event loop.

    @command("help", "help", cmd.no_args(cmd.Help()))
    def _help(self, request: CommandRequest, command: cmd.Help) -> CommandReply:
        return CommandReply(cmd.help_text(COMMANDS))

    @command(
        "watch",
        "watch agency <name> [country=XX] [min=0.N] [aka <alias>, <alias>]"
        " | watch topic <name> [min=0.N] [aka <alias>, …]",
        cmd.parse_watch,
        changes_state=True,
    )
    def _watch(self, request: CommandRequest, command: cmd.Watch) -> CommandReply:
        store, channel = self.store, request.channel
        current = store.watchlist()
        existing = [*(a.name for a in current.agencies), *(t.name for t in current.topics)]
        try:
            name, aliases = vet_name(command.name, command.aliases, existing)
        except ValueError as error:
            return CommandReply(f"Refused: {error}", ok=False)
        country = command.country
        if command.kind is cmd.WatchKind.AGENCY:
            # Watching a name again adds to it: its country and aliases stay.
            same = [a for a in current.agencies if name_key(a.name) == name_key(name)]
            if same:
                country = country or same[0].country
                aliases = tuple(dict.fromkeys((*same[0].aliases, *aliases)))
            entries = Watchlist(agencies=(Agency(AgencyName(name), country, aliases),))
            subscription = Subscription(channel, agency=name, min_score=command.min_score)
        else:
            same_topic = [t for t in current.topics if name_key(t.name) == name_key(name)]
            if same_topic:
                aliases = tuple(dict.fromkeys((*same_topic[0].aliases, *aliases)))
            entries = Watchlist(topics=(Topic(TopicName(name), aliases),))
            subscription = Subscription(channel, topic=name, min_score=command.min_score)
        if len(aliases) > MAX_ALIASES:
            return CommandReply(f"Refused: at most {MAX_ALIASES} aliases per name", ok=False)
        # One transaction: the reply below is sent only once both are committed.
        store.merge_watchlist(entries, [subscription])
        return CommandReply(f"Watching {command.kind} {name}; alerts go to this channel.")

    @command("unwatch", "unwatch <agency or topic name>", cmd.parse_unwatch, changes_state=True)
    def _unwatch(self, request: CommandRequest, command: cmd.Unwatch) -> CommandReply:
        removed = self.store.remove_subscription(request.channel, command.name)
        return CommandReply(
            f"This channel no longer watches {command.name}."
            if removed
            else f"This channel was not watching {command.name}.",
            ok=removed,
        )

    @command("watching", "watching", cmd.no_args(cmd.Watching()))
    def _watching(self, request: CommandRequest, command: cmd.Watching) -> CommandReply:
        subs = [s for s in self.store.subscriptions() if s.channel == request.channel]
        if not subs:
            return CommandReply("This channel watches nothing yet. Try: watch topic Clearview AI")
        lines = [f"- {'agency' if s.agency else 'topic'} {s.agency or s.topic}" for s in subs]
        return CommandReply("This channel watches:\n" + "\n".join(lines))

    @command(
        "claim",
        "claim <agency> | <topic> | denies|affirms | <quote> [| <url>]",
        cmd.parse_claim,
        changes_state=True,
    )
    def _claim(self, request: CommandRequest, command: cmd.Claim) -> CommandReply:
        report = claim_report(
            command.agency,
            command.topic,
            command.polarity,
            command.quote,
            self.clock.now().date(),
            source=f"recorded by {request.user}",
            url=command.url,
        )
        statement, added = record_claim(
            self.store, self.pipeline, report, command.agency, command.topic, command.polarity
        )
        found = f" It contradicts {added} earlier statement(s)." if added else ""
        return CommandReply(
            f"Recorded: {statement.agency} {command.polarity} {statement.topic}.{found}"
        )

    @command("check", "check <text or URL>", cmd.parse_check)
    async def _check(self, request: CommandRequest, command: cmd.Check) -> CommandReply:
        text = command.text.strip().strip("<>")
        if text.startswith(("http://", "https://")) and " " not in text:
            if self.read_url is None:
                return CommandReply("Fetching URLs is not available.", ok=False)
            try:
                report = await self.read_url(text)
            except ValueError as error:
                return CommandReply(f"Cannot read {text[:200]}: {error}", ok=False)
        else:
            report = Report(
                ReportId("check"), self.clock.now().date(), source="chat", text=command.text
            )
        analysis = await anyio.to_thread.run_sync(self.pipeline.check, report)
        return CommandReply(describe_analysis(analysis))

    @command("search", "search <words>", cmd.parse_search)
    def _search_command(self, request: CommandRequest, command: cmd.Search) -> CommandReply:
        if self.search is None:
            return CommandReply("Search is not available.")
        hits = self.search(command.words, 5)
        if not hits:
            return CommandReply("No stored statement matches.")
        return CommandReply(
            "\n".join(
                f"{score:.2f} {s.agency} {s.polarity} {s.topic} ({s.published}, {s.source}): "
                f"\u201c{s.quote[:160]}\u201d"
                for s, score in hits
            )
        )

    @command(
        "feeds",
        "feeds add <url> [every <minutes>] | feeds list | feeds remove <id>",
        cmd.parse_feeds,
        changes_state=lambda command: not isinstance(command, cmd.FeedsList),
    )
    def _feeds(
        self, request: CommandRequest, command: cmd.FeedsAdd | cmd.FeedsList | cmd.FeedsRemove
    ) -> CommandReply:
        store = self.store
        match command:
            case cmd.FeedsAdd(url=url, every_minutes=every):
                if self.check_url is not None:
                    try:
                        self.check_url(url)
                    except ValueError as error:
                        return CommandReply(f"Refused: {error}", ok=False)
                feed = store.add_feed(url, every, channel=str(request.channel))
                return CommandReply(f"Feed {feed.id} added: {url} every {every} min.")
            case cmd.FeedsRemove(feed_id=feed_id):
                removed = store.remove_feed(feed_id)
                return CommandReply(
                    f"Feed {feed_id} removed." if removed else f"No feed {feed_id}.", ok=removed
                )
        feeds = store.feeds()
        if not feeds:
            return CommandReply("No feeds.")
        return CommandReply(
            "\n".join(
                f"{f.id}. {f.url} every {f.every_minutes} min"
                + (f" (last error: {f.last_error})" if f.last_error else "")
                for f in feeds
            )
        )

    @command(
        "mute",
        "mute <agency or topic> [for <duration, e.g. 7d, 12h, 30m>]",
        cmd.parse_mute,
        changes_state=True,
    )
    def _mute(self, request: CommandRequest, command: cmd.Mute) -> CommandReply:
        until = self.clock.now() + command.duration
        actor = f"{request.platform}:{request.user}"
        self.store.add_silence(Silence(command.target, until, actor))
        return CommandReply(f"Muted {command.target} until {until:%Y-%m-%d %H:%M} UTC.")

    @command("unmute", "unmute <agency or topic>", cmd.parse_unmute, changes_state=True)
    def _unmute(self, request: CommandRequest, command: cmd.Unmute) -> CommandReply:
        removed = self.store.remove_silence(command.target)
        return CommandReply(
            f"Unmuted {command.target}." if removed else f"{command.target} was not muted.",
            ok=removed,
        )

    @command("status", "status", cmd.no_args(cmd.Status()))
    def _status(self, request: CommandRequest, command: cmd.Status) -> CommandReply:
        store = self.store
        alerts = store.alerts_since(None)
        feedback = store.feedback()
        confirmed = sum(1 for f in feedback if f.verdict is Verdict.CONFIRMED)
        rejected = sum(1 for f in feedback if f.verdict is Verdict.FALSE_ALARM)
        silences = [s for s in store.silences() if s.until > self.clock.now()]
        lines = [
            f"{len(alerts)} alerts, {len(store.all_statements())} statements, "
            f"{len(store.feeds())} feeds.",
            f"Feedback: {confirmed} confirmed, {rejected} not a contradiction.",
        ]
        lines.extend(f"Muted: {s.target} until {s.until:%Y-%m-%d %H:%M} UTC" for s in silences)
        return CommandReply("\n".join(lines))

    @command("digest", "digest on <HH:MM> | digest off", cmd.parse_digest, changes_state=True)
    def _digest(self, request: CommandRequest, command: cmd.Digest) -> CommandReply:
        at = f"{command.at:%H:%M}" if command.at is not None else ""
        self.store.set_state(DIGEST_STATE.format(channel=request.channel), at)
        return CommandReply(f"Daily digest at {at} UTC." if at else "Daily digest off.")


def claim_report(
    agency: str,
    topic: str,
    polarity: Polarity,
    quote: str,
    published: date,
    *,
    source: str,
    url: str = "",
    report_id: str = "",
) -> Report:
    """Return the report that carries a hand-recorded claim; same claim, same id."""
    if not report_id:
        digest = hashlib.sha256(f"{agency}|{topic}|{polarity}|{quote}".encode()).hexdigest()
        report_id = f"claim-{digest[:12]}"
    return Report(ReportId(report_id), published, source=source, url=url, text=quote)


def record_claim(
    store: Store,
    pipeline: Pipeline,
    report: Report,
    agency: str,
    topic: str,
    polarity: Polarity,
) -> tuple[Statement, int]:
    """Store a hand-recorded statement; return it and how many contradictions it made.

    The agency and topic are resolved as text is read ("federale politie" is the
    watched Belgian Federal Police), so a claim pairs with statements from reports.
    """
    agency_name, topic_name, proposition = pipeline.extractor().resolve_claim(agency, topic)
    # A name typed in another case takes the spelling already in use: stored
    # statements first, then the watchlist.
    stored = store.statements_by(AgencyName(agency_name))
    watchlist = store.watchlist()
    agency_name = spelled_as(
        agency_name, [s.agency for s in stored] + [a.name for a in watchlist.agencies]
    )
    topic_name = spelled_as(
        topic_name, [s.topic for s in stored] + [t.name for t in watchlist.topics]
    )
    statement = Statement(
        report_id=report.id,
        agency=AgencyName(agency_name),
        topic=TopicName(topic_name),
        polarity=polarity,
        quote=report.text,
        published=report.published,
        source=report.source,
        url=report.url,
        confidence=1.0,
        role=StatementRole.PRIMARY,
        sequence=store.next_sequence(),
        proposition=proposition.normal,
    )
    store.add_report(report)
    found, _ = pipeline.detect((statement,), watched_only=False)
    return statement, len(pipeline.commit(report, (statement,), found))


def describe_analysis(analysis: Analysis) -> str:
    """Return a chat-readable summary of what the bot reads in a text."""
    lines: list[str] = []
    primaries = [s for s in analysis.statements if s.role is StatementRole.PRIMARY]
    if not primaries:
        reasons = sorted({d.reason.value for d in analysis.decisions})
        lines.append(
            "No statement about a watched agency and topic"
            + (f" ({', '.join(reasons)})." if reasons else ".")
        )
    for s in analysis.statements:
        lines.append(f"- {s.agency} {s.polarity} {s.topic} [{s.role}] \u201c{s.quote[:160]}\u201d")
    for c in analysis.contradictions:
        lines.append(
            f"Contradicts {c.earlier.source or c.earlier.report_id} of "
            f"{c.earlier.published}: {c.kind} (score {c.score:.2f}) "
            f"\u201c{c.earlier.quote[:160]}\u201d"
        )
    return "\n".join(lines)
