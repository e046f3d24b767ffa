"""The reseller portal on SQL: resellers, invitations found by token hash, the customer links
(one email per reseller, a unique key), tags and their customers, orders with their lines and
their one invoice (a unique key), migrations, and the traces a move leaves. A customer list page
is one statement over an index that starts with the reseller: tags, search, order and window
are all computed by the database.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import attrs
import sqlalchemy as sa

from partnerkit.backends.sql import schema as t
from partnerkit.backends.sql.base import SqlRepository, versioned_update
from partnerkit.backends.sql.codec import Children, RowCodec
from partnerkit.backends.sql.prepared import prepare
from partnerkit.errors import IntegrityViolationError
from partnerkit.resellers.accounts import Reseller, ResellerInvitation
from partnerkit.resellers.clients import (
    CustomerQuery,
    CustomerSort,
    ResellerCustomer,
    ResellerTag,
    TagMatch,
)
from partnerkit.resellers.errors import ResellerEmailTakenError
from partnerkit.resellers.migrations import CustomerMigration
from partnerkit.resellers.orders import OrderLine, OrderStatus, SalesOrder

__all__ = [
    "SqlCustomerMigrations",
    "SqlResellerCustomers",
    "SqlResellerInvitations",
    "SqlResellerTags",
    "SqlResellers",
    "SqlSalesOrders",
]

RESELLERS = RowCodec(Reseller, t.resellers)
INVITATIONS = RowCodec(ResellerInvitation, t.reseller_invitations)
LINKS = RowCodec(ResellerCustomer, t.reseller_customers, id_field="customer_id")
TAGS = RowCodec(ResellerTag, t.reseller_tags)
ORDERS = RowCodec(
    SalesOrder,
    t.sales_orders,
    children={"lines": Children(t.sales_order_lines, "order_id", OrderLine)},
)
MIGRATIONS = RowCodec(CustomerMigration, t.customer_migrations)
LINK_TRACES = RowCodec(ResellerCustomer, t.reseller_customer_traces, id_field="customer_id")


@attrs.frozen
class _KeptOrder:
    """What an order's trace keeps: the fields that change (its lines and total never do)."""

    reseller_id: str
    order_id: str
    status: OrderStatus
    updated_at: datetime
    invoice_id: str | None
    version: int

    @classmethod
    def of(cls, order: SalesOrder) -> _KeptOrder:
        return cls(
            order.reseller_id,
            order.id,
            order.status,
            order.updated_at,
            order.invoice_id,
            order.version,
        )

    def applied_to(self, order: SalesOrder) -> SalesOrder:
        return attrs.evolve(
            order,
            status=self.status,
            updated_at=self.updated_at,
            invoice_id=self.invoice_id,
            version=self.version,
        )


ORDER_TRACES = RowCodec(_KeptOrder, t.sales_order_traces)


def _email_taken(customer: ResellerCustomer) -> ResellerEmailTakenError:
    return ResellerEmailTakenError(
        f"another customer of this reseller has the email {customer.email}",
        details={"field": "email", "email": customer.email},
    )


# --- resellers and invitations ------------------------------------------------------------------

_rs = t.resellers
_RESELLER = sa.select(_rs).where(_rs.c.id == sa.bindparam("v"))
_UPDATE_RESELLER = versioned_update(_rs)
_inv = t.reseller_invitations
_INVITATION = sa.select(_inv).where(_inv.c.token_hash == sa.bindparam("v"))
_INVITATION_LOCKED = _INVITATION.with_for_update()
_UPDATE_INVITATION = versioned_update(_inv)

# Built once, run on the driver's cursor (see prepared.py).
prepare(_RESELLER, _INVITATION, _INVITATION_LOCKED)


class SqlResellers(SqlRepository):
    def add(self, reseller: Reseller) -> None:
        self._tx.execute(RESELLERS.insert, RESELLERS.row(reseller))

    def get(self, reseller_id: str) -> Reseller | None:
        return RESELLERS.one(self._tx.execute(_RESELLER, {"v": reseller_id}).first())

    def update(self, reseller: Reseller) -> Reseller:
        return self._update_versioned(
            _UPDATE_RESELLER, RESELLERS.row(reseller), reseller, "reseller"
        )


