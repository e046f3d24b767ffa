"""Invoices record what was paid back of them: money that paid an invoice can be refunded
with a credit note against it (issue 10, "refunds to the original method"). Ledger entries
keep what their words are built from (a due date, a method), so a statement speaks the
reader's language; entries from before keep their English sentence.

Revision ID: 0015
Revises: 0014
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("invoices") as batch_op:
        batch_op.add_column(
            sa.Column("refunded_minor", sa.BigInteger(), nullable=False, server_default="0")
        )
    with op.batch_alter_table("ledger_entries") as batch_op:
        batch_op.add_column(sa.Column("detail", sa.String(length=40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("ledger_entries") as batch_op:
        batch_op.drop_column("detail")
    with op.batch_alter_table("invoices") as batch_op:
        batch_op.drop_column("refunded_minor")
