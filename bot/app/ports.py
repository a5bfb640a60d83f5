"""Ports the core owns: the store, chat adapters and the clock.

Adapters (`adapters/`) and storage (`storage/`) implement these; the core and the
application services only ever see the protocols.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bot.core.domain import (
    AgencyName,
    Alert,
    AlertKey,
    Channel,
    Contradiction,
    Report,
    ReportId,
    Silence,
    Statement,
    Subscription,
    TopicName,
    Watchlist,
)
from bot.core.records import (
    AlertRecord,
    AnalysisWrite,
    AuditEvent,
    Delivery,
    Feed,
    FeedbackRecord,
    StoredAnalysis,
)


class Clock(Protocol):
    def now(self) -> datetime: ...


class Store(Protocol):
    """Persistence for everything denialwatch keeps; each call is one transaction."""

    # reports
    def add_report(self, report: Report) -> bool:
        """Store a report; False when it is already stored as it is.

        The same id with new content is a correction: the stored version is kept as a
        revision, the new one replaces it and waits for analysis again (True).
        """
        ...

    def get_report(self, report_id: ReportId) -> StoredAnalysis | None: ...

    def report_with_url(self, url: str) -> ReportId | None:
        """The id under which a report with this URL is stored, if any."""
        ...

    def claim_unanalysed(self, limit: int) -> list[Report]:
        """Reports not yet analysed, locked for this worker where the database can."""
        ...

    def release_claims(self, report_ids: Sequence[ReportId]) -> None:
        """Give claimed reports back at once, so the next attempt need not wait out the lease."""
        ...

    def skip_report(self, report_id: ReportId, reason: str) -> None:
        """Mark a report done without analysis, keeping the reason (`too_costly: …`)."""
        ...

    def next_sequence(self) -> int: ...

    # statements and contradictions
    def statements_about(self, agency: AgencyName, topic: TopicName) -> list[Statement]: ...

    def all_statements(self) -> list[Statement]: ...

    def save_analysis(self, write: AnalysisWrite) -> list[Contradiction]:
        """Commit an analysis; returns the contradictions that were new."""
        ...

    # watchlist and subscriptions
    def watchlist(self) -> Watchlist: ...

    def save_watchlist(self, watchlist: Watchlist) -> None:
        """Make the watchlist exactly this one, row by row, in one transaction."""
        ...

    def merge_watchlist(
        self, watchlist: Watchlist, subscriptions: Sequence[Subscription] = ()
    ) -> None:
        """Add or update these agencies and topics (and subscriptions) in one transaction.

        Row-level upserts, never a delete: safe for replicas and commands running at once.
        """
        ...

    def subscriptions(self) -> list[Subscription]: ...

    def add_subscription(self, subscription: Subscription) -> None: ...

    def remove_subscription(self, channel: Channel, name: str) -> bool: ...

    # silences, feedback, audit
    def silences(self) -> list[Silence]: ...

    def add_silence(self, silence: Silence) -> None: ...

    def remove_silence(self, target: str) -> bool: ...

    def add_feedback(self, feedback: FeedbackRecord) -> None: ...

    def feedback(self) -> list[FeedbackRecord]: ...

    def audit(self, event: AuditEvent) -> None: ...

    def audit_events(self) -> list[AuditEvent]: ...

    # alerts and the outbox
    def alert(self, key: AlertKey) -> AlertRecord | None: ...

    def alerts_since(self, since: datetime | None) -> list[AlertRecord]: ...

    def open_alert(self, alert: Alert, opened_at: datetime) -> None: ...

    def due_deliveries(self, now: datetime, limit: int) -> list[Delivery]: ...

    def update_delivery(self, delivery: Delivery) -> None: ...

    def lead_delivery(self, alert_key: AlertKey, channel: Channel) -> Delivery | None: ...

    # feeds
    def add_feed(self, url: str, every_minutes: int, channel: str = "") -> Feed: ...

    def feeds(self) -> list[Feed]: ...

    def update_feed(self, feed: Feed) -> None: ...

    def remove_feed(self, feed_id: int) -> bool: ...

    # adapter state (Matrix sync token and the like)
    def get_state(self, key: str) -> str | None: ...

    def set_state(self, key: str, value: str) -> None: ...

    def claim_key(self, key: str) -> bool:
        """Record a key once across every replica; True only for the first caller."""
        ...

    def prune_keys(self, prefix: str, before: datetime) -> int:
        """Forget keys with this prefix claimed before `before`; return how many."""
        ...

    def ping(self) -> None:
        """Raise when the database does not answer or cannot commit a write."""
        ...


@dataclass(frozen=True, slots=True)
class CommandRequest:
    """A chat command as any platform delivers it."""

    platform: str
    channel: Channel
    user: str
    text: str


@dataclass(frozen=True, slots=True)
class CommandReply:
    text: str
    ok: bool = True


CommandHandler = Callable[[CommandRequest], Awaitable[CommandReply]]


@dataclass(frozen=True, slots=True)
class AlertView:
    """What an adapter renders for one delivery."""

    alert: Alert
    contradiction: Contradiction
    is_lead: bool
    sources: tuple[str, ...] = ()
    verdict: str = ""


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
        self, channel: Channel, view: AlertView, delivery_key: str, thread_id: str = ""
    ) -> Posted:
        """Post a lead alert or, with thread_id, a follow-up; raise DeliveryError."""
        ...

    async def update_alert(self, channel: Channel, message_id: str, view: AlertView) -> None: ...
