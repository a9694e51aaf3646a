"""targets vacations team calendar

Revision ID: 5c311199b84f
Revises: 53a2e26cbdcd
Create Date: 2026-11-28 07:47:04.893552

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "5c311199b84f"
down_revision: str | Sequence[str] | None = "53a2e26cbdcd"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "targets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=True),
        sa.Column(
            "metric",
            sa.Enum(
                "calls",
                "meetings",
                "leads",
                "deals",
                "revenue",
                name="metric",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column(
            "period",
            sa.Enum("day", "week", "month", name="period", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("created_by_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_targets_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name=op.f("fk_targets_team_id_teams")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_targets_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_targets")),
    )
    with op.batch_alter_table("targets", schema=None) as batch_op:
        batch_op.create_index("ix_targets_team_metric", ["team_id", "metric"], unique=False)

    op.create_table(
        "vacations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("start", sa.Date(), nullable=False),
        sa.Column("end", sa.Date(), nullable=False),
        sa.Column("created_by_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_vacations_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name=op.f("fk_vacations_team_id_teams")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_vacations_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vacations")),
    )
    with op.batch_alter_table("vacations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_vacations_team_id"), ["team_id"], unique=False)
        batch_op.create_index("ix_vacations_user_start", ["user_id", "start"], unique=False)

    with op.batch_alter_table("teams", schema=None) as batch_op:
        batch_op.add_column(sa.Column("country", sa.String(length=8), nullable=True))
        batch_op.add_column(
            sa.Column("weekdays_mask", sa.Integer(), nullable=False, server_default="31")
        )
    # Existing teams keep Monday-Friday (31, above) and get the Russian calendar.
    op.execute("UPDATE teams SET country = 'RU'")


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("teams", schema=None) as batch_op:
        batch_op.drop_column("weekdays_mask")
        batch_op.drop_column("country")

    with op.batch_alter_table("vacations", schema=None) as batch_op:
        batch_op.drop_index("ix_vacations_user_start")
        batch_op.drop_index(batch_op.f("ix_vacations_team_id"))

    op.drop_table("vacations")
    with op.batch_alter_table("targets", schema=None) as batch_op:
        batch_op.drop_index("ix_targets_team_metric")

    op.drop_table("targets")
