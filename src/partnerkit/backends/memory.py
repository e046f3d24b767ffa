"""The in-memory backend: dictionaries behind the same ports as SQL, and just as transactional.

One lock serialises units of work, and every write logs what it replaced, so a rollback (or a
savepoint's) restores exactly the state before; stored values are frozen, so nothing is copied.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any

import attrs

from partnerkit.catalog.errors import ProductTakenError
from partnerkit.catalog.products import Product
from partnerkit.consent import ConsentKind, ConsentRequest
from partnerkit.customers.accounts import Customer
from partnerkit.customers.errors import EmailTakenError
from partnerkit.errors import ConcurrencyError
from partnerkit.events import MessageStatus, OutboxMessage
from partnerkit.mapping.commission_values import CommissionEntry, CommissionPlan
from partnerkit.mapping.errors import (
    CodeTakenError,
    CommissionConflictError,
    PartnerOfRecordTakenError,
    UsernameTakenError,
)
from partnerkit.mapping.partners import Partner, PartnerCode, PartnerCodeStatus, PartnerStatus
from partnerkit.mapping.records import MappingInterval, MappingStatus
from partnerkit.mapping.signup import SignupLink
from partnerkit.mapping.tracking import TrackingEntry

__all__ = [
    "MemoryBackend",
    "MemoryCommissionEntries",
    "MemoryCommissionPlans",
    "MemoryConsentRequests",
    "MemoryCustomers",
    "MemoryOutbox",
    "MemoryPartnerCodes",
    "MemoryPartnerRecords",
    "MemoryPartners",
    "MemoryProducts",
    "MemorySignupLinks",
    "MemoryTrackingEntries",
    "MemoryUnitOfWork",
]

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

    def touch(self, partner_id: str, at: datetime) -> None:
        stored = self.get(partner_id)
        if stored is not None and at > stored.last_active_at:
            self._w.put("partners", partner_id, attrs.evolve(stored, last_active_at=at))

    def idle_since(self, cutoff: datetime) -> list[Partner]:
        return [p for p in self.all(status=PartnerStatus.ACTIVE) if p.last_active_at <= cutoff]

    def oldest_activity(self) -> datetime | None:
        active = self.all(status=PartnerStatus.ACTIVE)
        return min((p.last_active_at for p in active), default=None)

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

    def active(self) -> list[PartnerCode]:
        rows = self._w.tables.table("codes").values()
        found = [c for c in rows if c.status is PartnerCodeStatus.ACTIVE]
        return sorted(found, key=lambda c: (c.partner_id, c.issued_at, c.key))

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

    def get_many(self, customer_ids: Sequence[str]) -> list[Customer]:
        wanted = set(customer_ids)
        return [c for c in self.all() if c.id in wanted]

    def names(self, customer_ids: Sequence[str]) -> dict[str, str]:
        found = (self.get(cid) for cid in customer_ids)
        return {c.id: c.name for c in found if c is not None}

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
        self.save(message)

    def _pending(self) -> list[OutboxMessage]:
        # Every commit that queues an email asks for what is due; scanning only the pending
        # index keeps that independent of how many messages were ever delivered.
        return list(self._w.tables.table("outbox_pending").values())

    def due(self, now: datetime, limit: int) -> list[OutboxMessage]:
        pending = [m for m in self._pending() if m.next_attempt_at <= now]
        pending.sort(key=lambda m: (m.next_attempt_at, m.id))
        return pending[:limit]

    def next_due(self) -> datetime | None:
        return min((m.next_attempt_at for m in self._pending()), default=None)

    def save(self, message: OutboxMessage) -> None:
        self._w.put("outbox", message.id, message)
        if message.status is MessageStatus.PENDING:
            self._w.put("outbox_pending", message.id, message)
        else:
            self._w.delete("outbox_pending", message.id)

    def all(self, *, topic: str | None = None) -> list[OutboxMessage]:
        rows = self._w.tables.table("outbox").values()
        found = [m for m in rows if topic is None or m.topic == topic]
        return sorted(found, key=lambda m: (m.created_at, m.id))


def _by_time(rows: list[MappingInterval]) -> list[MappingInterval]:
    return sorted(rows, key=lambda r: (r.valid_from, r.id))


class MemoryPartnerRecords:
    def __init__(self, w: _Writes) -> None:
        self._w = w

    def add(self, interval: MappingInterval) -> None:
        slot = (interval.customer_id, interval.product)
        if self._w.get("records_open", slot) is not None:
            raise PartnerOfRecordTakenError(details={"customer_id": slot[0], "product": slot[1]})
        self._w.put("records", interval.id, interval)
        self._w.put("records_open", slot, interval.id)

    def update(self, interval: MappingInterval) -> MappingInterval:
        stored: MappingInterval | None = self._w.get("records", interval.id)
        updated: MappingInterval = _bump(stored, interval, "mapping")
        self._w.put("records", interval.id, updated)
        slot = (updated.customer_id, updated.product)
        if not updated.is_open and self._w.get("records_open", slot) == updated.id:
            self._w.delete("records_open", slot)
        return updated

    def current(self, customer_id: str, product: str) -> MappingInterval | None:
        rid = self._w.get("records_open", (customer_id, product))
        found: MappingInterval | None = None if rid is None else self._w.get("records", rid)
        return found

    def _rows(self) -> list[MappingInterval]:
        return list(self._w.tables.table("records").values())

    def history(self, customer_id: str, product: str) -> list[MappingInterval]:
        return _by_time(
            [r for r in self._rows() if r.customer_id == customer_id and r.product == product]
        )

    def for_customer(self, customer_id: str) -> list[MappingInterval]:
        return _by_time([r for r in self._rows() if r.customer_id == customer_id])

    def last_end(self, customer_id: str, product: str) -> datetime | None:
        ends = (i.valid_to for i in self.history(customer_id, product) if i.valid_to is not None)
        return max(ends, default=None)

    def covering(self, customer_id: str, product: str, instant: datetime) -> MappingInterval | None:
        return next((i for i in self.history(customer_id, product) if i.covers(instant)), None)

    def earning_at(
        self, customer_id: str, product: str, instant: datetime
    ) -> list[MappingInterval]:
        return [
            i
            for i in self.history(customer_id, product)
            if (i.commission_from is None or i.commission_from <= instant)
            and (i.valid_to is None or instant < i.valid_to)
        ]

    def open_for_partner(self, partner_id: str) -> list[MappingInterval]:
        return _by_time([r for r in self._rows() if r.partner_id == partner_id and r.is_open])

    def provisional_ending_before(self, day: date) -> list[MappingInterval]:
        return _by_time(
            [
                r
                for r in self._rows()
                if r.is_open
                and r.status is MappingStatus.PROVISIONAL
                and r.provisional_until is not None
                and r.provisional_until < day
            ]
        )

    def next_provisional_until(self) -> date | None:
        return min(
            (
                r.provisional_until
                for r in self._rows()
                if r.is_open
                and r.status is MappingStatus.PROVISIONAL
                and r.provisional_until is not None
            ),
            default=None,
        )


class MemoryConsentRequests:
    def __init__(self, w: _Writes) -> None:
        self._w = w

    def add(self, request: ConsentRequest) -> None:
        self._w.put("consents", request.id, request)
        self._w.put("consents_by_token", request.token_hash, request.id)

    def get(self, request_id: str) -> ConsentRequest | None:
        found: ConsentRequest | None = self._w.get("consents", request_id)
        return found

    def get_by_token_hash(self, token_hash: str) -> ConsentRequest | None:
        rid = self._w.get("consents_by_token", token_hash)
        return None if rid is None else self.get(rid)

    def update(self, request: ConsentRequest) -> ConsentRequest:
        updated: ConsentRequest = _bump(self.get(request.id), request, "request")
        self._w.put("consents", request.id, updated)
        return updated

    def _pending(self) -> list[ConsentRequest]:
        rows = self._w.tables.table("consents").values()
        return sorted((r for r in rows if r.is_pending), key=lambda r: (r.requested_at, r.id))

    def pending(
        self,
        *,
        customer_id: str | None = None,
        partner_id: str | None = None,
        product: str | None = None,
        kind: ConsentKind | None = None,
    ) -> list[ConsentRequest]:
        return [
            r
            for r in self._pending()
            if (customer_id is None or r.customer_id == customer_id)
            and (partner_id is None or partner_id in (r.partner_id, r.from_partner_id))
            and (product is None or r.product == product)
            and (kind is None or r.kind is kind)
        ]

    def expiring(self, now: datetime) -> list[ConsentRequest]:
        return [r for r in self._pending() if r.expires_at <= now]

    def next_expiry(self) -> datetime | None:
        return min((r.expires_at for r in self._pending()), default=None)


class MemorySignupLinks:
    def __init__(self, w: _Writes) -> None:
        self._w = w

    def add(self, link: SignupLink) -> None:
        self._w.put("signup_links", link.token_hash, link)

    def get_by_token_hash(self, token_hash: str) -> SignupLink | None:
        found: SignupLink | None = self._w.get("signup_links", token_hash)
        return found


class MemoryTrackingEntries:
    def __init__(self, w: _Writes) -> None:
        self._w = w

    def add(self, entry: TrackingEntry) -> None:
        if self._w.get("tracking", (entry.partner_id, entry.email)) is None:
            self._w.put("tracking", (entry.partner_id, entry.email), entry)

    def remove(self, partner_id: str, email: str) -> None:
        self._w.delete("tracking", (partner_id, email))

    def _rows(self) -> list[TrackingEntry]:
        rows = self._w.tables.table("tracking").values()
        return sorted(rows, key=lambda e: (e.added_at, e.email))

    def for_partner(self, partner_id: str) -> list[TrackingEntry]:
        return [e for e in self._rows() if e.partner_id == partner_id]

    def for_customer(self, customer_id: str) -> list[TrackingEntry]:
        return [e for e in self._rows() if e.customer_id == customer_id]


class MemoryCommissionPlans:
    def __init__(self, w: _Writes) -> None:
        self._w = w

    def put(self, plan: CommissionPlan) -> None:
        self._w.put("commission_plans", plan.partner_id, plan)

    def get(self, partner_id: str) -> CommissionPlan | None:
        found: CommissionPlan | None = self._w.get("commission_plans", partner_id)
        return found


class MemoryCommissionEntries:
    def __init__(self, w: _Writes) -> None:
        self._w = w

    def add(self, entry: CommissionEntry) -> None:
        if self._w.get("commissions_by_txn", entry.transaction_id) is not None:
            raise CommissionConflictError(
                f"transaction {entry.transaction_id!r} is already booked",
                details={"transaction_id": entry.transaction_id},
            )
        self._w.put("commissions", entry.id, entry)
        self._w.put("commissions_by_txn", entry.transaction_id, entry.id)

    def get_by_transaction(self, transaction_id: str) -> CommissionEntry | None:
        eid = self._w.get("commissions_by_txn", transaction_id)
        found: CommissionEntry | None = None if eid is None else self._w.get("commissions", eid)
        return found

    def reversals_of(self, transaction_id: str) -> list[CommissionEntry]:
        return [e for e in self._rows() if e.reverses == transaction_id]

    def last_occurred_at(self, interval_id: str) -> datetime | None:
        return max(
            (e.occurred_at for e in self._rows() if e.interval_id == interval_id), default=None
        )

    def _rows(self) -> list[CommissionEntry]:
        rows = self._w.tables.table("commissions").values()
        return sorted(rows, key=lambda e: (e.occurred_at, e.id))

    def for_partner(
        self, partner_id: str, start: datetime | None = None, end: datetime | None = None
    ) -> list[CommissionEntry]:
        return [
            e
            for e in self._rows()
            if e.partner_id == partner_id
            and (start is None or start <= e.occurred_at)
            and (end is None or e.occurred_at < end)
        ]

    def for_customer(self, customer_id: str, product: str) -> list[CommissionEntry]:
        return [e for e in self._rows() if e.customer_id == customer_id and e.product == product]


class MemoryUnitOfWork:
    def __init__(self, writes: _Writes) -> None:
        self._w = writes
        self._products = MemoryProducts(writes)
        self._partners = MemoryPartners(writes)
        self._codes = MemoryPartnerCodes(writes)
        self._customers = MemoryCustomers(writes)
        self._outbox = MemoryOutbox(writes)
        self._records = MemoryPartnerRecords(writes)
        self._consents = MemoryConsentRequests(writes)
        self._signup_links = MemorySignupLinks(writes)
        self._tracking = MemoryTrackingEntries(writes)
        self._commission_plans = MemoryCommissionPlans(writes)
        self._commissions = MemoryCommissionEntries(writes)

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

    @property
    def records(self) -> MemoryPartnerRecords:
        return self._records

    @property
    def consents(self) -> MemoryConsentRequests:
        return self._consents

    @property
    def signup_links(self) -> MemorySignupLinks:
        return self._signup_links

    @property
    def tracking(self) -> MemoryTrackingEntries:
        return self._tracking

    @property
    def commission_plans(self) -> MemoryCommissionPlans:
        return self._commission_plans

    @property
    def commissions(self) -> MemoryCommissionEntries:
        return self._commissions

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
