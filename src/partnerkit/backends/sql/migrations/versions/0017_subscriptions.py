"""Subscriptions (issue 11): the catalog's plans, addons and coupons (with their redemption
count), subscriptions with their addons, coupons, pause schedule and the change scheduled for the
end of the term, and the billed periods whose primary key is "one invoice per subscription and
period".

Revision ID: 0017
Revises: 0016
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from partnerkit.backends.sql.types import UtcDateTime

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "addons",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("product", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("price_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["product"], ["products.key"], name=op.f("fk_addons_product_products")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_addons")),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_bin",
        mysql_engine="InnoDB",
    )
    with op.batch_alter_table("addons", schema=None) as batch_op:
        batch_op.create_index("ix_addons_product", ["product", "id"], unique=False)

    op.create_table(
        "coupons",
        sa.Column("id", sa.String(length=100), nullable=False),
        sa.Column("code", sa.String(length=50), nullable=False),
        sa.Column("product", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("percentage", sa.String(length=40), nullable=True),
        sa.Column("amount_minor", sa.BigInteger(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("duration", sa.String(length=20), nullable=False),
        sa.Column("cycles", sa.Integer(), nullable=True),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("max_redemptions", sa.Integer(), nullable=True),
        sa.Column("redemptions", sa.Integer(), nullable=False),
        sa.Column("archived", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["product"], ["products.key"], name=op.f("fk_coupons_product_products")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coupons")),
        sa.UniqueConstraint("code", name=op.f("uq_coupons_code")),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_bin",
        mysql_engine="InnoDB",
    )
    with op.batch_alter_table("coupons", schema=None) as batch_op:
        batch_op.create_index("ix_coupons_product", ["product", "code"], unique=False)

    op.create_table(
        "plans",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("product", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("price_minor", sa.BigInteger(), nullable=False),
        sa.Column("setup_fee_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("period_unit", sa.String(length=10), nullable=False),
        sa.Column("period_count", sa.Integer(), nullable=False),
        sa.Column("trial_unit", sa.String(length=10), nullable=True),
        sa.Column("trial_count", sa.Integer(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["product"], ["products.key"], name=op.f("fk_plans_product_products")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plans")),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_bin",
        mysql_engine="InnoDB",
    )
    with op.batch_alter_table("plans", schema=None) as batch_op:
        batch_op.create_index("ix_plans_product", ["product", "id"], unique=False)

    op.create_table(
        "subscriptions",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("customer_id", sa.String(length=40), nullable=False),
        sa.Column("product", sa.String(length=40), nullable=False),
        sa.Column("plan_id", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("term_start", sa.Date(), nullable=False),
        sa.Column("term_end", sa.Date(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=254), nullable=False),
        sa.Column("anchor", sa.Date(), nullable=True),
        sa.Column("term_index", sa.Integer(), nullable=False),
        sa.Column("trial_end", sa.Date(), nullable=True),
        sa.Column("trial_extended", sa.Boolean(), nullable=False),
        sa.Column("expired_at_trial_end", sa.Boolean(), nullable=False),
        sa.Column("auto_charge", sa.Boolean(), nullable=False),
        sa.Column("payment_method_id", sa.String(length=40), nullable=True),
        sa.Column("previous_status", sa.String(length=20), nullable=True),
        sa.Column("cycles_billed", sa.Integer(), nullable=False),
        sa.Column("pause_on", sa.Date(), nullable=True),
        sa.Column("resume_on", sa.Date(), nullable=True),
        sa.Column("scheduled_plan_id", sa.String(length=40), nullable=True),
        sa.Column("unpaid_invoice_id", sa.String(length=40), nullable=True),
        sa.Column("charge_at", UtcDateTime(), nullable=True),
        sa.Column("charge_attempts", sa.Integer(), nullable=False),
        sa.Column("first_failure_at", UtcDateTime(), nullable=True),
        sa.Column("due_at", UtcDateTime(), nullable=True),
        sa.Column("cancelled_at", UtcDateTime(), nullable=True),
        sa.Column("expired_at", UtcDateTime(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_subscriptions_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["plans.id"], name=op.f("fk_subscriptions_plan_id_plans")
        ),
        sa.ForeignKeyConstraint(
            ["product"], ["products.key"], name=op.f("fk_subscriptions_product_products")
        ),
        sa.ForeignKeyConstraint(
            ["scheduled_plan_id"],
            ["plans.id"],
            name=op.f("fk_subscriptions_scheduled_plan_id_plans"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscriptions")),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_bin",
        mysql_engine="InnoDB",
    )
    with op.batch_alter_table("subscriptions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_subscriptions_customer_id", ["customer_id", "created_at", "id"], unique=False
        )
        batch_op.create_index("ix_subscriptions_due_at", ["due_at", "id"], unique=False)

    op.create_table(
        "subscription_addons",
        sa.Column("subscription_id", sa.String(length=40), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("addon_id", sa.String(length=40), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["subscriptions.id"],
            name=op.f("fk_subscription_addons_subscription_id_subscriptions"),
        ),
        sa.PrimaryKeyConstraint("subscription_id", "position", name=op.f("pk_subscription_addons")),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_bin",
        mysql_engine="InnoDB",
    )
    op.create_table(
        "subscription_coupons",
        sa.Column("subscription_id", sa.String(length=40), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("coupon_id", sa.String(length=100), nullable=False),
        sa.Column("first_cycle", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["subscriptions.id"],
            name=op.f("fk_subscription_coupons_subscription_id_subscriptions"),
        ),
        sa.PrimaryKeyConstraint(
            "subscription_id", "position", name=op.f("pk_subscription_coupons")
        ),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_bin",
        mysql_engine="InnoDB",
    )
    op.create_table(
        "subscription_scheduled_addons",
        sa.Column("subscription_id", sa.String(length=40), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("addon_id", sa.String(length=40), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["subscriptions.id"],
            name=op.f("fk_subscription_scheduled_addons_subscription_id_subscriptions"),
        ),
        sa.PrimaryKeyConstraint(
            "subscription_id", "position", name=op.f("pk_subscription_scheduled_addons")
        ),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_bin",
        mysql_engine="InnoDB",
    )
    op.create_table(
        "subscription_scheduled_coupons",
        sa.Column("subscription_id", sa.String(length=40), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("coupon_id", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["subscriptions.id"],
            name=op.f("fk_subscription_scheduled_coupons_subscription_id_subscriptions"),
        ),
        sa.PrimaryKeyConstraint(
            "subscription_id", "position", name=op.f("pk_subscription_scheduled_coupons")
        ),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_bin",
        mysql_engine="InnoDB",
    )
    op.create_table(
        "subscription_periods",
        sa.Column("subscription_id", sa.String(length=40), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("invoice_id", sa.String(length=40), nullable=False),
        sa.Column("billed_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["invoice_id"],
            ["invoices.id"],
            name=op.f("fk_subscription_periods_invoice_id_invoices"),
        ),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["subscriptions.id"],
            name=op.f("fk_subscription_periods_subscription_id_subscriptions"),
        ),
        sa.PrimaryKeyConstraint(
            "subscription_id", "period_start", name=op.f("pk_subscription_periods")
        ),
        sa.UniqueConstraint("invoice_id", name=op.f("uq_subscription_periods_invoice_id")),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_bin",
        mysql_engine="InnoDB",
    )


def downgrade() -> None:
    # Dropping a table drops its indexes (MariaDB keeps the ones serving a foreign key).
    for table in (
        "subscription_periods",
        "subscription_scheduled_coupons",
        "subscription_scheduled_addons",
        "subscription_coupons",
        "subscription_addons",
        "subscriptions",
        "plans",
        "coupons",
        "addons",
    ):
        op.drop_table(table)
