"""The composition root: build every collaborator from Settings, run them together."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import secrets
import signal
import tempfile
import time as time_module
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import anyio.to_thread
import structlog
import uvicorn
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.app.analysis import Analyser
from bot.app.backlog import BacklogWatch
from bot.app.claim_search import SETTLE_SECONDS, ClaimSearch
from bot.app.clock import SystemClock
from bot.app.command_service import DIGEST_STATE, CommandService
from bot.app.delivery import ChannelPacer, DeliveryWorker, oldest_pending_age
from bot.app.ingestion import Ingestion
from bot.app.pipeline import Pipeline
from bot.app.ports import (
    AlertView,
    ChatAdapter,
    Clock,
    CommandReply,
    CommandRequest,
    DeliveryError,
    PendingDeliveries,
    Store,
    TextPoster,
)
from bot.core.digest import DIGEST_SPAN, compose_digest
from bot.core.domain import (
    AlertKey,
    Analysis,
    Channel,
    ChannelId,
    Report,
    Statement,
    Subscription,
    Watchlist,
)
from bot.core.language.resources import load_lexicons, load_vocabulary
from bot.core.names import confusable_with
from bot.core.records import Delivery, DeliveryOutcome, Verdict
from bot.entry import heap
from bot.entry.config import Settings
from bot.entry.http_app import SlackHandler, create_app
from bot.entry.metrics import Metrics
from bot.entry.pages.routes import mount_pages
from bot.entry.pages.signing import PageSigner, alert_path
from bot.entry.pages.views import PageReader
from bot.entry.workers import Analysed, WorkerPool, log_analysis
from bot.inputs.fetching import SafeFetcher
from bot.inputs.loading import read_watchlist

log = structlog.get_logger("denialwatch.service")

CONSOLE_CHANNEL = Channel("console", ChannelId("stdout"))
DELIVERY_POLL_SECONDS = 0.5
PENDING_POLL_SECONDS = 5.0
LEADER_TICK = timedelta(seconds=15)
"""Feed polls and digests; also how soon another replica takes over a dead leader."""
PRUNE_EVERY = timedelta(hours=1)
GAUGE_EVERY = timedelta(seconds=5)
DRAIN_SECONDS = 10.0
SEARCH_REFRESH = timedelta(minutes=1)
INBOUND_PREFIX = "slack-inbound:"
INBOUND_KEEP = timedelta(days=1)
"""Slack retries a request for minutes, never a day later: older dedupe keys can go."""


def open_store(settings: Settings) -> Store:
    """Open the configured database, applying migrations first.

    Raises DatabaseUnavailable, one line without the password, when it cannot.
    """
    from storage.errors import DatabaseUnavailable, describe
    from storage.migrate import upgrade
    from storage.sql_store import SqlStore

    try:
        upgrade(settings.database_url)
        return SqlStore(settings.database_url)
    except Exception as error:
        line = describe(error, settings.database_url)
        if line is None:
            raise
        raise DatabaseUnavailable(line) from None


def open_store_read_only(settings: Settings) -> Store:
    """Open the configured database as it is: no migration, nothing created or merged.

    A database that does not exist yet holds nothing: an empty in-memory store
    answers for it, and no file or schema is created. One at an older schema
    raises NotSetUp, so a read-only command can say so in one line.
    """
    from sqlalchemy.engine import make_url

    from storage.memory_store import MemoryStore
    from storage.migrate import current_revision, head_revision
    from storage.sql_store import SqlStore

    url = make_url(settings.database_url)
    database = url.database or ""
    on_disk = url.get_backend_name() == "sqlite" and database not in ("", ":memory:")
    if on_disk and not Path(database).exists():
        if not Path(database).parent.is_dir():
            # Not a database that does not exist yet: one that can never be opened.
            from storage.errors import DatabaseUnavailable, shown_url

            raise DatabaseUnavailable(
                f"DENIALWATCH_DATABASE_URL {shown_url(settings.database_url)}: "
                "unable to open database file (its folder does not exist)"
            )
        return MemoryStore()
    revision = current_revision(settings.database_url)
    if revision is None:
        return MemoryStore()
    if revision != head_revision():
        raise NotSetUp("the database has an older schema")
    return SqlStore(settings.database_url)


class NotSetUp(RuntimeError):
    """The database a read-only command should read is missing or not migrated."""


def merge_configured_watchlist(settings: Settings, store: Store) -> None:
    """Merge DENIALWATCH_WATCHLIST into the stored watchlist, row by row (a write)."""
    if settings.watchlist_path is not None:
        merge_watchlist_file(store, read_watchlist(settings.watchlist_path))


def build_pipeline(settings: Settings, store: Store, clock: Clock) -> Pipeline:
    return Pipeline(
        store, clock, load_lexicons(), load_vocabulary(), group_window=settings.group_window
    )


def build_ingestion(
    settings: Settings, store: Store, clock: Clock, metrics: Metrics | None = None
) -> Ingestion:
    fetcher = SafeFetcher(allow_hosts=settings.allow_hosts)
    on_error = metrics.feed_errors.inc if metrics is not None else None
    return Ingestion(store, fetcher, clock, on_feed_error=on_error)


def index_directory(settings: Settings) -> Path | None:
    """Where claim-index snapshots live: DENIALWATCH_INDEX_DIR, else beside the database.

    A SQLite file `x.db` keeps them in `x.db.index/`; PostgreSQL (one host's replicas
    share it) in `<temp dir>/denialwatch-index/<database>/`. `off`, and an in-memory
    SQLite, keep none.
    """
    from sqlalchemy.engine import make_url

    if settings.index_dir is not None:
        return None if settings.index_dir.strip().lower() == "off" else Path(settings.index_dir)
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite":
        database = url.database or ""
        return None if database in ("", ":memory:") else Path(database + ".index")
    name = hashlib.sha256(database_identity(settings).encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / "denialwatch-index" / name


def database_identity(settings: Settings) -> str:
    """The configured database, without its password: what a snapshot belongs to."""
    from sqlalchemy.engine import make_url

    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        return f"sqlite:///{Path(url.database or '').resolve()}"
    return url.render_as_string(hide_password=True)


def build_search(settings: Settings, store: Store, *, writable: bool = True) -> ClaimSearch:
    """The claim-search index: its snapshot mapped and caught up, or built from the store.

    `writable=False` (read-only commands) reads a snapshot but never writes one.
    """
    from storage.index_files import IndexFiles

    directory = index_directory(settings)
    snapshots = None if directory is None else IndexFiles(directory, writable=writable)
    search = ClaimSearch(
        store,
        snapshots,
        database=database_identity(settings),
        settle_seconds=settle_seconds(settings),
    )
    search.open()
    return search


def settle_seconds(settings: Settings) -> float:
    """How long the claim index keeps a gap below the highest row it read open
    (`bot.app.row_gaps`).

    SQLite: not at all. It has one writer at a time and numbers statements with
    AUTOINCREMENT inside the write transaction, so a transaction that took a lower
    row has committed before a higher one can be taken: a gap there is a deleted row.
    PostgreSQL: `SETTLE_SECONDS`, since its transactions commit in any order.
    """
    from storage.sql_store import is_sqlite

    return 0.0 if is_sqlite(settings.database_url) else SETTLE_SECONDS


def subscribe_console(store: Store) -> None:
    """With no chat platform configured, alerts go to the console channel."""
    store.add_subscription(Subscription(CONSOLE_CHANNEL))


@dataclass
class Service:
    """Everything `denialwatch run` runs, wired from one Settings object."""

    settings: Settings
    store: Store
    pipeline: Pipeline
    commands: CommandService
    ingestion: Ingestion
    search: ClaimSearch
    metrics: Metrics
    clock: Clock = field(default_factory=SystemClock)
    adapters: dict[str, ChatAdapter] = field(default_factory=dict)
    signer: PageSigner | None = None
    """Signs evidence-page links; None when pages are off."""
    text_posters: dict[str, TextPoster] = field(default_factory=dict)
    """The adapters that can post a digest, found once when they are attached."""
    pending: PendingDeliveries | None = None
    """The store's read-only view of the outbox, when it has one (for the gauges)."""
    slack_handler: SlackHandler | None = None
    pacer: ChannelPacer = field(default_factory=ChannelPacer)
    """The one per-channel pacing, shared by alert deliveries and digests."""
    is_leader: Callable[[], bool] = field(default=lambda: True)
    release_leadership: Callable[[], None] = field(default=lambda: None)
    backlog: BacklogWatch | None = None
    """Reports awaiting analysis: the gauges, and the write API's limit."""
    pool: WorkerPool | None = None
    """The analysis worker processes, while `run` runs with DENIALWATCH_WORKERS > 0."""
    settle_heap: bool = False
    """Freeze the heap after each search refresh (`heap.settle`): set by `denialwatch
    run`, which settled its start-up heap; never in a test's own process."""
    _stopping: asyncio.Event = field(default_factory=asyncio.Event)
    _reports_waiting: asyncio.Event = field(default_factory=asyncio.Event)
    _sampling: asyncio.Lock = field(default_factory=asyncio.Lock)

    def attach(self, adapters: dict[str, ChatAdapter]) -> None:
        """Add chat adapters and record, once, which optional capabilities each has."""
        self.adapters.update(adapters)
        self.text_posters = {
            name: poster for name, poster in self.adapters.items() if isinstance(poster, TextPoster)
        }

    async def readiness(self) -> str | None:
        try:
            await anyio.to_thread.run_sync(self.store.ping)
        except Exception as error:  # any database failure means not ready
            return f"database: {type(error).__name__}"
        for name, adapter in self.adapters.items():
            if not adapter.connected():
                return f"{name} adapter not connected"
        return None

    def record(self, analysis: Analysis) -> None:
        """Log an analysis made in this process and count it (in-process analysis)."""
        log_analysis(analysis)
        self._count(analysis.statements, [str(c.kind) for c in analysis.contradictions])

    def on_worker_result(self, result: Analysed) -> None:
        """Count what a worker process analysed, and add its statements to the search."""
        self.metrics.analysis_seconds.observe(result.seconds)
        if result.analysed:
            self._count(result.statements, result.contradiction_kinds)

    def _count(self, statements: Sequence[Statement], kinds: Sequence[str]) -> None:
        for statement in statements:
            self.metrics.statements.labels(str(statement.polarity)).inc()
        for kind in kinds:
            self.metrics.contradictions.labels(kind).inc()
        self.search.add(statements)

    def page_link(self, key: AlertKey) -> str:
        """The signed absolute URL of an alert's evidence page ("" when pages are off)."""
        if self.signer is None:
            return ""
        return self.signer.link(alert_path(key), self.clock.now())

    def on_delivery(self, delivery: Delivery, outcome: DeliveryOutcome) -> None:
        self.metrics.deliveries.labels(delivery.channel.platform, str(outcome)).inc()
        if outcome is DeliveryOutcome.SENT and delivery.created_at is not None:
            now = self.clock.now()
            self.metrics.delivery_seconds.observe((now - delivery.created_at).total_seconds())

    async def handle_command(self, request: CommandRequest) -> CommandReply:
        log.info(
            "command",
            platform=request.platform,
            channel=str(request.channel),
            user=request.user,
            verb=request.text.split(" ", 1)[0][:20],
        )
        return await self.commands.handle(request)

    async def run(self) -> None:
        """Run HTTP, adapters, delivery, pending analysis and leader jobs until stopped."""
        app = create_app(
            self.store,
            self.pipeline,
            self.metrics,
            api_token=_secret(self.settings.api_token),
            read_token=_secret(self.settings.read_token),
            today=lambda: self.clock.now().date(),
            readiness=self.readiness,
            slack_handler=self.slack_handler,
            on_report=self._report_stored,
            complete=self.ingestion.complete,
            admission=self._admission,
            before_metrics=self._before_metrics,
        )
        if self.signer is not None:
            mount_pages(
                app,
                reader=PageReader(self.store, load_lexicons()),
                search=self.search.search,
                signer=self.signer,
                clock=self.clock,
                trusted_header=self.settings.web_trusted_header,
            )
        config = uvicorn.Config(
            app,
            host=self.settings.http_host,
            port=self.settings.http_port,
            log_config=None,
            lifespan="off",
            # httptools parses HTTP where installed (a dependency); no access log (the
            # service logs what matters per report).
            http="auto",
            access_log=False,
        )
        server = uvicorn.Server(config)
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self._stopping.set)
        for name, adapter in self.adapters.items():
            await adapter.start(self.handle_command)
            log.info("adapter started", adapter=name)
        worker = DeliveryWorker(
            self.store,
            self.adapters,
            self.clock,
            pacer=self.pacer,
            on_outcome=self.on_delivery,
            page_link=self.page_link if self.signer is not None else None,
        )
        scheduler = AsyncIOScheduler(timezone="UTC")
        self.schedule(scheduler)
        scheduler.start()
        tasks = [
            asyncio.create_task(server.serve(), name="http"),
            asyncio.create_task(
                self._loop(worker.run_once, DELIVERY_POLL_SECONDS), name="delivery"
            ),
        ]
        if self.settings.workers > 0:
            self.pool = WorkerPool(
                self.settings,
                self.settings.workers,
                on_result=self.on_worker_result,
                on_restart=self.metrics.worker_restarts.inc,
            )
            self.pool.start()
            tasks.append(asyncio.create_task(self.pool.supervise(self._stopping), name="workers"))
        else:
            tasks.append(
                asyncio.create_task(
                    self._loop(self._process_pending, PENDING_POLL_SECONDS, self._reports_waiting),
                    name="pending",
                )
            )
        log.info(
            "denialwatch running",
            host=self.settings.http_host,
            port=self.settings.http_port,
            adapters=sorted(self.adapters),
            analysis_workers=self.settings.workers,
        )
        stop = asyncio.create_task(self._stopping.wait())
        await asyncio.wait([stop, tasks[0]], return_when=asyncio.FIRST_COMPLETED)
        log.info("shutting down")
        server.should_exit = True
        scheduler.shutdown(wait=False)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(DRAIN_SECONDS):
                await tasks[0]
                for task in tasks[1:]:
                    task.cancel()
                await asyncio.gather(*tasks[1:], return_exceptions=True)
                if self.pool is not None:
                    await self.pool.stop()
                for adapter in self.adapters.values():
                    await adapter.stop()
        self.release_leadership()
        log.info("stopped")

    def schedule(self, scheduler: AsyncIOScheduler) -> None:
        """Declare every periodic job, in one place, on APScheduler.

        Leader jobs (feed polls, digests, pruning) first confirm leadership and do
        nothing on other replicas; the search refresh and the gauges are per replica.
        Two loops stay hand-made, in `run`: outbox delivery and pending analysis are
        work queues, not periodic jobs. Analysis is woken at once by an arriving
        report (an asyncio.Event), and delivery polls twice a second with its own
        per-channel holds; an interval trigger would add latency and nothing else.
        """
        jobs: tuple[tuple[Callable[[], Awaitable[None]], timedelta, bool], ...] = (
            (self._poll_feeds, LEADER_TICK, True),
            (self._digests, LEADER_TICK, True),
            (self._prune, PRUNE_EVERY, True),
            (self._refresh_search, SEARCH_REFRESH, False),
            (self._refresh_gauges, GAUGE_EVERY, False),
        )
        start = datetime.now(UTC)
        for job, every, on_leader in jobs:
            name = job.__name__.strip("_").replace("_", "-")
            scheduler.add_job(
                self._on_leader(job) if on_leader else job,
                "interval",
                seconds=every.total_seconds(),
                next_run_time=start,
                max_instances=1,
                coalesce=True,
                id=name,
                name=name,
            )

    def _on_leader(self, job: Callable[[], Awaitable[None]]) -> Callable[[], Awaitable[None]]:
        async def run_if_leader() -> None:
            leader = await anyio.to_thread.run_sync(self.is_leader)
            self.metrics.leader.set(1 if leader else 0)
            if leader:
                await job()

        return run_if_leader

    async def _loop(
        self, step: Callable[[], object], every: float, wake: asyncio.Event | None = None
    ) -> None:
        while not self._stopping.is_set():
            try:
                result = step()
                if asyncio.iscoroutine(result):
                    await result
            except Exception:
                log.exception("background step failed", step=getattr(step, "__name__", "?"))
            waits = [asyncio.ensure_future(self._stopping.wait())]
            if wake is not None:
                waits.append(asyncio.ensure_future(wake.wait()))
            _, pending = await asyncio.wait(
                waits, timeout=every, return_when=asyncio.FIRST_COMPLETED
            )
            for waiter in pending:
                waiter.cancel()
            if wake is not None:
                wake.clear()

    async def _process_pending(self) -> None:
        """Analyse waiting reports in this process (DENIALWATCH_WORKERS=0)."""
        await Analyser(self.pipeline, self._stopping, self._analysed_here).drain()

    def _analysed_here(self, report: Report, analysis: Analysis | None, seconds: float) -> None:
        self.metrics.analysis_seconds.observe(seconds)
        if analysis is not None:
            self.record(analysis)

    def _report_stored(self) -> None:
        if self.backlog is not None:
            self.backlog.accepted()
        self._reports_waiting.set()

    async def _admission(self) -> int | None:
        """None to accept a report now; past the backlog limit, the seconds to wait."""
        if self.backlog is None or self.backlog.limit <= 0:
            return None
        await self._sample_backlog_if_stale()
        return self.backlog.retry_after()

    async def _before_metrics(self) -> None:
        """Count the backlog afresh for a scrape (scrapes are rare; the count is cheap)."""
        self._set_process_gauges()
        async with self._sampling:
            await self._sample_backlog()

    def _set_process_gauges(self) -> None:
        """Gauges read from this process itself: its workers alive, its settled heap."""
        self.metrics.workers.set(self.pool.alive() if self.pool is not None else 0)
        self.metrics.heap_frozen.set(heap.frozen())

    async def _sample_backlog_if_stale(self) -> None:
        """Count the backlog at most once a second; concurrent callers use the last count."""
        if self.backlog is None or not self.backlog.stale() or self._sampling.locked():
            return
        async with self._sampling:
            await self._sample_backlog()

    async def _sample_backlog(self) -> None:
        if self.backlog is None:
            return
        try:
            await anyio.to_thread.run_sync(self.backlog.sample)
        except Exception as error:  # the last count stands; readiness reports the database
            log.warning("backlog not counted", error=type(error).__name__)
            return
        self.metrics.backlog.set(self.backlog.last.reports)
        self.metrics.backlog_oldest.set(self.backlog.oldest_age_seconds())

    async def _refresh_search(self) -> None:
        """Pick up statements stored since the last look (by other replicas too)."""
        await anyio.to_thread.run_sync(self._refresh_and_settle)

    def _refresh_and_settle(self) -> None:
        self.search.refresh()
        if self.settle_heap:
            # What the refresh indexed lives as long as the process: out of the
            # collector's walks, as the start-up heap is.
            heap.settle()

    async def _refresh_gauges(self) -> None:
        await self._sample_backlog()
        self._set_process_gauges()
        # Only a read-only view will do: `due_deliveries` claims rows, which would hold
        # them back from the delivery worker for a whole lease.
        if self.pending is None:
            return
        now = self.clock.now()
        pending = await anyio.to_thread.run_sync(self.pending.undelivered, 1000)
        self.metrics.outbox_depth.set(len(pending))
        self.metrics.oldest_undelivered.set(oldest_pending_age(pending, now))

    async def _poll_feeds(self) -> None:
        if await self.ingestion.poll_due_feeds():
            self._reports_waiting.set()

    async def _prune(self) -> None:
        """Forget Slack inbound request ids older than Slack's retry window, with margin."""
        before = self.clock.now() - INBOUND_KEEP
        pruned = await anyio.to_thread.run_sync(self.store.prune_claims, INBOUND_PREFIX, before)
        if pruned:
            log.info("inbound request ids pruned", count=pruned)

    async def _digests(self) -> None:
        """Post each channel's daily digest once, at or after the time it asked for."""
        now = self.clock.now()
        subs = await anyio.to_thread.run_sync(self.store.subscriptions)
        for channel in sorted({s.channel for s in subs}, key=str):
            key = DIGEST_STATE.format(channel=channel)
            at = await anyio.to_thread.run_sync(self.store.get_state, key)
            poster = self.text_posters.get(channel.platform)
            if not at or poster is None:
                continue
            due = datetime.combine(now.date(), time.fromisoformat(at), now.tzinfo)
            sent_key = f"digest-sent:{channel}"
            last = await anyio.to_thread.run_sync(self.store.get_state, sent_key)
            if now < due or last == now.date().isoformat():
                continue
            # Mark first: a digest is worth at most one post, never two.
            await anyio.to_thread.run_sync(self.store.set_state, sent_key, now.date().isoformat())
            records = await anyio.to_thread.run_sync(self.store.alerts_since, now - DIGEST_SPAN)
            text = compose_digest(records, channel, now)
            try:
                await self.pacer.wait(channel)
                await poster.post_text(channel, text, f"digest|{channel}|{now.date()}")
                log.info("digest posted", channel=str(channel))
            except DeliveryError as error:
                log.warning("digest not posted", channel=str(channel), error=str(error))


