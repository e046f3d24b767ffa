"""Indexes for the hot queries: commission entries by customer and product, by interval, by the
entry they reverse, and by partner and period; open intervals by partner; pending consent
requests by customer, product and either partner; active partners by last activity.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# (table, index, columns) added by this revision.
_ADDED = (
    ("partners", "ix_partners_status_last_active_at", ["status", "last_active_at"]),
    ("partner_records", "ix_partner_records_partner_id_valid_to", ["partner_id", "valid_to"]),
    ("consent_requests", "ix_consent_requests_customer_id_product", ["customer_id", "product"]),
    ("consent_requests", "ix_consent_requests_partner_id", ["partner_id"]),
    ("consent_requests", "ix_consent_requests_from_partner_id", ["from_partner_id"]),
    (
        "commission_entries",
        "ix_commission_entries_partner_id_occurred_at",
        ["partner_id", "occurred_at"],
    ),
    ("commission_entries", "ix_commission_entries_customer_id_product", ["customer_id", "product"]),
    (
        "commission_entries",
        "ix_commission_entries_interval_id_occurred_at",
        ["interval_id", "occurred_at"],
    ),
    ("commission_entries", "ix_commission_entries_reverses", ["reverses"]),
)
# Single-column indexes the composite ones above start with, so they go.
_REPLACED = (
    ("partner_records", "ix_partner_records_partner_id", ["partner_id"]),
    ("commission_entries", "ix_commission_entries_partner_id", ["partner_id"]),
)

# MariaDB keeps an index on every foreign key column: InnoDB made these itself (named after the
# key) until the composite indexes above could serve the keys, and dropped them then. Going
# down, they must be back before the composite ones go.
_FOREIGN_KEY_INDEXES = (
    ("commission_entries", "fk_commission_entries_customer_id_customers", ["customer_id"]),
    ("commission_entries", "fk_commission_entries_interval_id_partner_records", ["interval_id"]),
)


def _on_mariadb() -> bool:
    return op.get_bind().dialect.name in ("mysql", "mariadb")


def upgrade() -> None:
    # Create before dropping: on MariaDB an index that serves a foreign key can only go once
    # another index can serve it.
    for table, name, columns in _ADDED:
        with op.batch_alter_table(table) as batch_op:
            batch_op.create_index(name, columns, unique=False)
    for table, name, _columns in _REPLACED:
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_index(name)
    if _on_mariadb():
        # After a downgrade and upgrade again the key indexes are ours, not InnoDB's: drop them.
        inspector = sa.inspect(op.get_bind())
        for table, name, _columns in _FOREIGN_KEY_INDEXES:
            if name in {index["name"] for index in inspector.get_indexes(table)}:
                op.drop_index(name, table_name=table)


def downgrade() -> None:
    if _on_mariadb():
        for table, name, columns in _FOREIGN_KEY_INDEXES:
            op.create_index(name, table, columns)
    for table, name, columns in _REPLACED:
        with op.batch_alter_table(table) as batch_op:
            batch_op.create_index(name, columns, unique=False)
    for table, name, _columns in reversed(_ADDED):
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_index(name)
