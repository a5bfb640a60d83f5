"""Keep each statement's normalised proposition and why each contradiction matched."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"


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
