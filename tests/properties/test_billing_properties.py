"""Billing's invariants over random sequences of invoices, payments, credits and refunds
(issue 10's acceptance), in JPY (0 decimals), USD (2) and KWD (3):

- a customer's balance is always invoices - payments - credit notes + refunds;
- no invoice is ever paid beyond its total, and its balance is what is left;
- no cent is lost or made: each payment is what it paid + its credit + its refunds, each
  credit note likewise, and available credit is what they have left;
- a statement's closing is its opening plus its movements, and the next period opens where
  the last one closed.
"""

from __future__ import annotations

import tempfile
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import partnerkit as pk
from partnerkit.errors import PartnerkitError

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
STAFF = pk.Principal.staff("billing@vendor.example")

OPERATIONS = st.sampled_from(
    [
        "invoice",
        "draft",
        "pay",
        "pay_named",
        "credit",
        "credit_against",
        "apply",
        "refund",
        "refund_note",
        "refund_invoice",
        "void",
        "tick",
    ]
)


def check(kit: pk.Kit, customer_id: str, currency: str, expected_balance: pk.Money) -> None:
    invoices = kit.billing.invoices(customer_id, limit=500, actor=STAFF)
    for invoice in invoices:
        settled = invoice.amount_paid + invoice.credits_applied
        assert settled <= invoice.total, invoice
        if invoice.status is pk.InvoiceStatus.VOID:
            assert invoice.balance_due.is_zero and settled.is_zero
        else:
            assert invoice.balance_due == invoice.total - settled
        if invoice.status is pk.InvoiceStatus.PAID:
            assert invoice.balance_due.is_zero
        if invoice.status in (pk.InvoiceStatus.PARTIALLY_PAID,):
            assert settled.is_positive and invoice.balance_due.is_positive
    assert kit.billing.balance(customer_id, currency=currency, actor=STAFF) == expected_balance


@pytest.mark.parametrize("currency", ["JPY", "USD", "KWD"])
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_random_billing_keeps_every_balance(currency: str, data: st.DataObject) -> None:
    run(currency, data, "memory://")


