"""Billing in memory: invoices, payments, credit notes, applications, refunds and the ledger,
each with the indexes its queries read, so no query walks another customer's documents.

Units of work run one at a time in memory: every read is as good as locked, so `for_update`
and `lock` need no more than a read.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from datetime import date, datetime
from typing import Any

import attrs

from partnerkit.backends.memory._table import AFTER, ALL, Index, Table, UndoLog, Unique
from partnerkit.billing.credits import CreditNote, Refund
from partnerkit.billing.errors import IdempotencyConflictError, TaxRateTakenError
from partnerkit.billing.invoices import OUTSTANDING, Invoice, InvoiceStatus, TaxRate
from partnerkit.billing.ledger import BillingAccount, LedgerEntry
from partnerkit.billing.methods import PaymentMethod
from partnerkit.billing.payments import Application, Payment, PaymentStatus
from partnerkit.billing.ports import InvoiceQuery, PaymentQuery
from partnerkit.errors import IntegrityViolationError
from partnerkit.money import Money

__all__ = [
    "MemoryApplications",
    "MemoryBillingAccounts",
    "MemoryCreditNotes",
    "MemoryInvoices",
    "MemoryLedger",
    "MemoryPaymentMethods",
    "MemoryPayments",
    "MemoryRefunds",
    "MemoryTaxRates",
]

_WATCHED = frozenset({InvoiceStatus.SENT, InvoiceStatus.PARTIALLY_PAID})


def _sums(amounts: Iterable[Money]) -> list[Money]:
    found: dict[str, Money] = {}
    for amount in amounts:
        found[amount.currency] = (
            found[amount.currency] + amount if amount.currency in found else amount
        )
    return [found[c] for c in sorted(found)]


def _window(rows: list[Any], offset: int, limit: int) -> list[Any]:
    return rows[offset : offset + limit]


class MemoryBillingAccounts:
    """A customer's first account row is written by its first save, as on SQL."""

    def __init__(self, log: UndoLog) -> None:
        self._t: Table[BillingAccount] = Table(log, "billing account", key=lambda a: a.customer_id)

    def lock(self, customer_id: str) -> BillingAccount:
        found = self._t.get(customer_id)
        return BillingAccount(customer_id) if found is None else found

    def lock_many(self, customer_ids: Sequence[str]) -> list[BillingAccount]:
        return [self.lock(c) for c in sorted(set(customer_ids))]

    def save(self, account: BillingAccount) -> BillingAccount:
        if self._t.get(account.customer_id) is None and account.version == 1:
            saved = attrs.evolve(account, version=2)
            self._t.insert(saved)
            return saved
        return self._t.update(account)


@attrs.frozen
class _Default:
    key: str
    rate_id: str


def _name_taken(rate: TaxRate, name: Any) -> TaxRateTakenError:
    return TaxRateTakenError(
        f"a tax rate named {rate.name!r} exists already", details={"name": rate.name}
    )


class MemoryTaxRates:
    def __init__(self, log: UndoLog) -> None:
        self._t: Table[TaxRate] = Table(
            log,
            "tax rate",
            key=lambda r: r.id,
            unique={"name": Unique(key=lambda r: r.name, taken=_name_taken)},
            indexes={"by_name": Index(order=lambda r: (r.name,))},
        )
        self._default: Table[_Default] = Table(log, "default tax", key=lambda d: d.key)

    def add(self, rate: TaxRate) -> None:
        self._t.insert(rate)

    def get(self, rate_id: str) -> TaxRate | None:
        return self._t.get(rate_id)

    def all(self) -> list[TaxRate]:
        return self._t.index("by_name").rows()

    def default(self) -> TaxRate | None:
        found = self._default.get("default")
        return None if found is None else self._t.get(found.rate_id)

    def set_default(self, rate_id: str | None) -> None:
        if rate_id is None:
            self._default.delete("default")
        else:
            self._default.put(_Default("default", rate_id))


def _number_taken(invoice: Invoice) -> IntegrityViolationError:
    return IntegrityViolationError(
        f"the customer has an invoice numbered {invoice.number} already",
        details={"number": invoice.number},
    )


