"""The reseller portal in memory: resellers, invitations by token hash, the customer links with
an index per list order and a unique (reseller, email), tags and their customers, orders per
customer (and per reseller that placed them) with a unique invoice, migrations by the reseller
they left, and the traces a move leaves there.

Units of work run one at a time in memory: every read is as good as locked.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable, Sequence
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


def _anyone(c: ResellerCustomer) -> bool:
    return True


#: What sorting one tagged customer costs, in steps of a walk down the list (measured with
#: benchmarks/bench_reseller_list.py: about 3 µs for a get, a casefolded key and its share of the
#: sort, against 0.3 µs for an index step and a key lookup).
_SORT_COST = 10

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
        flags = (False, True) if query.archived is None else (query.archived,)
        groups = [(reseller_id, flag) for flag in flags]
        end = query.offset + query.limit
        needle = None if query.search is None else query.search.casefold()

        def found(c: ResellerCustomer) -> bool:
            return needle is None or needle in c.name.casefold() or needle in c.email.casefold()

        if needle is None:
            found = _anyone

        tags = self._tags
        tag_ids = query.tag_ids
        any_tag = query.match is TagMatch.ANY
        if tag_ids:
            # Two ways to the page: sort the tagged customers (h of them, each costing about
            # _SORT_COST steps of a walk), or walk the list and stop at the page's end (about
            # end * n / h of the n rows listed). Each is cheap where the other is not; take the
            # cheaper, so a page costs about sqrt(_SORT_COST * end * n) steps at most, never a
            # pass over all n. h is bounded by the tags' own counts, before any set is built.
            counts = [tags.count(tid) for tid in tag_ids]
            bound = sum(counts) if any_tag else min(counts)
            listed = sum(index.count(g) for g in groups)
            if _SORT_COST * bound * bound <= end * listed:
                rows = [
                    c
                    for c in map(self._t.get, tags.holders(tag_ids, query.match))
                    if c is not None
                    and c.reseller_id == reseller_id
                    and c.archived in flags
                    and found(c)
                ]
                rows.sort(key=_ORDERS[query.sort], reverse=query.descending)
                return rows[query.offset : end]

        tagged = tags.matcher(tag_ids, query.match)
        # Walk the index in the list's order (the archived and active groups merged when both
        # are asked for) and stop at the end of the page: a search or a common tag finds its
        # page within the first rows; only a rare match walks far.
        walks = [index.descending(g) if query.descending else index.ascending(g) for g in groups]
        walk = (
            walks[0]
            if len(walks) == 1
            else heapq.merge(*walks, key=_ORDERS[query.sort], reverse=query.descending)
        )
        matches = (c for c in walk if tagged(c.customer_id) and found(c))
        return list(itertools.islice(matches, query.offset, end))


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

    def count(self, tag_id: str) -> int:
        """How many customers have the tag."""
        return self._tagged.index("by_tag").count(tag_id)

    def has(self, tag_id: str, customer_id: str) -> bool:
        """Whether the customer has the tag."""
        return self._tagged.get((tag_id, customer_id)) is not None

    def matcher(self, tag_ids: Sequence[str], match: TagMatch) -> Callable[[str], bool]:
        """Whether a customer has any (or all) of the tags: a key lookup per tag."""
        get = self._tagged.get
        if not tag_ids:
            return lambda cid: True
        if len(tag_ids) == 1:
            only = tag_ids[0]
            return lambda cid: get((only, cid)) is not None
        if match is TagMatch.ANY:
            return lambda cid: any(get((tid, cid)) is not None for tid in tag_ids)
        return lambda cid: all(get((tid, cid)) is not None for tid in tag_ids)

    def holders(self, tag_ids: Sequence[str], match: TagMatch) -> set[str]:
        """The customers with any (or all) of the tags, read from the tag's index: for all,
        the fewest tag's holders, kept when they have each other tag."""
        by_tag = self._tagged.index("by_tag")
        if match is TagMatch.ANY:
            return {x.customer_id for tid in tag_ids for x in by_tag.rows(tid)}
        rarest, *others = sorted(tag_ids, key=by_tag.count)
        return {
            x.customer_id
            for x in by_tag.rows(rarest)
            if all(self.has(tid, x.customer_id) for tid in others)
        }


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
