"""Keep earlier revisions of re-sent reports; record why a report was not analysed."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    with op.batch_alter_table("reports") as batch_op:
        batch_op.add_column(sa.Column("skip_reason", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("revision", sa.Integer(), nullable=False, server_default="1"))
    op.create_table(
        "report_revisions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("report_id", sa.String(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("published", sa.Date(), nullable=False),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("url", sa.String(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("content_hash", sa.String(), nullable=False),
        sa.Column("stored_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("report_id", "revision", name="uq_report_revisions_report_revision"),
    )


def downgrade() -> None:
    op.drop_table("report_revisions")
    with op.batch_alter_table("reports") as batch_op:
        batch_op.drop_column("revision")
        batch_op.drop_column("skip_reason")
