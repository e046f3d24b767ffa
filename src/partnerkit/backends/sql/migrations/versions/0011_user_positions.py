"""An account's users by position: adding a user reads the last position taken, which with an
index on the account alone meant reading every user of the account.

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_TABLE = "customer_users"
_ADDED = ("ix_customer_users_customer_id_position", ["customer_id", "position"])
_REPLACED = ("ix_customer_users_customer_id", ["customer_id"])


def upgrade() -> None:
    # Create before dropping: on MariaDB the index serving the customer foreign key can only
    # go once another index serves it.
    with op.batch_alter_table(_TABLE) as batch_op:
        batch_op.create_index(_ADDED[0], _ADDED[1], unique=False)
    with op.batch_alter_table(_TABLE) as batch_op:
        batch_op.drop_index(_REPLACED[0])


def downgrade() -> None:
    with op.batch_alter_table(_TABLE) as batch_op:
        batch_op.create_index(_REPLACED[0], _REPLACED[1], unique=False)
    with op.batch_alter_table(_TABLE) as batch_op:
        batch_op.drop_index(_ADDED[0])
