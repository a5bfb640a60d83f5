"""Keep each statement's normalised proposition and why each contradiction matched.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Statements stored before this revision have no proposition: they match by topic.
    with op.batch_alter_table("statements") as batch_op:
        batch_op.add_column(sa.Column("proposition", sa.Text(), nullable=False, server_default=""))
    with op.batch_alter_table("contradictions") as batch_op:
        batch_op.add_column(sa.Column("why", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("others", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("contradictions") as batch_op:
        batch_op.drop_column("others")
        batch_op.drop_column("why")
    with op.batch_alter_table("statements") as batch_op:
        batch_op.drop_column("proposition")
