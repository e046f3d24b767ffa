"""Customer accounts in memory: one row per account, its users' emails a unique index."""

from __future__ import annotations

from collections.abc import Sequence

import attrs

from partnerkit.backends.memory._table import Index, Table, UndoLog, Unique
from partnerkit.customers.accounts import AccountHead, Customer, CustomerUser, email_taken
from partnerkit.customers.errors import EmailTakenError
from partnerkit.errors import ConcurrencyError

__all__ = ["MemoryCustomers"]


def _email_taken(customer: Customer, email: str) -> EmailTakenError:
    return EmailTakenError(f"{email} already belongs to a user", details={"email": email})


def _user_email(user: CustomerUser) -> str:
    return user.email


class MemoryCustomers:
    def __init__(self, log: UndoLog) -> None:
        self._t: Table[Customer] = Table(
            log,
            "customer",
            key=lambda c: c.id,
            # Per user, so adding one user to a large account claims one email, not all.
            unique={
                "user_email": Unique(each=lambda c: c.users, key=_user_email, taken=_email_taken)
            },
            indexes={
                "by_name": Index(order=lambda c: (c.name,)),
                # Oldest first: a domain a few accounts share answers with the first of them.
                "by_domain": Index(keys=lambda c: c.domains, order=lambda c: (c.created_at,)),
            },
        )

    def add(self, customer: Customer) -> None:
        self._t.insert(customer)

    def get(self, customer_id: str) -> Customer | None:
        return self._t.get(customer_id)

    def get_many(self, customer_ids: Sequence[str]) -> list[Customer]:
        found = [c for c in map(self._t.get, dict.fromkeys(customer_ids)) if c is not None]
        found.sort(key=lambda c: (c.name, c.id))
        return found

    def names(self, customer_ids: Sequence[str]) -> dict[str, str]:
        found = (self._t.get(cid) for cid in customer_ids)
        return {c.id: c.name for c in found if c is not None}

    def head(self, customer_id: str, *, user: str | None = None) -> AccountHead | None:
        customer = self._t.get(customer_id)
        if customer is None:
            return None
        found = None
        if user is not None and self._t.get_unique("user_email", user) is customer:
            found = customer.user(user)
        return AccountHead(customer.id, customer.name, customer.version, found)

    def add_user(self, customer_id: str, user: CustomerUser, *, version: int) -> None:
        if self._t.get_unique("user_email", user.email) is not None:
            raise email_taken(user.email)
        customer = self._t.get(customer_id)
        if customer is None:
            raise ConcurrencyError(
                "the customer changed since it was read",
                details={"id": customer_id, "version": version},
            )
        self._t.update(attrs.evolve(customer, users=(*customer.users, user), version=version))

    def get_by_user_email(self, email: str) -> Customer | None:
        return self._t.get_unique("user_email", email)

    def get_by_domain(self, domain: str) -> Customer | None:
        return self._t.index("by_domain").first(domain)

    def update(self, customer: Customer) -> Customer:
        return self._t.update(customer)

    def all(self) -> list[Customer]:
        return self._t.index("by_name").rows()
