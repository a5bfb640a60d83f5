"""Carry out chat commands against the store and the pipeline, for any platform."""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from datetime import date

import anyio.to_thread

from bot.app.pipeline import Pipeline
from bot.app.ports import AlertView, Clock, CommandReply, CommandRequest, Store
from bot.core import commands as cmd
from bot.core.detection import find_contradictions
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
from bot.core.names import MAX_ALIASES, name_key, vet_name
from bot.core.records import AuditEvent, FeedbackRecord
from bot.inputs.fetching import redact_credentials

UrlChecker = Callable[[str], None]
"""Raise ValueError with a reason when a URL may not be fetched."""
UrlReader = Callable[[str], Awaitable[Report]]
SearchFn = Callable[[str, int], list[tuple[Statement, float]]]

VERDICTS = {"confirmed": "Confirmed", "false_alarm": "Not a contradiction", "muted": "Muted 7 days"}


class CommandService:
    """Execute parsed commands; mutating ones are limited to admins and audited."""

    def __init__(
        self,
        store: Store,
        pipeline: Pipeline,
        clock: Clock,
        *,
        admins: frozenset[str] = frozenset(),
        check_url: UrlChecker | None = None,
        read_url: UrlReader | None = None,
        search: SearchFn | None = None,
    ) -> None:
        self._store = store
        self._pipeline = pipeline
        self._clock = clock
        self._admins = admins
        self._check_url = check_url
        self._read_url = read_url
        self._search = search

    async def handle(self, request: CommandRequest) -> CommandReply:
        """Parse and run one command; errors come back as one line plus the usage."""
        try:
            command = cmd.parse_command(request.text)
        except cmd.CommandSyntaxError as error:
            return CommandReply(f"Error: {error}\nUsage: {error.usage}", ok=False)
        if isinstance(command, cmd.MUTATING) and not self._allowed(request.user):
            await self._audit(request, f"denied: {redact_credentials(request.text[:200])}")
            return CommandReply(
                "Permission denied: only denialwatch admins can change this.", ok=False
            )
        if isinstance(command, cmd.Check):
            return await self._check(command)
        reply = await anyio.to_thread.run_sync(self._run, request, command)
        if isinstance(command, cmd.MUTATING):
            await self._audit(request, redact_credentials(request.text[:200]))
        return reply

    def _allowed(self, user: str) -> bool:
        return not self._admins or user in self._admins

    async def _audit(self, request: CommandRequest, detail: str) -> None:
        event = AuditEvent(
            actor=f"{request.platform}:{request.user}",
            action=request.text.split(" ", 1)[0][:40],
            detail=detail,
            at=self._clock.now(),
        )
        await anyio.to_thread.run_sync(self._store.audit, event)

    def _run(self, request: CommandRequest, command: cmd.Command) -> CommandReply:
        store = self._store
        channel = request.channel
        match command:
            case cmd.Help():
                return CommandReply(cmd.help_text())
            case cmd.Watch(
                kind=kind, name=name, country=country, aliases=aliases, min_score=min_score
            ):
                current = store.watchlist()
                existing = [*(a.name for a in current.agencies), *(t.name for t in current.topics)]
                try:
                    name, aliases = vet_name(name, aliases, existing)
                except ValueError as error:
                    return CommandReply(f"Refused: {error}", ok=False)
                if kind == "agency":
                    # Watching a name again adds to it: its country and aliases stay.
                    same = [a for a in current.agencies if name_key(a.name) == name_key(name)]
                    if same:
                        country = country or same[0].country
                        aliases = tuple(dict.fromkeys((*same[0].aliases, *aliases)))
                    entries = Watchlist(agencies=(Agency(AgencyName(name), country, aliases),))
                    subscription = Subscription(channel, agency=name, min_score=min_score)
                else:
                    same_topic = [t for t in current.topics if name_key(t.name) == name_key(name)]
                    if same_topic:
                        aliases = tuple(dict.fromkeys((*same_topic[0].aliases, *aliases)))
                    entries = Watchlist(topics=(Topic(TopicName(name), aliases),))
                    subscription = Subscription(channel, topic=name, min_score=min_score)
                if len(aliases) > MAX_ALIASES:
                    return CommandReply(
                        f"Refused: at most {MAX_ALIASES} aliases per name", ok=False
                    )
                # One transaction: the reply below is sent only once both are committed.
                store.merge_watchlist(entries, [subscription])
                return CommandReply(f"Watching {kind} {name}; alerts go to this channel.")
            case cmd.Unwatch(name=name):
                removed = store.remove_subscription(channel, name)
                return CommandReply(
                    f"This channel no longer watches {name}."
                    if removed
                    else f"This channel was not watching {name}.",
                    ok=removed,
                )
            case cmd.Watching():
                return CommandReply(self._watching(channel))
            case cmd.Claim():
                return self._claim(command, request)
            case cmd.Search(words=words):
                return CommandReply(self._search_text(words))
            case cmd.FeedsAdd(url=url, every_minutes=every):
                if self._check_url is not None:
                    try:
                        self._check_url(url)
                    except ValueError as error:
                        return CommandReply(f"Refused: {error}", ok=False)
                feed = store.add_feed(url, every, channel=str(channel))
                return CommandReply(f"Feed {feed.id} added: {url} every {every} min.")
            case cmd.FeedsList():
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
            case cmd.FeedsRemove(feed_id=feed_id):
                removed = store.remove_feed(feed_id)
                return CommandReply(
                    f"Feed {feed_id} removed." if removed else f"No feed {feed_id}.", ok=removed
                )
            case cmd.Mute(target=target, duration=duration):
                until = self._clock.now() + duration
                store.add_silence(Silence(target, until, f"{request.platform}:{request.user}"))
                return CommandReply(f"Muted {target} until {until:%Y-%m-%d %H:%M} UTC.")
            case cmd.Unmute(target=target):
                removed = store.remove_silence(target)
                return CommandReply(
                    f"Unmuted {target}." if removed else f"{target} was not muted.", ok=removed
                )
            case cmd.Status():
                return CommandReply(self._status())
            case cmd.Digest(at=at):
                store.set_state(f"digest:{channel}", at)
                return CommandReply(f"Daily digest at {at} UTC." if at else "Daily digest off.")
        return CommandReply("Error: command not supported here.", ok=False)

    def _watching(self, channel: Channel) -> str:
        subs = [s for s in self._store.subscriptions() if s.channel == channel]
        if not subs:
            return "This channel watches nothing yet. Try: watch topic Clearview AI"
        lines = [f"- {'agency' if s.agency else 'topic'} {s.agency or s.topic}" for s in subs]
        return "This channel watches:\n" + "\n".join(lines)

    def _claim(self, command: cmd.Claim, request: CommandRequest) -> CommandReply:
        report = claim_report(
            command.agency,
            command.topic,
            command.polarity,
            command.quote,
            self._clock.now().date(),
            source=f"recorded by {request.user}",
            url=command.url,
        )
        added = record_claim(
            self._store, self._pipeline, report, command.agency, command.topic, command.polarity
        )
        found = f" It contradicts {added} earlier statement(s)." if added else ""
        return CommandReply(
            f"Recorded: {command.agency} {command.polarity} {command.topic}.{found}"
        )

    def _search_text(self, words: str) -> str:
        if self._search is None:
            return "Search is not available."
        hits = self._search(words, 5)
        if not hits:
            return "No stored statement matches."
        return "\n".join(
            f"{score:.2f} {s.agency} {s.polarity} {s.topic} ({s.published}, {s.source}): "
            f"\u201c{s.quote[:160]}\u201d"
            for s, score in hits
        )

    def _status(self) -> str:
        store = self._store
        alerts = store.alerts_since(None)
        feedback = store.feedback()
        confirmed = sum(1 for f in feedback if f.verdict == "confirmed")
        rejected = sum(1 for f in feedback if f.verdict == "false_alarm")
        silences = [s for s in store.silences() if s.until > self._clock.now()]
        lines = [
            f"{len(alerts)} alerts, {len(store.all_statements())} statements, "
            f"{len(store.feeds())} feeds.",
            f"Feedback: {confirmed} confirmed, {rejected} not a contradiction.",
        ]
        lines.extend(f"Muted: {s.target} until {s.until:%Y-%m-%d %H:%M} UTC" for s in silences)
        return "\n".join(lines)

    async def _check(self, command: cmd.Check) -> CommandReply:
        text = command.text.strip().strip("<>")
        if text.startswith(("http://", "https://")) and " " not in text:
            if self._read_url is None:
                return CommandReply("Fetching URLs is not available.", ok=False)
            try:
                report = await self._read_url(text)
            except ValueError as error:
                return CommandReply(f"Cannot read {text[:200]}: {error}", ok=False)
        else:
            report = Report(
                ReportId("check"), self._clock.now().date(), source="chat", text=command.text
            )
        analysis = await anyio.to_thread.run_sync(self._pipeline.check, report)
        return CommandReply(describe_analysis(analysis))

    async def feedback(
        self, alert_key: AlertKey, channel: Channel, user: str, verdict: str
    ) -> AlertView | None:
        """Store feedback on an alert (a mute also silences its agency for seven days).

        Returns the alert as it should now be shown, with its verdict.
        """
        now = self._clock.now()
        record = FeedbackRecord(
            alert_key=alert_key, channel=channel, user=user, verdict=verdict, at=now
        )
        await anyio.to_thread.run_sync(self._store.add_feedback, record)
        stored = await anyio.to_thread.run_sync(self._store.alert, alert_key)
        if verdict == "muted" and stored is not None:
            silence = Silence(stored.alert.agency, now + cmd.DEFAULT_MUTE, user)
            await anyio.to_thread.run_sync(self._store.add_silence, silence)
        await anyio.to_thread.run_sync(
            self._store.audit,
            AuditEvent(
                actor=f"{channel.platform}:{user}",
                action="feedback",
                detail=f"{verdict} {alert_key}",
                at=now,
            ),
        )
        if stored is None or not stored.alert.contradictions:
            return None
        label = VERDICTS.get(verdict, verdict)
        return AlertView(
            alert=stored.alert,
            contradiction=stored.alert.contradictions[0],
            is_lead=True,
            verdict=f"{label} by {user}",
        )


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
) -> int:
    """Store a hand-recorded statement and commit the contradictions it makes."""
    statement = Statement(
        report_id=report.id,
        agency=AgencyName(agency),
        topic=TopicName(topic),
        polarity=polarity,
        quote=report.text,
        published=report.published,
        source=report.source,
        url=report.url,
        confidence=1.0,
        role=StatementRole.PRIMARY,
        sequence=store.next_sequence(),
    )
    store.add_report(report)
    stored = store.statements_about(statement.agency, statement.topic)
    found, _ = find_contradictions([statement], stored)
    return len(pipeline.commit(report, (statement,), found))


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
