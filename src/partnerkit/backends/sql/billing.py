"""Billing on SQL: invoices with their lines, payments, credit notes, applications, refunds and
the ledger. Balances and dashboard figures are aggregates the database computes; statements
are keyset scans; the caps are checked under row locks (`FOR UPDATE`).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import attrs
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import IntegrityError

from partnerkit.backends.sql import schema as t
from partnerkit.backends.sql.base import SqlRepository, versioned_update
from partnerkit.backends.sql.codec import Children, RowCodec
from partnerkit.backends.sql.prepared import prepare
from partnerkit.billing.credits import CreditNote, Refund
from partnerkit.billing.errors import IdempotencyConflictError, TaxRateTakenError
from partnerkit.billing.invoices import OUTSTANDING, Invoice, InvoiceLine, InvoiceStatus, TaxRate
from partnerkit.billing.ledger import BillingAccount, LedgerEntry
from partnerkit.billing.methods import PaymentMethod
from partnerkit.billing.payments import Application, Payment, PaymentStatus
from partnerkit.billing.ports import InvoiceQuery, PaymentQuery
from partnerkit.errors import ConcurrencyError, IntegrityViolationError
from partnerkit.money import Money

__all__ = [
    "SqlApplications",
    "SqlBillingAccounts",
    "SqlCreditNotes",
    "SqlInvoices",
    "SqlLedger",
    "SqlPaymentMethods",
    "SqlPayments",
    "SqlRefunds",
    "SqlTaxRates",
]

ACCOUNTS = RowCodec(BillingAccount, t.billing_accounts, id_field="customer_id")
TAX_RATES = RowCodec(TaxRate, t.tax_rates)
INVOICES = RowCodec(
    Invoice, t.invoices, children={"lines": Children(t.invoice_lines, "invoice_id", InvoiceLine)}
)
PAYMENTS = RowCodec(Payment, t.payments)
CREDIT_NOTES = RowCodec(CreditNote, t.credit_notes)
APPLICATIONS = RowCodec(Application, t.billing_applications)
REFUNDS = RowCodec(Refund, t.refunds)
LEDGER = RowCodec(LedgerEntry, t.ledger_entries)
METHODS = RowCodec(PaymentMethod, t.payment_methods)

_OUTSTANDING = sorted(s.value for s in OUTSTANDING)
_WATCHED = sorted(s.value for s in (InvoiceStatus.SENT, InvoiceStatus.PARTIALLY_PAID))

# --- billing accounts -------------------------------------------------------------------------

_accounts = t.billing_accounts
_ACCOUNT_LOCKED = (
    sa.select(_accounts).where(_accounts.c.customer_id == sa.bindparam("v")).with_for_update()
)
# Every billing writer takes the customer's row, then its account's: one order for all, so two
# writers never hold one each (the first write has no account row yet, and a writer that found
# it could otherwise hold it while waiting for the customer's row an insert's foreign key
# reads). NO KEY UPDATE on PostgreSQL: rows that merely refer to the customer (a new invoice
# elsewhere, a user added) do not wait for it; MariaDB takes FOR UPDATE.
_LOCK_CUSTOMER = (
    sa.select(t.customers.c.id)
    .where(t.customers.c.id == sa.bindparam("v"))
    .with_for_update(key_share=True)
)
# Several customers at once (a renewal batch), in id order: two writers that lock overlapping
# sets take their rows in the same order, so neither holds one the other waits for.
_LOCK_CUSTOMERS = (
    sa.select(t.customers.c.id)
    .where(t.customers.c.id.in_(sa.bindparam("ids", expanding=True)))
    .order_by(t.customers.c.id)
    .with_for_update(key_share=True)
)
_ACCOUNTS_LOCKED = (
    sa.select(_accounts)
    .where(_accounts.c.customer_id.in_(sa.bindparam("ids", expanding=True)))
    .order_by(_accounts.c.customer_id)
    .with_for_update()
)
_SAVE_ACCOUNT = _accounts.update().where(
    _accounts.c.customer_id == sa.bindparam("b_customer_id"),
    _accounts.c.version == sa.bindparam("b_version"),
)

# Built once, run on the driver's cursor (see prepared.py).
prepare(
    _ACCOUNT_LOCKED,
    _LOCK_CUSTOMER,
    _SAVE_ACCOUNT,
)


@attrs.frozen
class _Held:
    """A billing account this unit of work holds locked, as it last read or saved it;
    `stored` is False for a customer without an account row yet (its first save inserts it)."""

    account: BillingAccount
    stored: bool


class SqlBillingAccounts(SqlRepository):
    """The customer's row is locked, then the account's; the unit of work remembers what it
    holds (`Tx.held`), so a second lock of the same account reads nothing. A customer's first
    account row is written by its first save, at the version a save gives: one statement, and
    nothing for a lock that numbers nothing."""

    def lock(self, customer_id: str) -> BillingAccount:
        held = self._tx.held.get(("billing_accounts", customer_id))
        if held is None:
            self._tx.execute(_LOCK_CUSTOMER, {"v": customer_id})
            found = ACCOUNTS.one(self._tx.execute(_ACCOUNT_LOCKED, {"v": customer_id}).first())
            held = self._hold(customer_id, found)
        account: BillingAccount = held.account
        return account

    def lock_many(self, customer_ids: Sequence[str]) -> list[BillingAccount]:
        wanted = sorted(set(customer_ids))
        missing = [c for c in wanted if ("billing_accounts", c) not in self._tx.held]
        if missing:
            self._tx.execute(_LOCK_CUSTOMERS, {"ids": missing})
            rows = self._tx.execute(_ACCOUNTS_LOCKED, {"ids": missing})
            found = {a.customer_id: a for a in ACCOUNTS.many(rows)}
            for customer_id in missing:
                self._hold(customer_id, found.get(customer_id))
        return [self._tx.held[("billing_accounts", c)].account for c in wanted]

    def _hold(self, customer_id: str, found: BillingAccount | None) -> _Held:
        held = (
            _Held(BillingAccount(customer_id), stored=False)
            if found is None
            else _Held(found, stored=True)
        )
        self._tx.held[("billing_accounts", customer_id)] = held
        return held

    def save(self, account: BillingAccount) -> BillingAccount:
        key = ("billing_accounts", account.customer_id)
        held = self._tx.held.get(key)
        saved = attrs.evolve(account, version=account.version + 1)
        if held is not None and not held.stored and held.account.version == account.version:
            self._tx.execute(ACCOUNTS.insert, ACCOUNTS.row(saved))
        else:
            row = ACCOUNTS.row(account)
            row.pop("customer_id")
            row.update(
                version=saved.version,
                b_customer_id=account.customer_id,
                b_version=account.version,
            )
            if self._tx.execute(_SAVE_ACCOUNT, row).rowcount != 1:
                raise ConcurrencyError(
                    "the billing account changed since it was read",
                    details={"id": account.customer_id, "version": account.version},
                )
        self._tx.held[key] = _Held(saved, stored=True)
        return saved


# --- tax rates --------------------------------------------------------------------------------

_rates = t.tax_rates
_RATE_BY_ID = sa.select(_rates).where(_rates.c.id == sa.bindparam("v"))
_RATE_BY_NAME = sa.select(_rates).where(_rates.c.name == sa.bindparam("v"))
_RATES = sa.select(_rates).order_by(_rates.c.name)
_default = t.default_tax
_DEFAULT_RATE = (
    sa.select(_rates)
    .select_from(_default.join(_rates, _default.c.rate_id == _rates.c.id))
    .where(_default.c.key == "default")
)
_CLEAR_DEFAULT = _default.delete().where(_default.c.key == "default")
_SET_DEFAULT = _default.update().where(_default.c.key == "default")

# Built once, run on the driver's cursor (see prepared.py).
prepare(
    _RATE_BY_ID,
    _RATE_BY_NAME,
    _RATES,
    _DEFAULT_RATE,
    _CLEAR_DEFAULT,
    _SET_DEFAULT,
)


class SqlTaxRates(SqlRepository):
    def add(self, rate: TaxRate) -> None:
        with self._unique(
            lambda: TaxRateTakenError(
                f"a tax rate named {rate.name!r} exists already", details={"name": rate.name}
            ),
            taken=lambda: self._tx.execute(_RATE_BY_NAME, {"v": rate.name}).first() is not None,
            single=True,
        ):
            self._tx.execute(TAX_RATES.insert, TAX_RATES.row(rate))

    def get(self, rate_id: str) -> TaxRate | None:
        return TAX_RATES.one(self._tx.execute(_RATE_BY_ID, {"v": rate_id}).first())

    def all(self) -> list[TaxRate]:
        return TAX_RATES.many(self._tx.execute(_RATES))

    def default(self) -> TaxRate | None:
        return TAX_RATES.one(self._tx.execute(_DEFAULT_RATE).first())

    def set_default(self, rate_id: str | None) -> None:
        if rate_id is None:
            self._tx.execute(_CLEAR_DEFAULT)
            return
        if self._tx.execute(_SET_DEFAULT, {"rate_id": rate_id}).rowcount:
            return
        try:
            with self._recoverable(single=True):
                self._tx.execute(_default.insert(), {"key": "default", "rate_id": rate_id})
        except IntegrityError:
            # Another writer set a default in between: this one replaces it, as asked.
            if not self._tx.execute(_SET_DEFAULT, {"rate_id": rate_id}).rowcount:
                raise


# --- invoices ---------------------------------------------------------------------------------

_inv = t.invoices
_INVOICE_BY_ID = INVOICES.aggregate.select(by_id="v")
_LOCK_INVOICE = sa.select(_inv.c.id).where(_inv.c.id == sa.bindparam("v")).with_for_update()
_UPDATE_INVOICE = versioned_update(_inv)
_of_outstanding = (
    _inv.c.customer_id == sa.bindparam("customer_id"),
    _inv.c.status.in_(_OUTSTANDING),
    _inv.c.currency == sa.bindparam("currency"),
)
_due_order = (_inv.c.due_date, _inv.c.sequence, _inv.c.id)
_OUTSTANDING_INVOICES = INVOICES.aggregate.select(*_of_outstanding, order_by=_due_order)
# Locks the rows the payment checks, in one order for every writer (no deadlock between two).
_LOCK_OUTSTANDING = (
    sa.select(_inv.c.id).where(*_of_outstanding).order_by(*_due_order).with_for_update()
)
_OVERDUE_IDS = (
    sa.select(_inv.c.id)
    .where(_inv.c.status.in_(_WATCHED), _inv.c.due_date < sa.bindparam("today"))
    .order_by(*_due_order)
    .limit(sa.bindparam("limit"))
)
_INVOICES_BY_IDS = INVOICES.aggregate.select(_inv.c.id.in_(sa.bindparam("ids", expanding=True)))
_NEXT_OVERDUE = sa.select(sa.func.min(_inv.c.due_date)).where(_inv.c.status.in_(_WATCHED))
_OUTSTANDING_TOTALS = (
    sa.select(_inv.c.currency, sa.func.count(), sa.func.sum(_inv.c.balance_due_minor))
    .where(_inv.c.customer_id == sa.bindparam("v"), _inv.c.status.in_(_OUTSTANDING))
    .group_by(_inv.c.currency)
    .order_by(_inv.c.currency)
)


@functools.cache
def _invoice_page(
    status: bool, outstanding: bool, start: bool, end: bool, sort: str, descending: bool
) -> sa.Select[Any]:
    """The ids of one page of a customer's invoices, for each shape of query (built once)."""
    where = [_inv.c.customer_id == sa.bindparam("customer_id")]
    if status:
        where.append(_inv.c.status == sa.bindparam("status"))
    if outstanding:
        where.append(_inv.c.status.in_(_OUTSTANDING))
    if start:
        where.append(_inv.c.issue_date >= sa.bindparam("start", type_=sa.Date))
    if end:
        where.append(_inv.c.issue_date <= sa.bindparam("end", type_=sa.Date))
    key = _inv.c.total_minor if sort == "amount" else _inv.c.issue_date
    order = [key, _inv.c.sequence]
    return (
        sa.select(_inv.c.id)
        .where(*where)
        .order_by(*(c.desc() if descending else c for c in order))
        .limit(sa.bindparam("limit"))
        .offset(sa.bindparam("offset"))
    )


