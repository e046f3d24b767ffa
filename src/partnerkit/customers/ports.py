"""What customer accounts need from storage: the accounts repository and the store slice."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

from partnerkit.catalog.ports import CatalogStore

if TYPE_CHECKING:
    from partnerkit.customers.accounts import AccountHead, Customer, CustomerUser

__all__ = ["Customers", "CustomersStore"]


class Customers(Protocol):
    def add(self, customer: Customer) -> None:
        """Store a new account; raises EmailTakenError when a user's email belongs to a user."""

    def get(self, customer_id: str) -> Customer | None: ...

    def get_many(self, customer_ids: Sequence[str]) -> list[Customer]:
        """The accounts with these ids that exist, ordered by name, then id (one query)."""

    def names(self, customer_ids: Sequence[str]) -> dict[str, str]:
        """The names of the accounts with these ids that exist, without loading their users,
        contacts or plans (a partner's listing prints names only)."""

    def head(self, customer_id: str, *, user: str | None = None) -> AccountHead | None:
        """The account's id, name and version, and the user with email `user` if it is one of
        the account's: one read that does not load the account's lists."""

    def add_user(self, customer_id: str, user: CustomerUser, *, version: int) -> None:
        """Append `user` to the account's users if the stored version is `version`, moving the
        account to version + 1, without rewriting (or reading) its other users.

        Raises ConcurrencyError on a stale version, EmailTakenError (details `field: email`)
        when the email belongs to a user of any account.
        """

    def get_by_user_email(self, email: str) -> Customer | None:
        """The account one of whose users has this email."""

    def get_by_domain(self, domain: str) -> Customer | None:
        """The oldest account (by created_at, then id) that holds this email domain."""

    def update(self, customer: Customer) -> Customer:
        """Store the account if the stored version is `customer.version`; return it at + 1.

        Raises ConcurrencyError on a stale version, EmailTakenError on a taken user email.
        """

    def all(self) -> list[Customer]:
        """Accounts ordered by name, then id."""


class CustomersStore(CatalogStore, Protocol):
    """Accounts, and the catalog they record product plans against."""

    @property
    def customers(self) -> Customers: ...