class SqlResellerInvitations(SqlRepository):
    def add(self, invitation: ResellerInvitation) -> None:
        self._tx.execute(INVITATIONS.insert, INVITATIONS.row(invitation))

    def get_by_token_hash(
        self, token_hash: str, *, for_update: bool = False
    ) -> ResellerInvitation | None:
        query = _INVITATION_LOCKED if for_update else _INVITATION
        return INVITATIONS.one(self._tx.execute(query, {"v": token_hash}).first())

    def update(self, invitation: ResellerInvitation) -> ResellerInvitation:
        return self._update_versioned(
            _UPDATE_INVITATION, INVITATIONS.row(invitation), invitation, "invitation"
        )


# --- customer links -----------------------------------------------------------------------------

_rc = t.reseller_customers
_LINK = sa.select(_rc).where(_rc.c.customer_id == sa.bindparam("v"))
_LINK_LOCKED = _LINK.with_for_update()
_LINK_BY_EMAIL = sa.select(_rc.c.customer_id).where(
    _rc.c.reseller_id == sa.bindparam("r"), _rc.c.email == sa.bindparam("e")
)
_UPDATE_LINK = _rc.update().where(
    _rc.c.customer_id == sa.bindparam("b_id"), _rc.c.version == sa.bindparam("b_version")
)
_tagged = t.reseller_customer_tags
_SORTS = {
    CustomerSort.NAME: _rc.c.name,
    CustomerSort.EMAIL: _rc.c.email,
    CustomerSort.CREATED: _rc.c.created_at,
}

_lt = t.reseller_customer_traces
_LINK_TRACE = sa.select(_lt).where(
    _lt.c.reseller_id == sa.bindparam("r"), _lt.c.customer_id == sa.bindparam("c")
)

prepare(_LINK, _LINK_LOCKED, _LINK_BY_EMAIL, _UPDATE_LINK, _LINK_TRACE)


def _like(text: str) -> str:
    escaped = text.casefold().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class SqlResellerCustomers(SqlRepository):
    def _taken(self, customer: ResellerCustomer) -> bool:
        found = self._tx.execute(
            _LINK_BY_EMAIL, {"r": customer.reseller_id, "e": customer.email}
        ).first()
        return found is not None and found[0] != customer.customer_id

    def add(self, customer: ResellerCustomer) -> None:
        with self._unique(
            lambda: _email_taken(customer), taken=lambda: self._taken(customer), single=True
        ):
            self._tx.execute(LINKS.insert, LINKS.row(customer))

    def get(self, customer_id: str, *, for_update: bool = False) -> ResellerCustomer | None:
        query = _LINK_LOCKED if for_update else _LINK
        return LINKS.one(self._tx.execute(query, {"v": customer_id}).first())

    def update(self, customer: ResellerCustomer) -> ResellerCustomer:
        row = LINKS.row(customer)
        row.pop("customer_id")
        return self._update_versioned(
            _UPDATE_LINK, row, customer, "customer", unique=lambda: _email_taken(customer)
        )

    def freeze(self, customer: ResellerCustomer) -> None:
        with self._unique(
            lambda: IntegrityViolationError("the reseller keeps a trace of this customer already"),
            single=True,
        ):
            self._tx.execute(LINK_TRACES.insert, LINK_TRACES.row(customer))

    def frozen(self, reseller_id: str, customer_id: str) -> ResellerCustomer | None:
        return LINK_TRACES.one(
            self._tx.execute(_LINK_TRACE, {"r": reseller_id, "c": customer_id}).first()
        )

    def page(self, reseller_id: str, query: CustomerQuery) -> list[ResellerCustomer]:
        where: list[sa.ColumnElement[bool]] = [_rc.c.reseller_id == reseller_id]
        if query.archived is not None:
            where.append(_rc.c.archived.is_(query.archived))
        if query.tag_ids:
            holders = (
                sa.select(_tagged.c.customer_id)
                .where(_tagged.c.tag_id.in_(query.tag_ids))
                .group_by(_tagged.c.customer_id)
            )
            if query.match is TagMatch.ALL:
                holders = holders.having(sa.func.count(_tagged.c.tag_id) == len(query.tag_ids))
            where.append(_rc.c.customer_id.in_(holders))
        if query.search is not None:
            pattern = _like(query.search)
            where.append(
                sa.or_(
                    sa.func.lower(_rc.c.name).like(pattern, escape="\\"),
                    sa.func.lower(_rc.c.email).like(pattern, escape="\\"),
                )
            )
        column: sa.ColumnElement[Any] = _SORTS[query.sort]
        order = (
            (column.desc(), _rc.c.customer_id.desc())
            if query.descending
            else (
                column,
                _rc.c.customer_id,
            )
        )
        statement = (
            sa.select(_rc).where(*where).order_by(*order).limit(query.limit).offset(query.offset)
        )
        return LINKS.many(self._tx.execute(statement))