# Built once, run on the driver's cursor (see prepared.py).
prepare(
    _INVOICE_BY_ID,
    _LOCK_INVOICE,
)


class SqlInvoices(SqlRepository):
    def add(self, invoice: Invoice) -> None:
        self._tx.execute(INVOICES.insert, INVOICES.row(invoice))
        self._insert_aggregate(INVOICES, invoice)

    def get(self, invoice_id: str, *, for_update: bool = False) -> Invoice | None:
        if for_update:
            self._tx.execute(_LOCK_INVOICE, {"v": invoice_id})
        found = self._load(INVOICES, _INVOICE_BY_ID, {"v": invoice_id})
        return found[0] if found else None

    def update(self, invoice: Invoice) -> Invoice:
        return self._update_aggregate(INVOICES, _UPDATE_INVOICE, invoice, "invoice")

    def outstanding(
        self, customer_id: str, currency: str, *, for_update: bool = False
    ) -> list[Invoice]:
        params = {"customer_id": customer_id, "currency": currency}
        if for_update:
            self._tx.execute(_LOCK_OUTSTANDING, params)
        return self._load(INVOICES, _OUTSTANDING_INVOICES, params)

    def _by_ids(self, ids: Sequence[str]) -> list[Invoice]:
        if not ids:
            return []
        found = {i.id: i for i in self._load(INVOICES, _INVOICES_BY_IDS, {"ids": list(ids)})}
        return [found[i] for i in ids if i in found]

    def overdue(self, today: date, limit: int) -> list[Invoice]:
        ids = [row[0] for row in self._tx.execute(_OVERDUE_IDS, {"today": today, "limit": limit})]
        return self._by_ids(ids)

    def next_overdue(self) -> date | None:
        value: date | None = self._tx.execute(_NEXT_OVERDUE).scalar()
        return value

    def outstanding_totals(self, customer_id: str) -> list[tuple[str, int, Money]]:
        rows = self._tx.execute(_OUTSTANDING_TOTALS, {"v": customer_id}).all()
        return [(c, int(n), Money.from_minor(int(s), c)) for c, n, s in rows]

    def page(self, customer_id: str, query: InvoiceQuery) -> list[Invoice]:
        statement = _invoice_page(
            query.status is not None,
            query.outstanding,
            query.issued_from is not None,
            query.issued_to is not None,
            query.sort,
            query.descending,
        )
        params: dict[str, Any] = {
            "customer_id": customer_id,
            "limit": query.limit,
            "offset": query.offset,
        }
        if query.status is not None:
            params["status"] = query.status.value
        if query.issued_from is not None:
            params["start"] = query.issued_from
        if query.issued_to is not None:
            params["end"] = query.issued_to
        return self._by_ids([row[0] for row in self._tx.execute(statement, params)])


