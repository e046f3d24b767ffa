"""What the reseller portal needs from storage: its repositories and its slice of the unit of
work. A duplicate customer email within a reseller and a duplicate tag are refused by unique
keys; the customer list is one indexed query per page, filters included; an invoice bills one
order at most (a unique key); the trace a migrated customer leaves is kept by the storage.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

from partnerkit.catalog.ports import CatalogStore
from partnerkit.customers.ports import CustomersStore

if TYPE_CHECKING:
    from partnerkit.resellers.accounts import Reseller, ResellerInvitation
    from partnerkit.resellers.clients import CustomerQuery, ResellerCustomer, ResellerTag
    from partnerkit.resellers.migrations import CustomerMigration
    from partnerkit.resellers.orders import SalesOrder

__all__ = [
    "CustomerMigrations",
    "ResellerCustomers",
    "ResellerInvitations",
    "ResellerTags",
    "Resellers",
    "ResellersStore",
    "SalesOrders",
]


class Resellers(Protocol):
    def add(self, reseller: Reseller) -> None:
        """Store a new reseller."""

    def get(self, reseller_id: str) -> Reseller | None: ...

    def update(self, reseller: Reseller) -> Reseller:
        """Store the reseller if the stored version is `reseller.version`; return it at + 1.
        Raises ConcurrencyError on a stale version."""


class ResellerInvitations(Protocol):
    def add(self, invitation: ResellerInvitation) -> None:
        """Store a new invitation."""

    def get_by_token_hash(
        self, token_hash: str, *, for_update: bool = False
    ) -> ResellerInvitation | None:
        """The invitation whose token hashes to `token_hash`; `for_update=True` locks it, so
        that of two acceptances of one token one wins."""

    def update(self, invitation: ResellerInvitation) -> ResellerInvitation:
        """Versioned update, as for resellers."""


class ResellerCustomers(Protocol):
    def add(self, customer: ResellerCustomer) -> None:
        """Store a new link; raises ResellerEmailTakenError when another customer of the
        reseller has the email (a unique key decides)."""

    def get(self, customer_id: str, *, for_update: bool = False) -> ResellerCustomer | None:
        """The link of a customer account; `for_update=True` locks it."""

    def update(self, customer: ResellerCustomer) -> ResellerCustomer:
        """Versioned update; raises ResellerEmailTakenError for a taken email."""

    def page(self, reseller_id: str, query: CustomerQuery) -> list[ResellerCustomer]:
        """The reseller's customers that `query` selects, in its order and window, computed by
        the storage (never by loading every customer)."""

    def freeze(self, customer: ResellerCustomer) -> None:
        """Keep the customer as it is as the read-only trace of its reseller
        (`customer.reseller_id`), which it is leaving; raises IntegrityViolationError when
        that reseller keeps one already (one move per reseller and customer)."""

    def frozen(self, reseller_id: str, customer_id: str) -> ResellerCustomer | None:
        """The customer as it was when it left the reseller; None when it never did."""


class ResellerTags(Protocol):
    def add(self, tag: ResellerTag) -> None:
        """Store a new tag; raises IntegrityViolationError when the reseller has a tag with
        its key."""

    def get(self, tag_id: str) -> ResellerTag | None: ...

    def by_key(self, reseller_id: str, key: str) -> ResellerTag | None:
        """The reseller's tag with this key."""

    def for_reseller(self, reseller_id: str) -> list[ResellerTag]:
        """The reseller's tags, by key."""

    def tag(self, tag: ResellerTag, customer_ids: Sequence[str]) -> None:
        """Put the tag on these customers; a customer that has it already keeps it once."""

    def untag(self, tag: ResellerTag, customer_ids: Sequence[str]) -> None:
        """Take the tag off these customers."""

    def of_customer(self, reseller_id: str, customer_id: str) -> list[ResellerTag]:
        """The reseller's tags on the customer, by key."""


class SalesOrders(Protocol):
    def add(self, order: SalesOrder) -> None:
        """Store a new order with its lines."""

    def get(self, order_id: str, *, for_update: bool = False) -> SalesOrder | None: ...

    def update(self, order: SalesOrder) -> SalesOrder:
        """Versioned update, as for resellers."""

    def for_customer(
        self, customer_id: str, *, limit: int, offset: int, placed_by: str | None = None
    ) -> list[SalesOrder]:
        """The customer's orders, newest first (then by id), in the window; with `placed_by`,
        only those that reseller placed."""

    def freeze(self, order: SalesOrder) -> None:
        """Keep the order as it is now as the read-only trace of the reseller that placed it
        (`order.reseller_id`), which its customer left, unless one is kept already: the first
        is the order as it was when the customer moved, since nothing changed it before. The
        caller holds the order's lock."""

    def frozen(self, orders: Sequence[SalesOrder]) -> list[SalesOrder]:
        """The orders as the resellers that placed them keep them: the kept state where one
        is, else as given (unchanged since the customer moved), in the order given."""


class CustomerMigrations(Protocol):
    def add(self, migration: CustomerMigration) -> None:
        """Store the record; raises IntegrityViolationError when the customer left that
        reseller already (one move per reseller and customer)."""

    def trace(self, reseller_id: str, customer_id: str) -> CustomerMigration | None:
        """The record of the customer leaving this reseller: the reseller's read-only trace."""

    def for_customer(self, customer_id: str) -> list[CustomerMigration]:
        """The customer's moves, oldest first."""

    def from_reseller(self, reseller_id: str) -> list[CustomerMigration]:
        """The customers that left the reseller, oldest first."""


class ResellersStore(CustomersStore, CatalogStore, Protocol):
    """The reseller portal's repositories, and the accounts and catalog it works on."""

    @property
    def resellers(self) -> Resellers: ...

    @property
    def reseller_invitations(self) -> ResellerInvitations: ...

    @property
    def reseller_customers(self) -> ResellerCustomers: ...

    @property
    def reseller_tags(self) -> ResellerTags: ...

    @property
    def sales_orders(self) -> SalesOrders: ...

    @property
    def customer_migrations(self) -> CustomerMigrations: ...
