"""Billing's races (issue 10), 8 concurrent writers on PostgreSQL and MariaDB: invoice numbers
without gap or duplicate, payers that never overpay an invoice, refunds and credits that never
exceed what is left, one payment per idempotency key. Every writer first locks the customer's
billing account (FOR UPDATE), then the rows it checks."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from racing import race as race_threads
from racing import said

import partnerkit as pk
from partnerkit.backends.sql import SqlBackend
from partnerkit.billing.errors import InvalidInvoiceTransitionError, RefundExceedsAvailableError
from partnerkit.testing.databases import wipe

STAFF = pk.Principal.staff("billing@vendor.example")
WRITERS = 8
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def usd(amount: str) -> pk.Money:
    return pk.Money.of(amount, "USD")


@pytest.fixture
def kit(server: tuple[str, SqlBackend]) -> pk.Kit:
    wipe(server[1])
    return pk.Kit(server[1], clock=pk.SimulatedClock(T0))


@pytest.fixture
def acme(kit: pk.Kit) -> pk.Customer:
    return kit.customers.create(name="Acme", admin_email="it@acme.example", actor=STAFF)


def race(attempt: Callable[[int], object]) -> tuple[list[object], list[BaseException]]:
    return race_threads(WRITERS, attempt)


def line(price: str) -> pk.InvoiceLine:
    return pk.InvoiceLine.of("CRM seats", 1, usd(price))


def test_concurrent_creators_leave_no_gap_and_no_duplicate(kit: pk.Kit, acme: pk.Customer) -> None:
    # The first invoice of the account: no billing account row exists yet to lock.
    wins, errors = race(
        lambda i: kit.billing.create_invoice(acme.id, [line(str(i + 1))], actor=STAFF)
    )
    assert not errors, said(errors)
    numbers = sorted(i.number for i in wins)  # type: ignore[attr-defined]
    assert numbers == [f"INV-{n:06d}" for n in range(1, WRITERS + 1)]
    wins, errors = race(
        lambda i: kit.billing.create_invoice(acme.id, [line("1")], issue=True, actor=STAFF)
    )
    assert not errors, said(errors)
    stored = kit.billing.invoices(acme.id, limit=100, actor=STAFF)
    assert sorted(i.sequence for i in stored) == list(range(1, 2 * WRITERS + 1))


def test_concurrent_payers_never_overpay_an_invoice(kit: pk.Kit, acme: pk.Customer) -> None:
    invoice = kit.billing.create_invoice(acme.id, [line("100")], issue=True, actor=STAFF)
    # Eight payments of 30 USD naming one 100 USD invoice: it takes 100 from the first four,
    # the fourth's other 20 USD is credit, and the later ones find it paid: refused, since
    # a paid invoice takes no payment.
    wins, errors = race(
        lambda i: kit.billing.record_payment(
            acme.id,
            usd("30"),
            method=pk.PaymentMethodKind.BANK_TRANSFER,
            invoice_ids=[invoice.id],
            actor=STAFF,
        )
    )
    assert len(wins) == 4, errors
    assert all(isinstance(e, InvalidInvoiceTransitionError) for e in errors), errors
    paid = kit.billing.get_invoice(invoice.id, actor=STAFF)
    assert (paid.status, paid.amount_paid, paid.balance_due) == (
        pk.InvoiceStatus.PAID,
        usd("100"),
        usd("0"),
    )
    assert kit.billing.available_credits(acme.id, actor=STAFF) == [usd("20")]
    assert kit.billing.balance(acme.id, currency="USD", actor=STAFF) == usd("-20")
    # Without naming it, all eight are taken: the rest of the money is credit.
    wins, errors = race(
        lambda i: kit.billing.record_payment(
            acme.id, usd("30"), method=pk.PaymentMethodKind.CASH, actor=STAFF
        )
    )
    assert len(wins) == WRITERS, errors
    assert kit.billing.available_credits(acme.id, actor=STAFF) == [usd("260")]
    assert len(kit.outbox(topic="billing.invoice_paid")) == 1


def test_concurrent_refunds_never_exceed_what_is_left(kit: pk.Kit, acme: pk.Customer) -> None:
    kit.billing.create_invoice(acme.id, [line("70")], issue=True, actor=STAFF)
    payment = kit.billing.record_payment(
        acme.id, usd("100"), method=pk.PaymentMethodKind.CASH, actor=STAFF
    )
    # 30 USD is left of it: eight refunds of 10 USD, three fit.
    wins, errors = race(lambda i: kit.billing.refund_payment(payment.id, usd("10"), actor=STAFF))
    assert len(wins) == 3, errors
    assert all(isinstance(e, RefundExceedsAvailableError) for e in errors), errors
    stored = kit.billing.get_payment(payment.id, actor=STAFF)
    assert (stored.unapplied, stored.refunded) == (usd("0"), usd("30"))


def test_concurrent_invoice_refunds_never_pay_back_more_than_paid_it(
    kit: pk.Kit, acme: pk.Customer
) -> None:
    invoice = kit.billing.create_invoice(acme.id, [line("100")], issue=True, actor=STAFF)
    payment = kit.billing.record_payment(
        acme.id,
        usd("100"),
        method=pk.PaymentMethodKind.BANK_TRANSFER,
        invoice_ids=[invoice.id],
        actor=STAFF,
    )
    # Eight refunds of 30 USD of one 100 USD invoice: three fit, five must not.
    wins, errors = race(
        lambda i: kit.billing.refund_invoice(
            invoice.id, usd("30"), reason="Seats returned", actor=STAFF
        )
    )
    assert len(wins) == 3, said(errors)
    assert all(isinstance(e, RefundExceedsAvailableError) for e in errors), said(errors)
    assert kit.billing.get_invoice(invoice.id, actor=STAFF).refunded == usd("90")
    assert kit.billing.get_payment(payment.id, actor=STAFF).refunded == usd("90")
    assert kit.billing.balance(acme.id, currency="USD", actor=STAFF) == usd("0")


def test_concurrent_credits_never_pay_beyond_the_balance(kit: pk.Kit, acme: pk.Customer) -> None:
    invoices = [
        kit.billing.create_invoice(acme.id, [line("25")], issue=True, actor=STAFF)
        for _ in range(WRITERS)
    ]
    kit.billing.issue_credit_note(acme.id, usd("60"), reason="Goodwill", actor=STAFF)
    wins, errors = race(lambda i: kit.billing.apply_credits(invoices[i].id, actor=STAFF))
    # 60 USD of credit covers two invoices and 10 USD of a third; the rest find none.
    assert len(wins) == 3, errors
    settled = sum(
        (kit.billing.get_invoice(i.id, actor=STAFF).credits_applied for i in invoices), usd("0")
    )
    assert settled == usd("60")
    assert kit.billing.available_credits(acme.id, actor=STAFF) == []


def test_one_idempotency_key_records_one_payment(kit: pk.Kit, acme: pk.Customer) -> None:
    wins, errors = race(
        lambda i: kit.billing.record_payment(
            acme.id,
            usd("42"),
            method=pk.PaymentMethodKind.BANK_TRANSFER,
            idempotency_key="bt-777",
            actor=STAFF,
        )
    )
    assert not errors, said(errors)
    assert len({p.id for p in wins}) == 1  # type: ignore[attr-defined]
    assert len(kit.billing.payments(acme.id, actor=STAFF)) == 1


def test_concurrent_online_payers_with_one_key_make_exactly_one_charge(
    server: tuple[str, SqlBackend], acme: pk.Customer
) -> None:
    # The payment row with its key is written, and committed, before the gateway is called:
    # the unique key lets one of the eight write it; the others find it and never charge.
    clock = pk.SimulatedClock(T0)
    gateway = pk.FakePaymentGateway(clock=clock, latency=0.05)
    kit = pk.Kit(server[1], clock=clock, payment_gateway=gateway)
    kit.billing.create_tax_rate("VAT", "20", default=True, actor=STAFF)
    invoice = kit.billing.create_invoice(acme.id, [line("100")], issue=True, actor=STAFF)
    method = kit.billing.add_payment_method(
        acme.id, gateway.tokenize("4242 4242 4242 4242", 12, 2030), actor=STAFF
    )
    wins, errors = race(
        lambda i: kit.billing.pay(
            [invoice.id], method_id=method.id, idempotency_key="checkout-1", actor=STAFF
        )
    )
    assert not errors, said(errors)
    assert len({p.id for p in wins}) == 1  # type: ignore[attr-defined]
    assert len(gateway.charges) == 1
    assert len(gateway.received) == 1
    [payment] = kit.billing.payments(acme.id, actor=STAFF)
    assert payment.status is pk.PaymentStatus.SUCCEEDED
    paid = kit.billing.get_invoice(invoice.id, actor=STAFF)
    assert (paid.status, paid.amount_paid) == (pk.InvoiceStatus.PAID, usd("120"))


def test_concurrent_online_payers_with_their_own_keys_are_charged_once_for_an_invoice(
    server: tuple[str, SqlBackend], acme: pk.Customer
) -> None:
    # Eight payers, eight keys and cards, one invoice: the first writes its payment, unknown
    # until the gateway answers; the others find it in progress and are refused, so the
    # customer is charged once. Afterwards the invoice is paid, and nothing is credit.
    clock = pk.SimulatedClock(T0)
    gateway = pk.FakePaymentGateway(clock=clock, latency=0.05)
    kit = pk.Kit(server[1], clock=clock, payment_gateway=gateway)
    kit.billing.create_tax_rate("VAT", "20", default=True, actor=STAFF)
    invoice = kit.billing.create_invoice(acme.id, [line("100")], issue=True, actor=STAFF)
    cards = [gateway.tokenize("4242 4242 4242 4242", 12, 2030) for _ in range(WRITERS)]
    wins, errors = race(
        lambda i: kit.billing.pay(
            [invoice.id], card=cards[i], idempotency_key=f"payer-{i}", actor=STAFF
        )
    )
    assert len(gateway.charges) == 1
    assert len(wins) == 1, errors
    codes = {e.code for e in errors}  # type: ignore[attr-defined]
    # Refused while the first waits for the gateway, or after it: the invoice is paid.
    assert codes <= {"billing.payment_in_progress", "billing.invalid_transition"}, errors
    paid = kit.billing.get_invoice(invoice.id, actor=STAFF)
    assert (paid.status, paid.amount_paid) == (pk.InvoiceStatus.PAID, usd("120"))
    assert kit.billing.available_credits(acme.id, actor=STAFF) == []