# --- payments ---------------------------------------------------------------------------------

_pay = t.payments
_PAYMENT_BY_ID = sa.select(_pay).where(_pay.c.id == sa.bindparam("v"))
_PAYMENT_BY_ID_LOCKED = _PAYMENT_BY_ID.with_for_update()
_PAYMENT_BY_KEY = sa.select(_pay).where(
    _pay.c.customer_id == sa.bindparam("customer_id"),
    _pay.c.idempotency_key == sa.bindparam("key"),
)
_UPDATE_PAYMENT = versioned_update(_pay)
_paid_order = (_pay.c.received_at, _pay.c.id)
_with_credit = (
    _pay.c.customer_id == sa.bindparam("customer_id"),
    _pay.c.status == PaymentStatus.SUCCEEDED.value,
    _pay.c.unapplied_minor > 0,
)
_PAYMENTS_WITH_CREDIT = (
    sa.select(_pay)
    .where(*_with_credit, _pay.c.currency == sa.bindparam("currency"))
    .order_by(*_paid_order)
)
_PAYMENTS_WITH_CREDIT_LOCKED = _PAYMENTS_WITH_CREDIT.with_for_update()
_PAYMENT_CREDIT = (
    sa.select(_pay.c.currency, sa.func.sum(_pay.c.unapplied_minor))
    .where(*_with_credit)
    .group_by(_pay.c.currency)
    .order_by(_pay.c.currency)
)
_LAST_PAYMENT = (
    sa.select(_pay)
    .where(
        _pay.c.customer_id == sa.bindparam("v"),
        _pay.c.status == PaymentStatus.SUCCEEDED.value,
    )
    .order_by(_pay.c.received_at.desc(), _pay.c.id.desc())
    .limit(1)
)


