"""What billing needs from storage: its repositories and its slice of the unit of work.

Every money rule of the form "no more than" is decided under a lock: each billing write for a
customer first locks the customer's billing account (`BillingAccounts.lock`), and reads the
rows it checks with `for_update=True`, so concurrent payers, creditors and refunders take turns
and each sees what the one before it committed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Protocol

import attrs

from partnerkit.catalog.ports import CatalogStore
from partnerkit.customers.ports import CustomersStore

if TYPE_CHECKING:
    from partnerkit.billing.credits import CreditNote, Refund
    from partnerkit.billing.invoices import Invoice, InvoiceStatus, TaxRate
    from partnerkit.billing.ledger import BillingAccount, LedgerEntry
    from partnerkit.billing.methods import PaymentMethod
    from partnerkit.billing.payments import Application, Payment
    from partnerkit.money import Money

__all__ = [
    "Applications",
    "BillingAccounts",
    "BillingStore",
    "CreditNotes",
    "InvoiceQuery",
    "Invoices",
    "Ledger",
    "PaymentMethods",
    "PaymentQuery",
    "Payments",
    "Refunds",
    "TaxRates",
]


@attrs.frozen
class InvoiceQuery:
    """A page of a customer's invoices: filters, order and window (the Invoices list).

    Attributes:
        status: Only invoices in this status.
        outstanding: Only invoices with a balance (sent, partially paid, overdue).
        issued_from: Only invoices dated on or after this day.
        issued_to: Only invoices dated on or before this day.
        sort: "date" (issue date, then number) or "amount" (total, then number).
        descending: Newest or largest first.
        limit: At most this many.
        offset: Skip this many first.
    """

    status: InvoiceStatus | None = None
    outstanding: bool = False
    issued_from: date | None = None
    issued_to: date | None = None
    sort: str = "date"
    descending: bool = True
    limit: int = 50
    offset: int = 0


@attrs.frozen
class PaymentQuery:
    """A page of a customer's payments (Payments Made): filters, order and window.

    Attributes:
        invoice_payments_only: Only payments that paid an invoice.
        received_from: Only payments received at or after this instant.
        received_before: Only payments received before this instant.
        sort: "date" or "amount".
        descending: Newest or largest first.
        limit: At most this many.
        offset: Skip this many first.
    """

    invoice_payments_only: bool = False
    received_from: datetime | None = None
    received_before: datetime | None = None
    sort: str = "date"
    descending: bool = True
    limit: int = 50
    offset: int = 0


class BillingAccounts(Protocol):
    def lock(self, customer_id: str) -> BillingAccount:
        """The customer's billing account (a fresh one when it has none yet), locked for the
        rest of the transaction where the engine can: every billing write for a customer takes
        it first."""

    def lock_many(self, customer_ids: Sequence[str]) -> list[BillingAccount]:
        """`lock` for several customers at once, each once and in id order (so two writers
        that lock overlapping customers never wait for each other); their accounts in that
        order. A later `lock` of one of them in the transaction gives it as last saved."""

    def save(self, account: BillingAccount) -> BillingAccount:
        """Store the counters of an account taken from `lock` in this transaction (a fresh
        one is stored now); return it at version + 1. Raises ConcurrencyError when it is not
        the version stored."""


class TaxRates(Protocol):
    def add(self, rate: TaxRate) -> None:
        """Store a new tax rate; raises TaxRateTakenError when the name is taken."""

    def get(self, rate_id: str) -> TaxRate | None: ...

    def all(self) -> list[TaxRate]:
        """Every tax rate, ordered by name."""

    def default(self) -> TaxRate | None:
        """The organisation's default tax rate, if one is set."""

    def set_default(self, rate_id: str | None) -> None:
        """Make the tax rate the default one (None: no default)."""


class Invoices(Protocol):
    def add(self, invoice: Invoice) -> None:
        """Store a new invoice with its lines; raises IntegrityViolationError for a number the
        customer has already."""

    def get(self, invoice_id: str, *, for_update: bool = False) -> Invoice | None:
        """The invoice; `for_update=True` locks it for the rest of the transaction."""

    def update(self, invoice: Invoice) -> Invoice:
        """Store the invoice if the stored version is `invoice.version`; return it at + 1.
        Raises ConcurrencyError on a stale version."""

    def outstanding(
        self, customer_id: str, currency: str, *, for_update: bool = False
    ) -> list[Invoice]:
        """The customer's invoices in `currency` with a balance, oldest due date first, then
        by number."""

    def overdue(self, today: date, limit: int) -> list[Invoice]:
        """Sent or partially paid invoices due before `today`, oldest due first."""

    def next_overdue(self) -> date | None:
        """The earliest due date among sent or partially paid invoices."""

    def outstanding_totals(self, customer_id: str) -> list[tuple[str, int, Money]]:
        """(currency, count, total balance due) of the outstanding invoices, by currency."""

    def page(self, customer_id: str, query: InvoiceQuery) -> list[Invoice]:
        """The customer's invoices that `query` selects, in its order and window."""


