"""The SQL schema as SQLAlchemy Core tables; Alembic migrations in `migrations/` create it.

Uniqueness rules are constraints here, not read-then-write checks: a partner code's canonical
key is the primary key of `partner_codes`, a user's email the primary key of `customer_users`.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from partnerkit.backends.sql.types import UtcDateTime

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

customers = sa.Table(
    "customers",
    metadata,
    sa.Column("id", ID, primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
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
    sa.Column("customer_id", ID, sa.ForeignKey("customers.id"), nullable=False, index=True),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("is_admin", sa.Boolean, nullable=False),
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

TABLES = tuple(metadata.sorted_tables)
