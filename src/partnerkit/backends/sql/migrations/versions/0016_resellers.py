"""The reseller portal (issue 12, 004 seed): resellers and their invitations (the token stored
as a hash), the customers each manages (one email per reseller, an index per list order), tags,
sales orders with their lines and the one invoice that bills each, customers' moves to portals
of their own, and the read-only traces those moves leave (details and orders as they were).

Revision ID: 0016
Revises: 0015
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

from partnerkit.backends.sql.types import UtcDateTime

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

_MYSQL: dict[str, Any] = {
    "mysql_charset": "utf8mb4",
    "mysql_collate": "utf8mb4_bin",
    "mysql_engine": "InnoDB",
}


def _customer_columns() -> list[sa.Column[Any]]:
    """A reseller's customer after its key: the live row and a move's trace hold the same."""
    details = [
        "contact_name",
        "contact_phone",
        "shipping_line1",
        "shipping_line2",
        "shipping_city",
        "shipping_postal_code",
        "shipping_country",
        "company_name",
        "company_tax_id",
    ]
    return [
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("archived", sa.Boolean(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=254), nullable=False),
        sa.Column("archived_at", UtcDateTime(), nullable=True),
        *(sa.Column(name, sa.String(length=200), nullable=True) for name in details),
        sa.Column("version", sa.Integer(), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "resellers",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("invited_by", sa.String(length=254), nullable=False),
        sa.Column("from_customer_id", sa.String(length=40), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["from_customer_id"],
            ["customers.id"],
            name=op.f("fk_resellers_from_customer_id_customers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resellers")),
        **_MYSQL,
    )
    op.create_table(
        "customer_migrations",
        sa.Column("from_reseller_id", sa.String(length=40), nullable=False),
        sa.Column("customer_id", sa.String(length=40), nullable=False),
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("to_reseller_id", sa.String(length=40), nullable=False),
        sa.Column("migrated_at", UtcDateTime(), nullable=False),
        sa.Column("migrated_by", sa.String(length=254), nullable=False),
        sa.Column("consent_id", sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_customer_migrations_customer_id_customers"),
        ),
        sa.ForeignKeyConstraint(
            ["from_reseller_id"],
            ["resellers.id"],
            name=op.f("fk_customer_migrations_from_reseller_id_resellers"),
        ),
        sa.ForeignKeyConstraint(
            ["to_reseller_id"],
            ["resellers.id"],
            name=op.f("fk_customer_migrations_to_reseller_id_resellers"),
        ),
        sa.PrimaryKeyConstraint(
            "from_reseller_id", "customer_id", name=op.f("pk_customer_migrations")
        ),
        sa.UniqueConstraint("id", name=op.f("uq_customer_migrations_id")),
        **_MYSQL,
    )
    op.create_index(
        "ix_customer_migrations_customer_id",
        "customer_migrations",
        ["customer_id", "migrated_at"],
        unique=False,
    )
    op.create_index(
        "ix_customer_migrations_from",
        "customer_migrations",
        ["from_reseller_id", "migrated_at"],
        unique=False,
    )
    op.create_table(
        "reseller_customers",
        sa.Column("customer_id", sa.String(length=40), nullable=False),
        sa.Column("reseller_id", sa.String(length=40), nullable=False),
        *_customer_columns(),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_reseller_customers_customer_id_customers"),
        ),
        sa.ForeignKeyConstraint(
            ["reseller_id"],
            ["resellers.id"],
            name=op.f("fk_reseller_customers_reseller_id_resellers"),
        ),
        sa.PrimaryKeyConstraint("customer_id", name=op.f("pk_reseller_customers")),
        sa.UniqueConstraint(
            "reseller_id", "email", name=op.f("uq_reseller_customers_reseller_id_email")
        ),
        **_MYSQL,
    )
    op.create_index(
        "ix_reseller_customers_by_created",
        "reseller_customers",
        ["reseller_id", "archived", "created_at", "customer_id"],
        unique=False,
    )
    op.create_index(
        "ix_reseller_customers_by_email",
        "reseller_customers",
        ["reseller_id", "archived", "email", "customer_id"],
        unique=False,
    )
    op.create_index(
        "ix_reseller_customers_by_name",
        "reseller_customers",
        ["reseller_id", "archived", "name", "customer_id"],
        unique=False,
    )
    op.create_table(
        "reseller_invitations",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("reseller_id", sa.String(length=40), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("expires_at", UtcDateTime(), nullable=False),
        sa.Column("accepted_at", UtcDateTime(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["reseller_id"],
            ["resellers.id"],
            name=op.f("fk_reseller_invitations_reseller_id_resellers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reseller_invitations")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_reseller_invitations_token_hash")),
        **_MYSQL,
    )
    op.create_index(
        op.f("ix_reseller_invitations_reseller_id"),
        "reseller_invitations",
        ["reseller_id"],
        unique=False,
    )
    op.create_table(
        "reseller_tags",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("reseller_id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["reseller_id"], ["resellers.id"], name=op.f("fk_reseller_tags_reseller_id_resellers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reseller_tags")),
        sa.UniqueConstraint("reseller_id", "key", name=op.f("uq_reseller_tags_reseller_id_key")),
        **_MYSQL,
    )
    op.create_table(
        "sales_orders",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("customer_id", sa.String(length=40), nullable=False),
        sa.Column("reseller_id", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("total_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=254), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.Column("invoice_id", sa.String(length=40), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_sales_orders_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["invoice_id"], ["invoices.id"], name=op.f("fk_sales_orders_invoice_id_invoices")
        ),
        sa.ForeignKeyConstraint(
            ["reseller_id"], ["resellers.id"], name=op.f("fk_sales_orders_reseller_id_resellers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sales_orders")),
        sa.UniqueConstraint("invoice_id", name=op.f("uq_sales_orders_invoice_id")),
        **_MYSQL,
    )
    op.create_index(
        "ix_sales_orders_customer_id",
        "sales_orders",
        ["customer_id", "created_at", "id"],
        unique=False,
    )
    op.create_index(
        "ix_sales_orders_customer_reseller",
        "sales_orders",
        ["customer_id", "reseller_id", "created_at", "id"],
        unique=False,
    )
    op.create_table(
        "reseller_customer_traces",
        sa.Column("reseller_id", sa.String(length=40), nullable=False),
        sa.Column("customer_id", sa.String(length=40), nullable=False),
        *_customer_columns(),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_reseller_customer_traces_customer_id_customers"),
        ),
        sa.ForeignKeyConstraint(
            ["reseller_id"],
            ["resellers.id"],
            name=op.f("fk_reseller_customer_traces_reseller_id_resellers"),
        ),
        sa.PrimaryKeyConstraint(
            "reseller_id", "customer_id", name=op.f("pk_reseller_customer_traces")
        ),
        **_MYSQL,
    )
    op.create_table(
        "sales_order_traces",
        sa.Column("reseller_id", sa.String(length=40), nullable=False),
        sa.Column("order_id", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.Column("invoice_id", sa.String(length=40), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["sales_orders.id"],
            name=op.f("fk_sales_order_traces_order_id_sales_orders"),
        ),
        sa.ForeignKeyConstraint(
            ["reseller_id"],
            ["resellers.id"],
            name=op.f("fk_sales_order_traces_reseller_id_resellers"),
        ),
        sa.PrimaryKeyConstraint("reseller_id", "order_id", name=op.f("pk_sales_order_traces")),
        **_MYSQL,
    )
    op.create_table(
        "reseller_customer_tags",
        sa.Column("tag_id", sa.String(length=40), nullable=False),
        sa.Column("customer_id", sa.String(length=40), nullable=False),
        sa.Column("reseller_id", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_reseller_customer_tags_customer_id_customers"),
        ),
        sa.ForeignKeyConstraint(
            ["reseller_id"],
            ["resellers.id"],
            name=op.f("fk_reseller_customer_tags_reseller_id_resellers"),
        ),
        sa.ForeignKeyConstraint(
            ["tag_id"],
            ["reseller_tags.id"],
            name=op.f("fk_reseller_customer_tags_tag_id_reseller_tags"),
        ),
        sa.PrimaryKeyConstraint("tag_id", "customer_id", name=op.f("pk_reseller_customer_tags")),
        **_MYSQL,
    )
    op.create_index(
        "ix_reseller_customer_tags_customer",
        "reseller_customer_tags",
        ["reseller_id", "customer_id"],
        unique=False,
    )
    op.create_table(
        "sales_order_lines",
        sa.Column("order_id", sa.String(length=40), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("product", sa.String(length=40), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_price_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["sales_orders.id"],
            name=op.f("fk_sales_order_lines_order_id_sales_orders"),
        ),
        sa.ForeignKeyConstraint(
            ["product"], ["products.key"], name=op.f("fk_sales_order_lines_product_products")
        ),
        sa.PrimaryKeyConstraint("order_id", "position", name=op.f("pk_sales_order_lines")),
        **_MYSQL,
    )


def downgrade() -> None:
    # Dropping a table drops its indexes; dropping an index first would fail on MariaDB where
    # a foreign key uses it.
    op.drop_table("sales_order_traces")
    op.drop_table("reseller_customer_traces")
    op.drop_table("sales_order_lines")
    op.drop_table("reseller_customer_tags")
    op.drop_table("sales_orders")
    op.drop_table("reseller_tags")
    op.drop_table("reseller_invitations")
    op.drop_table("reseller_customers")
    op.drop_table("customer_migrations")
    op.drop_table("resellers")
