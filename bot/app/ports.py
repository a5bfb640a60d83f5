"""Ports the core owns: the store, chat adapters and the clock.

Adapters (`adapters/`) and storage (`storage/`) implement these; the core and the
application services only ever see the protocols.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol, runtime_checkable

from bot.core import domain, records
from bot.core.matching import IndexArrays


class Clock(Protocol):
    def now(self) -> datetime: ...


@dataclass(frozen=True)
class Backlog:
    """Reports stored and not yet analysed, claimed or not."""

    reports: int
    oldest_stored_at: datetime | None
    """When the oldest of them was stored (None: no backlog, or stored before it was kept)."""


class ReportRepository(Protocol):
    """Reports as they arrive, claimed for analysis once."""

    claim_lease: timedelta
    """How long a claim keeps a report off other workers unless renewed."""

    def add_report(self, report: domain.Report) -> bool:
        """Store a report; False when it is already stored as it is.

        The same id with new content is a correction: the stored version is kept as a
        revision, the new one replaces it and waits for analysis again (True).
        """
        ...

    def get_report(self, report_id: domain.ReportId) -> records.StoredAnalysis | None: ...

    def report_with_url(self, url: str) -> domain.ReportId | None:
        """The id under which a report with this URL is stored, if any."""
        ...

    def claim_unanalysed(self, limit: int) -> list[domain.Report]:
        """Reports not yet analysed, locked for this worker where the database can."""
        ...

    def release_claims(self, report_ids: Sequence[domain.ReportId]) -> None:
        """Give claimed reports back at once, so the next attempt need not wait out the lease."""
        ...

    def renew_claims(self, report_ids: Sequence[domain.ReportId]) -> None:
        """Extend the claims on reports still being analysed by another lease from now.

        A worker that is alive keeps its reports; one that died stops renewing, and its
        claims run out within one lease.
        """
        ...

    def backlog(self) -> Backlog:
        """How many reports await analysis, and since when the oldest."""
        ...

    def skip_report(self, report_id: domain.ReportId, reason: str) -> None:
        """Mark a report done without analysis, keeping the reason (`too_costly: …`)."""
        ...

    def next_sequence(self) -> int:
        """Take the next number of the processing order (it breaks ties of equal dates)."""
        ...

    def last_sequence(self) -> int:
        """The last number taken: by `next_sequence`, or by a committed `save_analysis`
        (each takes one). An analysis that finds it moved by more than its own commit
        knows that another analysis was committed meanwhile."""
        ...


class StatementRepository(Protocol):
    """Statements and contradictions; one analysis is committed in one transaction."""

    def statements_about(
        self, agency: domain.AgencyName, topic: domain.TopicName
    ) -> list[domain.Statement]:
        """Statements about an agency and topic, matched by `bot.core.keys.name_key`."""
        ...

    def statements_by(self, agency: domain.AgencyName) -> list[domain.Statement]:
        """Every statement whose agency key starts with a block (`agency_block`), in order."""
        ...

    def alike_statements(
        self, agency: domain.AgencyName, excluding: Collection[domain.ReportId] = ()
    ) -> list[records.AlikeStatements]:
        """The block's (`agency_block`) primary statements grouped as `group_alike` does.

        Per group the earliest, the latest and how many, leaving out the statements of
        `excluding` reports; groups in the record order of their earliest. What a new
        statement is matched against: bounded by the groups, not by how often each
        was said.
        """
        ...

    def all_statements(self) -> list[domain.Statement]: ...

    def statement_texts_after(self, row: int, limit: int) -> list[records.StatementText]:
        """Up to `limit` statements stored after row `row`, by row (the index's catch-up)."""
        ...

    def statement_texts_within(
        self, ranges: Sequence[tuple[int, int]], after: int, limit: int
    ) -> list[records.StatementText]:
        """Up to `limit` statements after row `after` whose row lies strictly inside one of
        `ranges` ((low, high) pairs), by row: the claim index's look into its gaps."""
        ...

    def count_statements(self, upto_row: int) -> int:
        """How many stored statements have a row number up to `upto_row`."""
        ...

    def statements_with_ids(self, ids: Sequence[domain.StatementId]) -> list[domain.Statement]:
        """The stored statements among these ids, in the order given; missing ones left out."""
        ...

    def save_analysis(self, write: records.AnalysisWrite) -> list[domain.Contradiction]:
        """Commit an analysis, taking the next sequence number in the same transaction;
        returns the contradictions that were new."""
        ...


class OutboxRepository(Protocol):
    """Alerts and their deliveries: the notification log."""

    def alert(self, key: domain.AlertKey) -> records.AlertRecord | None: ...

    def alert_leads(self, key: domain.AlertKey) -> records.AlertRecord | None:
        """The alert as routing needs it: when it opened and its lead deliveries only,
        without its contradictions (a story re-sent 3,000 times stays one cheap read)."""
        ...

    def alerts_since(self, since: datetime | None) -> list[records.AlertRecord]: ...

    def due_deliveries(self, now: datetime, limit: int) -> list[records.Delivery]:
        """Claim due rows for a lease, leads first; a follow-up waits for its lead."""
        ...

    def update_delivery(self, delivery: records.Delivery) -> None: ...

    def coalesce_deliveries(
        self, keys: Sequence[str], now: datetime, *, claimed: Collection[str] = ()
    ) -> list[str]:
        """Mark the rows of `keys` still pending as coalesced (an edit already made carried
        them) unless another caller holds a claim on them (`claimed`: the caller's own
        claims); return the keys marked."""
        ...


class WatchRepository(Protocol):
    """The watchlist and what each channel subscribes to."""

    def watchlist(self) -> domain.Watchlist: ...

    def save_watchlist(self, watchlist: domain.Watchlist) -> None:
        """Make the watchlist exactly this one, row by row, in one transaction."""
        ...

    def merge_watchlist(
        self, watchlist: domain.Watchlist, subscriptions: Sequence[domain.Subscription] = ()
    ) -> None:
        """Add or update these agencies and topics (and subscriptions) in one transaction.

        Row-level upserts, never a delete: safe for replicas and commands running at once.
        """
        ...

    def subscriptions(self) -> list[domain.Subscription]: ...

    def add_subscription(self, subscription: domain.Subscription) -> None: ...

    def remove_subscription(self, channel: domain.Channel, name: str) -> bool: ...


class SilenceRepository(Protocol):
    """Mutes of an agency or topic."""

    def silences(self) -> list[domain.Silence]: ...

    def add_silence(self, silence: domain.Silence) -> None: ...

    def remove_silence(self, target: str) -> bool: ...


class AuditRepository(Protocol):
    """Editors' feedback and the audit log."""

    def add_feedback(self, feedback: records.FeedbackRecord) -> None: ...

    def feedback(self) -> list[records.FeedbackRecord]: ...

    def audit(self, event: records.AuditEvent) -> None: ...

    def audit_events(self) -> list[records.AuditEvent]: ...


class FeedRepository(Protocol):
    """The feeds the service polls."""

    def add_feed(self, url: str, every_minutes: int, channel: str = "") -> records.Feed: ...

    def feeds(self) -> list[records.Feed]: ...

    def update_feed(self, feed: records.Feed) -> None: ...

    def remove_feed(self, feed_id: int) -> bool: ...


class KeyValueStore(Protocol):
    """Small shared state: adapter state (the Matrix sync token) and keys claimed once."""

    def get_state(self, key: str) -> str | None: ...

    def set_state(self, key: str, value: str) -> None: ...

    def claim_key(self, key: str, at: datetime) -> bool:
        """Record a key once across every replica; True only for the first caller."""
        ...

    def prune_claims(self, prefix: str, before: datetime) -> int:
        """Forget claimed keys with this prefix claimed before `before`; return how many."""
        ...


class Store(
    ReportRepository,
    StatementRepository,
    OutboxRepository,
    WatchRepository,
    SilenceRepository,
    AuditRepository,
    FeedRepository,
    KeyValueStore,
    Protocol,
):
    """The whole database: every role repository, each call one transaction.

    Use cases take the narrowest role (or a union of two) they need; each role has
    one contract suite run on memory, SQLite and PostgreSQL
    (`tests/storage/test_store_contract.py`).
    """

    def ping(self) -> None:
        """Raise when the database does not answer or cannot commit a write."""
        ...


@dataclass(frozen=True, slots=True)
class CommandRequest:
    """A chat command as any platform delivers it."""

    platform: str
    channel: domain.Channel
    user: str
    text: str


@dataclass(frozen=True, slots=True)
class CommandReply:
    text: str
    ok: bool = True


CommandHandler = Callable[[CommandRequest], Awaitable[CommandReply]]


FeedbackHandler = Callable[
    [domain.AlertKey, domain.Channel, str, records.Verdict], Awaitable["AlertView | None"]
]
"""(alert key, channel, user, verdict) for a Slack button or a Matrix reaction: the
alert re-rendered with its verdict, or None to leave it as posted. Raises `Refused`
when the user may not give that verdict (a mute by a non-admin)."""


class Refused(Exception):
    """A chat action the user may not take; the message says why, for the user."""


@dataclass(frozen=True, slots=True)
class AlertView:
    """What an adapter renders for one delivery."""

    alert: domain.Alert
    contradiction: domain.Contradiction
    is_lead: bool
    sources: tuple[str, ...] = ()
    verdict: str = ""
    timeline_url: str = ""
    """Signed link to the alert's evidence page; empty when pages are off."""


class DeliveryError(Exception):
    """A chat platform refused or failed a delivery."""

    def __init__(
        self,
        message: str,
        *,
        retry_after: float | None = None,
        permanent: bool = False,
        auth: bool = False,
    ):
        super().__init__(message)
        self.retry_after = retry_after
        """Seconds the platform asked us to wait (a rate limit, not a failed attempt)."""
        self.permanent = permanent
        """Retrying cannot help (unknown channel, no permission): stop and say so."""
        self.auth = auth
        """Our credentials were rejected: pause the platform, keep the row, probe slowly."""


@dataclass(frozen=True, slots=True)
class Posted:
    message_id: str
    thread_id: str = ""


class ChatAdapter(Protocol):
    """A chat platform: receives commands, posts alerts."""

    platform: str

    async def start(self, on_command: CommandHandler) -> None: ...

    async def stop(self) -> None: ...

    def connected(self) -> bool: ...

    async def post_alert(
        self, channel: domain.Channel, view: AlertView, delivery_key: str, thread_id: str = ""
    ) -> Posted:
        """Post a lead alert or, with thread_id, a follow-up; raise DeliveryError."""
        ...

    async def update_alert(
        self, channel: domain.Channel, message_id: str, view: AlertView
    ) -> None: ...


# Optional adapter capabilities. The composition root and the delivery worker check
# them once, with isinstance, when they are built; no call site probes with getattr.


@runtime_checkable
class MessageFinder(Protocol):
    """Finds a message an earlier, unrecorded attempt may have posted (Slack)."""

    async def find_posted(
        self, channel: domain.Channel, delivery_key: str, thread_id: str = ""
    ) -> Posted | None: ...


@runtime_checkable
class TextPoster(Protocol):
    """Posts the bot's own plain text (the daily digest), deduplicated by key."""

    async def post_text(self, channel: domain.Channel, text: str, key: str) -> None: ...


@runtime_checkable
class PendingDeliveries(Protocol):
    """A store that can list pending deliveries without claiming them (for gauges)."""

    def undelivered(self, limit: int) -> list[records.Delivery]: ...


@dataclass(frozen=True)
class IndexSnapshot:
    """The claim index as arrays, and how far into the store it reaches.

    `settled` is a row number up to which every stored statement is in the arrays;
    `read_upto` the highest row in them, and `gaps` the row ranges below it not seen
    yet ((after, before, first seen as a wall-clock time), both bounds exclusive): a
    row can commit after a higher one, so only those are read again, until they
    close (`bot.app.row_gaps`). `count` is how many statements the store held up to
    `settled` when the snapshot was taken, to tell a snapshot of this store from a
    stale or foreign one.
    """

    arrays: IndexArrays
    settled: int
    count: int
    database: str
    format: int
    read_upto: int = 0
    gaps: tuple[tuple[int, int, float], ...] = ()


class IndexSnapshots(Protocol):
    """Where snapshots of the claim index are kept between runs (files on this host)."""

    def load(self) -> IndexSnapshot | None:
        """The newest snapshot, or None when there is none; raises CorruptIndex when unreadable."""
        ...

    def save(self, snapshot: IndexSnapshot) -> bool:
        """Keep a snapshot; False when another process is writing one (nothing written)."""
        ...