# --- tags ---------------------------------------------------------------------------------------

_tg = t.reseller_tags
_TAG = sa.select(_tg).where(_tg.c.id == sa.bindparam("v"))
_TAG_BY_KEY = sa.select(_tg).where(
    _tg.c.reseller_id == sa.bindparam("r"), _tg.c.key == sa.bindparam("k")
)
_TAGS_OF = sa.select(_tg).where(_tg.c.reseller_id == sa.bindparam("v")).order_by(_tg.c.key)
_TAGGED = sa.select(_tagged.c.customer_id).where(
    _tagged.c.tag_id == sa.bindparam("t"),
    _tagged.c.customer_id.in_(sa.bindparam("ids", expanding=True)),
)
_UNTAG = _tagged.delete().where(
    _tagged.c.tag_id == sa.bindparam("t"),
    _tagged.c.customer_id.in_(sa.bindparam("ids", expanding=True)),
)
_TAGS_OF_CUSTOMER = (
    sa.select(_tg)
    .select_from(_tagged.join(_tg, _tagged.c.tag_id == _tg.c.id))
    .where(_tagged.c.reseller_id == sa.bindparam("r"), _tagged.c.customer_id == sa.bindparam("c"))
    .order_by(_tg.c.key, _tg.c.id)
)

prepare(_TAG, _TAG_BY_KEY, _TAGS_OF, _TAGS_OF_CUSTOMER)


class SqlResellerTags(SqlRepository):
    def add(self, tag: ResellerTag) -> None:
        with self._unique(
            lambda: IntegrityViolationError(f"the reseller has a tag {tag.name!r} already"),
            single=True,
        ):
            self._tx.execute(TAGS.insert, TAGS.row(tag))

    def get(self, tag_id: str) -> ResellerTag | None:
        return TAGS.one(self._tx.execute(_TAG, {"v": tag_id}).first())

    def by_key(self, reseller_id: str, key: str) -> ResellerTag | None:
        return TAGS.one(self._tx.execute(_TAG_BY_KEY, {"r": reseller_id, "k": key}).first())

    def for_reseller(self, reseller_id: str) -> list[ResellerTag]:
        return TAGS.many(self._tx.execute(_TAGS_OF, {"v": reseller_id}))

    def tag(self, tag: ResellerTag, customer_ids: Sequence[str]) -> None:
        if not customer_ids:
            return
        # Written by difference: a customer that has the tag keeps its one row.
        have = {
            row[0] for row in self._tx.execute(_TAGGED, {"t": tag.id, "ids": list(customer_ids)})
        }
        rows = [
            {"tag_id": tag.id, "customer_id": cid, "reseller_id": tag.reseller_id}
            for cid in customer_ids
            if cid not in have
        ]
        if rows:
            self._tx.execute(_tagged.insert(), rows)

    def untag(self, tag: ResellerTag, customer_ids: Sequence[str]) -> None:
        if customer_ids:
            self._tx.execute(_UNTAG, {"t": tag.id, "ids": list(customer_ids)})

    def of_customer(self, reseller_id: str, customer_id: str) -> list[ResellerTag]:
        return TAGS.many(self._tx.execute(_TAGS_OF_CUSTOMER, {"r": reseller_id, "c": customer_id}))


# --- orders -------------------------------------------------------------------------------------

_so = t.sales_orders
_ORDER_BY_ID = ORDERS.aggregate.select(by_id="v")
_LOCK_ORDER = sa.select(_so.c.id).where(_so.c.id == sa.bindparam("v")).with_for_update()
_UPDATE_ORDER = versioned_update(_so)
_ORDER_IDS_OF = (
    sa.select(_so.c.id)
    .where(_so.c.customer_id == sa.bindparam("c"))
    .order_by(_so.c.created_at.desc(), _so.c.id.desc())
    .limit(sa.bindparam("limit"))
    .offset(sa.bindparam("offset"))
)
_ORDER_IDS_PLACED = (
    sa.select(_so.c.id)
    .where(_so.c.customer_id == sa.bindparam("c"), _so.c.reseller_id == sa.bindparam("r"))
    .order_by(_so.c.created_at.desc(), _so.c.id.desc())
    .limit(sa.bindparam("limit"))
    .offset(sa.bindparam("offset"))
)
_ORDERS_BY_IDS = ORDERS.aggregate.select(_so.c.id.in_(sa.bindparam("ids", expanding=True)))
_ot = t.sales_order_traces
_ORDER_KEPT = sa.select(_ot.c.order_id).where(
    _ot.c.reseller_id == sa.bindparam("r"), _ot.c.order_id == sa.bindparam("o")
)
_ORDERS_KEPT = sa.select(_ot).where(
    sa.tuple_(_ot.c.reseller_id, _ot.c.order_id).in_(sa.bindparam("keys", expanding=True))
)

