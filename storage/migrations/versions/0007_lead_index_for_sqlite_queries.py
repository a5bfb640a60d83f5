"""SQLite's one-lead-per-alert index is written as the queries that need it are.

SQLite uses a partial index only for a query that has the index's WHERE term itself.
SQLAlchemy writes a boolean test as `is_lead = 1` on SQLite, and the index said
`is_lead`: claiming due deliveries (does a follow-up's lead still wait?) and reading
an alert's leads then walked every delivery of the alert instead. With 5,000 pending
follow-ups that claim took 1.4 s inside SQLite's write lock, and every write waited.
PostgreSQL writes the test as `is_lead` and proves either form: nothing to do there.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"

COLUMNS = ["alert_key", "platform", "channel_id"]


def upgrade() -> None:
    _lead_index_where("is_lead = 1")


def downgrade() -> None:
    _lead_index_where("is_lead")


def _lead_index_where(condition: str) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.drop_index("uq_deliveries_lead", table_name="deliveries")
    op.create_index(
        "uq_deliveries_lead",
        "deliveries",
        COLUMNS,
        unique=True,
        sqlite_where=sa.text(condition),
    )
