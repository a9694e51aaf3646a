"""tv_links: each team's TV dashboard link secret (a new one revokes the old link)

Revision ID: da5b0a10012a
Revises: 5e7a5a10013b
Create Date: 2026-12-02 16:00:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "da5b0a10012a"
down_revision: str | Sequence[str] | None = "5e7a5a10013b"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "tv_links",
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("secret", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_tv_links_team_id_teams"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("team_id", name=op.f("pk_tv_links")),
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table("tv_links")