@functools.cache
def _payment_page(
    invoice_only: bool, start: bool, end: bool, sort: str, descending: bool
) -> sa.Select[Any]:
    where = [_pay.c.customer_id == sa.bindparam("customer_id")]
    if invoice_only:
        where.append(_pay.c.amount_minor > _pay.c.unapplied_minor + _pay.c.refunded_minor)
    if start:
        where.append(_pay.c.received_at >= sa.bindparam("start", type_=t.UtcDateTime()))
    if end:
        where.append(_pay.c.received_at < sa.bindparam("end", type_=t.UtcDateTime()))
    order = (
        [_pay.c.amount_minor, _pay.c.received_at, _pay.c.id]
        if sort == "amount"
        else [_pay.c.received_at, _pay.c.id]
    )
    return (
        sa.select(_pay)
        .where(*where)
        .order_by(*(c.desc() if descending else c for c in order))
        .limit(sa.bindparam("limit"))
        .offset(sa.bindparam("offset"))
    )


def _sums(rows: Sequence[Any]) -> list[Money]:
    return [Money.from_minor(int(total), currency) for currency, total in rows]


_UNKNOWN = _pay.c.status == PaymentStatus.UNKNOWN.value
_UNKNOWN_PAYMENTS = (
    sa.select(_pay)
    .where(_UNKNOWN)
    .order_by(_pay.c.recorded_at, _pay.c.id)
    .limit(sa.bindparam("limit"))
)
_NEXT_UNKNOWN = _UNKNOWN_PAYMENTS.limit(1)

