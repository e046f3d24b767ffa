"""Online payments (issue 10, second part): customers' saved payment methods, and on payments
why an online one failed, the saved method it charged, and the index reconciliation reads the
unknown payments by.

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

from partnerkit.backends.sql.types import UtcDateTime

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

_MYSQL: dict[str, Any] = {
    "mysql_charset": "utf8mb4",
    "mysql_collate": "utf8mb4_bin",
    "mysql_engine": "InnoDB",
}


def upgrade() -> None:
    op.create_table(
        "payment_methods",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("customer_id", sa.String(length=40), nullable=False),
        sa.Column("token", sa.String(length=255), nullable=False),
        sa.Column("brand", sa.String(length=40), nullable=False),
        sa.Column("last4", sa.String(length=4), nullable=False),
        sa.Column("exp_month", sa.Integer(), nullable=False),
        sa.Column("exp_year", sa.Integer(), nullable=False),
        sa.Column("default", sa.Boolean(), nullable=False),
        sa.Column("added_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_payment_methods_customer_id_customers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_methods")),
        **_MYSQL,
    )
    op.create_index(
        "ix_payment_methods_customer_id",
        "payment_methods",
        ["customer_id", "added_at", "id"],
        unique=False,
    )
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("failure_code", sa.String(length=60), nullable=True))
        batch_op.add_column(sa.Column("payment_method_id", sa.String(length=40), nullable=True))
        batch_op.create_index(
            "ix_payments_status_recorded_at", ["status", "recorded_at", "id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.drop_index("ix_payments_status_recorded_at")
        batch_op.drop_column("payment_method_id")
        batch_op.drop_column("failure_code")
    # Dropping the table drops its indexes (MariaDB keeps the one serving the foreign key).
    op.drop_table("payment_methods")
