"""The reseller portal in memory: resellers, invitations by token hash, the customer links with
an index per list order and a unique (reseller, email), tags and their customers, orders per
customer (and per reseller that placed them) with a unique invoice, migrations by the reseller
they left, and the traces a move leaves there.

Units of work run one at a time in memory: every read is as good as locked.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import attrs

from partnerkit.backends.memory._table import Index, Table, UndoLog, Unique
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
from partnerkit.resellers.orders import SalesOrder

__all__ = [
    "MemoryCustomerMigrations",
    "MemoryResellerCustomers",
    "MemoryResellerInvitations",
    "MemoryResellerTags",
    "MemoryResellers",
    "MemorySalesOrders",
    "email_taken",
]


def email_taken(customer: ResellerCustomer, _: Any = None) -> ResellerEmailTakenError:
    """The refusal of a second customer of one reseller with the same email."""
    return ResellerEmailTakenError(
        f"another customer of this reseller has the email {customer.email}",
        details={"field": "email", "email": customer.email},
    )


class MemoryResellers:
    def __init__(self, log: UndoLog) -> None:
        self._t: Table[Reseller] = Table(log, "reseller", key=lambda r: r.id)

    def add(self, reseller: Reseller) -> None:
        self._t.insert(reseller)

    def get(self, reseller_id: str) -> Reseller | None:
        return self._t.get(reseller_id)

    def update(self, reseller: Reseller) -> Reseller:
        return self._t.update(reseller)


class MemoryResellerInvitations:
    def __init__(self, log: UndoLog) -> None:
        self._t: Table[ResellerInvitation] = Table(
            log,
            "reseller invitation",
            key=lambda i: i.id,
            unique={
                "token": Unique(
                    key=lambda i: i.token_hash,
                    taken=lambda i, _: IntegrityViolationError("the invitation exists already"),
                )
            },
        )

    def add(self, invitation: ResellerInvitation) -> None:
        self._t.insert(invitation)

    def get_by_token_hash(
        self, token_hash: str, *, for_update: bool = False
    ) -> ResellerInvitation | None:
        return self._t.get_unique("token", token_hash)

    def update(self, invitation: ResellerInvitation) -> ResellerInvitation:
        return self._t.update(invitation)


_ORDERS = {
    CustomerSort.NAME: lambda c: (c.name.casefold(), c.customer_id),
    CustomerSort.EMAIL: lambda c: (c.email, c.customer_id),
    CustomerSort.CREATED: lambda c: (c.created_at, c.customer_id),
}


class MemoryResellerCustomers:
    def __init__(self, log: UndoLog, tags: MemoryResellerTags) -> None:
        self._tags = tags
        self._t: Table[ResellerCustomer] = Table(
            log,
            "reseller customer",
            key=lambda c: c.customer_id,
            unique={
                "email": Unique(key=lambda c: (c.reseller_id, c.email), taken=email_taken),
            },
            # One index per list order, grouped by reseller and archive flag: a page reads its
            # own reseller's customers only.
            indexes={
                sort.value: Index(key=lambda c: (c.reseller_id, c.archived), order=order)
                for sort, order in _ORDERS.items()
            },
        )

        self._traces: Table[ResellerCustomer] = Table(
            log, "customer trace", key=lambda c: (c.reseller_id, c.customer_id)
        )

    def add(self, customer: ResellerCustomer) -> None:
        self._t.insert(customer)

    def get(self, customer_id: str, *, for_update: bool = False) -> ResellerCustomer | None:
        return self._t.get(customer_id)

    def update(self, customer: ResellerCustomer) -> ResellerCustomer:
        return self._t.update(customer)

    def freeze(self, customer: ResellerCustomer) -> None:
        self._traces.insert(customer)

    def frozen(self, reseller_id: str, customer_id: str) -> ResellerCustomer | None:
        return self._traces.get((reseller_id, customer_id))

    def page(self, reseller_id: str, query: CustomerQuery) -> list[ResellerCustomer]:
        index = self._t.index(query.sort.value)
        if query.archived is not None and not query.tag_ids and query.search is None:
            # No filter but the index's own: walk it and stop at the end of the page.
            group = (reseller_id, query.archived)
            walk = index.descending(group) if query.descending else index.ascending(group)
            page: list[ResellerCustomer] = []
            for customer in walk:
                if len(page) >= query.offset + query.limit:
                    break
                page.append(customer)
            return page[query.offset :]
        flags = (False, True) if query.archived is None else (query.archived,)
        rows: list[ResellerCustomer] = []
        for flag in flags:
            rows.extend(index.rows((reseller_id, flag)))
        if query.archived is None:
            rows.sort(key=_ORDERS[query.sort])
        if query.descending:
            rows.reverse()
        wanted = self._tags.holders(query.tag_ids, query.match) if query.tag_ids else None
        needle = None if query.search is None else query.search.casefold()
        found = [
            c
            for c in rows
            if (wanted is None or c.customer_id in wanted)
            and (needle is None or needle in c.name.casefold() or needle in c.email.casefold())
        ]
        return found[query.offset : query.offset + query.limit]


@attrs.frozen
class _Tagged:
    tag_id: str
    customer_id: str
    reseller_id: str


class MemoryResellerTags:
    def __init__(self, log: UndoLog) -> None:
        self._t: Table[ResellerTag] = Table(
            log,
            "reseller tag",
            key=lambda t: t.id,
            unique={
                "key": Unique(
                    key=lambda t: (t.reseller_id, t.key),
                    taken=lambda t, _: IntegrityViolationError(
                        f"the reseller has a tag {t.name!r} already"
                    ),
                )
            },
            indexes={"by_reseller": Index(key=lambda t: t.reseller_id, order=lambda t: (t.key,))},
        )
        self._tagged: Table[_Tagged] = Table(
            log,
            "customer tag",
            key=lambda x: (x.tag_id, x.customer_id),
            indexes={
                "by_tag": Index(key=lambda x: x.tag_id, order=lambda x: (x.customer_id,)),
                "by_customer": Index(
                    key=lambda x: (x.reseller_id, x.customer_id), order=lambda x: (x.tag_id,)
                ),
            },
        )

    def add(self, tag: ResellerTag) -> None:
        self._t.insert(tag)

    def get(self, tag_id: str) -> ResellerTag | None:
        return self._t.get(tag_id)

    def by_key(self, reseller_id: str, key: str) -> ResellerTag | None:
        return self._t.get_unique("key", (reseller_id, key))

    def for_reseller(self, reseller_id: str) -> list[ResellerTag]:
        return self._t.index("by_reseller").rows(reseller_id)

    def tag(self, tag: ResellerTag, customer_ids: Sequence[str]) -> None:
        for cid in customer_ids:
            self._tagged.put(_Tagged(tag.id, cid, tag.reseller_id))

    def untag(self, tag: ResellerTag, customer_ids: Sequence[str]) -> None:
        for cid in customer_ids:
            self._tagged.delete((tag.id, cid))

    def of_customer(self, reseller_id: str, customer_id: str) -> list[ResellerTag]:
        found = [
            self._t.get(x.tag_id)
            for x in self._tagged.index("by_customer").rows((reseller_id, customer_id))
        ]
        tags = [t for t in found if t is not None]
        tags.sort(key=lambda t: (t.key, t.id))
        return tags

    def holders(self, tag_ids: Sequence[str], match: TagMatch) -> set[str]:
        """The customers with any (or all) of the tags."""
        sets = [{x.customer_id for x in self._tagged.index("by_tag").rows(tid)} for tid in tag_ids]
        if match is TagMatch.ALL:
            return set.intersection(*sets)
        return set.union(*sets)


class MemorySalesOrders:
    def __init__(self, log: UndoLog) -> None:
        self._t: Table[SalesOrder] = Table(
            log,
            "sales order",
            key=lambda o: o.id,
            unique={
                "invoice": Unique(
                    key=lambda o: o.invoice_id,
                    taken=lambda o, _: IntegrityViolationError(
                        "another order is billed by this invoice",
                        details={"invoice_id": o.invoice_id},
                    ),
                )
            },
            indexes={
                "by_customer": Index(
                    key=lambda o: o.customer_id, order=lambda o: (o.created_at, o.id)
                ),
                "by_placer": Index(
                    key=lambda o: (o.customer_id, o.reseller_id),
                    order=lambda o: (o.created_at, o.id),
                ),
            },
        )
        # Orders as the reseller that placed them keeps them once their customer left it: kept
        # on their first change after the move.
        self._traces: Table[SalesOrder] = Table(
            log, "order trace", key=lambda o: (o.reseller_id, o.id)
        )

    def add(self, order: SalesOrder) -> None:
        self._t.insert(order)

    def get(self, order_id: str, *, for_update: bool = False) -> SalesOrder | None:
        return self._t.get(order_id)

    def update(self, order: SalesOrder) -> SalesOrder:
        return self._t.update(order)

    def for_customer(
        self, customer_id: str, *, limit: int, offset: int, placed_by: str | None = None
    ) -> list[SalesOrder]:
        walk = (
            self._t.index("by_customer").descending(customer_id)
            if placed_by is None
            else self._t.index("by_placer").descending((customer_id, placed_by))
        )
        return list(itertools.islice(walk, offset, offset + limit))

    def freeze(self, order: SalesOrder) -> None:
        if self._traces.get((order.reseller_id, order.id)) is None:
            self._traces.insert(order)

    def frozen(self, orders: Sequence[SalesOrder]) -> list[SalesOrder]:
        traces = self._traces
        return [traces.get((o.reseller_id, o.id)) or o for o in orders]


class MemoryCustomerMigrations:
    def __init__(self, log: UndoLog) -> None:
        self._t: Table[CustomerMigration] = Table(
            log,
            "customer migration",
            key=lambda m: (m.from_reseller_id, m.customer_id),
            indexes={
                "by_customer": Index(
                    key=lambda m: m.customer_id, order=lambda m: (m.migrated_at, m.id)
                ),
                "by_reseller": Index(
                    key=lambda m: m.from_reseller_id, order=lambda m: (m.migrated_at, m.id)
                ),
            },
        )

    def add(self, migration: CustomerMigration) -> None:
        self._t.insert(migration)

    def trace(self, reseller_id: str, customer_id: str) -> CustomerMigration | None:
        return self._t.get((reseller_id, customer_id))

    def for_customer(self, customer_id: str) -> list[CustomerMigration]:
        return self._t.index("by_customer").rows(customer_id)

    def from_reseller(self, reseller_id: str) -> list[CustomerMigration]:
        return self._t.index("by_reseller").rows(reseller_id)
