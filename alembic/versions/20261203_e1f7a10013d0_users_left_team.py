"""users.left_team_id, users.left_on: the team someone last left, and the day (plans and bonuses
of the month they left count only their days in the team)

Revision ID: e1f7a10013d0
Revises: c7a05a10014e
Create Date: 2026-12-03 08:30:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "e1f7a10013d0"
down_revision: str | Sequence[str] | None = "c7a05a10014e"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("left_team_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("left_on", sa.Date(), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("left_on")
        batch_op.drop_column("left_team_id")
