"""SQLModel tables for everything denialwatch keeps.

Rows are not domain objects: `storage.sql_store` maps them to and from the frozen
dataclasses of `bot.core.domain` and `bot.app.ports` inside one short transaction. The
unique constraints here are the last line of dedupe (RELIABILITY R-02, R-03, R-43):
every insert into a constrained table uses ON CONFLICT DO NOTHING and checks the
row count, so running the same work twice, on one replica or several, adds nothing.

Keep this module and `storage/migrations/versions/` in step: a test compares the
metadata with the migrated schema.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Dialect,
    Float,
    Index,
    Integer,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy import DateTime as SADateTime
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC instant on every database.

    SQLite keeps no offset, so instants are stored as naive UTC there and given
    their UTC zone back on the way out; naive input is a bug and is refused.
    """

    impl = SADateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r}: instants must be timezone-aware")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def _instant(*, nullable: bool = False, index: bool = False) -> Any:
    return Field(default=None, sa_type=UtcDateTime, nullable=nullable, index=index)


class ReportRow(SQLModel, table=True):
    """A report as received; `analysed` flips when its analysis commits."""

    __tablename__ = "reports"
    __table_args__ = (
        UniqueConstraint("report_id", name="uq_reports_report_id"),
        # NULL when the report has no URL: NULLs never collide, so only real URLs are unique.
        UniqueConstraint("url_key", name="uq_reports_url_key"),
        Index("ix_reports_unanalysed", "analysed", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    report_id: str
    published: date
    source: str = ""
    url: str = ""
    url_key: str | None = None
    language: str | None = None
    title: str = Field(default="", sa_type=Text)
    text: str = Field(default="", sa_type=Text)
    content_hash: str = Field(index=True)
    analysed: bool = Field(default=False, sa_type=Boolean)
    claimed_until: datetime | None = _instant(nullable=True)
    stored_at: datetime | None = _instant(nullable=True)
    skip_reason: str = Field(default="", sa_type=Text)
    """Why the report was not analysed (`too_costly: …`); empty when it was."""
    revision: int = Field(default=1)
    """1 for the first version; a re-sent report with new content adds one."""


class ReportRevisionRow(SQLModel, table=True):
    """An earlier version of a report, kept when a correction replaces it."""

    __tablename__ = "report_revisions"
    __table_args__ = (
        UniqueConstraint("report_id", "revision", name="uq_report_revisions_report_revision"),
    )

    id: int | None = Field(default=None, primary_key=True)
    report_id: str
    revision: int
    published: date
    source: str = ""
    url: str = ""
    title: str = Field(default="", sa_type=Text)
    text: str = Field(default="", sa_type=Text)
    content_hash: str = ""
    stored_at: datetime | None = _instant(nullable=True)


class AgencyRow(SQLModel, table=True):
    __tablename__ = "agencies"
    __table_args__ = (UniqueConstraint("name_key", name="uq_agencies_name_key"),)

    id: int | None = Field(default=None, primary_key=True)
    name: str
    name_key: str
    country: str = ""
    aliases: list[str] = Field(default_factory=list, sa_type=JSON)
    position: int = 0


class TopicRow(SQLModel, table=True):
    __tablename__ = "topics"
    __table_args__ = (UniqueConstraint("name_key", name="uq_topics_name_key"),)

    id: int | None = Field(default=None, primary_key=True)
    name: str
    name_key: str
    aliases: list[str] = Field(default_factory=list, sa_type=JSON)
    position: int = 0


class StatementRow(SQLModel, table=True):
    """One statement; `key` is `Statement.id`."""

    __tablename__ = "statements"
    __table_args__ = (
        UniqueConstraint("key", name="uq_statements_key"),
        Index("ix_statements_pair", "agency_key", "topic_key"),
        # The ends of one alike group, by record order (`storage.sql_store._alike_end`).
        Index("ix_statements_alike", "alike", "published", "sequence", "report_id"),
        # Row numbers are never reused (migration 0005): the claim index catches up by row.
        {"sqlite_autoincrement": True},
    )

    id: int | None = Field(default=None, primary_key=True)
    key: str
    report_id: str = Field(index=True)
    agency: str
    topic: str
    agency_key: str
    topic_key: str
    polarity: str
    quote: str = Field(sa_type=Text)
    published: date
    speaker: str = ""
    source: str = ""
    url: str = ""
    confidence: float = Field(default=1.0, sa_type=Float)
    role: str = "primary"
    sequence: int = 0
    proposition: str = Field(default="", sa_type=Text, sa_column_kwargs={"server_default": ""})
    wording: str = Field(default="", sa_type=Text, sa_column_kwargs={"server_default": ""})
    """The propositions its report states its stance in, one a line (`stance_wording`)."""
    alike: str = Field(default="", sa_column_kwargs={"server_default": ""})
    """Its alike group (`alike_digest`) when primary, else empty."""


class StatementGroupRow(SQLModel, table=True):
    """One group of alike primary statements (`group_alike`): its ends and its size.

    Kept in the transaction that adds or deletes a member, so finding the candidates of
    a new statement reads a row per group, however often the group's story was retold.
    """

    __tablename__ = "statement_groups"
    __table_args__ = (
        UniqueConstraint("alike", name="uq_statement_groups_alike"),
        Index("ix_statement_groups_agency_key", "agency_key"),
    )

    id: int | None = Field(default=None, primary_key=True)
    alike: str
    agency_key: str
    wording: str = Field(default="", sa_type=Text)
    count: int = 0
    first_statement: str
    first_published: date
    first_sequence: int = 0
    first_report_id: str
    first_row: int = 0
    last_statement: str
    last_published: date
    last_sequence: int = 0
    last_report_id: str


class ContradictionRow(SQLModel, table=True):
    """One contradiction; `key` is `Contradiction.key`, so one row per statement pair."""

    __tablename__ = "contradictions"
    __table_args__ = (UniqueConstraint("key", name="uq_contradictions_key"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str
    alert_key: str = Field(index=True)
    new_report_id: str = Field(index=True)
    earlier_report_id: str = Field(index=True)
    new_statement: str = Field(foreign_key="statements.key")
    earlier_statement: str = Field(foreign_key="statements.key")
    kind: str
    score: float = Field(sa_type=Float)
    created_at: datetime | None = _instant()
    why: str = Field(default="", sa_type=Text, sa_column_kwargs={"server_default": ""})
    others: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


class AlertRow(SQLModel, table=True):
    """An alert: the contradictions with its `alert_key`, opened once."""

    __tablename__ = "alerts"
    __table_args__ = (UniqueConstraint("key", name="uq_alerts_key"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str
    agency: str
    topic: str
    opened_at: datetime | None = _instant(index=True)


class DeliveryRow(SQLModel, table=True):
    """The outbox: one message (lead or follow-up) of one alert to one channel."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("key", name="uq_deliveries_key"),
        UniqueConstraint(
            "alert_key",
            "platform",
            "channel_id",
            "contradiction_key",
            name="uq_deliveries_alert_channel_contradiction",
        ),
        # One lead message per alert and channel: the alert is never posted twice.
        Index(
            "uq_deliveries_lead",
            "alert_key",
            "platform",
            "channel_id",
            unique=True,
            # As SQLAlchemy writes a boolean test on each, so the queries use it (0007).
            sqlite_where=text("is_lead = 1"),
            postgresql_where=text("is_lead"),
        ),
        Index("ix_deliveries_due", "status", "next_attempt_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    key: str
    alert_key: str
    platform: str
    channel_id: str
    contradiction_key: str
    is_lead: bool = Field(default=False, sa_type=Boolean)
    # `Delivery.update`: edit the lead's list of sources instead of posting.
    is_update: bool = Field(default=False, sa_type=Boolean)
    status: str = "pending"
    attempts: int = Field(default=0, sa_type=Integer)
    next_attempt_at: datetime | None = _instant(nullable=True)
    message_id: str = ""
    thread_id: str = ""
    last_error: str = Field(default="", sa_type=Text)
    claimed_until: datetime | None = _instant(nullable=True)
    created_at: datetime | None = _instant()


class SubscriptionRow(SQLModel, table=True):
    __tablename__ = "subscriptions"
    __table_args__ = (
        UniqueConstraint(
            "platform", "channel_id", "agency_key", "topic_key", name="uq_subscriptions_scope"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    platform: str
    channel_id: str
    agency: str = ""
    topic: str = ""
    agency_key: str = ""
    topic_key: str = ""
    min_score: float = Field(default=0.0, sa_type=Float)


class FeedRow(SQLModel, table=True):
    __tablename__ = "feeds"
    __table_args__ = (UniqueConstraint("url", "channel", name="uq_feeds_url_channel"),)

    id: int | None = Field(default=None, primary_key=True)
    url: str = Field(sa_type=Text)
    channel: str = ""
    every_minutes: int = 15
    etag: str = ""
    last_modified: str = ""
    last_error: str = Field(default="", sa_type=Text)
    last_polled_at: datetime | None = _instant(nullable=True)


class FetchRunRow(SQLModel, table=True):
    """One poll of one feed in one time slot, so two leaders never both poll it."""

    __tablename__ = "fetch_runs"
    __table_args__ = (UniqueConstraint("feed_id", "slot_start", name="uq_fetch_runs_slot"),)

    id: int | None = Field(default=None, primary_key=True)
    feed_id: int = Field(foreign_key="feeds.id", ondelete="CASCADE")
    slot_start: datetime | None = _instant()


class SilenceRow(SQLModel, table=True):
    __tablename__ = "silences"
    __table_args__ = (UniqueConstraint("target_key", name="uq_silences_target_key"),)

    id: int | None = Field(default=None, primary_key=True)
    target: str
    target_key: str
    until: datetime | None = _instant()
    created_by: str = ""


class FeedbackRow(SQLModel, table=True):
    __tablename__ = "feedback"

    id: int | None = Field(default=None, primary_key=True)
    alert_key: str = Field(index=True)
    platform: str
    channel_id: str
    user: str
    verdict: str
    at: datetime | None = _instant()


class AuditEventRow(SQLModel, table=True):
    __tablename__ = "audit_events"

    id: int | None = Field(default=None, primary_key=True)
    actor: str
    action: str
    detail: str = Field(default="", sa_type=Text)
    at: datetime | None = _instant(index=True)


class AdapterStateRow(SQLModel, table=True):
    """Key/value state of chat adapters (the Matrix sync token and the like)."""

    __tablename__ = "adapter_state"

    key: str = Field(primary_key=True)
    value: str = Field(sa_type=Text)


class CounterRow(SQLModel, table=True):
    """Named counters, such as the processing sequence of reports."""

    __tablename__ = "counters"

    name: str = Field(primary_key=True)
    value: int = 0


METADATA = SQLModel.metadata
