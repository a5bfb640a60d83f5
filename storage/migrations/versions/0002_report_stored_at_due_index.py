"""Record when each report was stored; index the outbox by due time."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    # Nullable: reports stored before this revision keep an unknown storage time.
    with op.batch_alter_table("reports") as batch_op:
        batch_op.add_column(sa.Column("stored_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_deliveries_due", "deliveries", ["status", "next_attempt_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_deliveries_due", table_name="deliveries")
    with op.batch_alter_table("reports") as batch_op:
        batch_op.drop_column("stored_at")
