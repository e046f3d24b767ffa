"""Indexes for a customer's product history read at an instant: the interval covering it (by
start), the intervals still earning then and the last end (by end). The index on customer and
product alone left each of these reading the whole history.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_TABLE = "partner_records"
_ADDED = (
    (
        "ix_partner_records_customer_id_product_valid_from",
        ["customer_id", "product", "valid_from", "id"],
    ),
    ("ix_partner_records_customer_id_product_valid_to", ["customer_id", "product", "valid_to"]),
)
_REPLACED = ("ix_partner_records_customer_id_product", ["customer_id", "product"])


def upgrade() -> None:
    # Create before dropping: on MariaDB the index serving the customer foreign key can only
    # go once another index serves it.
    with op.batch_alter_table(_TABLE) as batch_op:
        for name, columns in _ADDED:
            batch_op.create_index(name, columns, unique=False)
    with op.batch_alter_table(_TABLE) as batch_op:
        batch_op.drop_index(_REPLACED[0])


def downgrade() -> None:
    with op.batch_alter_table(_TABLE) as batch_op:
        batch_op.create_index(_REPLACED[0], _REPLACED[1], unique=False)
    with op.batch_alter_table(_TABLE) as batch_op:
        for name, _columns in reversed(_ADDED):
            batch_op.drop_index(name)
