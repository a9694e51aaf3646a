"""bonus schemes: a team's bonus rules, each in force from the 1st of a month

Revision ID: b0a05a10013c
Revises: 7d1e4a9c2b10
Create Date: 2026-12-02 15:40:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "b0a05a10013c"
down_revision: str | Sequence[str] | None = "7d1e4a9c2b10"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "bonus_schemes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("per_deal_kopecks", sa.BigInteger(), nullable=False),
        sa.Column("tiers", sa.String(length=200), nullable=False),
        sa.Column("threshold_percent", sa.Integer(), nullable=False),
        sa.Column("cap_kopecks", sa.BigInteger(), nullable=True),
        sa.Column("created_by_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_bonus_schemes_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_bonus_schemes_team_id_teams")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bonus_schemes")),
        sa.UniqueConstraint("team_id", "starts_on", name=op.f("uq_bonus_schemes_team_id")),
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table("bonus_schemes")
