"""The in-memory backend: dictionaries behind the same ports as SQL, and just as transactional.

One lock serialises units of work, and every write logs what it replaced, so a rollback (or a
savepoint's) restores exactly the state before; stored values are frozen, so nothing is copied.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import attrs

from partnerkit.customers.accounts import Customer
from partnerkit.errors import (
    CodeTakenError,
    ConcurrencyError,
    EmailTakenError,
    ProductTakenError,
    UsernameTakenError,
)
from partnerkit.events import MessageStatus, OutboxMessage
from partnerkit.mapping.partners import Partner, PartnerCode, PartnerStatus
from partnerkit.subscriptions.catalog import Product

__all__ = ["MemoryBackend"]

_MISSING: Any = object()


class _Tables:
    """Named dictionaries; unique indexes are tables too, so the undo log covers them."""

    def __init__(self) -> None:
        self.data: dict[str, dict[Any, Any]] = {}

    def table(self, name: str) -> dict[Any, Any]:
        return self.data.setdefault(name, {})


class _Writes:
    """The undo log of one unit of work."""

    def __init__(self, tables: _Tables) -> None:
        self.tables = tables
        self.log: list[tuple[str, Any, Any]] = []

    def get(self, table: str, key: Any) -> Any:
        return self.tables.table(table).get(key)

    def put(self, table: str, key: Any, value: Any) -> None:
        t = self.tables.table(table)
        self.log.append((table, key, t.get(key, _MISSING)))
        t[key] = value

    def delete(self, table: str, key: Any) -> None:
        t = self.tables.table(table)
        if key in t:
            self.log.append((table, key, t[key]))
            del t[key]

    def undo_to(self, mark: int) -> None:
        while len(self.log) > mark:
            table, key, old = self.log.pop()
            t = self.tables.table(table)
            if old is _MISSING:
                t.pop(key, None)
            else:
                t[key] = old


def _bump(stored: Any, incoming: Any, what: str) -> Any:
    """Optimistic concurrency: the caller must have read the version that is stored."""
    if stored is None or stored.version != incoming.version:
        raise ConcurrencyError(
            f"the {what} changed since it was read",
            details={"id": getattr(incoming, "id", None), "version": incoming.version},
        )
    return attrs.evolve(incoming, version=incoming.version + 1)


class MemoryProducts:
    def __init__(self, w: _Writes) -> None:
        self._w = w

    def add(self, product: Product) -> None:
        if self._w.get("products", product.key) is not None:
            raise ProductTakenError(
                f"a product with key {product.key!r} already exists", details={"key": product.key}
            )
        self._w.put("products", product.key, product)

    def get(self, key: str) -> Product | None:
        found: Product | None = self._w.get("products", key)
        return found

    def all(self) -> list[Product]:
        return sorted(self._w.tables.table("products").values(), key=lambda p: p.key)


class MemoryPartners:
    def __init__(self, w: _Writes) -> None:
        self._w = w

    def add(self, partner: Partner) -> None:
        self._claim_username(partner)
        self._w.put("partners", partner.id, partner)
        if self._w.get("partners_by_email", partner.email) is None:
            self._w.put("partners_by_email", partner.email, partner.id)

    def get(self, partner_id: str) -> Partner | None:
        found: Partner | None = self._w.get("partners", partner_id)
        return found

    def get_by_username(self, username: str) -> Partner | None:
        pid = self._w.get("partners_by_username", username)
        return None if pid is None else self.get(pid)

    def get_by_email(self, email: str) -> Partner | None:
        pid = self._w.get("partners_by_email", email)
        return None if pid is None else self.get(pid)

    def update(self, partner: Partner) -> Partner:
        stored: Partner | None = self.get(partner.id)
        updated: Partner = _bump(stored, partner, "partner")
        assert stored is not None
        if stored.username != partner.username:
            self._claim_username(partner)
            if stored.username is not None:
                self._w.delete("partners_by_username", stored.username)
        self._w.put("partners", partner.id, updated)
        return updated

    def all(self, *, status: PartnerStatus | None = None) -> list[Partner]:
        rows = self._w.tables.table("partners").values()
        return sorted(
            (p for p in rows if status is None or p.status is status),
            key=lambda p: (p.name, p.id),
        )

    def _claim_username(self, partner: Partner) -> None:
        if partner.username is None:
            return
        holder = self._w.get("partners_by_username", partner.username)
        if holder is not None and holder != partner.id:
            raise UsernameTakenError(
                f"the username {partner.username!r} is taken", details={"field": "username"}
            )
        self._w.put("partners_by_username", partner.username, partner.id)


class MemoryPartnerCodes:
    def __init__(self, w: _Writes) -> None:
        self._w = w

    def add(self, code: PartnerCode) -> None:
        if self._w.get("codes", code.key) is not None:
            raise CodeTakenError(
                f"the code {code.code!r} is already issued", details={"field": "code"}
            )
        self._w.put("codes", code.key, code)
        keys = self._w.get("codes_by_partner", code.partner_id) or ()
        self._w.put("codes_by_partner", code.partner_id, (*keys, code.key))

    def get(self, key: str) -> PartnerCode | None:
        found: PartnerCode | None = self._w.get("codes", key)
        return found

    def for_partner(self, partner_id: str) -> list[PartnerCode]:
        keys = self._w.get("codes_by_partner", partner_id) or ()
        codes: list[PartnerCode] = [self._w.get("codes", k) for k in keys]
        return sorted(codes, key=lambda c: (c.issued_at, c.key))

    def update(self, code: PartnerCode) -> None:
        self._w.put("codes", code.key, code)


class MemoryCustomers:
    def __init__(self, w: _Writes) -> None:
        self._w = w

    def add(self, customer: Customer) -> None:
        self._claim_emails(customer)
        self._w.put("customers", customer.id, customer)

    def get(self, customer_id: str) -> Customer | None:
        found: Customer | None = self._w.get("customers", customer_id)
        return found

    def get_by_user_email(self, email: str) -> Customer | None:
        cid = self._w.get("customers_by_user_email", email)
        return None if cid is None else self.get(cid)

    def update(self, customer: Customer) -> Customer:
        stored: Customer | None = self.get(customer.id)
        updated: Customer = _bump(stored, customer, "customer")
        assert stored is not None
        before = {u.email for u in stored.users}
        self._claim_emails(customer)
        for gone in before - {u.email for u in customer.users}:
            self._w.delete("customers_by_user_email", gone)
        self._w.put("customers", customer.id, updated)
        return updated

    def all(self) -> list[Customer]:
        rows = self._w.tables.table("customers").values()
        return sorted(rows, key=lambda c: (c.name, c.id))

    def _claim_emails(self, customer: Customer) -> None:
        for user in customer.users:
            holder = self._w.get("customers_by_user_email", user.email)
            if holder is not None and holder != customer.id:
                raise EmailTakenError(
                    f"{user.email} already belongs to a user", details={"email": user.email}
                )
            self._w.put("customers_by_user_email", user.email, customer.id)


class MemoryOutbox:
    def __init__(self, w: _Writes) -> None:
        self._w = w

    def add(self, message: OutboxMessage) -> None:
        self._w.put("outbox", message.id, message)

    def due(self, now: datetime, limit: int) -> list[OutboxMessage]:
        rows = self._w.tables.table("outbox").values()
        pending = [
            m for m in rows if m.status is MessageStatus.PENDING and m.next_attempt_at <= now
        ]
        pending.sort(key=lambda m: (m.next_attempt_at, m.id))
        return pending[:limit]

    def next_due(self) -> datetime | None:
        rows = self._w.tables.table("outbox").values()
        times = [m.next_attempt_at for m in rows if m.status is MessageStatus.PENDING]
        return min(times, default=None)

    def save(self, message: OutboxMessage) -> None:
        self._w.put("outbox", message.id, message)

    def all(self, *, topic: str | None = None) -> list[OutboxMessage]:
        rows = self._w.tables.table("outbox").values()
        found = [m for m in rows if topic is None or m.topic == topic]
        return sorted(found, key=lambda m: (m.created_at, m.id))


class MemoryUnitOfWork:
    def __init__(self, writes: _Writes) -> None:
        self._w = writes
        self._products = MemoryProducts(writes)
        self._partners = MemoryPartners(writes)
        self._codes = MemoryPartnerCodes(writes)
        self._customers = MemoryCustomers(writes)
        self._outbox = MemoryOutbox(writes)

    @property
    def products(self) -> MemoryProducts:
        return self._products

    @property
    def partners(self) -> MemoryPartners:
        return self._partners

    @property
    def codes(self) -> MemoryPartnerCodes:
        return self._codes

    @property
    def customers(self) -> MemoryCustomers:
        return self._customers

    @property
    def outbox(self) -> MemoryOutbox:
        return self._outbox

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        mark = len(self._w.log)
        try:
            yield
        except BaseException:
            self._w.undo_to(mark)
            raise


class MemoryBackend:
    """Dictionaries in this process: for tests, prototypes and the docs' examples."""

    def __init__(self) -> None:
        self._tables = _Tables()
        # Re-entrant so that a reader inside a writer's thread does not deadlock.
        self._lock = threading.RLock()

    @property
    def name(self) -> str:
        return "memory"

    @contextmanager
    def unit_of_work(self, *, readonly: bool = False) -> Iterator[MemoryUnitOfWork]:
        with self._lock:
            writes = _Writes(self._tables)
            try:
                yield MemoryUnitOfWork(writes)
            except BaseException:
                writes.undo_to(0)
                raise

    def migrate(self) -> None:
        """Nothing to do: dictionaries need no schema."""

    def close(self) -> None:
        with self._lock:
            self._tables = _Tables()

    def __repr__(self) -> str:
        return "MemoryBackend()"
