"""Domains in the form partnerkit now stores and compares (issue 8, item 10): IDNA-normalised
and in Unicode, as `partnerkit.validate.domain` gives them, in the domain columns and in the
domain part of every stored email address.

Until this revision a domain was stored as its ASCII A-label (`xn--bcher-kva.example`) and an
email address could only be ASCII; now both read `bücher.example`, so that `it@bücher.example`
and a customer's domain typed either way compare equal. Only values holding an A-label
change; a value the rule refuses is left as it was (no row is lost to a migration).

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from alembic import op
from email_validator import EmailNotValidError, validate_email

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

#: (table, column) holding a domain name.
DOMAIN_COLUMNS = (("partner_domains", "domain"), ("customer_domains", "domain"))
#: (table, column) holding an email address: users, contacts, partners, tracked users and the
#: addresses a consent request compares its confirmers with.
EMAIL_COLUMNS = (
    ("partners", "email"),
    ("customer_users", "email"),
    ("customer_contacts", "email"),
    ("tracking_entries", "email"),
    ("consent_requests", "requested_by"),
    ("consent_confirmations", "by"),
)


def _unicode_domain(domain: str) -> str | None:
    # Frozen here rather than imported from partnerkit.validate: a revision means what it meant.
    try:
        found = validate_email(
            f"postmaster@{domain}",
            check_deliverability=False,
            allow_smtputf8=True,
            allow_domain_literal=False,
            strict=True,
        )
    except EmailNotValidError:
        return None
    return found.domain


def _unicode_email(address: str) -> str | None:
    local, at, domain = address.rpartition("@")
    converted = _unicode_domain(domain) if at else None
    return None if converted is None else f"{local}@{converted}"


def _ascii_domain(domain: str) -> str | None:
    try:
        found = validate_email(
            f"postmaster@{domain}", check_deliverability=False, allow_smtputf8=True
        )
    except EmailNotValidError:
        return None
    return found.ascii_domain


def _ascii_email(address: str) -> str | None:
    local, at, domain = address.rpartition("@")
    converted = _ascii_domain(domain) if at else None
    return None if converted is None else f"{local}@{converted}"


def _rewrite(
    columns: tuple[tuple[str, str], ...],
    convert: Callable[[str], str | None],
    selects: Callable[[sa.ColumnElement[str]], sa.ColumnElement[bool]],
) -> None:
    conn = op.get_bind()
    for table_name, column_name in columns:
        column = sa.column(column_name, sa.String)
        table = sa.table(table_name, column)
        found = conn.execute(sa.select(column).where(selects(column)).distinct()).scalars()
        for old in list(found):
            new = convert(old)
            if new is not None and new != old:
                conn.execute(table.update().where(column == old).values({column_name: new}))


def upgrade() -> None:
    def has_a_label(column: sa.ColumnElement[str]) -> sa.ColumnElement[bool]:
        return column.like("%xn--%")

    _rewrite(DOMAIN_COLUMNS, _unicode_domain, has_a_label)
    _rewrite(EMAIL_COLUMNS, _unicode_email, has_a_label)


def downgrade() -> None:
    # Back to A-labels for the domains; an address with a Unicode domain had no form before
    # this revision, so it keeps its A-label domain, which the old rule accepts.
    def every_value(column: sa.ColumnElement[str]) -> sa.ColumnElement[bool]:
        # Any value may hold a Unicode letter; converting an ASCII one changes nothing.
        return column.isnot(None)

    _rewrite(DOMAIN_COLUMNS, _ascii_domain, every_value)
    _rewrite(EMAIL_COLUMNS, _ascii_email, every_value)
