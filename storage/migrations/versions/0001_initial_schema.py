"""The initial schema."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None


def upgrade() -> None:
    op.create_table(
        "adapter_state",
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_table(
        "agencies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("name_key", sa.String(), nullable=False),
        sa.Column("country", sa.String(), nullable=False),
        sa.Column("aliases", sa.JSON(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name_key", name="uq_agencies_name_key"),
    )
    op.create_table(
        "alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("agency", sa.String(), nullable=False),
        sa.Column("topic", sa.String(), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key", name="uq_alerts_key"),
    )
    op.create_index(op.f("ix_alerts_opened_at"), "alerts", ["opened_at"], unique=False)
    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("actor", sa.String(), nullable=False),
        sa.Column("action", sa.String(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_audit_events_at"), "audit_events", ["at"], unique=False)
    op.create_table(
        "counters",
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("alert_key", sa.String(), nullable=False),
        sa.Column("platform", sa.String(), nullable=False),
        sa.Column("channel_id", sa.String(), nullable=False),
        sa.Column("contradiction_key", sa.String(), nullable=False),
        sa.Column("is_lead", sa.Boolean(), nullable=False),
        sa.Column("is_update", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("message_id", sa.String(), nullable=False),
        sa.Column("thread_id", sa.String(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
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
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("alert_key", sa.String(), nullable=False),
        sa.Column("platform", sa.String(), nullable=False),
        sa.Column("channel_id", sa.String(), nullable=False),
        sa.Column("user", sa.String(), nullable=False),
        sa.Column("verdict", sa.String(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_feedback_alert_key"), "feedback", ["alert_key"], unique=False)
    op.create_table(
        "feeds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("channel", sa.String(), nullable=False),
        sa.Column("every_minutes", sa.Integer(), nullable=False),
        sa.Column("etag", sa.String(), nullable=False),
        sa.Column("last_modified", sa.String(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("last_polled_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("url", "channel", name="uq_feeds_url_channel"),
    )
    op.create_table(
        "reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.String(), nullable=False),
        sa.Column("published", sa.Date(), nullable=False),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("url", sa.String(), nullable=False),
        sa.Column("url_key", sa.String(), nullable=True),
        sa.Column("language", sa.String(), nullable=True),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("content_hash", sa.String(), nullable=False),
        sa.Column("analysed", sa.Boolean(), nullable=False),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("report_id", name="uq_reports_report_id"),
        sa.UniqueConstraint("url_key", name="uq_reports_url_key"),
    )
    op.create_index(op.f("ix_reports_content_hash"), "reports", ["content_hash"], unique=False)
    op.create_index("ix_reports_unanalysed", "reports", ["analysed", "id"], unique=False)
    op.create_table(
        "silences",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("target", sa.String(), nullable=False),
        sa.Column("target_key", sa.String(), nullable=False),
        sa.Column("until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("target_key", name="uq_silences_target_key"),
    )
    op.create_table(
        "statements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("report_id", sa.String(), nullable=False),
        sa.Column("agency", sa.String(), nullable=False),
        sa.Column("topic", sa.String(), nullable=False),
        sa.Column("agency_key", sa.String(), nullable=False),
        sa.Column("topic_key", sa.String(), nullable=False),
        sa.Column("polarity", sa.String(), nullable=False),
        sa.Column("quote", sa.Text(), nullable=False),
        sa.Column("published", sa.Date(), nullable=False),
        sa.Column("speaker", sa.String(), nullable=False),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("url", sa.String(), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("role", sa.String(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key", name="uq_statements_key"),
    )
    op.create_index("ix_statements_pair", "statements", ["agency_key", "topic_key"], unique=False)
    op.create_index(op.f("ix_statements_report_id"), "statements", ["report_id"], unique=False)
    op.create_table(
        "subscriptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(), nullable=False),
        sa.Column("channel_id", sa.String(), nullable=False),
        sa.Column("agency", sa.String(), nullable=False),
        sa.Column("topic", sa.String(), nullable=False),
        sa.Column("agency_key", sa.String(), nullable=False),
        sa.Column("topic_key", sa.String(), nullable=False),
        sa.Column("min_score", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "platform", "channel_id", "agency_key", "topic_key", name="uq_subscriptions_scope"
        ),
    )
    op.create_table(
        "topics",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("name_key", sa.String(), nullable=False),
        sa.Column("aliases", sa.JSON(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name_key", name="uq_topics_name_key"),
    )
    op.create_table(
        "contradictions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("alert_key", sa.String(), nullable=False),
        sa.Column("new_report_id", sa.String(), nullable=False),
        sa.Column("earlier_report_id", sa.String(), nullable=False),
        sa.Column("new_statement", sa.String(), nullable=False),
        sa.Column("earlier_statement", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["earlier_statement"],
            ["statements.key"],
        ),
        sa.ForeignKeyConstraint(
            ["new_statement"],
            ["statements.key"],
        ),
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
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("feed_id", sa.Integer(), nullable=False),
        sa.Column("slot_start", sa.DateTime(timezone=True), nullable=False),
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
