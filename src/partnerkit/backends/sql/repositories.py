"""SQL repositories: the ports of `partnerkit.ports` over one SQLAlchemy Core connection.

Each repository turns rows into frozen values and back; unique-constraint violations become
the same domain errors the memory backend raises.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import attrs
import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from partnerkit.backends.sql import schema as t
from partnerkit.customers.accounts import (
    ContactPerson,
    Customer,
    CustomerUser,
    Edition,
    ProductPlan,
)
from partnerkit.errors import (
    CodeTakenError,
    ConcurrencyError,
    EmailTakenError,
    PartnerkitError,
    ProductTakenError,
    UsernameTakenError,
)
from partnerkit.events import MessageKind, MessageStatus, OutboxMessage
from partnerkit.mapping.partners import (
    Partner,
    PartnerCode,
    PartnerCodeStatus,
    PartnerKind,
    PartnerStatus,
)
from partnerkit.subscriptions.catalog import Product

__all__ = [
    "SqlCustomers",
    "SqlOutbox",
    "SqlPartnerCodes",
    "SqlPartners",
    "SqlProducts",
    "SqlUnitOfWork",
]


# Statements built once: constructing a statement per call costs more than running it.
_PRODUCT_BY_KEY = sa.select(t.products).where(t.products.c.key == sa.bindparam("v"))
_PARTNER_BY_ID = sa.select(t.partners).where(t.partners.c.id == sa.bindparam("v"))
_PARTNER_BY_USERNAME = sa.select(t.partners).where(t.partners.c.username == sa.bindparam("v"))
_PARTNER_BY_EMAIL = (
    sa.select(t.partners)
    .where(t.partners.c.email == sa.bindparam("v"))
    .order_by(t.partners.c.created_at, t.partners.c.id)
    .limit(1)
)
_UPDATE_PARTNER = t.partners.update().where(
    t.partners.c.id == sa.bindparam("b_id"), t.partners.c.version == sa.bindparam("b_version")
)
_CODE_BY_KEY = sa.select(t.partner_codes).where(t.partner_codes.c.key == sa.bindparam("v"))
_UPDATE_CODE = t.partner_codes.update().where(t.partner_codes.c.key == sa.bindparam("b_key"))
_UPDATE_MESSAGE = t.outbox.update().where(t.outbox.c.id == sa.bindparam("b_id"))


class _Repo:
    def __init__(self, conn: Connection) -> None:
        self._c = conn

    @contextmanager
    def _unique(self, make_error: Callable[[], PartnerkitError]) -> Iterator[None]:
        """Run inserts in a savepoint and turn a unique violation into a domain error.

        The savepoint keeps the transaction usable on PostgreSQL, where a failed statement
        otherwise aborts everything after it.
        """
        try:
            with self._c.begin_nested():
                yield
        except IntegrityError as exc:
            raise make_error() from exc

    def _replace_children(
        self, table: sa.Table, fk: str, owner: str, rows: Sequence[dict[str, Any]]
    ) -> None:
        self._c.execute(table.delete().where(table.c[fk] == owner))
        if rows:
            self._c.execute(table.insert(), list(rows))


class SqlProducts(_Repo):
    def add(self, product: Product) -> None:
        with self._unique(
            lambda: ProductTakenError(
                f"a product with key {product.key!r} already exists", details={"key": product.key}
            )
        ):
            self._c.execute(
                t.products.insert(),
                {
                    "key": product.key,
                    "name": product.name,
                    "created_at": product.created_at,
                    "version": product.version,
                },
            )

    def get(self, key: str) -> Product | None:
        row = self._c.execute(_PRODUCT_BY_KEY, {"v": key}).first()
        return None if row is None else _product(row)

    def all(self) -> list[Product]:
        rows = self._c.execute(sa.select(t.products).order_by(t.products.c.key))
        return [_product(r) for r in rows]


def _product(row: sa.Row[Any]) -> Product:
    return Product(key=row.key, name=row.name, created_at=row.created_at, version=row.version)


class SqlPartners(_Repo):
    def add(self, partner: Partner) -> None:
        with self._unique(lambda: _username_taken(partner)):
            self._c.execute(t.partners.insert(), _partner_row(partner))
        self._write_lists(partner)

    def get(self, partner_id: str) -> Partner | None:
        return self._one(_PARTNER_BY_ID, partner_id)

    def get_by_username(self, username: str) -> Partner | None:
        return self._one(_PARTNER_BY_USERNAME, username)

    def get_by_email(self, email: str) -> Partner | None:
        return self._one(_PARTNER_BY_EMAIL, email)

    def update(self, partner: Partner) -> Partner:
        row = _partner_row(partner)
        del row["id"]
        row.update(version=partner.version + 1, b_id=partner.id, b_version=partner.version)
        with self._unique(lambda: _username_taken(partner)):
            result = self._c.execute(_UPDATE_PARTNER, row)
        if result.rowcount != 1:
            raise ConcurrencyError(
                "the partner changed since it was read",
                details={"id": partner.id, "version": partner.version},
            )
        for table in (t.partner_domains, t.partner_regions, t.partner_expertise):
            self._c.execute(table.delete().where(table.c.partner_id == partner.id))
        self._write_lists(partner)
        return attrs.evolve(partner, version=partner.version + 1)

    def all(self, *, status: PartnerStatus | None = None) -> list[Partner]:
        query = sa.select(t.partners).order_by(t.partners.c.name, t.partners.c.id)
        if status is not None:
            query = query.where(t.partners.c.status == status.value)
        return self._many(query)

    def _write_lists(self, p: Partner) -> None:
        for table, column, values in (
            (t.partner_domains, "domain", p.email_domains),
            (t.partner_regions, "region", p.regions),
            (t.partner_expertise, "product", p.expertise),
        ):
            if values:
                self._c.execute(
                    table.insert(),
                    [{"partner_id": p.id, "position": i, column: v} for i, v in enumerate(values)],
                )

    def _one(self, query: sa.Select[Any], value: str) -> Partner | None:
        found = self._many(query, {"v": value})
        return found[0] if found else None

    def _many(self, query: sa.Select[Any], params: dict[str, Any] | None = None) -> list[Partner]:
        rows = self._c.execute(query, params or {}).all()
        if not rows:
            return []
        ids = [r.id for r in rows]
        lists: dict[str, dict[str, list[str]]] = {i: {} for i in ids}
        for table, column in (
            (t.partner_domains, "domain"),
            (t.partner_regions, "region"),
            (t.partner_expertise, "product"),
        ):
            children = self._c.execute(
                sa.select(table.c.partner_id, table.c[column])
                .where(table.c.partner_id.in_(ids))
                .order_by(table.c.partner_id, table.c.position)
            )
            for pid, value in children:
                lists[pid].setdefault(column, []).append(value)
        return [
            Partner(
                id=r.id,
                name=r.name,
                email=r.email,
                kind=PartnerKind(r.kind),
                created_at=r.created_at,
                last_active_at=r.last_active_at,
                username=r.username,
                email_domains=tuple(lists[r.id].get("domain", ())),
                regions=tuple(lists[r.id].get("region", ())),
                expertise=tuple(lists[r.id].get("product", ())),
                status=PartnerStatus(r.status),
                version=r.version,
            )
            for r in rows
        ]


def _partner_row(p: Partner) -> dict[str, Any]:
    return {
        "id": p.id,
        "name": p.name,
        "email": p.email,
        "username": p.username,
        "kind": p.kind.value,
        "status": p.status.value,
        "created_at": p.created_at,
        "last_active_at": p.last_active_at,
        "version": p.version,
    }


def _username_taken(p: Partner) -> UsernameTakenError:
    return UsernameTakenError(
        f"the username {p.username!r} is taken", details={"field": "username"}
    )


class SqlPartnerCodes(_Repo):
    def add(self, code: PartnerCode) -> None:
        with self._unique(
            lambda: CodeTakenError(
                f"the code {code.code!r} is already issued", details={"field": "code"}
            )
        ):
            self._c.execute(t.partner_codes.insert(), _code_row(code))

    def get(self, key: str) -> PartnerCode | None:
        row = self._c.execute(_CODE_BY_KEY, {"v": key}).first()
        return None if row is None else _code(row)

    def for_partner(self, partner_id: str) -> list[PartnerCode]:
        rows = self._c.execute(
            sa.select(t.partner_codes)
            .where(t.partner_codes.c.partner_id == partner_id)
            .order_by(t.partner_codes.c.issued_at, t.partner_codes.c.key)
        )
        return [_code(r) for r in rows]

    def update(self, code: PartnerCode) -> None:
        row = _code_row(code)
        row["b_key"] = row.pop("key")
        self._c.execute(_UPDATE_CODE, row)


def _code_row(c: PartnerCode) -> dict[str, Any]:
    return {
        "key": c.key,
        "code": c.code,
        "partner_id": c.partner_id,
        "status": c.status.value,
        "issued_at": c.issued_at,
        "retired_at": c.retired_at,
    }


def _code(row: sa.Row[Any]) -> PartnerCode:
    return PartnerCode(
        key=row.key,
        code=row.code,
        partner_id=row.partner_id,
        issued_at=row.issued_at,
        status=PartnerCodeStatus(row.status),
        retired_at=row.retired_at,
    )


class SqlCustomers(_Repo):
    def add(self, customer: Customer) -> None:
        self._c.execute(
            t.customers.insert().values(
                id=customer.id,
                name=customer.name,
                created_at=customer.created_at,
                version=customer.version,
            )
        )
        self._write_children(customer)

    def get(self, customer_id: str) -> Customer | None:
        found = self._many(sa.select(t.customers).where(t.customers.c.id == customer_id))
        return found[0] if found else None

    def get_by_user_email(self, email: str) -> Customer | None:
        cid = self._c.execute(
            sa.select(t.customer_users.c.customer_id).where(t.customer_users.c.email == email)
        ).scalar()
        return None if cid is None else self.get(cid)

    def update(self, customer: Customer) -> Customer:
        result = self._c.execute(
            t.customers.update()
            .where(t.customers.c.id == customer.id, t.customers.c.version == customer.version)
            .values(name=customer.name, version=customer.version + 1)
        )
        if result.rowcount != 1:
            raise ConcurrencyError(
                "the customer changed since it was read",
                details={"id": customer.id, "version": customer.version},
            )
        for table in (
            t.customer_domains,
            t.customer_users,
            t.customer_contacts,
            t.customer_products,
        ):
            self._c.execute(table.delete().where(table.c.customer_id == customer.id))
        self._write_children(customer)
        return attrs.evolve(customer, version=customer.version + 1)

    def all(self) -> list[Customer]:
        return self._many(sa.select(t.customers).order_by(t.customers.c.name, t.customers.c.id))

    def _write_children(self, c: Customer) -> None:
        if c.domains:
            self._c.execute(
                t.customer_domains.insert(),
                [
                    {"customer_id": c.id, "position": i, "domain": d}
                    for i, d in enumerate(c.domains)
                ],
            )
        if c.users:
            with self._unique(
                lambda: EmailTakenError(
                    "an email of this account already belongs to a user",
                    details={"customer_id": c.id},
                )
            ):
                self._c.execute(
                    t.customer_users.insert(),
                    [
                        {
                            "email": u.email,
                            "customer_id": c.id,
                            "position": i,
                            "name": u.name,
                            "is_admin": u.is_admin,
                        }
                        for i, u in enumerate(c.users)
                    ],
                )
        if c.contacts:
            self._c.execute(
                t.customer_contacts.insert(),
                [
                    {
                        "customer_id": c.id,
                        "email": p.email,
                        "position": i,
                        "name": p.name,
                        "phone": p.phone,
                        "is_primary": p.primary,
                    }
                    for i, p in enumerate(c.contacts)
                ],
            )
        if c.products:
            self._c.execute(
                t.customer_products.insert(),
                [
                    {
                        "customer_id": c.id,
                        "product": p.product,
                        "edition": p.edition.value,
                        "since": p.since,
                    }
                    for p in c.products
                ],
            )

    def _many(self, query: sa.Select[Any]) -> list[Customer]:
        rows = self._c.execute(query).all()
        if not rows:
            return []
        ids = [r.id for r in rows]

        def children(table: sa.Table, order: sa.ColumnElement[Any]) -> dict[str, list[Any]]:
            out: dict[str, list[Any]] = {i: [] for i in ids}
            for row in self._c.execute(
                sa.select(table).where(table.c.customer_id.in_(ids)).order_by(order)
            ):
                out[row.customer_id].append(row)
            return out

        domains = children(t.customer_domains, t.customer_domains.c.position)
        users = children(t.customer_users, t.customer_users.c.position)
        contacts = children(t.customer_contacts, t.customer_contacts.c.position)
        plans = children(t.customer_products, t.customer_products.c.product)
        return [
            Customer(
                id=r.id,
                name=r.name,
                created_at=r.created_at,
                domains=tuple(d.domain for d in domains[r.id]),
                users=tuple(CustomerUser(u.email, u.name, bool(u.is_admin)) for u in users[r.id]),
                contacts=tuple(
                    ContactPerson(p.name, p.email, p.phone, bool(p.is_primary))
                    for p in contacts[r.id]
                ),
                products=tuple(
                    ProductPlan(p.product, Edition(p.edition), p.since) for p in plans[r.id]
                ),
                version=r.version,
            )
            for r in rows
        ]


class SqlOutbox(_Repo):
    def add(self, message: OutboxMessage) -> None:
        self._c.execute(t.outbox.insert(), _message_row(message))

    def due(self, now: datetime, limit: int) -> list[OutboxMessage]:
        # SKIP LOCKED lets several workers drain the queue without delivering a row twice;
        # SQLite serialises writers and ignores the clause.
        query = (
            sa.select(t.outbox)
            .where(
                t.outbox.c.status == MessageStatus.PENDING.value,
                t.outbox.c.next_attempt_at <= now,
            )
            .order_by(t.outbox.c.next_attempt_at, t.outbox.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return [_message(r) for r in self._c.execute(query)]

    def next_due(self) -> datetime | None:
        earliest = sa.func.min(t.outbox.c.next_attempt_at, type_=t.UtcDateTime())
        value: datetime | None = self._c.execute(
            sa.select(earliest).where(t.outbox.c.status == MessageStatus.PENDING.value)
        ).scalar()
        return value

    def save(self, message: OutboxMessage) -> None:
        row = _message_row(message)
        row["b_id"] = row.pop("id")
        self._c.execute(_UPDATE_MESSAGE, row)

    def all(self, *, topic: str | None = None) -> list[OutboxMessage]:
        query = sa.select(t.outbox).order_by(t.outbox.c.created_at, t.outbox.c.id)
        if topic is not None:
            query = query.where(t.outbox.c.topic == topic)
        return [_message(r) for r in self._c.execute(query)]


def _message_row(m: OutboxMessage) -> dict[str, Any]:
    return {
        "id": m.id,
        "kind": m.kind.value,
        "topic": m.topic,
        "payload": json.dumps(dict(m.payload), sort_keys=True, default=str),
        "created_at": m.created_at,
        "next_attempt_at": m.next_attempt_at,
        "status": m.status.value,
        "attempts": m.attempts,
        "delivered_at": m.delivered_at,
        "last_error": m.last_error,
    }


def _message(row: sa.Row[Any]) -> OutboxMessage:
    return OutboxMessage(
        id=row.id,
        kind=MessageKind(row.kind),
        topic=row.topic,
        payload=json.loads(row.payload),
        created_at=row.created_at,
        next_attempt_at=row.next_attempt_at,
        status=MessageStatus(row.status),
        attempts=row.attempts,
        delivered_at=row.delivered_at,
        last_error=row.last_error,
    )


class SqlUnitOfWork:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._products = SqlProducts(conn)
        self._partners = SqlPartners(conn)
        self._codes = SqlPartnerCodes(conn)
        self._customers = SqlCustomers(conn)
        self._outbox = SqlOutbox(conn)

    @property
    def connection(self) -> Connection:
        return self._conn

    @property
    def products(self) -> SqlProducts:
        return self._products

    @property
    def partners(self) -> SqlPartners:
        return self._partners

    @property
    def codes(self) -> SqlPartnerCodes:
        return self._codes

    @property
    def customers(self) -> SqlCustomers:
        return self._customers

    @property
    def outbox(self) -> SqlOutbox:
        return self._outbox

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        with self._conn.begin_nested():
            yield