def _invoice_order(query: InvoiceQuery) -> Any:
    if query.sort == "amount":
        return lambda i: (i.total.amount, i.sequence)
    return lambda i: (i.issue_date, i.sequence)


class MemoryInvoices:
    def __init__(self, log: UndoLog) -> None:
        self._t: Table[Invoice] = Table(
            log,
            "invoice",
            key=lambda i: i.id,
            unique={
                "number": Unique(
                    key=lambda i: (i.customer_id, i.sequence),
                    taken=lambda i, _: _number_taken(i),
                )
            },
            indexes={
                "by_customer": Index(
                    key=lambda i: i.customer_id, order=lambda i: (i.issue_date, i.sequence)
                ),
                "outstanding": Index(
                    key=lambda i: (i.customer_id, i.currency),
                    order=lambda i: (i.due_date, i.sequence),
                    where=lambda i: i.status in OUTSTANDING,
                ),
                "outstanding_by_customer": Index(
                    key=lambda i: i.customer_id,
                    order=lambda i: (i.currency, i.due_date, i.sequence),
                    where=lambda i: i.status in OUTSTANDING,
                ),
                "watched": Index(
                    order=lambda i: (i.due_date, i.sequence),
                    where=lambda i: i.status in _WATCHED,
                ),
            },
        )

    def add(self, invoice: Invoice) -> None:
        self._t.insert(invoice)

    def get(self, invoice_id: str, *, for_update: bool = False) -> Invoice | None:
        return self._t.get(invoice_id)

    def update(self, invoice: Invoice) -> Invoice:
        return self._t.update(invoice)

    def outstanding(
        self, customer_id: str, currency: str, *, for_update: bool = False
    ) -> list[Invoice]:
        return self._t.index("outstanding").rows((customer_id, currency))

    def overdue(self, today: date, limit: int) -> list[Invoice]:
        found: list[Invoice] = []
        for invoice in self._t.index("watched").ascending(ALL):
            if invoice.due_date >= today or len(found) >= limit:
                break
            found.append(invoice)
        return found

    def next_overdue(self) -> date | None:
        first = self._t.index("watched").first(ALL)
        return None if first is None else first.due_date

    def outstanding_totals(self, customer_id: str) -> list[tuple[str, int, Money]]:
        totals: dict[str, tuple[int, Money]] = {}
        for invoice in self._t.index("outstanding_by_customer").rows(customer_id):
            count, total = totals.get(invoice.currency, (0, Money.zero(invoice.currency)))
            totals[invoice.currency] = (count + 1, total + invoice.balance_due)
        return [(c, n, m) for c, (n, m) in sorted(totals.items())]

    def page(self, customer_id: str, query: InvoiceQuery) -> list[Invoice]:
        index = "outstanding_by_customer" if query.outstanding else "by_customer"
        rows = [
            i
            for i in self._t.index(index).rows(customer_id)
            if (query.status is None or i.status is query.status)
            and (query.issued_from is None or i.issue_date >= query.issued_from)
            and (query.issued_to is None or i.issue_date <= query.issued_to)
        ]
        rows.sort(key=_invoice_order(query), reverse=query.descending)
        return _window(rows, query.offset, query.limit)


def _key_taken(payment: Payment, key: Any) -> IdempotencyConflictError:
    return IdempotencyConflictError(
        "that idempotency key was used for another payment",
        details={"idempotency_key": payment.idempotency_key},
    )


def _has_credit(payment: Payment) -> bool:
    return payment.status is PaymentStatus.SUCCEEDED and payment.unapplied.is_positive


def _by_time(p: Payment) -> tuple[datetime, str]:
    return (p.received_at, p.id)


