"""users joined_on: the day a person joined their team (pace counts from it)

Revision ID: 7d1e4a9c2b10
Revises: 2ae6b3b6f476
Create Date: 2026-12-02 12:00:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "7d1e4a9c2b10"
down_revision: str | Sequence[str] | None = "2ae6b3b6f476"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("joined_on", sa.Date(), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("joined_on")
