"""Records the store keeps beside the domain values: outbox rows, alerts, feeds, audit."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum

from bot.core.domain import (
    Alert,
    AlertKey,
    Channel,
    Contradiction,
    Report,
    ReportId,
    Statement,
)


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
    DEAD = "dead"
    SUPPRESSED = "suppressed"
    """Muted when it was routed or when it came due: kept to show what was held back."""
    COALESCED = "coalesced"
    """A source-list edit of a lead that a later edit already carried (it rendered every
    source the alert had): not sent, as a burst of copies would edit one message
    thousands of times at one message per second."""


class DeliveryOutcome(StrEnum):
    """What one pass of the delivery stages did with a row (metrics and logs)."""

    SENT = "sent"
    RETRY = "retry"
    RATELIMITED = "ratelimited"
    PAUSED = "paused"
    FAILED = "failed"
    DEAD = "dead"
    SUPPRESSED = "suppressed"
    COALESCED = "coalesced"


class Verdict(StrEnum):
    """An editor's feedback on an alert (Slack button, Matrix reaction)."""

    CONFIRMED = "confirmed"
    FALSE_ALARM = "false_alarm"
    MUTED = "muted"
    """Not a contradiction worth seeing: also silences the alert's agency for a week."""


@dataclass(frozen=True, slots=True)
class Delivery:
    """One alert message (lead or follow-up) to one channel: an outbox row."""

    key: str
    alert_key: AlertKey
    channel: Channel
    contradiction_key: str
    is_lead: bool
    status: DeliveryStatus = DeliveryStatus.PENDING
    attempts: int = 0
    next_attempt_at: datetime | None = None
    message_id: str = ""
    thread_id: str = ""
    last_error: str = ""
    update: bool = False
    """A copy of the story within the group window: edit the lead's source list."""
    created_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class AlertRecord:
    """An alert as stored: its contradictions and, per channel, the lead message."""

    alert: Alert
    opened_at: datetime
    deliveries: tuple[Delivery, ...] = ()


@dataclass(frozen=True, slots=True)
class FeedbackRecord:
    alert_key: AlertKey
    channel: Channel
    user: str
    verdict: Verdict
    at: datetime


@dataclass(frozen=True, slots=True)
class AuditEvent:
    actor: str
    action: str
    detail: str
    at: datetime


LEGACY_CLAIM = "claimed"
"""The value claimed keys had before they carried their time (pruned like old ones)."""


def claim_stamp(at: datetime) -> str:
    """How a claimed key records when it was claimed: UTC ISO seconds, ordered as text."""
    return at.astimezone(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True, slots=True)
class Feed:
    id: int
    url: str
    every_minutes: int = 15
    etag: str = ""
    last_modified: str = ""
    last_error: str = ""
    last_polled_at: datetime | None = None
    channel: str = ""


@dataclass(frozen=True, slots=True)
class ReportRevision:
    """An earlier version of a report that a correction (same id, new content) replaced."""

    revision: int
    report: Report
    stored_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class StoredAnalysis:
    report: Report
    statements: tuple[Statement, ...] = ()
    contradictions: tuple[Contradiction, ...] = ()
    analysed: bool = False
    skip_reason: str = ""
    """Why the report was not analysed (`too_costly: …`); empty when it was."""
    revision: int = 1
    earlier: tuple[ReportRevision, ...] = ()
    """The versions this one replaced, oldest first."""


@dataclass(frozen=True, slots=True)
class AnalysisWrite:
    """Everything one analysis commits in a single transaction (the outbox rule)."""

    report_id: ReportId
    statements: Sequence[Statement] = ()
    contradictions: Sequence[Contradiction] = ()
    deliveries: Sequence[Delivery] = field(default=())
    alerts: Sequence[Alert] = ()
    """Alerts this analysis opens (first contradiction of an agency and topic)."""
    at: datetime | None = None


@dataclass(frozen=True, slots=True)
class StatementText:
    """What the claim index reads of one stored statement, with its row number.

    Rows are numbered in insertion order and never reused, so "every row after n" is
    what was stored since the index last looked (see `StatementRepository`).
    """

    row: int
    id: str
    agency: str
    topic: str
    quote: str


@dataclass(frozen=True, slots=True)
class AlikeStatements:
    """Stored primary statements alike in agency, topic, polarity and wording.

    Detection matches them once and pairs a new statement with the ends only, so the
    store hands over the earliest, the latest and how many there are, not every one.
    """

    earliest: Statement
    latest: Statement
    count: int
    wording: tuple[str, ...] = ()
    """Every proposition the earliest's report states the same stance in (`stance_wording`)."""