# Built once, run on the driver's cursor (see prepared.py).
prepare(
    _UNKNOWN_PAYMENTS,
    _NEXT_UNKNOWN,
    _PAYMENT_BY_ID,
    _PAYMENT_BY_ID_LOCKED,
    _PAYMENT_BY_KEY,
    _PAYMENTS_WITH_CREDIT,
    _PAYMENTS_WITH_CREDIT_LOCKED,
    _PAYMENT_CREDIT,
    _LAST_PAYMENT,
)


class SqlPayments(SqlRepository):
    def add(self, payment: Payment) -> None:
        with self._unique(
            lambda: IdempotencyConflictError(
                "that idempotency key was used for another payment",
                details={"idempotency_key": payment.idempotency_key},
            ),
            taken=lambda: (
                payment.idempotency_key is not None
                and self.get_by_key(payment.customer_id, payment.idempotency_key) is not None
            ),
            single=True,
        ):
            self._tx.execute(PAYMENTS.insert, PAYMENTS.row(payment))

    def get(self, payment_id: str, *, for_update: bool = False) -> Payment | None:
        query = _PAYMENT_BY_ID_LOCKED if for_update else _PAYMENT_BY_ID
        return PAYMENTS.one(self._tx.execute(query, {"v": payment_id}).first())

    def get_by_key(self, customer_id: str, key: str) -> Payment | None:
        return PAYMENTS.one(
            self._tx.execute(_PAYMENT_BY_KEY, {"customer_id": customer_id, "key": key}).first()
        )

    def update(self, payment: Payment) -> Payment:
        return self._update_versioned(_UPDATE_PAYMENT, PAYMENTS.row(payment), payment, "payment")

    def with_credit(
        self, customer_id: str, currency: str, *, for_update: bool = False
    ) -> list[Payment]:
        query = _PAYMENTS_WITH_CREDIT_LOCKED if for_update else _PAYMENTS_WITH_CREDIT
        return PAYMENTS.many(
            self._tx.execute(query, {"customer_id": customer_id, "currency": currency})
        )

    def credit_totals(self, customer_id: str) -> list[Money]:
        return _sums(self._tx.execute(_PAYMENT_CREDIT, {"customer_id": customer_id}).all())

    def last(self, customer_id: str) -> Payment | None:
        return PAYMENTS.one(self._tx.execute(_LAST_PAYMENT, {"v": customer_id}).first())

    def page(self, customer_id: str, query: PaymentQuery) -> list[Payment]:
        statement = _payment_page(
            query.invoice_payments_only,
            query.received_from is not None,
            query.received_before is not None,
            query.sort,
            query.descending,
        )
        params: dict[str, Any] = {
            "customer_id": customer_id,
            "limit": query.limit,
            "offset": query.offset,
        }
        if query.received_from is not None:
            params["start"] = query.received_from
        if query.received_before is not None:
            params["end"] = query.received_before
        return PAYMENTS.many(self._tx.execute(statement, params))

    def unknown(self, limit: int) -> list[Payment]:
        return PAYMENTS.many(self._tx.execute(_UNKNOWN_PAYMENTS, {"limit": limit}))

    def next_unknown(self) -> datetime | None:
        first = PAYMENTS.one(self._tx.execute(_NEXT_UNKNOWN).first())
        return None if first is None else first.recorded_at


