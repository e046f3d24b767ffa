"""The billing ports: exact money, gap-free numbers per customer, one payment per idempotency
key, the outstanding and credit queries in their order, and the ledger's sums and batches.
One contract class per port."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import attrs
import pytest

from partnerkit.billing.credits import CreditNote, Refund, RefundMethod
from partnerkit.billing.documents import EntryKind
from partnerkit.billing.errors import IdempotencyConflictError, TaxRateTakenError
from partnerkit.billing.invoices import Invoice, InvoiceLine, InvoiceStatus, TaxRate
from partnerkit.billing.ledger import BillingAccount, LedgerEntry
from partnerkit.billing.methods import PaymentMethod
from partnerkit.billing.payments import (
    Application,
    Payment,
    PaymentMethodKind,
    PaymentStatus,
    SourceKind,
)
from partnerkit.billing.ports import InvoiceQuery, PaymentQuery
from partnerkit.errors import ConcurrencyError, IntegrityViolationError
from partnerkit.money import Money
from partnerkit.ports import Backend
from partnerkit.stores import Store
from partnerkit.testing.conformance._base import T0, ContractBase

__all__ = [
    "ApplicationsContract",
    "BillingAccountsContract",
    "CreditNotesContract",
    "InvoicesContract",
    "LedgerContract",
    "PaymentMethodsContract",
    "PaymentsContract",
    "RefundsContract",
    "TaxRatesContract",
]

_VAT = TaxRate("tax_vat", "VAT", Decimal("20"), False, T0)


def _invoice(
    iid: str,
    sequence: int,
    total: str = "120.00",
    *,
    customer_id: str = "cus_1",
    currency: str = "USD",
    status: InvoiceStatus = InvoiceStatus.SENT,
    issue: date = date(2026, 1, 5),
    due: date = date(2026, 2, 4),
    paid: str = "0",
) -> Invoice:
    amount = Money.of(total, currency)
    line = InvoiceLine(
        description="Seats",
        quantity=Decimal("1.5"),
        unit_price=Money.of(total, currency),
        discount=Money.zero(currency),
        discount_percent=Decimal("0"),
        tax_name="VAT",
        tax_percentage=Decimal("0"),
        tax_inclusive=True,
    )
    free = InvoiceLine("Setup", Decimal("1"), Money.zero(currency), Money.zero(currency))
    zero = Money.zero(currency)
    return Invoice(
        id=iid,
        customer_id=customer_id,
        number=f"INV-{sequence:06d}",
        sequence=sequence,
        issue_date=issue,
        due_date=due,
        lines=(line, free),
        status=status,
        total=amount,
        amount_paid=Money.of(paid, currency),
        credits_applied=zero,
        balance_due=amount - Money.of(paid, currency),
        created_at=T0,
        created_by="team@vendor.example",
        issued_at=T0 + timedelta(seconds=1),
        subscription_id="sub_1" if sequence == 1 else None,
    )


def _payment(
    pid: str,
    amount: str,
    *,
    customer_id: str = "cus_1",
    currency: str = "USD",
    at: datetime = T0,
    unapplied: str = "0",
    key: str | None = None,
    status: PaymentStatus = PaymentStatus.SUCCEEDED,
) -> Payment:
    return Payment(
        id=pid,
        customer_id=customer_id,
        number=f"PAY-{pid[-3:]}",
        amount=Money.of(amount, currency),
        method=PaymentMethodKind.BANK_TRANSFER,
        status=status,
        received_at=at,
        recorded_at=at,
        recorded_by="team@vendor.example",
        unapplied=Money.of(unapplied, currency),
        refunded=Money.zero(currency),
        reference="BT-1",
        idempotency_key=key,
    )


class BillingAccountsContract(ContractBase):
    """A customer's billing account: a fresh one on first lock, counters saved optimistically;
    several locked at once in customer order, and a lock again in the same transaction gives
    the account as last saved, unless a savepoint that saved it rolled back."""

    def test_lock_creates_the_account_and_save_keeps_its_counters(
        self, backend: Backend[Store]
    ) -> None:
        self._program(backend)
        with backend.unit_of_work() as uow:
            account = uow.billing_accounts.lock("cus_1")
            assert account == BillingAccount("cus_1")
            saved = uow.billing_accounts.save(attrs.evolve(account, invoices=1, payments=2))
            assert saved.version == 2
        with backend.unit_of_work() as uow:
            again = uow.billing_accounts.lock("cus_1")
            assert (again.invoices, again.payments, again.version) == (1, 2, 2)
            with pytest.raises(ConcurrencyError):
                uow.billing_accounts.save(attrs.evolve(account, invoices=9))

    def test_lock_many_gives_each_account_once_in_customer_order(
        self, backend: Backend[Store]
    ) -> None:
        self._program(backend)
        with backend.unit_of_work() as uow:
            stored = uow.billing_accounts.save(
                attrs.evolve(uow.billing_accounts.lock("cus_2"), invoices=3)
            )
        with backend.unit_of_work() as uow:
            found = uow.billing_accounts.lock_many(["cus_2", "cus_1", "cus_2"])
            assert found == [BillingAccount("cus_1"), stored]
            assert uow.billing_accounts.lock_many([]) == []
            first = uow.billing_accounts.save(attrs.evolve(found[0], invoices=1))
            assert uow.billing_accounts.lock("cus_1") == first
            second = uow.billing_accounts.save(attrs.evolve(first, invoices=2))
            assert uow.billing_accounts.lock_many(["cus_1"]) == [second]
            with pytest.raises(ConcurrencyError):
                uow.billing_accounts.save(attrs.evolve(found[0], invoices=9))
            with pytest.raises(ConcurrencyError):
                uow.billing_accounts.save(attrs.evolve(found[1], version=1))
        with backend.unit_of_work() as uow:
            again = uow.billing_accounts.lock_many(["cus_1", "cus_2"])
            assert [(a.invoices, a.version) for a in again] == [(2, 3), (3, 2)]

    def test_a_savepoint_rolled_back_takes_its_saved_numbers_back(
        self, backend: Backend[Store]
    ) -> None:
        self._program(backend)
        with backend.unit_of_work() as uow:
            [fresh, kept] = uow.billing_accounts.lock_many(["cus_1", "cus_2"])
            kept = uow.billing_accounts.save(attrs.evolve(kept, invoices=1))
            with pytest.raises(RuntimeError), uow.savepoint():
                uow.billing_accounts.save(attrs.evolve(fresh, invoices=1))
                uow.billing_accounts.save(attrs.evolve(kept, invoices=2))
                raise RuntimeError("rolled back")
            assert uow.billing_accounts.lock("cus_1") == fresh
            assert uow.billing_accounts.lock("cus_2") == kept
            # The numbers the savepoint gave are given again, by version as first read.
            uow.billing_accounts.save(attrs.evolve(fresh, invoices=1))
            uow.billing_accounts.save(attrs.evolve(kept, invoices=2))
        with backend.unit_of_work() as uow:
            assert [a.invoices for a in uow.billing_accounts.lock_many(["cus_1", "cus_2"])] == [
                1,
                2,
            ]

    def test_a_rolled_back_number_is_given_again(self, backend: Backend[Store]) -> None:
        self._program(backend)
        with pytest.raises(RuntimeError), backend.unit_of_work() as uow:
            account = uow.billing_accounts.lock("cus_2")
            uow.billing_accounts.save(attrs.evolve(account, invoices=1))
            raise RuntimeError("rolled back")
        with backend.unit_of_work() as uow:
            assert uow.billing_accounts.lock("cus_2").invoices == 0


class TaxRatesContract(ContractBase):
    """Tax rates by name, one default."""

    def test_tax_rates_keep_their_percentage_exact_and_list_by_name(
        self, backend: Backend[Store]
    ) -> None:
        gst = TaxRate("tax_gst", "GST", Decimal("7.125"), True, T0 + timedelta(microseconds=7))
        with backend.unit_of_work() as uow:
            uow.tax_rates.add(_VAT)
            uow.tax_rates.add(gst)
        with backend.unit_of_work(readonly=True) as uow:
            assert uow.tax_rates.get("tax_gst") == gst
            stored = uow.tax_rates.get("tax_gst")
            assert stored is not None and str(stored.percentage) == "7.125"
            assert [r.name for r in uow.tax_rates.all()] == ["GST", "VAT"]
            assert uow.tax_rates.get("tax_missing") is None

    def test_a_taken_name_is_refused_and_nothing_is_stored(self, backend: Backend[Store]) -> None:
        with backend.unit_of_work() as uow:
            uow.tax_rates.add(_VAT)
        with backend.unit_of_work() as uow:
            with pytest.raises(TaxRateTakenError):
                uow.tax_rates.add(attrs.evolve(_VAT, id="tax_other"))
            assert uow.tax_rates.get("tax_other") is None

    def test_one_default_that_can_be_replaced_and_cleared(self, backend: Backend[Store]) -> None:
        gst = TaxRate("tax_gst", "GST", Decimal("5"), False, T0)
        with backend.unit_of_work() as uow:
            uow.tax_rates.add(_VAT)
            uow.tax_rates.add(gst)
            assert uow.tax_rates.default() is None
            uow.tax_rates.set_default("tax_vat")
        with backend.unit_of_work() as uow:
            assert uow.tax_rates.default() == _VAT
            uow.tax_rates.set_default("tax_gst")
        with backend.unit_of_work() as uow:
            assert uow.tax_rates.default() == gst
            uow.tax_rates.set_default(None)
        with backend.unit_of_work(readonly=True) as uow:
            assert uow.tax_rates.default() is None


class InvoicesContract(ContractBase):
    """Invoices with their lines: exact, versioned, one number per customer, and the queries
    payments and the dashboard read."""

    def test_an_invoice_reads_back_exactly_with_its_lines(self, backend: Backend[Store]) -> None:
        self._program(backend)
        usd = _invoice("inv_1", 1, "1234.56")
        kwd = _invoice("inv_2", 2, "10.005", currency="KWD")
        jpy = _invoice("inv_3", 1, "98765", currency="JPY", customer_id="cus_2")
        with backend.unit_of_work() as uow:
            for invoice in (usd, kwd, jpy):
                uow.invoices.add(invoice)
        with backend.unit_of_work(readonly=True) as uow:
            for invoice in (usd, kwd, jpy):
                stored = uow.invoices.get(invoice.id)
                assert stored == invoice
                assert stored is not None
                assert str(stored.lines[0].quantity) == "1.5"
                assert stored.total.currency == invoice.total.currency
            assert uow.invoices.get("inv_missing") is None
            assert uow.invoices.get("inv_1", for_update=True) == usd

    def test_an_update_is_versioned_and_rewrites_the_lines(self, backend: Backend[Store]) -> None:
        self._program(backend)
        invoice = _invoice("inv_1", 1)
        with backend.unit_of_work() as uow:
            uow.invoices.add(invoice)
        changed = attrs.evolve(
            invoice,
            status=InvoiceStatus.PARTIALLY_PAID,
            amount_paid=Money.of("20", "USD"),
            balance_due=Money.of("100", "USD"),
            lines=invoice.lines[:1],
            refunded=Money.of("7.25", "USD"),
        )
        with backend.unit_of_work() as uow:
            updated = uow.invoices.update(changed)
            assert updated.version == 2
        with backend.unit_of_work() as uow:
            assert uow.invoices.get("inv_1") == updated
            assert updated.refunded == Money.of("7.25", "USD")
            with pytest.raises(ConcurrencyError):
                uow.invoices.update(changed)

    def test_a_customer_has_one_invoice_per_number(self, backend: Backend[Store]) -> None:
        self._program(backend)
        with backend.unit_of_work() as uow:
            uow.invoices.add(_invoice("inv_1", 1))
            uow.invoices.add(_invoice("inv_2", 1, customer_id="cus_2"))
        with pytest.raises(IntegrityViolationError), backend.unit_of_work() as uow:
            uow.invoices.add(_invoice("inv_3", 1))
        with backend.unit_of_work(readonly=True) as uow:
            assert uow.invoices.get("inv_3") is None

    def test_outstanding_invoices_oldest_due_first_in_one_currency(
        self, backend: Backend[Store]
    ) -> None:
        self._program(backend)
        rows = [
            _invoice("inv_a", 1, due=date(2026, 3, 1)),
            _invoice("inv_b", 2, due=date(2026, 2, 1)),
            _invoice("inv_c", 3, due=date(2026, 2, 1), status=InvoiceStatus.OVERDUE),
            _invoice("inv_d", 4, due=date(2026, 1, 1), status=InvoiceStatus.PAID, paid="120"),
            _invoice("inv_e", 5, due=date(2026, 1, 1), status=InvoiceStatus.DRAFT),
            _invoice("inv_f", 6, due=date(2026, 1, 1), currency="EUR"),
            _invoice("inv_g", 1, due=date(2026, 1, 1), customer_id="cus_2"),
            _invoice(
                "inv_h", 7, due=date(2026, 1, 2), status=InvoiceStatus.PARTIALLY_PAID, paid="20"
            ),
        ]
        with backend.unit_of_work() as uow:
            for invoice in rows:
                uow.invoices.add(invoice)
        with backend.unit_of_work() as uow:
            ids = [i.id for i in uow.invoices.outstanding("cus_1", "USD", for_update=True)]
            assert ids == ["inv_h", "inv_b", "inv_c", "inv_a"]
            assert [i.id for i in uow.invoices.outstanding("cus_1", "EUR")] == ["inv_f"]
            totals = uow.invoices.outstanding_totals("cus_1")
            assert totals == [
                ("EUR", 1, Money.of("120", "EUR")),
                ("USD", 4, Money.of("460", "USD")),
            ]
            assert uow.invoices.outstanding_totals("cus_missing") == []
            # Overdue candidates: sent or partially paid, due before the day, over customers.
            due = uow.invoices.overdue(date(2026, 2, 2), limit=10)
            assert [i.id for i in due] == ["inv_g", "inv_f", "inv_h", "inv_b"]
            assert [i.id for i in uow.invoices.overdue(date(2026, 2, 2), limit=2)] == [
                "inv_g",
                "inv_f",
            ]
            assert uow.invoices.next_overdue() == date(2026, 1, 1)

    def test_a_page_of_invoices_filters_sorts_and_windows(self, backend: Backend[Store]) -> None:
        self._program(backend)
        rows = [
            _invoice("inv_1", 1, "50", issue=date(2026, 1, 1)),
            _invoice("inv_2", 2, "300", issue=date(2026, 2, 1), status=InvoiceStatus.PAID),
            _invoice("inv_3", 3, "10", issue=date(2026, 3, 1), status=InvoiceStatus.OVERDUE),
            _invoice("inv_4", 4, "75", issue=date(2026, 4, 1), status=InvoiceStatus.VOID),
            _invoice("inv_x", 1, "999", customer_id="cus_2"),
        ]
        with backend.unit_of_work() as uow:
            for invoice in rows:
                uow.invoices.add(invoice)

        def ids(**kw: object) -> list[str]:
            with backend.unit_of_work(readonly=True) as uow:
                return [i.id for i in uow.invoices.page("cus_1", InvoiceQuery(**kw))]  # type: ignore[arg-type]

        assert ids() == ["inv_4", "inv_3", "inv_2", "inv_1"]
        assert ids(descending=False) == ["inv_1", "inv_2", "inv_3", "inv_4"]
        assert ids(sort="amount") == ["inv_2", "inv_4", "inv_1", "inv_3"]
        assert ids(outstanding=True) == ["inv_3", "inv_1"]
        assert ids(status=InvoiceStatus.PAID) == ["inv_2"]
        assert ids(issued_from=date(2026, 2, 1), issued_to=date(2026, 3, 1)) == ["inv_3", "inv_2"]
        assert ids(limit=2, offset=1) == ["inv_3", "inv_2"]
        assert ids(offset=10) == []
        with backend.unit_of_work(readonly=True) as uow:
            first = uow.invoices.page("cus_1", InvoiceQuery(limit=1))[0]
            assert first == rows[3]  # a page holds whole invoices, lines included


class PaymentsContract(ContractBase):
    """Payments: exact money, one per idempotency key and customer, credit and recency."""

    def test_a_payment_reads_back_exactly(self, backend: Backend[Store]) -> None:
        self._program(backend)
        payment = _payment("pay_001", "10.005", currency="KWD", unapplied="0.005", key="k-1")
        with backend.unit_of_work() as uow:
            uow.payments.add(payment)
        with backend.unit_of_work() as uow:
            assert uow.payments.get("pay_001") == payment
            assert uow.payments.get("pay_001", for_update=True) == payment
            assert uow.payments.get_by_key("cus_1", "k-1") == payment
            assert uow.payments.get_by_key("cus_2", "k-1") is None
            updated = uow.payments.update(attrs.evolve(payment, unapplied=Money.zero("KWD")))
            assert updated.version == 2
            with pytest.raises(ConcurrencyError):
                uow.payments.update(payment)

    def test_an_idempotency_key_is_one_payment_per_customer(self, backend: Backend[Store]) -> None:
        self._program(backend)
        with backend.unit_of_work() as uow:
            uow.payments.add(_payment("pay_001", "10", key="same"))
            uow.payments.add(_payment("pay_002", "10", key="same", customer_id="cus_2"))
            uow.payments.add(_payment("pay_003", "10"))
            uow.payments.add(_payment("pay_004", "10"))  # no key: any number of them
        with backend.unit_of_work() as uow:
            with pytest.raises(IdempotencyConflictError):
                uow.payments.add(_payment("pay_005", "99", key="same"))
            assert uow.payments.get("pay_005") is None

    def test_credit_and_the_last_payment(self, backend: Backend[Store]) -> None:
        self._program(backend)
        rows = [
            _payment("pay_001", "50", at=T0, unapplied="5"),
            _payment("pay_002", "30", at=T0 + timedelta(hours=2), unapplied="30"),
            _payment("pay_003", "20", at=T0 + timedelta(hours=1), unapplied="20", currency="EUR"),
            _payment("pay_004", "70", at=T0 + timedelta(hours=3)),
            _payment(
                "pay_005",
                "90",
                at=T0 + timedelta(hours=4),
                unapplied="90",
                status=PaymentStatus.FAILED,
            ),
            _payment("pay_006", "40", at=T0, unapplied="40", customer_id="cus_2"),
        ]
        with backend.unit_of_work() as uow:
            for payment in rows:
                uow.payments.add(payment)
        with backend.unit_of_work() as uow:
            credit = uow.payments.with_credit("cus_1", "USD", for_update=True)
            assert [p.id for p in credit] == ["pay_001", "pay_002"]
            assert uow.payments.credit_totals("cus_1") == [
                Money.of("20", "EUR"),
                Money.of("35", "USD"),
            ]
            last = uow.payments.last("cus_1")
            assert last is not None and last.id == "pay_004"
            assert uow.payments.last("cus_missing") is None

    def test_a_page_of_payments_filters_sorts_and_windows(self, backend: Backend[Store]) -> None:
        self._program(backend)
        rows = [
            _payment("pay_001", "50", at=T0, unapplied="50"),
            _payment("pay_002", "30", at=T0 + timedelta(hours=1)),
            _payment("pay_003", "80", at=T0 + timedelta(hours=2), unapplied="10"),
            _payment("pay_004", "99", at=T0, customer_id="cus_2"),
        ]
        with backend.unit_of_work() as uow:
            for payment in rows:
                uow.payments.add(payment)

        def ids(**kw: object) -> list[str]:
            with backend.unit_of_work(readonly=True) as uow:
                return [p.id for p in uow.payments.page("cus_1", PaymentQuery(**kw))]  # type: ignore[arg-type]

        assert ids() == ["pay_003", "pay_002", "pay_001"]
        assert ids(sort="amount", descending=False) == ["pay_002", "pay_001", "pay_003"]
        assert ids(invoice_payments_only=True) == ["pay_003", "pay_002"]
        assert ids(received_from=T0 + timedelta(hours=1)) == ["pay_003", "pay_002"]
        assert ids(received_before=T0 + timedelta(hours=1)) == ["pay_001"]
        assert ids(limit=1, offset=1) == ["pay_002"]


def _method(
    mid: str, *, customer_id: str = "cus_1", default: bool = False, at: datetime = T0
) -> PaymentMethod:
    return PaymentMethod(
        id=mid,
        customer_id=customer_id,
        token=f"card_tok_{mid}",
        brand="visa",
        last4="4242",
        exp_month=12,
        exp_year=2030,
        default=default,
        added_at=at,
        updated_at=at,
    )


class PaymentMethodsContract(ContractBase):
    """Saved payment methods: read back exactly, per customer oldest first, one default found,
    versioned updates that keep the id, removal; and the unknown payments reconciliation reads."""

    def test_a_method_reads_back_exactly_and_updates_keep_its_id(
        self, backend: Backend[Store]
    ) -> None:
        self._program(backend)
        method = _method("pm_001", default=True)
        with backend.unit_of_work() as uow:
            uow.payment_methods.add(method)
        with backend.unit_of_work() as uow:
            assert uow.payment_methods.get("pm_001") == method
            assert uow.payment_methods.get("pm_001", for_update=True) == method
            assert uow.payment_methods.get("pm_404") is None
            new_card = attrs.evolve(method, token="card_tok_new", last4="4444", exp_year=2031)
            updated = uow.payment_methods.update(new_card)
            assert (updated.id, updated.version, updated.last4) == ("pm_001", 2, "4444")
            with pytest.raises(ConcurrencyError):
                uow.payment_methods.update(method)
        with backend.unit_of_work() as uow:
            assert uow.payment_methods.get("pm_001") == updated

    def test_methods_per_customer_oldest_first_with_their_default(
        self, backend: Backend[Store]
    ) -> None:
        self._program(backend)
        with backend.unit_of_work() as uow:
            uow.payment_methods.add(_method("pm_002", at=T0 + timedelta(hours=1), default=True))
            uow.payment_methods.add(_method("pm_001", at=T0))
            uow.payment_methods.add(_method("pm_003", customer_id="cus_2", default=True))
        with backend.unit_of_work() as uow:
            assert [m.id for m in uow.payment_methods.for_customer("cus_1")] == [
                "pm_001",
                "pm_002",
            ]
            found = uow.payment_methods.default("cus_1")
            assert found is not None and found.id == "pm_002"
            uow.payment_methods.remove("pm_002")
        with backend.unit_of_work() as uow:
            assert uow.payment_methods.default("cus_1") is None
            assert [m.id for m in uow.payment_methods.for_customer("cus_1")] == ["pm_001"]
            assert uow.payment_methods.for_customer("cus_9") == []

    def test_unknown_payments_oldest_recorded_first(self, backend: Backend[Store]) -> None:
        self._program(backend)
        with backend.unit_of_work() as uow:
            assert uow.payments.next_unknown() is None
            uow.payments.add(_payment("pay_001", "10", status=PaymentStatus.SUCCEEDED))
            uow.payments.add(
                _payment("pay_002", "10", at=T0 + timedelta(hours=2), status=PaymentStatus.UNKNOWN)
            )
            uow.payments.add(
                _payment(
                    "pay_003",
                    "10",
                    customer_id="cus_2",
                    at=T0 + timedelta(hours=1),
                    status=PaymentStatus.UNKNOWN,
                )
            )
        with backend.unit_of_work() as uow:
            assert [p.id for p in uow.payments.unknown(10)] == ["pay_003", "pay_002"]
            assert [p.id for p in uow.payments.unknown(1)] == ["pay_003"]
            assert uow.payments.next_unknown() == T0 + timedelta(hours=1)
            settled = uow.payments.get("pay_003")
            assert settled is not None
            uow.payments.update(
                attrs.evolve(settled, status=PaymentStatus.FAILED, failure_code="payment.cp3003")
            )
        with backend.unit_of_work() as uow:
            assert [p.id for p in uow.payments.unknown(10)] == ["pay_002"]
            failed = uow.payments.get("pay_003")
            assert failed is not None and failed.failure_code == "payment.cp3003"


class CreditNotesContract(ContractBase):
    """Credit notes: exact, versioned, and those with credit left, oldest first."""

    def test_credit_notes_with_credit_left(self, backend: Backend[Store]) -> None:
        self._program(backend)
        with backend.unit_of_work() as uow:
            uow.invoices.add(_invoice("inv_1", 1))

        def note(nid: str, amount: str, unapplied: str, at: datetime, **kw: object) -> CreditNote:
            currency = str(kw.pop("currency", "USD"))
            values: dict[str, object] = {
                "id": nid,
                "customer_id": "cus_1",
                "number": f"CN-{nid[-1]}",
                "amount": Money.of(amount, currency),
                "reason": "Goodwill",
                "issued_at": at,
                "issued_by": "team@vendor.example",
                "unapplied": Money.of(unapplied, currency),
                "refunded": Money.zero(currency),
            }
            values.update(kw)
            return CreditNote(**values)  # type: ignore[arg-type]

        rows = [
            note("crn_1", "10", "0", T0, invoice_id="inv_1"),
            note("crn_2", "25.5", "25.5", T0 + timedelta(hours=2)),
            note("crn_3", "40", "15", T0 + timedelta(hours=1)),
            note("crn_4", "7", "7", T0, currency="JPY"),
            note("crn_5", "9", "9", T0, customer_id="cus_2"),
        ]
        with backend.unit_of_work() as uow:
            for row in rows:
                uow.credit_notes.add(row)
        with backend.unit_of_work() as uow:
            assert uow.credit_notes.get("crn_1") == rows[0]
            assert [
                n.id for n in uow.credit_notes.with_credit("cus_1", "USD", for_update=True)
            ] == [
                "crn_3",
                "crn_2",
            ]
            assert uow.credit_notes.credit_totals("cus_1") == [
                Money.of("7", "JPY"),
                Money.of("40.5", "USD"),
            ]
            used = uow.credit_notes.update(attrs.evolve(rows[2], unapplied=Money.zero("USD")))
            assert used.version == 2
        with backend.unit_of_work(readonly=True) as uow:
            assert [n.id for n in uow.credit_notes.with_credit("cus_1", "USD")] == ["crn_2"]
            assert uow.credit_notes.get("crn_3", for_update=False) == used


class ApplicationsContract(ContractBase):
    """Where money went: by invoice and by source, in order."""

    def test_applications_by_invoice_and_by_source(self, backend: Backend[Store]) -> None:
        self._program(backend)
        with backend.unit_of_work() as uow:
            uow.invoices.add(_invoice("inv_1", 1))
            uow.invoices.add(_invoice("inv_2", 2))
        rows = [
            Application(
                "app_2", "cus_1", "inv_1", SourceKind.PAYMENT, "pay_1", Money.of("5", "USD"), T0
            ),
            Application(
                "app_1",
                "cus_1",
                "inv_2",
                SourceKind.PAYMENT,
                "pay_1",
                Money.of("7", "USD"),
                T0 + timedelta(seconds=1),
            ),
            Application(
                "app_3", "cus_1", "inv_1", SourceKind.CREDIT_NOTE, "crn_1", Money.of("1", "USD"), T0
            ),
        ]
        with backend.unit_of_work() as uow:
            for row in rows:
                uow.applications.add(row)
        with backend.unit_of_work(readonly=True) as uow:
            assert uow.applications.for_source("pay_1") == rows[:2]
            assert uow.applications.for_invoice("inv_1") == [rows[0], rows[2]]
            assert uow.applications.for_invoice("inv_missing") == []


class RefundsContract(ContractBase):
    """Refunds by id and by what they pay back."""

    def test_refunds_by_source(self, backend: Backend[Store]) -> None:
        self._program(backend)
        rows = [
            Refund(
                f"ref_{i}",
                "cus_1",
                f"RF-00000{i}",
                Money.of(str(i), "USD"),
                SourceKind.PAYMENT,
                "pay_1",
                RefundMethod.ORIGINAL if i == 1 else RefundMethod.CHEQUE,
                T0 + timedelta(minutes=i),
                "team@vendor.example",
                reference=None if i == 1 else "CHQ 7",
            )
            for i in (1, 2)
        ]
        with backend.unit_of_work() as uow:
            for row in rows:
                uow.refunds.add(row)
        with backend.unit_of_work(readonly=True) as uow:
            assert uow.refunds.get("ref_2") == rows[1]
            assert uow.refunds.for_source("pay_1") == rows
            assert uow.refunds.for_source("pay_2") == []


class LedgerContract(ContractBase):
    """The ledger: sums and counts by the storage, keyset batches in (at, id) order."""

    def _entries(self, backend: Backend[Store], n: int) -> list[LedgerEntry]:
        self._program(backend)
        rows = [
            LedgerEntry(
                id=f"led_{i:04d}",
                customer_id="cus_1",
                # Two entries per instant: the id orders them.
                at=T0 + timedelta(hours=i // 2),
                kind=EntryKind.INVOICE if i % 3 else EntryKind.PAYMENT,
                document_id=f"doc_{i}",
                reference=f"INV-{i:06d}",
                description=f"Entry {i}",
                amount=Money.of(str(i if i % 3 else -i), "USD"),
            )
            for i in range(n)
        ]
        with backend.unit_of_work() as uow:
            for row in rows:
                uow.ledger.add(row)
            uow.ledger.add(
                attrs.evolve(
                    rows[0], id="led_eur", document_id="d_eur", amount=Money.of("9", "EUR")
                )
            )
            uow.ledger.add(
                attrs.evolve(rows[0], id="led_other", document_id="d_o", customer_id="cus_2")
            )
        return rows

    def test_totals_are_sums_and_counts_within_the_bounds(self, backend: Backend[Store]) -> None:
        rows = self._entries(backend, 12)
        with backend.unit_of_work(readonly=True) as uow:
            total = sum((r.amount for r in rows), Money.zero("USD"))
            assert uow.ledger.total("cus_1", "USD") == (total, 12)
            start, end = T0 + timedelta(hours=1), T0 + timedelta(hours=4)
            inside = [r for r in rows if start <= r.at < end]
            assert uow.ledger.total("cus_1", "USD", start, end) == (
                sum((r.amount for r in inside), Money.zero("USD")),
                len(inside),
            )
            before = [r for r in rows if r.at < start]
            assert uow.ledger.total("cus_1", "USD", None, start)[1] == len(before)
            assert uow.ledger.total("cus_1", "JPY") == (Money.zero("JPY"), 0)
            assert uow.ledger.currencies("cus_1") == ["EUR", "USD"]
            assert uow.ledger.currencies("cus_missing") == []

    def test_entries_come_in_keyset_batches(self, backend: Backend[Store]) -> None:
        rows = self._entries(backend, 11)
        start, end = T0, T0 + timedelta(hours=5)
        expected = [r for r in rows if r.at < end]
        got: list[LedgerEntry] = []
        after: tuple[datetime, str] | None = None
        with backend.unit_of_work(readonly=True) as uow:
            while True:
                batch = list(uow.ledger.entries("cus_1", "USD", start, end, after=after, limit=3))
                got.extend(batch)
                if len(batch) < 3:
                    break
                after = (batch[-1].at, batch[-1].id)
        assert got == expected

    def test_a_removed_entry_is_gone_and_a_document_has_one_entry(
        self, backend: Backend[Store]
    ) -> None:
        rows = self._entries(backend, 3)
        with backend.unit_of_work() as uow:
            uow.ledger.remove("doc_1")
            uow.ledger.remove("doc_missing")
        with backend.unit_of_work() as uow:
            assert uow.ledger.total("cus_1", "USD")[1] == 2
            with pytest.raises(IntegrityViolationError):
                uow.ledger.add(attrs.evolve(rows[0], id="led_again"))