prepare(_LOCK_ORDER, _ORDER_KEPT)


def _invoice_taken(order: SalesOrder) -> IntegrityViolationError:
    return IntegrityViolationError(
        "another order is billed by this invoice", details={"invoice_id": order.invoice_id}
    )


class SqlSalesOrders(SqlRepository):
    def add(self, order: SalesOrder) -> None:
        with self._unique(lambda: _invoice_taken(order), single=True):
            self._tx.execute(ORDERS.insert, ORDERS.row(order))
        self._insert_aggregate(ORDERS, order)

    def get(self, order_id: str, *, for_update: bool = False) -> SalesOrder | None:
        if for_update:
            self._tx.execute(_LOCK_ORDER, {"v": order_id})
        found = self._load(ORDERS, _ORDER_BY_ID, {"v": order_id})
        return found[0] if found else None

    def update(self, order: SalesOrder) -> SalesOrder:
        return self._update_aggregate(
            ORDERS, _UPDATE_ORDER, order, "order", unique=lambda: _invoice_taken(order)
        )

    def for_customer(
        self, customer_id: str, *, limit: int, offset: int, placed_by: str | None = None
    ) -> list[SalesOrder]:
        window = {"c": customer_id, "limit": limit, "offset": offset}
        if placed_by is None:
            rows = self._tx.execute(_ORDER_IDS_OF, window)
        else:
            rows = self._tx.execute(_ORDER_IDS_PLACED, {**window, "r": placed_by})
        ids = [row[0] for row in rows]
        if not ids:
            return []
        found = {o.id: o for o in self._load(ORDERS, _ORDERS_BY_IDS, {"ids": ids})}
        return [found[i] for i in ids]

    def freeze(self, order: SalesOrder) -> None:
        key = {"r": order.reseller_id, "o": order.id}
        # The caller holds the order's lock: no other writer keeps a trace of it meanwhile.
        if self._tx.execute(_ORDER_KEPT, key).first() is None:
            self._tx.execute(ORDER_TRACES.insert, ORDER_TRACES.row(_KeptOrder.of(order)))

    def frozen(self, orders: Sequence[SalesOrder]) -> list[SalesOrder]:
        if not orders:
            return []
        keys = [(o.reseller_id, o.id) for o in orders]
        kept = {
            (k.reseller_id, k.order_id): k
            for k in ORDER_TRACES.many(self._tx.execute(_ORDERS_KEPT, {"keys": keys}))
        }
        found = []
        for order in orders:
            trace = kept.get((order.reseller_id, order.id))
            found.append(order if trace is None else trace.applied_to(order))
        return found


# --- migrations ---------------------------------------------------------------------------------

_mg = t.customer_migrations
_TRACE = sa.select(_mg).where(
    _mg.c.from_reseller_id == sa.bindparam("r"), _mg.c.customer_id == sa.bindparam("c")
)
_MIGRATIONS_OF = (
    sa.select(_mg)
    .where(_mg.c.customer_id == sa.bindparam("v"))
    .order_by(_mg.c.migrated_at, _mg.c.id)
)
_MIGRATIONS_FROM = (
    sa.select(_mg)
    .where(_mg.c.from_reseller_id == sa.bindparam("v"))
    .order_by(_mg.c.migrated_at, _mg.c.id)
)

prepare(_TRACE, _MIGRATIONS_OF, _MIGRATIONS_FROM)


class SqlCustomerMigrations(SqlRepository):
    def add(self, migration: CustomerMigration) -> None:
        self._tx.execute(MIGRATIONS.insert, MIGRATIONS.row(migration))

    def trace(self, reseller_id: str, customer_id: str) -> CustomerMigration | None:
        return MIGRATIONS.one(
            self._tx.execute(_TRACE, {"r": reseller_id, "c": customer_id}).first()
        )

    def for_customer(self, customer_id: str) -> list[CustomerMigration]:
        return MIGRATIONS.many(self._tx.execute(_MIGRATIONS_OF, {"v": customer_id}))

    def from_reseller(self, reseller_id: str) -> list[CustomerMigration]:
        return MIGRATIONS.many(self._tx.execute(_MIGRATIONS_FROM, {"v": reseller_id}))