# --- saved payment methods --------------------------------------------------------------------

_pm = t.payment_methods
_METHOD_BY_ID = sa.select(_pm).where(_pm.c.id == sa.bindparam("v"))
_METHOD_BY_ID_LOCKED = _METHOD_BY_ID.with_for_update()
_METHODS_OF = (
    sa.select(_pm).where(_pm.c.customer_id == sa.bindparam("v")).order_by(_pm.c.added_at, _pm.c.id)
)
_DEFAULT_METHOD = (
    sa.select(_pm)
    .where(_pm.c.customer_id == sa.bindparam("v"), _pm.c.default.is_(True))
    .order_by(_pm.c.added_at, _pm.c.id)
    .limit(1)
)
_UPDATE_METHOD = versioned_update(_pm)
_REMOVE_METHOD = _pm.delete().where(_pm.c.id == sa.bindparam("v"))

# Built once, run on the driver's cursor (see prepared.py).
prepare(
    _METHOD_BY_ID,
    _METHOD_BY_ID_LOCKED,
    _METHODS_OF,
    _DEFAULT_METHOD,
    _REMOVE_METHOD,
)


class SqlPaymentMethods(SqlRepository):
    def add(self, method: PaymentMethod) -> None:
        self._tx.execute(METHODS.insert, METHODS.row(method))

    def get(self, method_id: str, *, for_update: bool = False) -> PaymentMethod | None:
        query = _METHOD_BY_ID_LOCKED if for_update else _METHOD_BY_ID
        return METHODS.one(self._tx.execute(query, {"v": method_id}).first())

    def for_customer(self, customer_id: str) -> list[PaymentMethod]:
        return METHODS.many(self._tx.execute(_METHODS_OF, {"v": customer_id}))

    def default(self, customer_id: str) -> PaymentMethod | None:
        return METHODS.one(self._tx.execute(_DEFAULT_METHOD, {"v": customer_id}).first())

    def update(self, method: PaymentMethod) -> PaymentMethod:
        return self._update_versioned(_UPDATE_METHOD, METHODS.row(method), method, "payment method")

    def remove(self, method_id: str) -> None:
        self._tx.execute(_REMOVE_METHOD, {"v": method_id})


# --- credit notes -----------------------------------------------------------------------------

_cn = t.credit_notes
_NOTE_BY_ID = sa.select(_cn).where(_cn.c.id == sa.bindparam("v"))
_NOTE_BY_ID_LOCKED = _NOTE_BY_ID.with_for_update()
_UPDATE_NOTE = versioned_update(_cn)
_note_credit = (_cn.c.customer_id == sa.bindparam("customer_id"), _cn.c.unapplied_minor > 0)
_NOTES_WITH_CREDIT = (
    sa.select(_cn)
    .where(*_note_credit, _cn.c.currency == sa.bindparam("currency"))
    .order_by(_cn.c.issued_at, _cn.c.id)
)
_NOTES_WITH_CREDIT_LOCKED = _NOTES_WITH_CREDIT.with_for_update()
_NOTE_CREDIT = (
    sa.select(_cn.c.currency, sa.func.sum(_cn.c.unapplied_minor))
    .where(*_note_credit)
    .group_by(_cn.c.currency)
    .order_by(_cn.c.currency)
)

