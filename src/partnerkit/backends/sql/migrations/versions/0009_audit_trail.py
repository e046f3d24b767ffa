"""The audit trail (issue 9, item 6): one append-only row per access decision, with an index
per filter a query may lead with (account, partner, actor, kind), each in time order.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from partnerkit.backends.sql.types import UtcDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_INDEXES = (
    ("ix_audit_entries_at", ["at"]),
    ("ix_audit_entries_customer_id_at", ["customer_id", "at", "id"]),
    ("ix_audit_entries_partner_id_at", ["partner_id", "at", "id"]),
    ("ix_audit_entries_by_at", ["by", "at", "id"]),
    ("ix_audit_entries_kind_at", ["kind", "at", "id"]),
)


def upgrade() -> None:
    op.create_table(
        "audit_entries",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("allowed", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.String(length=100), nullable=False),
        sa.Column("by", sa.String(length=254), nullable=False),
        sa.Column("customer_id", sa.String(length=100), nullable=True),
        sa.Column("partner_id", sa.String(length=100), nullable=True),
        sa.Column("product", sa.String(length=100), nullable=True),
        sa.Column("subject", sa.String(length=254), nullable=True),
        sa.Column("details", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_entries")),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_bin",
        mysql_engine="InnoDB",
    )
    for name, columns in _INDEXES:
        op.create_index(name, "audit_entries", columns, unique=False)


def downgrade() -> None:
    for name, _columns in reversed(_INDEXES):
        op.drop_index(name, table_name="audit_entries")
    op.drop_table("audit_entries")
