"""The initial schema."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.migrations.columns import columns

revision = "0001"
down_revision = None


def upgrade() -> None:
    op.create_table(
        "adapter_state",
        *columns(sa.String, "key"),
        *columns(sa.Text, "value"),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_table(
        "agencies",
        *columns(sa.Integer, "id"),
        *columns(sa.String, "name", "name_key", "country"),
        *columns(sa.JSON, "aliases"),
        *columns(sa.Integer, "position"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name_key", name="uq_agencies_name_key"),
    )
    op.create_table(
        "alerts",
        *columns(sa.Integer, "id"),
        *columns(sa.String, "key", "agency", "topic"),
        *columns(_instant, "opened_at"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key", name="uq_alerts_key"),
    )
    op.create_index(op.f("ix_alerts_opened_at"), "alerts", ["opened_at"], unique=False)
    op.create_table(
        "audit_events",
        *columns(sa.Integer, "id"),
        *columns(sa.String, "actor", "action"),
        *columns(sa.Text, "detail"),
        *columns(_instant, "at"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_audit_events_at"), "audit_events", ["at"], unique=False)
    op.create_table(
        "counters",
        *columns(sa.String, "name"),
        *columns(sa.Integer, "value"),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "deliveries",
        *columns(sa.Integer, "id"),
        *columns(sa.String, "key", "alert_key", "platform", "channel_id", "contradiction_key"),
        *columns(sa.Boolean, "is_lead", "is_update"),
        *columns(sa.String, "status"),
        *columns(sa.Integer, "attempts"),
        *columns(_instant, "next_attempt_at", nullable=True),
        *columns(sa.String, "message_id", "thread_id"),
        *columns(sa.Text, "last_error"),
        *columns(_instant, "claimed_until", nullable=True),
        *columns(_instant, "created_at"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "alert_key",
            "platform",
            "channel_id",
            "contradiction_key",
            name="uq_deliveries_alert_channel_contradiction",
        ),
        sa.UniqueConstraint("key", name="uq_deliveries_key"),
    )
    op.create_index(
        "uq_deliveries_lead",
        "deliveries",
        ["alert_key", "platform", "channel_id"],
        unique=True,
        sqlite_where=sa.text("is_lead"),
        postgresql_where=sa.text("is_lead"),
    )
    op.create_table(
        "feedback",
        *columns(sa.Integer, "id"),
        *columns(sa.String, "alert_key", "platform", "channel_id", "user", "verdict"),
        *columns(_instant, "at"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_feedback_alert_key"), "feedback", ["alert_key"], unique=False)
    op.create_table(
        "feeds",
        *columns(sa.Integer, "id"),
        *columns(sa.Text, "url"),
        *columns(sa.String, "channel"),
        *columns(sa.Integer, "every_minutes"),
        *columns(sa.String, "etag", "last_modified"),
        *columns(sa.Text, "last_error"),
        *columns(_instant, "last_polled_at", nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("url", "channel", name="uq_feeds_url_channel"),
    )
    op.create_table(
        "reports",
        *columns(sa.Integer, "id"),
        *columns(sa.String, "report_id"),
        *columns(sa.Date, "published"),
        *columns(sa.String, "source", "url"),
        *columns(sa.String, "url_key", "language", nullable=True),
        *columns(sa.Text, "title", "text"),
        *columns(sa.String, "content_hash"),
        *columns(sa.Boolean, "analysed"),
        *columns(_instant, "claimed_until", nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("report_id", name="uq_reports_report_id"),
        sa.UniqueConstraint("url_key", name="uq_reports_url_key"),
    )
    op.create_index(op.f("ix_reports_content_hash"), "reports", ["content_hash"], unique=False)
    op.create_index("ix_reports_unanalysed", "reports", ["analysed", "id"], unique=False)
    op.create_table(
        "silences",
        *columns(sa.Integer, "id"),
        *columns(sa.String, "target", "target_key"),
        *columns(_instant, "until"),
        *columns(sa.String, "created_by"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("target_key", name="uq_silences_target_key"),
    )
    op.create_table(
        "statements",
        *columns(sa.Integer, "id"),
        *columns(
            sa.String, "key", "report_id", "agency", "topic", "agency_key", "topic_key", "polarity"
        ),
        *columns(sa.Text, "quote"),
        *columns(sa.Date, "published"),
        *columns(sa.String, "speaker", "source", "url"),
        *columns(sa.Float, "confidence"),
        *columns(sa.String, "role"),
        *columns(sa.Integer, "sequence"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key", name="uq_statements_key"),
    )
    op.create_index("ix_statements_pair", "statements", ["agency_key", "topic_key"], unique=False)
    op.create_index(op.f("ix_statements_report_id"), "statements", ["report_id"], unique=False)
    op.create_table(
        "subscriptions",
        *columns(sa.Integer, "id"),
        *columns(sa.String, "platform", "channel_id", "agency", "topic", "agency_key", "topic_key"),
        *columns(sa.Float, "min_score"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "platform", "channel_id", "agency_key", "topic_key", name="uq_subscriptions_scope"
        ),
    )
    op.create_table(
        "topics",
        *columns(sa.Integer, "id"),
        *columns(sa.String, "name", "name_key"),
        *columns(sa.JSON, "aliases"),
        *columns(sa.Integer, "position"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name_key", name="uq_topics_name_key"),
    )
    op.create_table(
        "contradictions",
        *columns(sa.Integer, "id"),
        *columns(
            sa.String,
            "key",
            "alert_key",
            "new_report_id",
            "earlier_report_id",
            "new_statement",
            "earlier_statement",
            "kind",
        ),
        *columns(sa.Float, "score"),
        *columns(_instant, "created_at"),
        sa.ForeignKeyConstraint(["earlier_statement"], ["statements.key"]),
        sa.ForeignKeyConstraint(["new_statement"], ["statements.key"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key", name="uq_contradictions_key"),
    )
    op.create_index(
        op.f("ix_contradictions_alert_key"), "contradictions", ["alert_key"], unique=False
    )
    op.create_index(
        op.f("ix_contradictions_new_report_id"), "contradictions", ["new_report_id"], unique=False
    )
    op.create_index(
        op.f("ix_contradictions_earlier_report_id"),
        "contradictions",
        ["earlier_report_id"],
        unique=False,
    )
    op.create_table(
        "fetch_runs",
        *columns(sa.Integer, "id", "feed_id"),
        *columns(_instant, "slot_start"),
        sa.ForeignKeyConstraint(["feed_id"], ["feeds.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("feed_id", "slot_start", name="uq_fetch_runs_slot"),
    )


def downgrade() -> None:
    op.drop_table("fetch_runs")
    op.drop_index(op.f("ix_contradictions_earlier_report_id"), table_name="contradictions")
    op.drop_index(op.f("ix_contradictions_new_report_id"), table_name="contradictions")
    op.drop_index(op.f("ix_contradictions_alert_key"), table_name="contradictions")
    op.drop_table("contradictions")
    op.drop_table("topics")
    op.drop_table("subscriptions")
    op.drop_index(op.f("ix_statements_report_id"), table_name="statements")
    op.drop_index("ix_statements_pair", table_name="statements")
    op.drop_table("statements")
    op.drop_table("silences")
    op.drop_index("ix_reports_unanalysed", table_name="reports")
    op.drop_index(op.f("ix_reports_content_hash"), table_name="reports")
    op.drop_table("reports")
    op.drop_table("feeds")
    op.drop_index(op.f("ix_feedback_alert_key"), table_name="feedback")
    op.drop_table("feedback")
    op.drop_index(
        "uq_deliveries_lead",
        table_name="deliveries",
        sqlite_where=sa.text("is_lead"),
        postgresql_where=sa.text("is_lead"),
    )
    op.drop_table("deliveries")
    op.drop_table("counters")
    op.drop_index(op.f("ix_audit_events_at"), table_name="audit_events")
    op.drop_table("audit_events")
    op.drop_index(op.f("ix_alerts_opened_at"), table_name="alerts")
    op.drop_table("alerts")
    op.drop_table("agencies")
    op.drop_table("adapter_state")


def _instant() -> sa.DateTime:
    """A point in time, stored with its zone."""
    return sa.DateTime(timezone=True)
