"""streaks records digest: achievements, team_rewards, closed_days; entries.message_id,
outbox reactions

Revision ID: 5e7a5a10013b
Revises: c0e7e5a10013
Create Date: 2026-12-02 16:00:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "5e7a5a10013b"
down_revision: str | Sequence[str] | None = "c0e7e5a10013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "achievements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=96), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=True),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("metric", sa.String(length=16), nullable=True),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.Column("digest_day", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_achievements_team_id_teams")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_achievements_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_achievements")),
        sa.UniqueConstraint("team_id", "key", name=op.f("uq_achievements_team_id")),
    )
    op.create_index(
        "ix_achievements_team_digest", "achievements", ["team_id", "digest_day"], unique=False
    )
    op.create_table(
        "team_rewards",
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("streaks_on", sa.Boolean(), nullable=False),
        sa.Column("records_on", sa.Boolean(), nullable=False),
        sa.Column("digest_on", sa.Boolean(), nullable=False),
        sa.Column("digest_time", sa.Time(), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_team_rewards_team_id_teams")
        ),
        sa.PrimaryKeyConstraint("team_id", name=op.f("pk_team_rewards")),
    )
    op.create_table(
        "closed_days",
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_closed_days_team_id_teams")
        ),
        sa.PrimaryKeyConstraint("team_id", "day", name=op.f("pk_closed_days")),
    )
    with op.batch_alter_table("entries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("message_id", sa.BigInteger(), nullable=True))
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reaction", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("message_id", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("message_id")
        batch_op.drop_column("reaction")
    with op.batch_alter_table("entries", schema=None) as batch_op:
        batch_op.drop_column("message_id")
    op.drop_table("closed_days")
    op.drop_table("team_rewards")
    op.drop_index("ix_achievements_team_digest", table_name="achievements")
    op.drop_table("achievements")
