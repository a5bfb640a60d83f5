"""Keep alike primary statements counted by group, so candidates are read a row per group.

A story retold a thousand times is a thousand alike statements (same agency, topic,
polarity, proposition and wording); detection pairs a new statement with the earliest
and the latest of them and counts the rest. `statement_groups` keeps those ends and the
count, updated in the transaction that adds or deletes a member, instead of every
analysis reading every statement of the agency.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

from storage.migrations.columns import columns

revision = "0006"
down_revision = "0005"


def upgrade() -> None:
    # The stance's wordings and the alike group's key, empty until the backfill below.
    with op.batch_alter_table("statements") as batch_op:
        for name, kind in (("wording", sa.Text()), ("alike", sa.String())):
            batch_op.add_column(sa.Column(name, kind, nullable=False, server_default=""))
    op.create_index(
        "ix_statements_alike", "statements", ["alike", "published", "sequence", "report_id"]
    )
    op.create_table(
        "statement_groups",
        *columns(sa.Integer, "id"),
        *columns(sa.String, "alike", "agency_key"),
        *columns(sa.Text, "wording"),
        *columns(sa.Integer, "count"),
        *_end("first"),
        *columns(sa.Integer, "first_row"),
        *_end("last"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("alike", name="uq_statement_groups_alike"),
    )
    op.create_index("ix_statement_groups_agency_key", "statement_groups", ["agency_key"])
    # Statements stored before this revision get their wording and group here: the
    # code that computes them is the store's own, so both agree.
    from storage.sql_store import rebuild_statement_groups

    rebuild_statement_groups(op.get_bind())


def _end(which: str) -> list[sa.Column[Any]]:
    """The columns of one end of a group, "first" or "last": its statement and where
    that stands in the record (date, processing order, report)."""
    return [
        *columns(sa.String, f"{which}_statement"),
        *columns(sa.Date, f"{which}_published"),
        *columns(sa.Integer, f"{which}_sequence"),
        *columns(sa.String, f"{which}_report_id"),
    ]


def downgrade() -> None:
    op.drop_index("ix_statement_groups_agency_key", table_name="statement_groups")
    op.drop_table("statement_groups")
    op.drop_index("ix_statements_alike", table_name="statements")
    with op.batch_alter_table("statements") as batch_op:
        batch_op.drop_column("alike")
        batch_op.drop_column("wording")