# Built once, run on the driver's cursor (see prepared.py).
prepare(
    _NOTE_BY_ID,
    _NOTE_BY_ID_LOCKED,
    _NOTES_WITH_CREDIT,
    _NOTES_WITH_CREDIT_LOCKED,
    _NOTE_CREDIT,
)


class SqlCreditNotes(SqlRepository):
    def add(self, note: CreditNote) -> None:
        self._tx.execute(CREDIT_NOTES.insert, CREDIT_NOTES.row(note))

    def get(self, note_id: str, *, for_update: bool = False) -> CreditNote | None:
        query = _NOTE_BY_ID_LOCKED if for_update else _NOTE_BY_ID
        return CREDIT_NOTES.one(self._tx.execute(query, {"v": note_id}).first())

    def update(self, note: CreditNote) -> CreditNote:
        return self._update_versioned(_UPDATE_NOTE, CREDIT_NOTES.row(note), note, "credit note")

    def with_credit(
        self, customer_id: str, currency: str, *, for_update: bool = False
    ) -> list[CreditNote]:
        query = _NOTES_WITH_CREDIT_LOCKED if for_update else _NOTES_WITH_CREDIT
        return CREDIT_NOTES.many(
            self._tx.execute(query, {"customer_id": customer_id, "currency": currency})
        )

    def credit_totals(self, customer_id: str) -> list[Money]:
        return _sums(self._tx.execute(_NOTE_CREDIT, {"customer_id": customer_id}).all())


# --- applications and refunds -----------------------------------------------------------------

_app = t.billing_applications
_APPS_OF_INVOICE = (
    sa.select(_app)
    .where(_app.c.invoice_id == sa.bindparam("v"))
    .order_by(_app.c.applied_at, _app.c.id)
)
_APPS_OF_SOURCE = (
    sa.select(_app)
    .where(_app.c.source_id == sa.bindparam("v"))
    .order_by(_app.c.applied_at, _app.c.id)
)

# Built once, run on the driver's cursor (see prepared.py).
prepare(
    _APPS_OF_INVOICE,
    _APPS_OF_SOURCE,
)


class SqlApplications(SqlRepository):
    def add(self, application: Application) -> None:
        self._tx.execute(APPLICATIONS.insert, APPLICATIONS.row(application))

    def for_invoice(self, invoice_id: str) -> list[Application]:
        return APPLICATIONS.many(self._tx.execute(_APPS_OF_INVOICE, {"v": invoice_id}))

    def for_source(self, source_id: str) -> list[Application]:
        return APPLICATIONS.many(self._tx.execute(_APPS_OF_SOURCE, {"v": source_id}))


_ref = t.refunds
_REFUND_BY_ID = sa.select(_ref).where(_ref.c.id == sa.bindparam("v"))
_REFUNDS_OF_SOURCE = (
    sa.select(_ref)
    .where(_ref.c.source_id == sa.bindparam("v"))
    .order_by(_ref.c.refunded_at, _ref.c.id)
)

# Built once, run on the driver's cursor (see prepared.py).
prepare(
    _REFUND_BY_ID,
    _REFUNDS_OF_SOURCE,
)


class SqlRefunds(SqlRepository):
    def add(self, refund: Refund) -> None:
        self._tx.execute(REFUNDS.insert, REFUNDS.row(refund))

    def get(self, refund_id: str) -> Refund | None:
        return REFUNDS.one(self._tx.execute(_REFUND_BY_ID, {"v": refund_id}).first())

    def for_source(self, source_id: str) -> list[Refund]:
        return REFUNDS.many(self._tx.execute(_REFUNDS_OF_SOURCE, {"v": source_id}))


# --- the ledger -------------------------------------------------------------------------------

