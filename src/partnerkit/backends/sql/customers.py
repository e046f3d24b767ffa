"""Customer accounts on SQL: the account row and its domains, users, contacts and plans, each
in a child table, read in one statement and written by difference."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from partnerkit.backends.sql import schema as t
from partnerkit.backends.sql.base import Guard, SqlRepository, versioned_update
from partnerkit.backends.sql.codec import Children, RowCodec
from partnerkit.backends.sql.prepared import prepare
from partnerkit.customers.accounts import (
    AccountHead,
    ContactPerson,
    Customer,
    CustomerUser,
    ProductPlan,
    email_taken,
)
from partnerkit.customers.errors import EmailTakenError
from partnerkit.errors import ConcurrencyError

__all__ = ["SqlCustomers"]

CUSTOMERS = RowCodec(
    Customer,
    t.customers,
    children={
        "domains": Children(t.customer_domains, "customer_id", "domain"),
        "users": Children(t.customer_users, "customer_id", CustomerUser, key=("email",)),
        "contacts": Children(
            t.customer_contacts,
            "customer_id",
            ContactPerson,
            key=("email",),
            columns={"primary": "is_primary"},
        ),
        # One plan per product, kept in product order: the product is key and order.
        "products": Children(
            t.customer_products, "customer_id", ProductPlan, key=("product",), position=None
        ),
    },
)

_customers = t.customers
_by_name = (_customers.c.name, _customers.c.id)
_CUSTOMER_BY_ID = CUSTOMERS.aggregate.select(by_id="v")
_CUSTOMERS_BY_IDS = CUSTOMERS.aggregate.select(
    _customers.c.id.in_(sa.bindparam("ids", expanding=True)), order_by=_by_name
)
_CUSTOMER_BY_USER_EMAIL = CUSTOMERS.aggregate.select(
    _customers.c.id.in_(
        sa.select(t.customer_users.c.customer_id).where(
            t.customer_users.c.email == sa.bindparam("v")
        )
    )
)
# The oldest holder only: a domain many accounts share costs one row, not all of them.
_OLDEST_HOLDER = (
    sa.select(_customers.c.id)
    .select_from(
        t.customer_domains.join(_customers, _customers.c.id == t.customer_domains.c.customer_id)
    )
    .where(t.customer_domains.c.domain == sa.bindparam("v"))
    .order_by(_customers.c.created_at, _customers.c.id)
    .limit(1)
    .scalar_subquery()
)
_CUSTOMER_BY_DOMAIN = CUSTOMERS.aggregate.select(_customers.c.id == _OLDEST_HOLDER)
_ALL_CUSTOMERS = CUSTOMERS.aggregate.select(order_by=_by_name)
_NAMES = sa.select(_customers.c.id, _customers.c.name).where(
    _customers.c.id.in_(sa.bindparam("ids", expanding=True))
)
_UPDATE_CUSTOMER = versioned_update(_customers)

_users = t.customer_users
# The account and, when asked, one of its users: an outer join on the user's primary key.
_HEAD = (
    sa.select(
        _customers.c.id,
        _customers.c.name,
        _customers.c.version,
        _users.c.email,
        _users.c.name.label("user_name"),
        _users.c.is_admin,
    )
    .select_from(
        _customers.outerjoin(
            _users,
            sa.and_(
                _users.c.customer_id == _customers.c.id, _users.c.email == sa.bindparam("email")
            ),
        )
    )
    .where(_customers.c.id == sa.bindparam("id"))
)
# Appending a user moves the account's version (so a writer holding the account as it was
# before fails, and does not write its users back without this one) and locks its row.
_BUMP_CUSTOMER = (
    _customers.update()
    .where(
        _customers.c.id == sa.bindparam("b_id"), _customers.c.version == sa.bindparam("b_version")
    )
    .values(version=_customers.c.version + 1)
)
_APPEND_USER = _users.insert().values(
    email=sa.bindparam("email"),
    customer_id=sa.bindparam("customer_id"),
    name=sa.bindparam("name"),
    is_admin=sa.bindparam("is_admin"),
    position=sa.select(sa.func.coalesce(sa.func.max(_users.c.position), -1) + 1)
    .where(_users.c.customer_id == sa.bindparam("customer_id"))
    .scalar_subquery(),
)
# Built once, run on the driver's cursor (see prepared.py).
prepare(
    _CUSTOMER_BY_ID,
    _CUSTOMER_BY_USER_EMAIL,
    _CUSTOMER_BY_DOMAIN,
    _ALL_CUSTOMERS,
    _HEAD,
    _BUMP_CUSTOMER,
    _APPEND_USER,
)


class SqlCustomers(SqlRepository):
    def add(self, customer: Customer) -> None:
        self._tx.execute(CUSTOMERS.insert, CUSTOMERS.row(customer))
        self._insert_aggregate(CUSTOMERS, customer, {"users": self._email_taken(customer)})

    def get(self, customer_id: str) -> Customer | None:
        found = self._load(CUSTOMERS, _CUSTOMER_BY_ID, {"v": customer_id})
        return found[0] if found else None

    def get_many(self, customer_ids: Sequence[str]) -> list[Customer]:
        if not customer_ids:
            return []
        return self._load(CUSTOMERS, _CUSTOMERS_BY_IDS, {"ids": list(customer_ids)})

    def names(self, customer_ids: Sequence[str]) -> dict[str, str]:
        if not customer_ids:
            return {}
        rows = self._tx.execute(_NAMES, {"ids": list(customer_ids)}).all()
        return {row[0]: row[1] for row in rows}

    def head(self, customer_id: str, *, user: str | None = None) -> AccountHead | None:
        row = self._tx.execute(_HEAD, {"id": customer_id, "email": user}).first()
        if row is None:
            return None
        id_, name, version, email, user_name, is_admin = row
        found = None if email is None else CustomerUser(email, user_name, bool(is_admin))
        return AccountHead(id_, name, version, found)

    def add_user(self, customer_id: str, user: CustomerUser, *, version: int) -> None:
        bumped = self._tx.execute(_BUMP_CUSTOMER, {"b_id": customer_id, "b_version": version})
        if bumped.rowcount != 1:
            raise ConcurrencyError(
                "the customer changed since it was read",
                details={"id": customer_id, "version": version},
            )
        with self._unique(lambda: email_taken(user.email), single=True):
            self._tx.execute(
                _APPEND_USER,
                {
                    "email": user.email,
                    "customer_id": customer_id,
                    "name": user.name,
                    "is_admin": user.is_admin,
                },
            )
        # What this unit of work read of the account is now behind: the next update re-reads.
        self._tx.loaded.pop((_customers.name, customer_id), None)

    def get_by_user_email(self, email: str) -> Customer | None:
        found = self._load(CUSTOMERS, _CUSTOMER_BY_USER_EMAIL, {"v": email})
        return found[0] if found else None

    def get_by_domain(self, domain: str) -> Customer | None:
        found = self._load(CUSTOMERS, _CUSTOMER_BY_DOMAIN, {"v": domain})
        return found[0] if found else None

    def update(self, customer: Customer) -> Customer:
        return self._update_aggregate(
            CUSTOMERS,
            _UPDATE_CUSTOMER,
            customer,
            "customer",
            guards={"users": self._email_taken(customer)},
        )

    def all(self) -> list[Customer]:
        return self._load(CUSTOMERS, _ALL_CUSTOMERS)

    def _email_taken(self, customer: Customer) -> Guard:
        return self._guard(
            lambda: EmailTakenError(
                "an email of this account already belongs to a user",
                details={"customer_id": customer.id},
            )
        )
