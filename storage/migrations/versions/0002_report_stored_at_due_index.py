"""Record when each report was stored; index the outbox by due time.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Nullable: reports stored before this revision keep an unknown storage time.
    with op.batch_alter_table("reports") as batch_op:
        batch_op.add_column(sa.Column("stored_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_deliveries_due", "deliveries", ["status", "next_attempt_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_deliveries_due", table_name="deliveries")
    with op.batch_alter_table("reports") as batch_op:
        batch_op.drop_column("stored_at")
