"""The SQL schema as SQLAlchemy Core tables; Alembic migrations in `migrations/` create it.

Uniqueness rules are constraints here, not read-then-write checks: a partner code's canonical
key is the primary key of `partner_codes`, a user's email the primary key of `customer_users`,
the open partner of record of a customer's product the primary key of `partner_of_record_open`.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from partnerkit.backends.sql.types import UtcDateTime
from partnerkit.resellers.clients import DETAIL_FIELDS

__all__ = ["TABLES", "UtcDateTime", "metadata"]

# Named constraints so that errors can be translated and migrations can refer to them.
metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
    }
)

# Binary collation on MariaDB: keys are already normalised, and comparisons must be exact as
# on the other engines.
_MYSQL: dict[str, Any] = {
    "mysql_engine": "InnoDB",
    "mysql_charset": "utf8mb4",
    "mysql_collate": "utf8mb4_bin",
}

ID = sa.String(40)

products = sa.Table(
    "products",
    metadata,
    sa.Column("key", sa.String(40), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    **_MYSQL,
)

partners = sa.Table(
    "partners",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("email", sa.String(254), nullable=False, index=True),
    sa.Column("username", sa.String(30), nullable=True, unique=True),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("last_active_at", UtcDateTime(), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    # The inactivity rule: every run_due asks for the oldest activity among active partners.
    sa.Index("ix_partners_status_last_active_at", "status", "last_active_at"),
    **_MYSQL,
)

# Multi-valued attributes as rows: the partner directory filters on them (by region, by
# product), which an index serves and a JSON column does not, on every engine.
partner_domains = sa.Table(
    "partner_domains",
    metadata,
    sa.Column("partner_id", ID, sa.ForeignKey("partners.id"), primary_key=True),
    sa.Column("position", sa.Integer, primary_key=True),
    sa.Column("domain", sa.String(253), nullable=False, index=True),
    **_MYSQL,
)

partner_regions = sa.Table(
    "partner_regions",
    metadata,
    sa.Column("partner_id", ID, sa.ForeignKey("partners.id"), primary_key=True),
    sa.Column("position", sa.Integer, primary_key=True),
    sa.Column("region", sa.String(2), nullable=False, index=True),
    **_MYSQL,
)

partner_expertise = sa.Table(
    "partner_expertise",
    metadata,
    sa.Column("partner_id", ID, sa.ForeignKey("partners.id"), primary_key=True),
    sa.Column("position", sa.Integer, primary_key=True),
    sa.Column("product", sa.String(40), sa.ForeignKey("products.key"), nullable=False, index=True),
    **_MYSQL,
)

partner_codes = sa.Table(
    "partner_codes",
    metadata,
    # The canonical key is the primary key: a code (or a look-alike) exists once, forever.
    sa.Column("key", sa.String(40), primary_key=True),
    sa.Column("code", sa.String(40), nullable=False),
    sa.Column("partner_id", ID, sa.ForeignKey("partners.id"), nullable=False, index=True),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("issued_at", UtcDateTime(), nullable=False),
    sa.Column("retired_at", UtcDateTime(), nullable=True),
    **_MYSQL,
)

# The one active code of a partner: its primary key IS the rule "a partner holds at most one
# active code", so two writers issuing codes to one partner at once get one winner. Issuing
# inserts the row, retiring deletes it.
partner_active_codes = sa.Table(
    "partner_active_codes",
    metadata,
    sa.Column("partner_id", ID, sa.ForeignKey("partners.id"), primary_key=True),
    sa.Column(
        "key", sa.String(40), sa.ForeignKey("partner_codes.key"), nullable=False, unique=True
    ),
    **_MYSQL,
)

customers = sa.Table(
    "customers",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    # The account's own time zone; NULL follows the organisation's (MappingPolicy.time_zone).
    sa.Column("time_zone", sa.String(64), nullable=True),
    **_MYSQL,
)

customer_domains = sa.Table(
    "customer_domains",
    metadata,
    sa.Column("customer_id", ID, sa.ForeignKey("customers.id"), primary_key=True),
    sa.Column("position", sa.Integer, primary_key=True),
    sa.Column("domain", sa.String(253), nullable=False, index=True),
    **_MYSQL,
)

customer_users = sa.Table(
    "customer_users",
    metadata,
    # An email belongs to one user of one account, across all accounts.
    sa.Column("email", sa.String(254), primary_key=True),
    sa.Column("customer_id", ID, sa.ForeignKey("customers.id"), nullable=False),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("is_admin", sa.Boolean, nullable=False),
    # Adding a user takes the next position: the last one is one index step away.
    sa.Index("ix_customer_users_customer_id_position", "customer_id", "position"),
    **_MYSQL,
)

customer_contacts = sa.Table(
    "customer_contacts",
    metadata,
    sa.Column("customer_id", ID, sa.ForeignKey("customers.id"), primary_key=True),
    sa.Column("email", sa.String(254), primary_key=True),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("phone", sa.String(40), nullable=True),
    sa.Column("is_primary", sa.Boolean, nullable=False),
    **_MYSQL,
)

customer_products = sa.Table(
    "customer_products",
    metadata,
    sa.Column("customer_id", ID, sa.ForeignKey("customers.id"), primary_key=True),
    sa.Column("product", sa.String(40), sa.ForeignKey("products.key"), primary_key=True),
    sa.Column("edition", sa.String(10), nullable=False),
    sa.Column("since", sa.Date, nullable=False),
    **_MYSQL,
)

outbox = sa.Table(
    "outbox",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("kind", sa.String(10), nullable=False),
    sa.Column("topic", sa.String(100), nullable=False),
    sa.Column("payload", sa.Text, nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("next_attempt_at", UtcDateTime(), nullable=False),
    sa.Column("status", sa.String(10), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("delivered_at", UtcDateTime(), nullable=True),
    sa.Column("last_error", sa.Text, nullable=True),
    sa.Index("ix_outbox_status_next_attempt_at", "status", "next_attempt_at"),
    **_MYSQL,
)

# --- the partner program ------------------------------------------------------------------

partner_records = sa.Table(
    "partner_records",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("customer_id", ID, sa.ForeignKey("customers.id"), nullable=False),
    sa.Column("product", sa.String(40), sa.ForeignKey("products.key"), nullable=False),
    sa.Column("partner_id", ID, sa.ForeignKey("partners.id"), nullable=False),
    sa.Column("channel", sa.String(20), nullable=False),
    sa.Column("valid_from", UtcDateTime(), nullable=False),
    sa.Column("valid_to", UtcDateTime(), nullable=True),
    sa.Column("reason", sa.String(500), nullable=False),
    sa.Column("by", sa.String(254), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("provisional_until", sa.Date, nullable=True),
    sa.Column("provisional_ends_at", UtcDateTime(), nullable=True),
    sa.Column("commission_from", UtcDateTime(), nullable=True),
    sa.Column("evidence", sa.Text, nullable=True),
    sa.Column("ended_reason", sa.String(500), nullable=True),
    sa.Column("ended_by", sa.String(254), nullable=True),
    sa.Column("version", sa.Integer, nullable=False),
    # A customer's product history read at an instant: what covers it (by start), what still
    # earns then and the last end (by end), each without reading the whole history.
    sa.Index(
        "ix_partner_records_customer_id_product_valid_from",
        "customer_id",
        "product",
        "valid_from",
        "id",
    ),
    sa.Index(
        "ix_partner_records_customer_id_product_valid_to", "customer_id", "product", "valid_to"
    ),
    # A partner's customer listing reads its open intervals only.
    sa.Index("ix_partner_records_partner_id_valid_to", "partner_id", "valid_to"),
    # The expiry job asks for the provisional mappings whose 3 months are over by now.
    sa.Index("ix_partner_records_status_provisional_ends_at", "status", "provisional_ends_at"),
    **_MYSQL,
)

# The open interval per (customer, product): its primary key IS the rule "at most one partner
# of record at any instant", on every engine (no partial unique index needed). Adding an
# interval inserts its row here; closing one deletes it; racing writers get one winner.
partner_of_record_open = sa.Table(
    "partner_of_record_open",
    metadata,
    sa.Column("customer_id", ID, primary_key=True),
    sa.Column("product", sa.String(40), primary_key=True),
    sa.Column("record_id", ID, sa.ForeignKey("partner_records.id"), nullable=False, unique=True),
    **_MYSQL,
)

consent_requests = sa.Table(
    "consent_requests",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("customer_id", ID, nullable=False),
    sa.Column("product", sa.String(40), nullable=False),
    sa.Column("partner_id", ID, nullable=False),
    sa.Column("from_partner_id", ID, nullable=True),
    sa.Column("requested_by", sa.String(254), nullable=False),
    sa.Column("requested_at", UtcDateTime(), nullable=False),
    sa.Column("expires_at", UtcDateTime(), nullable=False),
    # Only the hash of a token is stored; a link is looked up by it.
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("required_confirmations", sa.Integer, nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("effective_at", UtcDateTime(), nullable=True),
    sa.Column("closed_at", UtcDateTime(), nullable=True),
    # JSON text (sorted keys): read back whole, never queried into.
    sa.Column("context", sa.Text, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Index("ix_consent_requests_status_expires_at", "status", "expires_at"),
    # Pending requests by customer and product, and by partner on either side of a transfer.
    sa.Index("ix_consent_requests_customer_id_product", "customer_id", "product"),
    sa.Index("ix_consent_requests_partner_id", "partner_id"),
    sa.Index("ix_consent_requests_from_partner_id", "from_partner_id"),
    **_MYSQL,
)

consent_confirmations = sa.Table(
    "consent_confirmations",
    metadata,
    sa.Column("request_id", ID, sa.ForeignKey("consent_requests.id"), primary_key=True),
    sa.Column("position", sa.Integer, primary_key=True),
    sa.Column("by", sa.String(254), nullable=False),
    sa.Column("at", UtcDateTime(), nullable=False),
    **_MYSQL,
)

signup_links = sa.Table(
    "signup_links",
    metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("partner_id", ID, sa.ForeignKey("partners.id"), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("revoked_at", UtcDateTime(), nullable=True),
    **_MYSQL,
)

# The products a sign-up link offers, in the partner's order.
signup_link_products = sa.Table(
    "signup_link_products",
    metadata,
    sa.Column(
        "token_hash", sa.String(64), sa.ForeignKey("signup_links.token_hash"), primary_key=True
    ),
    sa.Column("position", sa.Integer, primary_key=True),
    sa.Column("product", sa.String(40), sa.ForeignKey("products.key"), nullable=False),
    **_MYSQL,
)

tracking_entries = sa.Table(
    "tracking_entries",
    metadata,
    sa.Column("partner_id", ID, sa.ForeignKey("partners.id"), primary_key=True),
    sa.Column("email", sa.String(254), primary_key=True),
    sa.Column("customer_id", ID, sa.ForeignKey("customers.id"), nullable=False, index=True),
    sa.Column("added_at", UtcDateTime(), nullable=False),
    **_MYSQL,
)

commission_plans = sa.Table(
    "commission_plans",
    metadata,
    sa.Column("partner_id", ID, sa.ForeignKey("partners.id"), primary_key=True),
    # Decimals as their exact text: a NUMERIC would come back as a float or a REAL on SQLite.
    sa.Column("rate", sa.String(40), nullable=False),
    sa.Column("limit_months", sa.Integer, nullable=True),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    **_MYSQL,
)

commission_entries = sa.Table(
    "commission_entries",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("partner_id", ID, sa.ForeignKey("partners.id"), nullable=False),
    sa.Column("customer_id", ID, sa.ForeignKey("customers.id"), nullable=False),
    sa.Column("product", sa.String(40), nullable=False),
    # A transaction is booked once: the unique constraint makes a double booking impossible.
    sa.Column("transaction_id", sa.String(100), nullable=False, unique=True),
    sa.Column("kind", sa.String(20), nullable=False),
    # Money as an integer count of minor units, so SUM is exact on every engine.
    sa.Column("base_minor", sa.BigInteger, nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("rate", sa.String(40), nullable=False),
    sa.Column("commission_exact", sa.String(60), nullable=False),
    sa.Column("occurred_at", UtcDateTime(), nullable=False, index=True),
    sa.Column("booked_at", UtcDateTime(), nullable=False),
    sa.Column("interval_id", ID, sa.ForeignKey("partner_records.id"), nullable=False),
    sa.Column("reverses", sa.String(100), nullable=True),
    # A partner's statement reads a period of its entries; a customer's product its own; the
    # end of an interval the last entry booked to it; a refund the reversals of an entry.
    sa.Index("ix_commission_entries_partner_id_occurred_at", "partner_id", "occurred_at"),
    sa.Index("ix_commission_entries_customer_id_product", "customer_id", "product"),
    sa.Index("ix_commission_entries_interval_id_occurred_at", "interval_id", "occurred_at"),
    sa.Index("ix_commission_entries_reverses", "reverses"),
    **_MYSQL,
)

# Leads (002 seed, lead sharing): the lead, the products it needs, the partners it went to.
leads = sa.Table(
    "leads",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("prospect_name", sa.String(200), nullable=False),
    sa.Column("prospect_email", sa.String(254), nullable=False),
    sa.Column("region", sa.String(2), nullable=False),
    sa.Column("pam", sa.String(254), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("created_by", sa.String(254), nullable=False),
    sa.Column("customer_id", ID, sa.ForeignKey("customers.id"), nullable=True),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("accepted_partner_id", ID, sa.ForeignKey("partners.id"), nullable=True),
    sa.Column("version", sa.Integer, nullable=False),
    # The association evidence reads an account's leads.
    sa.Index("ix_leads_customer_id_created_at", "customer_id", "created_at"),
    **_MYSQL,
)

lead_products = sa.Table(
    "lead_products",
    metadata,
    sa.Column("lead_id", ID, sa.ForeignKey("leads.id"), primary_key=True),
    sa.Column("position", sa.Integer, primary_key=True),
    sa.Column("product", sa.String(40), sa.ForeignKey("products.key"), nullable=False),
    **_MYSQL,
)

lead_offers = sa.Table(
    "lead_offers",
    metadata,
    sa.Column("lead_id", ID, sa.ForeignKey("leads.id"), primary_key=True),
    sa.Column("position", sa.Integer, primary_key=True),
    sa.Column("partner_id", ID, sa.ForeignKey("partners.id"), nullable=False, index=True),
    sa.Column("rank", sa.Integer, nullable=False),
    sa.Column("hops", sa.Integer, nullable=False),
    sa.Column("offered_at", UtcDateTime(), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("closed_at", UtcDateTime(), nullable=True),
    sa.Column("reason", sa.String(500), nullable=True),
    **_MYSQL,
)

# The audit trail (access): append-only. No foreign keys, so an entry outlives whatever it is
# about and a refusal about an id that names nothing is kept too. Each filter a query may lead
# with has its index in time order.
audit_entries = sa.Table(
    "audit_entries",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("at", UtcDateTime(), nullable=False, index=True),
    sa.Column("kind", sa.String(30), nullable=False),
    sa.Column("allowed", sa.Boolean, nullable=False),
    sa.Column("reason", sa.String(100), nullable=False),
    sa.Column("by", sa.String(254), nullable=False),
    sa.Column("customer_id", sa.String(100), nullable=True),
    sa.Column("partner_id", sa.String(100), nullable=True),
    sa.Column("product", sa.String(100), nullable=True),
    sa.Column("subject", sa.String(254), nullable=True),
    # JSON text (sorted keys): the evidence, read back whole, never queried into.
    sa.Column("details", sa.Text, nullable=False),
    sa.Index("ix_audit_entries_customer_id_at", "customer_id", "at", "id"),
    sa.Index("ix_audit_entries_partner_id_at", "partner_id", "at", "id"),
    sa.Index("ix_audit_entries_by_at", "by", "at", "id"),
    sa.Index("ix_audit_entries_kind_at", "kind", "at", "id"),
    **_MYSQL,
)

# --- billing (issue 10) -----------------------------------------------------------------------
# Money as an integer count of minor units plus the currency code, so SUM is exact everywhere.

# A customer's document counters. Every billing write for the customer locks its row first:
# numbers come out without gaps or duplicates, and the customer's money moves one writer at a
# time (the payment, credit and refund caps are checked under it).
billing_accounts = sa.Table(
    "billing_accounts",
    metadata,
    sa.Column("customer_id", ID, sa.ForeignKey("customers.id"), primary_key=True),
    sa.Column("invoices", sa.Integer, nullable=False),
    sa.Column("payments", sa.Integer, nullable=False),
    sa.Column("credit_notes", sa.Integer, nullable=False),
    sa.Column("refunds", sa.Integer, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    **_MYSQL,
)

tax_rates = sa.Table(
    "tax_rates",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("name", sa.String(100), nullable=False, unique=True),
    sa.Column("percentage", sa.String(40), nullable=False),
    sa.Column("inclusive", sa.Boolean, nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    **_MYSQL,
)

# The organisation's default tax: one row under a fixed key, so that two defaults cannot be.
default_tax = sa.Table(
    "default_tax",
    metadata,
    sa.Column("key", sa.String(20), primary_key=True),
    sa.Column("rate_id", ID, sa.ForeignKey("tax_rates.id"), nullable=False),
    **_MYSQL,
)

invoices = sa.Table(
    "invoices",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("customer_id", ID, sa.ForeignKey("customers.id"), nullable=False),
    sa.Column("number", sa.String(20), nullable=False),
    sa.Column("sequence", sa.Integer, nullable=False),
    sa.Column("issue_date", sa.Date, nullable=False),
    sa.Column("due_date", sa.Date, nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("total_minor", sa.BigInteger, nullable=False),
    sa.Column("amount_paid_minor", sa.BigInteger, nullable=False),
    sa.Column("credits_applied_minor", sa.BigInteger, nullable=False),
    sa.Column("balance_due_minor", sa.BigInteger, nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("created_by", sa.String(254), nullable=False),
    sa.Column("issued_at", UtcDateTime(), nullable=True),
    sa.Column("paid_at", UtcDateTime(), nullable=True),
    sa.Column("voided_at", UtcDateTime(), nullable=True),
    sa.Column("subscription_id", sa.String(100), nullable=True),
    sa.Column("sales_order_id", sa.String(100), nullable=True),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("refunded_minor", sa.BigInteger, nullable=False, server_default="0"),
    # One number per customer: the backstop behind the locked counter.
    sa.UniqueConstraint("customer_id", "sequence"),
    # The Invoices list by date; the outstanding ones by currency and due date (payments and
    # the dashboard); the overdue watch over every customer.
    sa.Index("ix_invoices_customer_id_issue_date", "customer_id", "issue_date", "sequence"),
    sa.Index("ix_invoices_customer_id_status", "customer_id", "status", "currency", "due_date"),
    sa.Index("ix_invoices_status_due_date", "status", "due_date"),
    **_MYSQL,
)

invoice_lines = sa.Table(
    "invoice_lines",
    metadata,
    sa.Column("invoice_id", ID, sa.ForeignKey("invoices.id"), primary_key=True),
    sa.Column("position", sa.Integer, primary_key=True),
    sa.Column("description", sa.String(200), nullable=False),
    sa.Column("quantity", sa.String(40), nullable=False),
    sa.Column("unit_price_minor", sa.BigInteger, nullable=False),
    sa.Column("discount_minor", sa.BigInteger, nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("discount_percent", sa.String(40), nullable=True),
    sa.Column("tax_name", sa.String(100), nullable=True),
    sa.Column("tax_percentage", sa.String(40), nullable=True),
    sa.Column("tax_inclusive", sa.Boolean, nullable=False),
    # The catalog key the line sells, for its partner's commission; none for a fee.
    sa.Column("product", sa.String(40), sa.ForeignKey("products.key"), nullable=True),
    **_MYSQL,
)

payments = sa.Table(
    "payments",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("customer_id", ID, sa.ForeignKey("customers.id"), nullable=False),
    sa.Column("number", sa.String(20), nullable=False),
    sa.Column("amount_minor", sa.BigInteger, nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("method", sa.String(20), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("received_at", UtcDateTime(), nullable=False),
    sa.Column("recorded_at", UtcDateTime(), nullable=False),
    sa.Column("recorded_by", sa.String(254), nullable=False),
    sa.Column("unapplied_minor", sa.BigInteger, nullable=False),
    sa.Column("refunded_minor", sa.BigInteger, nullable=False),
    sa.Column("reference", sa.String(200), nullable=True),
    # A replayed request finds the first payment: one per key and customer, decided here.
    sa.Column("idempotency_key", sa.String(200), nullable=True),
    sa.Column("gateway_reference", sa.String(200), nullable=True),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("failure_code", sa.String(60), nullable=True),
    # The saved method charged; no foreign key: a removed card leaves its payments as they were.
    sa.Column("payment_method_id", ID, nullable=True),
    sa.UniqueConstraint("customer_id", "number"),
    sa.UniqueConstraint("customer_id", "idempotency_key"),
    sa.Index("ix_payments_customer_id_received_at", "customer_id", "received_at", "id"),
    sa.Index("ix_payments_customer_id_status", "customer_id", "status", "unapplied_minor"),
    # Reconciliation reads the unknown payments of every customer, oldest first.
    sa.Index("ix_payments_status_recorded_at", "status", "recorded_at", "id"),
    **_MYSQL,
)

credit_notes = sa.Table(
    "credit_notes",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("customer_id", ID, sa.ForeignKey("customers.id"), nullable=False),
    sa.Column("number", sa.String(20), nullable=False),
    sa.Column("amount_minor", sa.BigInteger, nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("reason", sa.String(500), nullable=False),
    sa.Column("issued_at", UtcDateTime(), nullable=False),
    sa.Column("issued_by", sa.String(254), nullable=False),
    sa.Column("unapplied_minor", sa.BigInteger, nullable=False),
    sa.Column("refunded_minor", sa.BigInteger, nullable=False),
    sa.Column("invoice_id", ID, sa.ForeignKey("invoices.id"), nullable=True),
    sa.Column("version", sa.Integer, nullable=False),
    sa.UniqueConstraint("customer_id", "number"),
    sa.Index("ix_credit_notes_customer_id_unapplied", "customer_id", "unapplied_minor"),
    **_MYSQL,
)

billing_applications = sa.Table(
    "billing_applications",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("customer_id", ID, sa.ForeignKey("customers.id"), nullable=False),
    sa.Column("invoice_id", ID, sa.ForeignKey("invoices.id"), nullable=False),
    sa.Column("source", sa.String(20), nullable=False),
    sa.Column("source_id", ID, nullable=False),
    sa.Column("amount_minor", sa.BigInteger, nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("applied_at", UtcDateTime(), nullable=False),
    sa.Index("ix_billing_applications_invoice_id", "invoice_id", "applied_at"),
    sa.Index("ix_billing_applications_source_id", "source_id", "applied_at"),
    **_MYSQL,
)

refunds = sa.Table(
    "refunds",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("customer_id", ID, sa.ForeignKey("customers.id"), nullable=False),
    sa.Column("number", sa.String(20), nullable=False),
    sa.Column("amount_minor", sa.BigInteger, nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("source", sa.String(20), nullable=False),
    sa.Column("source_id", ID, nullable=False),
    sa.Column("method", sa.String(20), nullable=False),
    sa.Column("refunded_at", UtcDateTime(), nullable=False),
    sa.Column("refunded_by", sa.String(254), nullable=False),
    sa.Column("reference", sa.String(200), nullable=True),
    sa.UniqueConstraint("customer_id", "number"),
    sa.Index("ix_refunds_source_id", "source_id", "refunded_at"),
    **_MYSQL,
)

# A customer's saved cards: the gateway's token and what a person recognises the card by.
payment_methods = sa.Table(
    "payment_methods",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("customer_id", ID, sa.ForeignKey("customers.id"), nullable=False),
    sa.Column("token", sa.String(255), nullable=False),
    sa.Column("brand", sa.String(40), nullable=False),
    sa.Column("last4", sa.String(4), nullable=False),
    sa.Column("exp_month", sa.Integer, nullable=False),
    sa.Column("exp_year", sa.Integer, nullable=False),
    # At most one per customer, kept so by the writers under the billing account's lock.
    sa.Column("default", sa.Boolean, nullable=False),
    sa.Column("added_at", UtcDateTime(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Index("ix_payment_methods_customer_id", "customer_id", "added_at", "id"),
    **_MYSQL,
)

# The customer's ledger: one signed entry per document, so that a balance is one SUM and a
# statement one keyset scan of (customer, currency, at, id).
ledger_entries = sa.Table(
    "ledger_entries",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("customer_id", ID, sa.ForeignKey("customers.id"), nullable=False),
    sa.Column("at", UtcDateTime(), nullable=False),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("document_id", ID, nullable=False, unique=True),
    sa.Column("reference", sa.String(20), nullable=False),
    sa.Column("description", sa.String(500), nullable=False),
    sa.Column("amount_minor", sa.BigInteger, nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("detail", sa.String(40), nullable=True),
    sa.Index("ix_ledger_entries_customer_id_currency", "customer_id", "currency", "at", "id"),
    **_MYSQL,
)

# --- the reseller portal (issue 12) ------------------------------------------------------------
# A reseller's customer is a customer account linked to the reseller by a row of its own; one
# email per customer within a reseller is a unique key, and each order of the customer list is
# an index that starts with (reseller, archived), so a page reads its reseller's rows only.


def _reseller_customer_columns() -> list[sa.Column[Any]]:
    """A reseller's customer as the portal keeps it, after its key: the live row and the trace a
    move leaves hold the same."""
    return [
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("archived", sa.Boolean, nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("created_by", sa.String(254), nullable=False),
        sa.Column("archived_at", UtcDateTime(), nullable=True),
        *(sa.Column(name, sa.String(200), nullable=True) for name in DETAIL_FIELDS),
        sa.Column("version", sa.Integer, nullable=False),
    ]


resellers = sa.Table(
    "resellers",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("email", sa.String(254), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("invited_by", sa.String(254), nullable=False),
    sa.Column("from_customer_id", ID, sa.ForeignKey("customers.id"), nullable=True),
    sa.Column("version", sa.Integer, nullable=False),
    **_MYSQL,
)

reseller_invitations = sa.Table(
    "reseller_invitations",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("reseller_id", ID, sa.ForeignKey("resellers.id"), nullable=False, index=True),
    sa.Column("email", sa.String(254), nullable=False),
    # SHA-256 of the emailed token: the token itself is never stored.
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("expires_at", UtcDateTime(), nullable=False),
    sa.Column("accepted_at", UtcDateTime(), nullable=True),
    sa.Column("version", sa.Integer, nullable=False),
    **_MYSQL,
)

reseller_customers = sa.Table(
    "reseller_customers",
    metadata,
    sa.Column("customer_id", ID, sa.ForeignKey("customers.id"), primary_key=True),
    sa.Column("reseller_id", ID, sa.ForeignKey("resellers.id"), nullable=False),
    *_reseller_customer_columns(),
    sa.UniqueConstraint("reseller_id", "email"),
    sa.Index("ix_reseller_customers_by_name", "reseller_id", "archived", "name", "customer_id"),
    sa.Index("ix_reseller_customers_by_email", "reseller_id", "archived", "email", "customer_id"),
    sa.Index(
        "ix_reseller_customers_by_created", "reseller_id", "archived", "created_at", "customer_id"
    ),
    **_MYSQL,
)

reseller_tags = sa.Table(
    "reseller_tags",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("reseller_id", ID, sa.ForeignKey("resellers.id"), nullable=False),
    sa.Column("name", sa.String(40), nullable=False),
    sa.Column("key", sa.String(40), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.UniqueConstraint("reseller_id", "key"),
    **_MYSQL,
)

# A tag on a customer: the key makes a second tagging of the same customer a no-op; the
# reseller's column serves a customer's tags in one portal.
reseller_customer_tags = sa.Table(
    "reseller_customer_tags",
    metadata,
    sa.Column("tag_id", ID, sa.ForeignKey("reseller_tags.id"), primary_key=True),
    sa.Column("customer_id", ID, sa.ForeignKey("customers.id"), primary_key=True),
    sa.Column("reseller_id", ID, sa.ForeignKey("resellers.id"), nullable=False),
    sa.Index("ix_reseller_customer_tags_customer", "reseller_id", "customer_id"),
    **_MYSQL,
)

sales_orders = sa.Table(
    "sales_orders",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("customer_id", ID, sa.ForeignKey("customers.id"), nullable=False),
    sa.Column("reseller_id", ID, sa.ForeignKey("resellers.id"), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("total_minor", sa.BigInteger, nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("created_by", sa.String(254), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    # The invoice that bills the order: set once, under the order's row lock; an invoice bills
    # one order at most (the unique key).
    sa.Column("invoice_id", ID, sa.ForeignKey("invoices.id"), nullable=True, unique=True),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Index("ix_sales_orders_customer_id", "customer_id", "created_at", "id"),
    # The orders a customer's former reseller placed: its read-only trace lists these only.
    sa.Index("ix_sales_orders_customer_reseller", "customer_id", "reseller_id", "created_at", "id"),
    **_MYSQL,
)

sales_order_lines = sa.Table(
    "sales_order_lines",
    metadata,
    sa.Column("order_id", ID, sa.ForeignKey("sales_orders.id"), primary_key=True),
    sa.Column("position", sa.Integer, primary_key=True),
    sa.Column("product", sa.String(40), sa.ForeignKey("products.key"), nullable=False),
    sa.Column("quantity", sa.Integer, nullable=False),
    sa.Column("unit_price_minor", sa.BigInteger, nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    **_MYSQL,
)

# The read-only trace a customer leaves with the reseller it moved away from, frozen at the
# migration: its details as they were then (one row per reseller left, written by the move),
# and each order the reseller placed as it was then, kept when its new portal first changes it
# (copy on write: a move costs one row however many orders the customer has).
reseller_customer_traces = sa.Table(
    "reseller_customer_traces",
    metadata,
    sa.Column("reseller_id", ID, sa.ForeignKey("resellers.id"), primary_key=True),
    sa.Column("customer_id", ID, sa.ForeignKey("customers.id"), primary_key=True),
    *_reseller_customer_columns(),
    **_MYSQL,
)

# An order's lines and total never change: its trace keeps what does.
sales_order_traces = sa.Table(
    "sales_order_traces",
    metadata,
    sa.Column("reseller_id", ID, sa.ForeignKey("resellers.id"), primary_key=True),
    sa.Column("order_id", ID, sa.ForeignKey("sales_orders.id"), primary_key=True),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    sa.Column("invoice_id", ID, nullable=True),
    sa.Column("version", sa.Integer, nullable=False),
    **_MYSQL,
)

# One move per customer and reseller it leaves: the key decides two migrations at once.
customer_migrations = sa.Table(
    "customer_migrations",
    metadata,
    sa.Column("from_reseller_id", ID, sa.ForeignKey("resellers.id"), primary_key=True),
    sa.Column("customer_id", ID, sa.ForeignKey("customers.id"), primary_key=True),
    sa.Column("id", ID, nullable=False, unique=True),
    sa.Column("to_reseller_id", ID, sa.ForeignKey("resellers.id"), nullable=False),
    sa.Column("migrated_at", UtcDateTime(), nullable=False),
    sa.Column("migrated_by", sa.String(254), nullable=False),
    sa.Column("consent_id", ID, nullable=True),
    sa.Index("ix_customer_migrations_customer_id", "customer_id", "migrated_at"),
    sa.Index("ix_customer_migrations_from", "from_reseller_id", "migrated_at"),
    **_MYSQL,
)

# --- subscriptions --------------------------------------------------------------------------

plans = sa.Table(
    "plans",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("product", sa.String(40), sa.ForeignKey("products.key"), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("price_minor", sa.BigInteger, nullable=False),
    sa.Column("setup_fee_minor", sa.BigInteger, nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("period_unit", sa.String(10), nullable=False),
    sa.Column("period_count", sa.Integer, nullable=False),
    sa.Column("trial_unit", sa.String(10), nullable=True),
    sa.Column("trial_count", sa.Integer, nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Index("ix_plans_product", "product", "id"),
    **_MYSQL,
)

addons = sa.Table(
    "addons",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("product", sa.String(40), sa.ForeignKey("products.key"), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("price_minor", sa.BigInteger, nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Index("ix_addons_product", "product", "id"),
    **_MYSQL,
)

# A coupon's product is the catalog's fact about it, beside the coupon's own fields.
coupons = sa.Table(
    "coupons",
    metadata,
    sa.Column("id", sa.String(100), primary_key=True),
    sa.Column("code", sa.String(50), nullable=False, unique=True),
    sa.Column("product", sa.String(40), sa.ForeignKey("products.key"), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("percentage", sa.String(40), nullable=True),
    sa.Column("amount_minor", sa.BigInteger, nullable=True),
    sa.Column("currency", sa.String(3), nullable=True),
    sa.Column("duration", sa.String(20), nullable=False),
    sa.Column("cycles", sa.Integer, nullable=True),
    sa.Column("valid_until", sa.Date, nullable=True),
    sa.Column("max_redemptions", sa.Integer, nullable=True),
    # How many times it was applied: counted on the row, under its lock.
    sa.Column("redemptions", sa.Integer, nullable=False),
    sa.Column("archived", sa.Boolean, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Index("ix_coupons_product", "product", "code"),
    **_MYSQL,
)

subscriptions = sa.Table(
    "subscriptions",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("customer_id", ID, sa.ForeignKey("customers.id"), nullable=False),
    sa.Column("product", sa.String(40), sa.ForeignKey("products.key"), nullable=False),
    sa.Column("plan_id", sa.String(40), sa.ForeignKey("plans.id"), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("start_date", sa.Date, nullable=False),
    sa.Column("term_start", sa.Date, nullable=False),
    sa.Column("term_end", sa.Date, nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("created_by", sa.String(254), nullable=False),
    sa.Column("anchor", sa.Date, nullable=True),
    sa.Column("term_index", sa.Integer, nullable=False),
    sa.Column("trial_end", sa.Date, nullable=True),
    sa.Column("trial_extended", sa.Boolean, nullable=False),
    sa.Column("expired_at_trial_end", sa.Boolean, nullable=False),
    sa.Column("auto_charge", sa.Boolean, nullable=False),
    sa.Column("payment_method_id", ID, nullable=True),
    sa.Column("previous_status", sa.String(20), nullable=True),
    sa.Column("cycles_billed", sa.Integer, nullable=False),
    sa.Column("pause_on", sa.Date, nullable=True),
    sa.Column("resume_on", sa.Date, nullable=True),
    sa.Column("scheduled_plan_id", sa.String(40), sa.ForeignKey("plans.id"), nullable=True),
    sa.Column("unpaid_invoice_id", ID, nullable=True),
    sa.Column("charge_at", UtcDateTime(), nullable=True),
    sa.Column("charge_attempts", sa.Integer, nullable=False),
    sa.Column("first_failure_at", UtcDateTime(), nullable=True),
    sa.Column("due_at", UtcDateTime(), nullable=True),
    sa.Column("cancelled_at", UtcDateTime(), nullable=True),
    sa.Column("expired_at", UtcDateTime(), nullable=True),
    sa.Column("version", sa.Integer, nullable=False),
    # The calendar its days are counted in (0018): rows from before counted in UTC.
    sa.Column("time_zone", sa.String(64), nullable=False, server_default="UTC"),
    # The Subscriptions list of a customer; the renewal run's queue, earliest due first.
    sa.Index("ix_subscriptions_customer_id", "customer_id", "created_at", "id"),
    sa.Index("ix_subscriptions_due_at", "due_at", "id"),
    **_MYSQL,
)

subscription_addons = sa.Table(
    "subscription_addons",
    metadata,
    sa.Column("subscription_id", ID, sa.ForeignKey("subscriptions.id"), primary_key=True),
    sa.Column("position", sa.Integer, primary_key=True),
    sa.Column("addon_id", sa.String(40), nullable=False),
    sa.Column("quantity", sa.Integer, nullable=False),
    **_MYSQL,
)

subscription_coupons = sa.Table(
    "subscription_coupons",
    metadata,
    sa.Column("subscription_id", ID, sa.ForeignKey("subscriptions.id"), primary_key=True),
    sa.Column("position", sa.Integer, primary_key=True),
    sa.Column("coupon_id", sa.String(100), nullable=False),
    sa.Column("first_cycle", sa.Integer, nullable=False),
    **_MYSQL,
)

# The addons and coupons a change scheduled for the end of the term moves to.
subscription_scheduled_addons = sa.Table(
    "subscription_scheduled_addons",
    metadata,
    sa.Column("subscription_id", ID, sa.ForeignKey("subscriptions.id"), primary_key=True),
    sa.Column("position", sa.Integer, primary_key=True),
    sa.Column("addon_id", sa.String(40), nullable=False),
    sa.Column("quantity", sa.Integer, nullable=False),
    **_MYSQL,
)

subscription_scheduled_coupons = sa.Table(
    "subscription_scheduled_coupons",
    metadata,
    sa.Column("subscription_id", ID, sa.ForeignKey("subscriptions.id"), primary_key=True),
    sa.Column("position", sa.Integer, primary_key=True),
    sa.Column("coupon_id", sa.String(100), nullable=False),
    **_MYSQL,
)

# One row per billed period: its primary key is the rule "one invoice per subscription and
# period", written in the transaction of the invoice.
subscription_periods = sa.Table(
    "subscription_periods",
    metadata,
    sa.Column("subscription_id", ID, sa.ForeignKey("subscriptions.id"), primary_key=True),
    sa.Column("period_start", sa.Date, primary_key=True),
    sa.Column("period_end", sa.Date, nullable=False),
    sa.Column("invoice_id", ID, sa.ForeignKey("invoices.id"), nullable=False, unique=True),
    sa.Column("billed_at", UtcDateTime(), nullable=False),
    **_MYSQL,
)

TABLES = tuple(metadata.sorted_tables)