_led = t.ledger_entries
_of_account = (
    _led.c.customer_id == sa.bindparam("customer_id"),
    _led.c.currency == sa.bindparam("currency"),
)
_REMOVE_ENTRY = _led.delete().where(_led.c.document_id == sa.bindparam("v"))
# PostgreSQL aborts the transaction on a unique violation, so a plain insert would need a
# savepoint around it (two more statements per document); a document's second entry is
# skipped instead, and the skip (no row inserted) is the refusal.
_BOOK_ONCE = (
    postgresql.insert(_led)
    .on_conflict_do_nothing(index_elements=[_led.c.document_id])
    .execution_options(preserve_rowcount=True)  # SQLAlchemy's own path keeps an insert's count
)
_CURRENCIES = (
    sa.select(_led.c.currency)
    .where(_led.c.customer_id == sa.bindparam("v"))
    .group_by(_led.c.currency)
    .order_by(_led.c.currency)
)
_at_from = _led.c.at >= sa.bindparam("start", type_=t.UtcDateTime())
_at_before = _led.c.at < sa.bindparam("end", type_=t.UtcDateTime())
_TOTALS = {
    (start, end): sa.select(
        sa.func.coalesce(sa.func.sum(_led.c.amount_minor), 0), sa.func.count()
    ).where(*_of_account, *([_at_from] if start else []), *([_at_before] if end else []))
    for start in (False, True)
    for end in (False, True)
}
# After the last entry read: the `at >=` bound gives the index a range to start from (an OR
# alone leaves every engine scanning the customer's entries from the first, batch after batch).
_after_at = sa.bindparam("after_at", type_=t.UtcDateTime())
_key_after = sa.and_(
    _led.c.at >= _after_at,
    sa.or_(_led.c.at > _after_at, _led.c.id > sa.bindparam("after_id")),
)
_in_order = (_led.c.at, _led.c.id)
_FIRST_BATCH = (
    sa.select(_led)
    .where(*_of_account, _at_from, _at_before)
    .order_by(*_in_order)
    .limit(sa.bindparam("limit"))
)
_NEXT_BATCH = (
    sa.select(_led)
    .where(*_of_account, _key_after, _at_before)
    .order_by(*_in_order)
    .limit(sa.bindparam("limit"))
)

# Built once, run on the driver's cursor (see prepared.py).
prepare(_BOOK_ONCE, only="postgresql")
prepare(
    _REMOVE_ENTRY,
    _CURRENCIES,
    *_TOTALS.values(),
    _FIRST_BATCH,
    _NEXT_BATCH,
)


class SqlLedger(SqlRepository):
    def add(self, entry: LedgerEntry) -> None:
        def booked() -> IntegrityViolationError:
            return IntegrityViolationError(
                "the document has a ledger entry already",
                details={"document_id": entry.document_id},
            )

        if self._c.dialect.name == "postgresql":
            # No savepoint on PostgreSQL (see _BOOK_ONCE): a second entry is skipped, refused.
            if self._tx.execute(_BOOK_ONCE, LEDGER.row(entry)).rowcount != 1:
                raise booked()
            return
        try:
            with self._recoverable(single=True):
                self._tx.execute(LEDGER.insert, LEDGER.row(entry))
        except IntegrityError as exc:
            raise booked() from exc

    def remove(self, document_id: str) -> None:
        self._tx.execute(_REMOVE_ENTRY, {"v": document_id})

    def currencies(self, customer_id: str) -> list[str]:
        return [row[0] for row in self._tx.execute(_CURRENCIES, {"v": customer_id})]

    def total(
        self,
        customer_id: str,
        currency: str,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> tuple[Money, int]:
        params: dict[str, Any] = {"customer_id": customer_id, "currency": currency}
        if start is not None:
            params["start"] = start
        if end is not None:
            params["end"] = end
        row = self._tx.execute(_TOTALS[(start is not None, end is not None)], params).first()
        assert row is not None  # an aggregate without GROUP BY has one row
        return Money.from_minor(int(row[0]), currency), int(row[1])

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
        params: dict[str, Any] = {
            "customer_id": customer_id,
            "currency": currency,
            "end": end,
            "limit": limit,
        }
        if after is None:
            params["start"] = start
            query = _FIRST_BATCH
        else:
            params["after_at"], params["after_id"] = after
            query = _NEXT_BATCH
        return LEDGER.many(self._tx.execute(query, params))
