"""connections and external events: CRM and PBX events that log entries (entries.source)

Revision ID: c7a05a10014e
Revises: da5b0a10012a
Create Date: 2026-12-02 15:36:57.614111

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "c7a05a10014e"
down_revision: str | Sequence[str] | None = "da5b0a10012a"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "connections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("system", sa.String(length=16), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("signing_secret", sa.String(length=256), nullable=True),
        sa.Column("rest_url", sa.String(length=512), nullable=True),
        sa.Column("min_call_seconds", sa.Integer(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("failures_noted", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_connections_team_id_teams")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_connections")),
        sa.UniqueConstraint("team_id", "system", name=op.f("uq_connections_team_id")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_connections_token_hash")),
    )
    op.create_table(
        "external_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("external_id", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=8), nullable=False),
        sa.Column("amount_kopecks", sa.BigInteger(), nullable=True),
        sa.Column("seconds", sa.Integer(), nullable=True),
        sa.Column("person", sa.String(length=64), nullable=False),
        sa.Column("person_name", sa.String(length=128), nullable=True),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["connections.id"],
            name=op.f("fk_external_events_connection_id_connections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_external_events")),
    )
    with op.batch_alter_table("external_events", schema=None) as batch_op:
        batch_op.create_index("ix_external_events_applied_id", ["applied_at", "id"], unique=False)
        batch_op.create_index(
            "ix_external_events_connection_received", ["connection_id", "received_at"], unique=False
        )

    op.create_table(
        "external_people",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column("external_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=True),
        sa.Column("user_id", sa.BigInteger(), nullable=True),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["connections.id"],
            name=op.f("fk_external_people_connection_id_connections"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_external_people_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_external_people")),
        sa.UniqueConstraint(
            "connection_id", "external_id", name=op.f("uq_external_people_connection_id")
        ),
    )
    op.create_table(
        "external_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("external_id", sa.String(length=64), nullable=False),
        sa.Column("person", sa.String(length=64), nullable=False),
        sa.Column("counts", sa.Boolean(), nullable=False),
        sa.Column("amount_kopecks", sa.BigInteger(), nullable=True),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["connections.id"],
            name=op.f("fk_external_items_connection_id_connections"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"], ["entries.id"], name=op.f("fk_external_items_entry_id_entries")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_external_items")),
        sa.UniqueConstraint(
            "connection_id", "kind", "external_id", name=op.f("uq_external_items_connection_id")
        ),
    )
    with op.batch_alter_table("entries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("source", sa.String(length=16), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("entries", schema=None) as batch_op:
        batch_op.drop_column("source")

    op.drop_table("external_items")
    op.drop_table("external_people")
    with op.batch_alter_table("external_events", schema=None) as batch_op:
        batch_op.drop_index("ix_external_events_connection_received")
        batch_op.drop_index("ix_external_events_applied_id")

    op.drop_table("external_events")
    op.drop_table("connections")