def merge_watchlist_file(store: Store, loaded: Watchlist) -> None:
    """Upsert the configured watchlist: row by row, so replicas starting together agree.

    An entry whose name looks like another stored name (a lookalike) is left out.
    """
    current = store.watchlist()
    names = [*(a.name for a in current.agencies), *(t.name for t in current.topics)]
    agencies = tuple(a for a in loaded.agencies if _not_lookalike(a.name, names))
    topics = tuple(t for t in loaded.topics if _not_lookalike(t.name, names))
    store.merge_watchlist(Watchlist(agencies=agencies, topics=topics))


def _not_lookalike(name: str, names: list[str]) -> bool:
    twin = confusable_with(name, names)
    if twin is not None:
        log.warning("watchlist entry skipped: looks like another name", name=name, existing=twin)
    return twin is None


LEGACY_PICKLE_KEY = "denialwatch"
PICKLE_KEY_FILE = "pickle.key"


def matrix_pickle_key(settings: Settings) -> str:
    """The key that encrypts the Matrix E2EE store: the secret, else one made per install.

    Without DENIALWATCH_MATRIX_PICKLE_KEY a random key is written once to
    `<store>/pickle.key` (mode 0600). A store made by an older version with the old
    fixed key keeps that key, so its sessions stay readable.
    """
    secret = _secret(settings.matrix_pickle_key)
    if secret:
        return secret
    path = settings.matrix_store / PICKLE_KEY_FILE
    if path.exists():
        return path.read_text("utf-8").strip()
    legacy = any(settings.matrix_store.glob("*.db"))
    key = LEGACY_PICKLE_KEY if legacy else secrets.token_urlsafe(32)
    if legacy:
        log.warning("matrix store uses the old fixed pickle key; set a new store to re-key")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(key)
    return key


