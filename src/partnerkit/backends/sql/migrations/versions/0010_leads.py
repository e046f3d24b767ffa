"""Lead sharing (issue 9, item 5): leads, the products each needs, and the partners each was
offered to, with what became of every offer.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

from partnerkit.backends.sql.types import UtcDateTime

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_MYSQL: dict[str, Any] = {
    "mysql_charset": "utf8mb4",
    "mysql_collate": "utf8mb4_bin",
    "mysql_engine": "InnoDB",
}


def upgrade() -> None:
    op.create_table(
        "leads",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("prospect_name", sa.String(length=200), nullable=False),
        sa.Column("prospect_email", sa.String(length=254), nullable=False),
        sa.Column("region", sa.String(length=2), nullable=False),
        sa.Column("pam", sa.String(length=254), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=254), nullable=False),
        sa.Column("customer_id", sa.String(length=40), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("accepted_partner_id", sa.String(length=40), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_leads_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["accepted_partner_id"],
            ["partners.id"],
            name=op.f("fk_leads_accepted_partner_id_partners"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_leads")),
        **_MYSQL,
    )
    op.create_index(
        "ix_leads_customer_id_created_at", "leads", ["customer_id", "created_at"], unique=False
    )
    op.create_table(
        "lead_products",
        sa.Column("lead_id", sa.String(length=40), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("product", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["lead_id"], ["leads.id"], name=op.f("fk_lead_products_lead_id_leads")
        ),
        sa.ForeignKeyConstraint(
            ["product"], ["products.key"], name=op.f("fk_lead_products_product_products")
        ),
        sa.PrimaryKeyConstraint("lead_id", "position", name=op.f("pk_lead_products")),
        **_MYSQL,
    )
    op.create_table(
        "lead_offers",
        sa.Column("lead_id", sa.String(length=40), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.String(length=40), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("hops", sa.Integer(), nullable=False),
        sa.Column("offered_at", UtcDateTime(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("closed_at", UtcDateTime(), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["lead_id"], ["leads.id"], name=op.f("fk_lead_offers_lead_id_leads")
        ),
        sa.ForeignKeyConstraint(
            ["partner_id"], ["partners.id"], name=op.f("fk_lead_offers_partner_id_partners")
        ),
        sa.PrimaryKeyConstraint("lead_id", "position", name=op.f("pk_lead_offers")),
        **_MYSQL,
    )
    op.create_index("ix_lead_offers_partner_id", "lead_offers", ["partner_id"], unique=False)


def downgrade() -> None:
    # Dropping a table drops its indexes (on MariaDB an index serving a foreign key cannot be
    # dropped on its own).
    op.drop_table("lead_offers")
    op.drop_table("lead_products")
    op.drop_table("leads")