class Payments(Protocol):
    def add(self, payment: Payment) -> None:
        """Store a new payment; raises IdempotencyConflictError when the customer used its
        idempotency key already."""

    def get(self, payment_id: str, *, for_update: bool = False) -> Payment | None: ...

    def get_by_key(self, customer_id: str, key: str) -> Payment | None:
        """The customer's payment made with this idempotency key."""

    def update(self, payment: Payment) -> Payment:
        """Versioned update, as for invoices."""

    def with_credit(
        self, customer_id: str, currency: str, *, for_update: bool = False
    ) -> list[Payment]:
        """Succeeded payments in `currency` with an unapplied amount, oldest first."""

    def credit_totals(self, customer_id: str) -> list[Money]:
        """The unapplied amounts of succeeded payments, summed per currency (by code)."""

    def last(self, customer_id: str) -> Payment | None:
        """The customer's most recent succeeded payment."""

    def page(self, customer_id: str, query: PaymentQuery) -> list[Payment]:
        """The customer's payments that `query` selects, in its order and window."""

    def unknown(self, limit: int) -> list[Payment]:
        """Payments whose gateway outcome is still unknown, oldest recorded first, at most
        `limit`: what reconciliation asks the gateway about."""

    def next_unknown(self) -> datetime | None:
        """When the oldest payment still unknown was recorded; None when there is none."""


class PaymentMethods(Protocol):
    def add(self, method: PaymentMethod) -> None:
        """Store a new saved method."""

    def get(self, method_id: str, *, for_update: bool = False) -> PaymentMethod | None: ...

    def for_customer(self, customer_id: str) -> list[PaymentMethod]:
        """The customer's saved methods, oldest first."""

    def default(self, customer_id: str) -> PaymentMethod | None:
        """The customer's default (auto-charge) method, if one is set."""

    def update(self, method: PaymentMethod) -> PaymentMethod:
        """Versioned update, as for invoices."""

    def remove(self, method_id: str) -> None:
        """Forget a saved method."""


class CreditNotes(Protocol):
    def add(self, note: CreditNote) -> None: ...

    def get(self, note_id: str, *, for_update: bool = False) -> CreditNote | None: ...

    def update(self, note: CreditNote) -> CreditNote:
        """Versioned update, as for invoices."""

    def with_credit(
        self, customer_id: str, currency: str, *, for_update: bool = False
    ) -> list[CreditNote]:
        """Credit notes in `currency` with an unapplied amount, oldest first."""

    def credit_totals(self, customer_id: str) -> list[Money]:
        """The unapplied amounts of the customer's credit notes, summed per currency."""


class Applications(Protocol):
    def add(self, application: Application) -> None: ...

    def for_invoice(self, invoice_id: str) -> list[Application]:
        """What was applied to the invoice, in order."""

    def for_source(self, source_id: str) -> list[Application]:
        """Where a payment's or a credit note's money went, in order."""


class Refunds(Protocol):
    def add(self, refund: Refund) -> None: ...

    def get(self, refund_id: str) -> Refund | None: ...

    def for_source(self, source_id: str) -> list[Refund]:
        """The refunds of a payment or a credit note, in order."""


class Ledger(Protocol):
    def add(self, entry: LedgerEntry) -> None: ...

    def remove(self, document_id: str) -> None:
        """Take a document's entry out (a voided invoice owes nothing)."""

    def currencies(self, customer_id: str) -> list[str]:
        """The currencies the customer's entries are in, sorted."""

    def total(
        self,
        customer_id: str,
        currency: str,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> tuple[Money, int]:
        """(sum of the signed amounts, count) of the entries at or after `start` and before
        `end` (None: unbounded), computed by the storage."""

    def entries(
        self,
        customer_id: str,
        currency: str,
        start: datetime,
        end: datetime,
        *,
        after: tuple[datetime, str] | None = None,
        limit: int = 1000,
    ) -> Sequence[LedgerEntry]:
        """At most `limit` entries in [start, end) in (at, id) order, after the key `after`:
        one batch of a keyset scan."""


class BillingStore(CustomersStore, CatalogStore, Protocol):
    """Billing's repositories, and the accounts and catalog it bills."""

    @property
    def billing_accounts(self) -> BillingAccounts: ...

    @property
    def tax_rates(self) -> TaxRates: ...

    @property
    def invoices(self) -> Invoices: ...

    @property
    def payments(self) -> Payments: ...

    @property
    def credit_notes(self) -> CreditNotes: ...

    @property
    def applications(self) -> Applications: ...

    @property
    def refunds(self) -> Refunds: ...

    @property
    def ledger(self) -> Ledger: ...

    @property
    def payment_methods(self) -> PaymentMethods: ...