def _secret(value: object) -> str | None:
    getter = getattr(value, "get_secret_value", None)
    return str(getter()) if callable(getter) else None


def build_service(settings: Settings, store: Store | None = None) -> Service:
    """Wire the service from settings (the only place that knows every implementation)."""
    store = store or open_store(settings)
    merge_configured_watchlist(settings, store)
    clock = SystemClock()
    pipeline = build_pipeline(settings, store, clock)
    metrics = Metrics()
    ingestion = build_ingestion(settings, store, clock, metrics)
    started = time_module.monotonic()
    search = build_search(settings, store)
    log.info(
        "claim index ready",
        opened=search.opened,
        statements=len(search),
        seconds=round(time_module.monotonic() - started, 2),
        directory=str(index_directory(settings) or "none"),
    )
    signer = page_signer(settings)
    commands = CommandService(
        store,
        pipeline,
        clock,
        admins=settings.admin_ids,
        check_url=ingestion.check_url,
        read_url=ingestion.read_url,
        search=search.search,
    )
    service = Service(
        settings=settings,
        store=store,
        pipeline=pipeline,
        commands=commands,
        ingestion=ingestion,
        search=search,
        metrics=metrics,
        clock=clock,
        pending=store if isinstance(store, PendingDeliveries) else None,
        signer=signer,
        backlog=BacklogWatch(store, clock, settings.max_backlog),
    )
    feedback = _with_timeline(commands.feedback, service.page_link) if signer else commands.feedback
    service.attach(_adapters(settings, store, commands, feedback))
    slack = service.adapters.get("slack")
    if slack is not None:
        from adapters.slack.adapter import SlackAdapter

        # Slack in HTTP mode is served by our HTTP app: its one inbound route.
        service.slack_handler = slack.handle if isinstance(slack, SlackAdapter) else None
    if "console" in service.adapters:
        subscribe_console(store)
    from storage.leader import LeaderElection

    # PostgreSQL: an advisory lock; SQLite: a file lock beside the database file.
    election = LeaderElection(settings.database_url)
    service.is_leader = election.try_acquire
    service.release_leadership = election.release
    return service


