"""contests: a team's race over one metric, its posts to the group made once each

Revision ID: c0e7e5a10013
Revises: b0a05a10013c
Create Date: 2026-12-02 16:00:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "c0e7e5a10013"
down_revision: str | Sequence[str] | None = "b0a05a10013c"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

METRICS = ("calls", "meetings", "leads", "deals", "revenue")
PERIODS = ("day", "week", "month")


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "contests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("running_team", sa.BigInteger(), nullable=True),
        sa.Column(
            "metric",
            sa.Enum(*METRICS, name="metric", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("tag", sa.String(length=32), nullable=True),
        sa.Column("by_target", sa.Boolean(), nullable=False),
        sa.Column("start", sa.Date(), nullable=False),
        sa.Column("end", sa.Date(), nullable=False),
        sa.Column(
            "repeat",
            sa.Enum(*PERIODS, name="period", native_enum=False, length=16),
            nullable=True,
        ),
        sa.Column("prize", sa.String(length=200), nullable=True),
        sa.Column("rules_version", sa.Integer(), nullable=False),
        sa.Column("kickoff_posted", sa.Boolean(), nullable=False),
        sa.Column("midway_posted", sa.Boolean(), nullable=False),
        sa.Column("final_posted", sa.Boolean(), nullable=False),
        sa.Column("created_by_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name=op.f("fk_contests_team_id_teams")),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_contests_created_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contests")),
        sa.UniqueConstraint("running_team", name=op.f("uq_contests_running_team")),
    )
    with op.batch_alter_table("contests", schema=None) as batch_op:
        batch_op.create_index("ix_contests_team_start", ["team_id", "start"], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("contests", schema=None) as batch_op:
        batch_op.drop_index("ix_contests_team_start")
    op.drop_table("contests")
