"""outbox scheduler settings celebrations

Revision ID: 2ae6b3b6f476
Revises: 5c311199b84f
Create Date: 2026-11-28 07:56:30.269622

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "2ae6b3b6f476"
down_revision: str | Sequence[str] | None = "5c311199b84f"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "leases",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("holder", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_leases")),
    )
    op.create_table(
        "celebrations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("subject", sa.BigInteger(), nullable=False),
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
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("target", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("posted", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_celebrations_team_id_teams")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_celebrations")),
        sa.UniqueConstraint(
            "team_id",
            "subject",
            "metric",
            "period",
            "period_start",
            name=op.f("uq_celebrations_team_id"),
        ),
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dedup_key", sa.String(length=128), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("photo", sa.LargeBinary(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "sent",
                "failed",
                "dropped",
                name="outboxstatus",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("not_before", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(length=300), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_outbox_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        sa.UniqueConstraint("dedup_key", name=op.f("uq_outbox_dedup_key")),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_status_due", ["status", "not_before"], unique=False)

    with op.batch_alter_table("teams", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("reminder_time", sa.Time(), nullable=False, server_default="18:00:00.000000")
        )
        batch_op.add_column(
            sa.Column("report_weekday", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column("report_time", sa.Time(), nullable=False, server_default="09:00:00.000000")
        )
        batch_op.add_column(
            sa.Column("quiet_start", sa.Time(), nullable=False, server_default="22:00:00.000000")
        )
        batch_op.add_column(
            sa.Column("quiet_end", sa.Time(), nullable=False, server_default="08:00:00.000000")
        )
        batch_op.add_column(
            sa.Column("public_stats", sa.Boolean(), nullable=False, server_default=sa.true())
        )
        batch_op.add_column(sa.Column("chat_id", sa.BigInteger(), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_teams_chat_id"), ["chat_id"])

    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reminder_time", sa.Time(), nullable=True))
        batch_op.add_column(
            sa.Column("reminders_on", sa.Boolean(), nullable=False, server_default=sa.true())
        )
        batch_op.add_column(
            sa.Column("on_track_notes", sa.Boolean(), nullable=False, server_default=sa.true())
        )
        batch_op.add_column(
            sa.Column("blocked_bot", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("blocked_bot")
        batch_op.drop_column("on_track_notes")
        batch_op.drop_column("reminders_on")
        batch_op.drop_column("reminder_time")

    with op.batch_alter_table("teams", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_teams_chat_id"), type_="unique")
        batch_op.drop_column("chat_id")
        batch_op.drop_column("public_stats")
        batch_op.drop_column("quiet_end")
        batch_op.drop_column("quiet_start")
        batch_op.drop_column("report_time")
        batch_op.drop_column("report_weekday")
        batch_op.drop_column("reminder_time")

    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_status_due")

    op.drop_table("outbox")
    op.drop_table("celebrations")
    op.drop_table("leases")
