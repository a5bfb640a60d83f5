"""Statement row numbers are never reused, so the claim index can catch up by row.

SQLite gives a deleted highest rowid to the next insert unless the table is
AUTOINCREMENT; a report revision deletes statements, and the claim index, which reads
"every row after the last it saw", would then miss the new ones. PostgreSQL's
sequences never reuse a value: nothing to do there.
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"


def upgrade() -> None:
    _recreate_statements(autoincrement=True)


def downgrade() -> None:
    _recreate_statements(autoincrement=False)


def _recreate_statements(*, autoincrement: bool) -> None:
    """Rebuild the SQLite statements table with or without AUTOINCREMENT."""
    if op.get_bind().dialect.name != "sqlite":
        return
    with op.batch_alter_table(
        "statements", recreate="always", table_kwargs={"sqlite_autoincrement": autoincrement}
    ):
        pass
