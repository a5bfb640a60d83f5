"""Keep alike primary statements counted by group, so candidates are read a row per group.

A story retold a thousand times is a thousand alike statements (same agency, topic,
polarity, proposition and wording); detection pairs a new statement with the earliest
and the latest of them and counts the rest. `statement_groups` keeps those ends and the
count, updated in the transaction that adds or deletes a member, instead of every
analysis reading every statement of the agency.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"


def upgrade() -> None:
    with op.batch_alter_table("statements") as batch_op:
        batch_op.add_column(sa.Column("wording", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("alike", sa.String(), nullable=False, server_default=""))
    op.create_index(
        "ix_statements_alike", "statements", ["alike", "published", "sequence", "report_id"]
    )
    op.create_table(
        "statement_groups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("alike", sa.String(), nullable=False),
        sa.Column("agency_key", sa.String(), nullable=False),
        sa.Column("wording", sa.Text(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("first_statement", sa.String(), nullable=False),
        sa.Column("first_published", sa.Date(), nullable=False),
        sa.Column("first_sequence", sa.Integer(), nullable=False),
        sa.Column("first_report_id", sa.String(), nullable=False),
        sa.Column("first_row", sa.Integer(), nullable=False),
        sa.Column("last_statement", sa.String(), nullable=False),
        sa.Column("last_published", sa.Date(), nullable=False),
        sa.Column("last_sequence", sa.Integer(), nullable=False),
        sa.Column("last_report_id", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("alike", name="uq_statement_groups_alike"),
    )
    op.create_index("ix_statement_groups_agency_key", "statement_groups", ["agency_key"])
    # Statements stored before this revision get their wording and group here: the
    # code that computes them is the store's own, so both agree.
    from storage.sql_store import rebuild_statement_groups

    rebuild_statement_groups(op.get_bind())


def downgrade() -> None:
    op.drop_index("ix_statement_groups_agency_key", table_name="statement_groups")
    op.drop_table("statement_groups")
    op.drop_index("ix_statements_alike", table_name="statements")
    with op.batch_alter_table("statements") as batch_op:
        batch_op.drop_column("alike")
        batch_op.drop_column("wording")