@pytest.mark.parametrize("currency", ["JPY", "KWD"])
@settings(
    max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_random_billing_keeps_every_balance_on_sqlite(currency: str, data: st.DataObject) -> None:
    # The same sequences on SQL: a few, for the SQL repositories' sums and keyset batches
    # (the conformance suite holds every backend to the same answers).
    with tempfile.TemporaryDirectory() as scratch:
        run(currency, data, f"sqlite:///{Path(scratch) / 'billing.db'}")


def run(currency: str, data: st.DataObject, url: str) -> None:
    clock = pk.SimulatedClock(START)
    kit = pk.connect(url, clock=clock)
    kit.migrate()
    acme = kit.customers.create(name="Acme", admin_email="it@acme.example", actor=STAFF)
    zero = pk.Money.zero(currency)
    units = st.integers(min_value=1, max_value=50_000)

    def money(n: int) -> pk.Money:
        return pk.Money.from_minor(n, currency)

    invoiced = paid = credited = refunded = zero
    issued: list[pk.Invoice] = []
    payments: list[pk.Payment] = []
    notes: list[pk.CreditNote] = []
    codes: list[str] = []
    for _ in range(data.draw(st.integers(min_value=1, max_value=25), label="steps")):
        op = data.draw(OPERATIONS, label="op")
        try:
            if op in ("invoice", "draft"):
                lines = [
                    pk.InvoiceLine.of(
                        "Seats",
                        data.draw(st.integers(1, 5)),
                        money(data.draw(units)),
                        discount_percent=data.draw(st.sampled_from([None, 0, 10, 33])),
                        tax=data.draw(
                            st.sampled_from(
                                [
                                    None,
                                    pk.TaxRate("t1", "VAT", Decimal("20"), False, START),
                                    pk.TaxRate("t2", "GST", Decimal("7.5"), True, START),
                                ]
                            )
                        ),
                    )
                    for _ in range(data.draw(st.integers(1, 3)))
                ]
                invoice = kit.billing.create_invoice(
                    acme.id,
                    lines,
                    due_date=clock.now().date() + timedelta(days=data.draw(st.integers(0, 20))),
                    issue=op == "invoice",
                    actor=STAFF,
                )
                assert invoice.total.minor_units == sum(line.total.minor_units for line in lines)
                if op == "invoice":
                    invoiced += invoice.total
                    issued.append(invoice)
            elif op in ("pay", "pay_named"):
                amount = money(data.draw(units))
                named = None
                if op == "pay_named" and issued:
                    named = [data.draw(st.sampled_from(issued)).id]
                payment = kit.billing.record_payment(
                    acme.id,
                    amount,
                    method=pk.PaymentMethodKind.CASH,
                    invoice_ids=named,
                    actor=STAFF,
                )
                paid += amount
                payments.append(payment)
            elif op == "credit":
                amount = money(data.draw(units))
                notes.append(
                    kit.billing.issue_credit_note(acme.id, amount, reason="Goodwill", actor=STAFF)
                )
                credited += amount
            elif op == "credit_against" and issued:
                target = kit.billing.get_invoice(data.draw(st.sampled_from(issued)).id, actor=STAFF)
                amount = money(data.draw(st.integers(1, max(1, target.balance_due.minor_units))))
                notes.append(
                    kit.billing.issue_credit_note(
                        acme.id, amount, reason="Adjustment", invoice_id=target.id, actor=STAFF
                    )
                )
                credited += amount
            elif op == "apply" and issued:
                kit.billing.apply_credits(data.draw(st.sampled_from(issued)).id, actor=STAFF)
            elif op == "refund" and payments:
                source = data.draw(st.sampled_from(payments))
                amount = money(data.draw(units))
                kit.billing.refund_payment(source.id, amount, actor=STAFF)
                refunded += amount
            elif op == "refund_note" and notes:
                source_note = data.draw(st.sampled_from(notes))
                amount = money(data.draw(units))
                kit.billing.refund_credit_note(source_note.id, amount, actor=STAFF)
                refunded += amount
            elif op == "refund_invoice" and issued:
                target = data.draw(st.sampled_from(issued))
                amount = money(data.draw(units))
                kit.billing.refund_invoice(target.id, amount, reason="Returned", actor=STAFF)
                # A credit note against the invoice, paid out at once.
                credited += amount
                refunded += amount
            elif op == "void" and issued:
                target = data.draw(st.sampled_from(issued))
                voided = kit.billing.void_invoice(target.id, actor=STAFF)
                assert voided.status is pk.InvoiceStatus.VOID
                invoiced -= target.total
                issued.remove(target)
            elif op == "tick":
                kit.advance_to(clock.now() + timedelta(days=data.draw(st.integers(1, 15))))
        except PartnerkitError as refused:
            # A refusal (paying a paid invoice, a refund beyond what is left, voiding a paid
            # invoice, no credit to apply) changes nothing, which the invariants then check.
            codes.append(refused.code)
        check(kit, acme.id, currency, invoiced - paid - credited + refunded)

    assert all(code.startswith("billing.") for code in codes), codes
    # No cent lost or made: each payment is what it applied + what is left + its excess paid
    # back; what went back of its invoice parts is never more than they were.
    from_invoices = zero
    for payment in kit.billing.payments(acme.id, limit=500, actor=STAFF):
        receipt = kit.billing.receipt(payment.id, actor=STAFF)
        applied = sum((line.amount for line in receipt.lines), zero)
        excess_back = payment.amount - applied - payment.unapplied
        assert zero <= excess_back <= payment.refunded
        assert payment.refunded - excess_back <= applied
        from_invoices += payment.refunded - excess_back
    every = kit.billing.invoices(acme.id, limit=500, actor=STAFF)
    assert sum((i.refunded for i in every), zero) == from_invoices
    assert all(i.refunded <= i.amount_paid + i.credits_applied for i in every)
    credit_left = sum(
        (p.unapplied for p in kit.billing.payments(acme.id, limit=500, actor=STAFF)), zero
    )
    available = sum(kit.billing.available_credits(acme.id, actor=STAFF), zero)
    # What credit notes have left is the rest of the available credit, never below zero.
    assert available >= credit_left

    # Statements: split the history at random days; each opens where the last one closed.
    end = clock.now().date()
    cuts = sorted(set(data.draw(st.lists(st.integers(0, (end - START.date()).days), max_size=4))))
    starts = [START.date() - timedelta(days=1)] + [START.date() + timedelta(days=c) for c in cuts]
    bounds = sorted(set(starts))
    closing = zero
    for i, first in enumerate(bounds):
        last = bounds[i + 1] - timedelta(days=1) if i + 1 < len(bounds) else end
        if last < first:
            continue
        header, entries = kit.billing.statement(
            acme.id, first, last, currency=currency, actor=STAFF
        )
        assert header.opening == closing
        running = header.opening
        count = 0
        for entry in entries:
            movement = (entry.debit or zero) - (entry.credit or zero)
            assert (entry.debit is None) != (entry.credit is None)
            running += movement
            assert entry.balance == running
            count += 1
        assert (header.closing, header.entry_count) == (running, count)
        closing = header.closing
    assert closing == invoiced - paid - credited + refunded
    kit.close()


def test_a_long_statement_reads_in_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    from partnerkit.billing import service

    monkeypatch.setattr(service, "STATEMENT_BATCH", 7)
    clock = pk.SimulatedClock(START)
    kit = pk.connect("memory://", clock=clock)
    acme = kit.customers.create(name="Acme", admin_email="it@acme.example", actor=STAFF)
    for i in range(30):
        kit.billing.record_payment(
            acme.id, pk.Money.of(str(i + 1), "USD"), method=pk.PaymentMethodKind.CASH, actor=STAFF
        )
        if i % 3 == 0:
            clock.advance(timedelta(hours=1))
    header, entries = kit.billing.statement(
        acme.id, date(2026, 1, 1), date(2026, 1, 31), actor=STAFF
    )
    got = list(entries)
    assert len(got) == header.entry_count == 30
    assert [e.credit for e in got] == [pk.Money.of(str(i + 1), "USD") for i in range(30)]
    assert got[-1].balance == header.closing == -pk.Money.of(str(30 * 31 // 2), "USD")