class MemoryPayments:
    def __init__(self, log: UndoLog) -> None:
        self._t: Table[Payment] = Table(
            log,
            "payment",
            key=lambda p: p.id,
            unique={
                "key": Unique(
                    key=lambda p: (
                        None if p.idempotency_key is None else (p.customer_id, p.idempotency_key)
                    ),
                    taken=_key_taken,
                )
            },
            indexes={
                "by_customer": Index(key=lambda p: p.customer_id, order=_by_time),
                "succeeded": Index(
                    key=lambda p: p.customer_id,
                    order=_by_time,
                    where=lambda p: p.status is PaymentStatus.SUCCEEDED,
                ),
                "with_credit": Index(
                    key=lambda p: p.customer_id, order=_by_time, where=_has_credit
                ),
                # What reconciliation asks the gateway about, across customers.
                "unknown": Index(
                    order=lambda p: (p.recorded_at, p.id),
                    where=lambda p: p.status is PaymentStatus.UNKNOWN,
                ),
            },
        )

    def add(self, payment: Payment) -> None:
        self._t.insert(payment)

    def get(self, payment_id: str, *, for_update: bool = False) -> Payment | None:
        return self._t.get(payment_id)

    def get_by_key(self, customer_id: str, key: str) -> Payment | None:
        return self._t.get_unique("key", (customer_id, key))

    def update(self, payment: Payment) -> Payment:
        return self._t.update(payment)

    def with_credit(
        self, customer_id: str, currency: str, *, for_update: bool = False
    ) -> list[Payment]:
        return [p for p in self._t.index("with_credit").rows(customer_id) if p.currency == currency]

    def credit_totals(self, customer_id: str) -> list[Money]:
        return _sums(p.unapplied for p in self._t.index("with_credit").rows(customer_id))

    def last(self, customer_id: str) -> Payment | None:
        return self._t.index("succeeded").last(customer_id)

    def page(self, customer_id: str, query: PaymentQuery) -> list[Payment]:
        rows = [
            p
            for p in self._t.index("by_customer").between(
                customer_id,
                start=None if query.received_from is None else (query.received_from,),
                stop=None if query.received_before is None else (query.received_before,),
            )
            if not query.invoice_payments_only
            or p.amount.minor_units > p.unapplied.minor_units + p.refunded.minor_units
        ]
        if query.sort == "amount":
            rows.sort(
                key=lambda p: (p.amount.amount, p.received_at, p.id), reverse=query.descending
            )
        elif query.descending:
            rows.reverse()
        return _window(rows, query.offset, query.limit)

    def unknown(self, limit: int) -> list[Payment]:
        found: list[Payment] = []
        for payment in self._t.index("unknown").ascending(ALL):
            if len(found) >= limit:
                break
            found.append(payment)
        return found

    def next_unknown(self) -> datetime | None:
        first = self._t.index("unknown").first(ALL)
        return None if first is None else first.recorded_at


class MemoryPaymentMethods:
    def __init__(self, log: UndoLog) -> None:
        self._t: Table[PaymentMethod] = Table(
            log,
            "payment method",
            key=lambda m: m.id,
            indexes={
                "by_customer": Index(
                    key=lambda m: m.customer_id, order=lambda m: (m.added_at, m.id)
                ),
                "default": Index(
                    key=lambda m: m.customer_id,
                    order=lambda m: (m.added_at, m.id),
                    where=lambda m: m.default,
                ),
            },
        )

    def add(self, method: PaymentMethod) -> None:
        self._t.insert(method)

    def get(self, method_id: str, *, for_update: bool = False) -> PaymentMethod | None:
        return self._t.get(method_id)

    def for_customer(self, customer_id: str) -> list[PaymentMethod]:
        return self._t.index("by_customer").rows(customer_id)

    def default(self, customer_id: str) -> PaymentMethod | None:
        return self._t.index("default").first(customer_id)

    def update(self, method: PaymentMethod) -> PaymentMethod:
        return self._t.update(method)

    def remove(self, method_id: str) -> None:
        self._t.delete(method_id)


