"""Billing (issue 10): tax rates and the default tax, each customer's document counters,
invoices and their lines, payments, credit notes, the applications of money to invoices,
refunds, and the ledger statements and balances are computed from.

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

from partnerkit.backends.sql.types import UtcDateTime

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_MYSQL: dict[str, Any] = {
    "mysql_charset": "utf8mb4",
    "mysql_collate": "utf8mb4_bin",
    "mysql_engine": "InnoDB",
}


def upgrade() -> None:
    op.create_table(
        "tax_rates",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("percentage", sa.String(length=40), nullable=False),
        sa.Column("inclusive", sa.Boolean(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tax_rates")),
        sa.UniqueConstraint("name", name=op.f("uq_tax_rates_name")),
        **_MYSQL,
    )
    op.create_table(
        "billing_accounts",
        sa.Column("customer_id", sa.String(length=40), nullable=False),
        sa.Column("invoices", sa.Integer(), nullable=False),
        sa.Column("payments", sa.Integer(), nullable=False),
        sa.Column("credit_notes", sa.Integer(), nullable=False),
        sa.Column("refunds", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_billing_accounts_customer_id_customers"),
        ),
        sa.PrimaryKeyConstraint("customer_id", name=op.f("pk_billing_accounts")),
        **_MYSQL,
    )
    op.create_table(
        "default_tax",
        sa.Column("key", sa.String(length=20), nullable=False),
        sa.Column("rate_id", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["rate_id"], ["tax_rates.id"], name=op.f("fk_default_tax_rate_id_tax_rates")
        ),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_default_tax")),
        **_MYSQL,
    )
    op.create_table(
        "invoices",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("customer_id", sa.String(length=40), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("issue_date", sa.Date(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("total_minor", sa.BigInteger(), nullable=False),
        sa.Column("amount_paid_minor", sa.BigInteger(), nullable=False),
        sa.Column("credits_applied_minor", sa.BigInteger(), nullable=False),
        sa.Column("balance_due_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=254), nullable=False),
        sa.Column("issued_at", UtcDateTime(), nullable=True),
        sa.Column("paid_at", UtcDateTime(), nullable=True),
        sa.Column("voided_at", UtcDateTime(), nullable=True),
        sa.Column("subscription_id", sa.String(length=100), nullable=True),
        sa.Column("sales_order_id", sa.String(length=100), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_invoices_customer_id_customers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoices")),
        sa.UniqueConstraint(
            "customer_id", "sequence", name=op.f("uq_invoices_customer_id_sequence")
        ),
        **_MYSQL,
    )
    op.create_index(
        "ix_invoices_customer_id_issue_date",
        "invoices",
        ["customer_id", "issue_date", "sequence"],
        unique=False,
    )
    op.create_index(
        "ix_invoices_customer_id_status",
        "invoices",
        ["customer_id", "status", "currency", "due_date"],
        unique=False,
    )
    op.create_index("ix_invoices_status_due_date", "invoices", ["status", "due_date"], unique=False)
    op.create_table(
        "ledger_entries",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("customer_id", sa.String(length=40), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("document_id", sa.String(length=40), nullable=False),
        sa.Column("reference", sa.String(length=20), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_ledger_entries_customer_id_customers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_entries")),
        sa.UniqueConstraint("document_id", name=op.f("uq_ledger_entries_document_id")),
        **_MYSQL,
    )
    op.create_index(
        "ix_ledger_entries_customer_id_currency",
        "ledger_entries",
        ["customer_id", "currency", "at", "id"],
        unique=False,
    )
    op.create_table(
        "payments",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("customer_id", sa.String(length=40), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("method", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("received_at", UtcDateTime(), nullable=False),
        sa.Column("recorded_at", UtcDateTime(), nullable=False),
        sa.Column("recorded_by", sa.String(length=254), nullable=False),
        sa.Column("unapplied_minor", sa.BigInteger(), nullable=False),
        sa.Column("refunded_minor", sa.BigInteger(), nullable=False),
        sa.Column("reference", sa.String(length=200), nullable=True),
        sa.Column("idempotency_key", sa.String(length=200), nullable=True),
        sa.Column("gateway_reference", sa.String(length=200), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_payments_customer_id_customers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payments")),
        sa.UniqueConstraint(
            "customer_id", "idempotency_key", name=op.f("uq_payments_customer_id_idempotency_key")
        ),
        sa.UniqueConstraint("customer_id", "number", name=op.f("uq_payments_customer_id_number")),
        **_MYSQL,
    )
    op.create_index(
        "ix_payments_customer_id_received_at",
        "payments",
        ["customer_id", "received_at", "id"],
        unique=False,
    )
    op.create_index(
        "ix_payments_customer_id_status",
        "payments",
        ["customer_id", "status", "unapplied_minor"],
        unique=False,
    )
    op.create_table(
        "refunds",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("customer_id", sa.String(length=40), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("source_id", sa.String(length=40), nullable=False),
        sa.Column("method", sa.String(length=20), nullable=False),
        sa.Column("refunded_at", UtcDateTime(), nullable=False),
        sa.Column("refunded_by", sa.String(length=254), nullable=False),
        sa.Column("reference", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_refunds_customer_id_customers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refunds")),
        sa.UniqueConstraint("customer_id", "number", name=op.f("uq_refunds_customer_id_number")),
        **_MYSQL,
    )
    op.create_index("ix_refunds_source_id", "refunds", ["source_id", "refunded_at"], unique=False)
    op.create_table(
        "billing_applications",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("customer_id", sa.String(length=40), nullable=False),
        sa.Column("invoice_id", sa.String(length=40), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("source_id", sa.String(length=40), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("applied_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_billing_applications_customer_id_customers"),
        ),
        sa.ForeignKeyConstraint(
            ["invoice_id"],
            ["invoices.id"],
            name=op.f("fk_billing_applications_invoice_id_invoices"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_billing_applications")),
        **_MYSQL,
    )
    op.create_index(
        "ix_billing_applications_invoice_id",
        "billing_applications",
        ["invoice_id", "applied_at"],
        unique=False,
    )
    op.create_index(
        "ix_billing_applications_source_id",
        "billing_applications",
        ["source_id", "applied_at"],
        unique=False,
    )
    op.create_table(
        "credit_notes",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("customer_id", sa.String(length=40), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("issued_at", UtcDateTime(), nullable=False),
        sa.Column("issued_by", sa.String(length=254), nullable=False),
        sa.Column("unapplied_minor", sa.BigInteger(), nullable=False),
        sa.Column("refunded_minor", sa.BigInteger(), nullable=False),
        sa.Column("invoice_id", sa.String(length=40), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_credit_notes_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["invoice_id"], ["invoices.id"], name=op.f("fk_credit_notes_invoice_id_invoices")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_notes")),
        sa.UniqueConstraint(
            "customer_id", "number", name=op.f("uq_credit_notes_customer_id_number")
        ),
        **_MYSQL,
    )
    op.create_index(
        "ix_credit_notes_customer_id_unapplied",
        "credit_notes",
        ["customer_id", "unapplied_minor"],
        unique=False,
    )
    op.create_table(
        "invoice_lines",
        sa.Column("invoice_id", sa.String(length=40), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.Column("quantity", sa.String(length=40), nullable=False),
        sa.Column("unit_price_minor", sa.BigInteger(), nullable=False),
        sa.Column("discount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("discount_percent", sa.String(length=40), nullable=True),
        sa.Column("tax_name", sa.String(length=100), nullable=True),
        sa.Column("tax_percentage", sa.String(length=40), nullable=True),
        sa.Column("tax_inclusive", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["invoice_id"], ["invoices.id"], name=op.f("fk_invoice_lines_invoice_id_invoices")
        ),
        sa.PrimaryKeyConstraint("invoice_id", "position", name=op.f("pk_invoice_lines")),
        **_MYSQL,
    )


def downgrade() -> None:
    # Dropping a table drops its indexes (on MariaDB an index serving a foreign key cannot be
    # dropped on its own); children before the tables they refer to.
    op.drop_table("invoice_lines")
    op.drop_table("credit_notes")
    op.drop_table("billing_applications")
    op.drop_table("refunds")
    op.drop_table("payments")
    op.drop_table("ledger_entries")
    op.drop_table("invoices")
    op.drop_table("default_tax")
    op.drop_table("billing_accounts")
    op.drop_table("tax_rates")
