"""Initial schema: products, partners and their codes, customers, the outbox.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from partnerkit.backends.sql.types import UtcDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "customers",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customers")),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_bin",
        mysql_engine="InnoDB",
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("topic", sa.String(length=100), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("next_attempt_at", UtcDateTime(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("delivered_at", UtcDateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_bin",
        mysql_engine="InnoDB",
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index(
            "ix_outbox_status_next_attempt_at", ["status", "next_attempt_at"], unique=False
        )

    op.create_table(
        "partners",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("username", sa.String(length=30), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("last_active_at", UtcDateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partners")),
        sa.UniqueConstraint("username", name=op.f("uq_partners_username")),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_bin",
        mysql_engine="InnoDB",
    )
    with op.batch_alter_table("partners", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_partners_email"), ["email"], unique=False)

    op.create_table(
        "products",
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_products")),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_bin",
        mysql_engine="InnoDB",
    )
    op.create_table(
        "customer_contacts",
        sa.Column("customer_id", sa.String(length=40), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("phone", sa.String(length=40), nullable=True),
        sa.Column("is_primary", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_customer_contacts_customer_id_customers"),
        ),
        sa.PrimaryKeyConstraint("customer_id", "email", name=op.f("pk_customer_contacts")),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_bin",
        mysql_engine="InnoDB",
    )
    op.create_table(
        "customer_domains",
        sa.Column("customer_id", sa.String(length=40), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("domain", sa.String(length=253), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_customer_domains_customer_id_customers"),
        ),
        sa.PrimaryKeyConstraint("customer_id", "position", name=op.f("pk_customer_domains")),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_bin",
        mysql_engine="InnoDB",
    )
    with op.batch_alter_table("customer_domains", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_customer_domains_domain"), ["domain"], unique=False)

    op.create_table(
        "customer_products",
        sa.Column("customer_id", sa.String(length=40), nullable=False),
        sa.Column("product", sa.String(length=40), nullable=False),
        sa.Column("edition", sa.String(length=10), nullable=False),
        sa.Column("since", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_customer_products_customer_id_customers"),
        ),
        sa.ForeignKeyConstraint(
            ["product"], ["products.key"], name=op.f("fk_customer_products_product_products")
        ),
        sa.PrimaryKeyConstraint("customer_id", "product", name=op.f("pk_customer_products")),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_bin",
        mysql_engine="InnoDB",
    )
    op.create_table(
        "customer_users",
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("customer_id", sa.String(length=40), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("is_admin", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_customer_users_customer_id_customers")
        ),
        sa.PrimaryKeyConstraint("email", name=op.f("pk_customer_users")),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_bin",
        mysql_engine="InnoDB",
    )
    with op.batch_alter_table("customer_users", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_customer_users_customer_id"), ["customer_id"], unique=False
        )

    op.create_table(
        "partner_codes",
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("partner_id", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("issued_at", UtcDateTime(), nullable=False),
        sa.Column("retired_at", UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["partner_id"], ["partners.id"], name=op.f("fk_partner_codes_partner_id_partners")
        ),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_partner_codes")),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_bin",
        mysql_engine="InnoDB",
    )
    with op.batch_alter_table("partner_codes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_partner_codes_partner_id"), ["partner_id"], unique=False
        )

    op.create_table(
        "partner_domains",
        sa.Column("partner_id", sa.String(length=40), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("domain", sa.String(length=253), nullable=False),
        sa.ForeignKeyConstraint(
            ["partner_id"], ["partners.id"], name=op.f("fk_partner_domains_partner_id_partners")
        ),
        sa.PrimaryKeyConstraint("partner_id", "position", name=op.f("pk_partner_domains")),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_bin",
        mysql_engine="InnoDB",
    )
    with op.batch_alter_table("partner_domains", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_partner_domains_domain"), ["domain"], unique=False)

    op.create_table(
        "partner_expertise",
        sa.Column("partner_id", sa.String(length=40), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("product", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["partner_id"], ["partners.id"], name=op.f("fk_partner_expertise_partner_id_partners")
        ),
        sa.ForeignKeyConstraint(
            ["product"], ["products.key"], name=op.f("fk_partner_expertise_product_products")
        ),
        sa.PrimaryKeyConstraint("partner_id", "position", name=op.f("pk_partner_expertise")),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_bin",
        mysql_engine="InnoDB",
    )
    with op.batch_alter_table("partner_expertise", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_partner_expertise_product"), ["product"], unique=False)

    op.create_table(
        "partner_regions",
        sa.Column("partner_id", sa.String(length=40), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("region", sa.String(length=2), nullable=False),
        sa.ForeignKeyConstraint(
            ["partner_id"], ["partners.id"], name=op.f("fk_partner_regions_partner_id_partners")
        ),
        sa.PrimaryKeyConstraint("partner_id", "position", name=op.f("pk_partner_regions")),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_bin",
        mysql_engine="InnoDB",
    )
    with op.batch_alter_table("partner_regions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_partner_regions_region"), ["region"], unique=False)


def downgrade() -> None:
    # Tables only, children first: dropping a table drops its indexes, and MariaDB refuses to
    # drop an index that backs a foreign key on its own.
    for table in (
        "partner_regions",
        "partner_expertise",
        "partner_domains",
        "partner_codes",
        "customer_users",
        "customer_products",
        "customer_domains",
        "customer_contacts",
        "products",
        "partners",
        "outbox",
        "customers",
    ):
        op.drop_table(table)