class MemoryCreditNotes:
    def __init__(self, log: UndoLog) -> None:
        self._t: Table[CreditNote] = Table(
            log,
            "credit note",
            key=lambda n: n.id,
            indexes={
                "with_credit": Index(
                    key=lambda n: n.customer_id,
                    order=lambda n: (n.issued_at, n.id),
                    where=lambda n: n.unapplied.is_positive,
                )
            },
        )

    def add(self, note: CreditNote) -> None:
        self._t.insert(note)

    def get(self, note_id: str, *, for_update: bool = False) -> CreditNote | None:
        return self._t.get(note_id)

    def update(self, note: CreditNote) -> CreditNote:
        return self._t.update(note)

    def with_credit(
        self, customer_id: str, currency: str, *, for_update: bool = False
    ) -> list[CreditNote]:
        return [
            n
            for n in self._t.index("with_credit").rows(customer_id)
            if n.amount.currency == currency
        ]

    def credit_totals(self, customer_id: str) -> list[Money]:
        return _sums(n.unapplied for n in self._t.index("with_credit").rows(customer_id))


class MemoryApplications:
    def __init__(self, log: UndoLog) -> None:
        order = lambda a: (a.applied_at, a.id)  # noqa: E731
        self._t: Table[Application] = Table(
            log,
            "application",
            key=lambda a: a.id,
            indexes={
                "by_invoice": Index(key=lambda a: a.invoice_id, order=order),
                "by_source": Index(key=lambda a: a.source_id, order=order),
            },
        )

    def add(self, application: Application) -> None:
        self._t.insert(application)

    def for_invoice(self, invoice_id: str) -> list[Application]:
        return self._t.index("by_invoice").rows(invoice_id)

    def for_source(self, source_id: str) -> list[Application]:
        return self._t.index("by_source").rows(source_id)


class MemoryRefunds:
    def __init__(self, log: UndoLog) -> None:
        self._t: Table[Refund] = Table(
            log,
            "refund",
            key=lambda r: r.id,
            indexes={
                "by_source": Index(key=lambda r: r.source_id, order=lambda r: (r.refunded_at, r.id))
            },
        )

    def add(self, refund: Refund) -> None:
        self._t.insert(refund)

    def get(self, refund_id: str) -> Refund | None:
        return self._t.get(refund_id)

    def for_source(self, source_id: str) -> list[Refund]:
        return self._t.index("by_source").rows(source_id)


def _document_taken(entry: LedgerEntry, key: Hashable) -> IntegrityViolationError:
    return IntegrityViolationError(
        "the document has a ledger entry already", details={"document_id": entry.document_id}
    )


class MemoryLedger:
    def __init__(self, log: UndoLog) -> None:
        self._t: Table[LedgerEntry] = Table(
            log,
            "ledger entry",
            key=lambda e: e.id,
            unique={"document": Unique(key=lambda e: e.document_id, taken=_document_taken)},
            indexes={
                "by_account": Index(
                    key=lambda e: (e.customer_id, e.currency), order=lambda e: (e.at, e.id)
                ),
                "currencies": Index(
                    key=lambda e: e.customer_id, order=lambda e: (e.currency, e.at, e.id)
                ),
            },
        )

    def add(self, entry: LedgerEntry) -> None:
        self._t.insert(entry)

    def remove(self, document_id: str) -> None:
        found = self._t.get_unique("document", document_id)
        if found is not None:
            self._t.delete(found.id)

    def currencies(self, customer_id: str) -> list[str]:
        index = self._t.index("currencies")
        found: list[str] = []
        # One step per currency: each probe skips past every entry of the last one found.
        while True:
            start = None if not found else (found[-1], AFTER)
            nxt = next(index.ascending(customer_id, start=start), None)
            if nxt is None:
                return found
            found.append(nxt.currency)

    def total(
        self,
        customer_id: str,
        currency: str,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> tuple[Money, int]:
        rows = self._t.index("by_account").between(
            (customer_id, currency),
            start=None if start is None else (start,),
            stop=None if end is None else (end,),
        )
        return sum((e.amount for e in rows), Money.zero(currency)), len(rows)

    def entries(
        self,
        customer_id: str,
        currency: str,
        start: datetime,
        end: datetime,
        *,
        after: tuple[datetime, str] | None = None,
        limit: int = 1000,
    ) -> list[LedgerEntry]:
        found: list[LedgerEntry] = []
        probe = (start,) if after is None else (*after, AFTER)
        for entry in self._t.index("by_account").ascending((customer_id, currency), start=probe):
            if entry.at >= end or len(found) >= limit:
                break
            found.append(entry)
        return found