def _inbound_claim(store: Store, clock: Clock) -> Callable[[str], Awaitable[bool]]:
    """Claim a Slack request id in the database, so a retry to any replica runs once."""

    async def claim(key: str) -> bool:
        now = clock.now()
        return await anyio.to_thread.run_sync(store.claim_key, f"{INBOUND_PREFIX}{key}", now)

    return claim


def page_signer(settings: Settings) -> PageSigner | None:
    """The link signer when evidence pages are on (config guarantees the secret then)."""
    secret = _secret(settings.web_secret)
    if settings.public_url is None or not secret:
        return None
    return PageSigner(secret.encode(), settings.public_url, settings.web_link_lifetime)


Feedback = Callable[[AlertKey, Channel, str, Verdict], Awaitable[AlertView | None]]


def _with_timeline(feedback: Feedback, page_link: Callable[[AlertKey], str]) -> Feedback:
    """Keep the Timeline link on an alert that feedback re-renders."""

    async def handle(
        key: AlertKey, channel: Channel, user: str, verdict: Verdict
    ) -> AlertView | None:
        view = await feedback(key, channel, user, verdict)
        if view is None:
            return None
        return replace(view, timeline_url=page_link(view.alert.key))

    return handle


def _adapters(
    settings: Settings, store: Store, commands: CommandService, feedback: Feedback
) -> dict[str, ChatAdapter]:
    adapters: dict[str, ChatAdapter] = {}
    if settings.slack_enabled:
        from adapters.slack.adapter import SlackAdapter

        adapters["slack"] = SlackAdapter(
            bot_token=_secret(settings.slack_bot_token) or "",
            signing_secret=_secret(settings.slack_signing_secret) or "",
            api_url=settings.slack_api_url,
            app_token=_secret(settings.slack_app_token),
            admins=settings.admin_ids,
            on_feedback=feedback,
            claim_inbound=_inbound_claim(store, commands.clock),
        )
    if settings.matrix_enabled:
        from adapters.matrix.adapter import MatrixAdapter

        settings.matrix_store.mkdir(mode=0o700, parents=True, exist_ok=True)
        adapters["matrix"] = MatrixAdapter(
            settings.matrix_homeserver or "",
            settings.matrix_user_id or "",
            access_token=_secret(settings.matrix_access_token) or "",
            password=_secret(settings.matrix_password) or "",
            store_path=settings.matrix_store,
            pickle_key=matrix_pickle_key(settings),
            admins=settings.admin_ids,
            state=store,
            on_feedback=feedback,
        )
    if not adapters:
        from adapters.console import ConsoleAdapter

        adapters["console"] = ConsoleAdapter()
    return adapters
