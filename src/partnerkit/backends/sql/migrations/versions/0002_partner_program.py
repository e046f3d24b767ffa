"""Partner program: partner-of-record intervals and their open slot, consent requests,
sign-up links, tracking entries, commission plans and entries.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from partnerkit.backends.sql.types import UtcDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "consent_requests",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("customer_id", sa.String(length=40), nullable=False),
        sa.Column("product", sa.String(length=40), nullable=False),
        sa.Column("partner_id", sa.String(length=40), nullable=False),
        sa.Column("from_partner_id", sa.String(length=40), nullable=True),
        sa.Column("requested_by", sa.String(length=254), nullable=False),
        sa.Column("requested_at", UtcDateTime(), nullable=False),
        sa.Column("expires_at", UtcDateTime(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("required_confirmations", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("effective_at", UtcDateTime(), nullable=True),
        sa.Column("closed_at", UtcDateTime(), nullable=True),
        sa.Column("context", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_requests")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_consent_requests_token_hash")),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_bin",
        mysql_engine="InnoDB",
    )
    with op.batch_alter_table("consent_requests", schema=None) as batch_op:
        batch_op.create_index(
            "ix_consent_requests_status_expires_at", ["status", "expires_at"], unique=False
        )

    op.create_table(
        "commission_plans",
        sa.Column("partner_id", sa.String(length=40), nullable=False),
        sa.Column("rate", sa.String(length=40), nullable=False),
        sa.Column("limit_months", sa.Integer(), nullable=True),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["partner_id"], ["partners.id"], name=op.f("fk_commission_plans_partner_id_partners")
        ),
        sa.PrimaryKeyConstraint("partner_id", name=op.f("pk_commission_plans")),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_bin",
        mysql_engine="InnoDB",
    )
    op.create_table(
        "consent_confirmations",
        sa.Column("request_id", sa.String(length=40), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("by", sa.String(length=254), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["consent_requests.id"],
            name=op.f("fk_consent_confirmations_request_id_consent_requests"),
        ),
        sa.PrimaryKeyConstraint("request_id", "position", name=op.f("pk_consent_confirmations")),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_bin",
        mysql_engine="InnoDB",
    )
    op.create_table(
        "partner_records",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("customer_id", sa.String(length=40), nullable=False),
        sa.Column("product", sa.String(length=40), nullable=False),
        sa.Column("partner_id", sa.String(length=40), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("valid_from", UtcDateTime(), nullable=False),
        sa.Column("valid_to", UtcDateTime(), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("by", sa.String(length=254), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("provisional_until", sa.Date(), nullable=True),
        sa.Column("commission_from", UtcDateTime(), nullable=True),
        sa.Column("evidence", sa.Text(), nullable=True),
        sa.Column("ended_reason", sa.String(length=500), nullable=True),
        sa.Column("ended_by", sa.String(length=254), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_partner_records_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["partner_id"], ["partners.id"], name=op.f("fk_partner_records_partner_id_partners")
        ),
        sa.ForeignKeyConstraint(
            ["product"], ["products.key"], name=op.f("fk_partner_records_product_products")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partner_records")),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_bin",
        mysql_engine="InnoDB",
    )
    with op.batch_alter_table("partner_records", schema=None) as batch_op:
        batch_op.create_index(
            "ix_partner_records_customer_id_product", ["customer_id", "product"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_partner_records_partner_id"), ["partner_id"], unique=False
        )
        batch_op.create_index(
            "ix_partner_records_status_provisional_until",
            ["status", "provisional_until"],
            unique=False,
        )

    op.create_table(
        "signup_links",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("partner_id", sa.String(length=40), nullable=False),
        sa.Column("product", sa.String(length=40), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("revoked_at", UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["partner_id"], ["partners.id"], name=op.f("fk_signup_links_partner_id_partners")
        ),
        sa.ForeignKeyConstraint(
            ["product"], ["products.key"], name=op.f("fk_signup_links_product_products")
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_signup_links")),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_bin",
        mysql_engine="InnoDB",
    )
    op.create_table(
        "tracking_entries",
        sa.Column("partner_id", sa.String(length=40), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("customer_id", sa.String(length=40), nullable=False),
        sa.Column("added_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_tracking_entries_customer_id_customers"),
        ),
        sa.ForeignKeyConstraint(
            ["partner_id"], ["partners.id"], name=op.f("fk_tracking_entries_partner_id_partners")
        ),
        sa.PrimaryKeyConstraint("partner_id", "email", name=op.f("pk_tracking_entries")),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_bin",
        mysql_engine="InnoDB",
    )
    with op.batch_alter_table("tracking_entries", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_tracking_entries_customer_id"), ["customer_id"], unique=False
        )

    op.create_table(
        "commission_entries",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("partner_id", sa.String(length=40), nullable=False),
        sa.Column("customer_id", sa.String(length=40), nullable=False),
        sa.Column("product", sa.String(length=40), nullable=False),
        sa.Column("transaction_id", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("base_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("rate", sa.String(length=40), nullable=False),
        sa.Column("commission_exact", sa.String(length=60), nullable=False),
        sa.Column("occurred_at", UtcDateTime(), nullable=False),
        sa.Column("booked_at", UtcDateTime(), nullable=False),
        sa.Column("interval_id", sa.String(length=40), nullable=False),
        sa.Column("reverses", sa.String(length=100), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_commission_entries_customer_id_customers"),
        ),
        sa.ForeignKeyConstraint(
            ["interval_id"],
            ["partner_records.id"],
            name=op.f("fk_commission_entries_interval_id_partner_records"),
        ),
        sa.ForeignKeyConstraint(
            ["partner_id"], ["partners.id"], name=op.f("fk_commission_entries_partner_id_partners")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_commission_entries")),
        sa.UniqueConstraint("transaction_id", name=op.f("uq_commission_entries_transaction_id")),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_bin",
        mysql_engine="InnoDB",
    )
    with op.batch_alter_table("commission_entries", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_commission_entries_occurred_at"), ["occurred_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_commission_entries_partner_id"), ["partner_id"], unique=False
        )

    op.create_table(
        "partner_of_record_open",
        sa.Column("customer_id", sa.String(length=40), nullable=False),
        sa.Column("product", sa.String(length=40), nullable=False),
        sa.Column("record_id", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["partner_records.id"],
            name=op.f("fk_partner_of_record_open_record_id_partner_records"),
        ),
        sa.PrimaryKeyConstraint("customer_id", "product", name=op.f("pk_partner_of_record_open")),
        sa.UniqueConstraint("record_id", name=op.f("uq_partner_of_record_open_record_id")),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_bin",
        mysql_engine="InnoDB",
    )


def downgrade() -> None:
    # Dropping a table drops its indexes; dropping them first fails on MariaDB, where an index
    # that serves a foreign key cannot go while the key exists.
    for table in (
        "partner_of_record_open",
        "commission_entries",
        "tracking_entries",
        "signup_links",
        "partner_records",
        "consent_confirmations",
        "commission_plans",
        "consent_requests",
    ):
        op.drop_table(table)
