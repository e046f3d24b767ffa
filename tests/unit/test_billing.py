"""kit.billing through the public API, on memory and SQLite (issue 10): invoices with tax,
offline payments, partial payments and overpayment as credit, credit notes, refunds, the
overdue job, statements and receipts; who may do what; bad input stores nothing.

003_9950710e2377ac79.txt, "Track Payments Made": "This includes both the online payments as
well as the offline payments you've recorded for them"; "Home": "Available Credits: The total
amount that you owe your customer."
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

import partnerkit as pk
from partnerkit.billing.errors import (
    AmountNotPositiveError,
    CreditExceedsBalanceError,
    CreditNoteNotFoundError,
    CurrencyRequiredError,
    IdempotencyConflictError,
    InvalidInvoiceTransitionError,
    InvoiceHasPaymentsError,
    InvoiceNotFoundError,
    NoCreditAvailableError,
    PaymentNotFoundError,
    RefundExceedsAvailableError,
    TaxRateTakenError,
    WrongCurrencyError,
)
from partnerkit.billing.events import InvoicePaid, PaymentRecorded
from partnerkit.customers.errors import CustomerNotFoundError
from partnerkit.errors import InvalidInputError, PartnerkitError, PermissionDeniedError

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
STAFF = pk.Principal.staff("billing@vendor.example")
CASH = pk.PaymentMethodKind.CASH
BANK = pk.PaymentMethodKind.BANK_TRANSFER


def usd(amount: str) -> pk.Money:
    return pk.Money.of(amount, "USD")


@pytest.fixture(params=["memory", "sqlite"])
def kit(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[pk.Kit]:
    url = "memory://" if request.param == "memory" else f"sqlite:///{tmp_path / 'billing.db'}"
    kit = pk.connect(url, clock=pk.SimulatedClock(START), mailer=pk.InMemoryMailer())
    kit.migrate()
    yield kit
    kit.close()


@pytest.fixture
def acme(kit: pk.Kit) -> pk.Customer:
    return kit.customers.create(name="Acme", admin_email="it@acme.example", actor=STAFF)


@pytest.fixture
def globex(kit: pk.Kit) -> pk.Customer:
    return kit.customers.create(name="Globex", admin_email="it@globex.example", actor=STAFF)


def admin_of(customer: pk.Customer) -> pk.Principal:
    return pk.Principal.customer_user(customer.id, customer.users[0].email)


def seats(n: int, price: str = "50.00", tax: pk.TaxRate | None = None) -> pk.InvoiceLine:
    return pk.InvoiceLine.of("CRM seats", n, usd(price), tax=tax)


def snapshot(kit: pk.Kit, *customers: pk.Customer) -> object:
    """Everything billing stores about the customers, as the public API reads it."""
    state = []
    for c in customers:
        state.append(
            (
                kit.billing.invoices(c.id, limit=500, actor=STAFF),
                kit.billing.payments(c.id, limit=500, actor=STAFF),
                kit.billing.available_credits(c.id, actor=STAFF),
                kit.billing.balance(c.id, currency="USD", actor=STAFF),
                kit.billing.dashboard(c.id, actor=STAFF),
            )
        )
    # A denial is audited (an access.denied event survives the refused change); nothing else.
    others = [m for m in kit.outbox() if m.topic != "access.denied"]
    return state, len(others), kit.billing.tax_rates(actor=STAFF)


def refused_leaves_nothing(
    kit: pk.Kit,
    customers: tuple[pk.Customer, ...],
    error: type[PartnerkitError],
    call: Callable[[], object],
) -> PartnerkitError:
    before = snapshot(kit, *customers)
    with pytest.raises(error) as refused:
        call()
    assert snapshot(kit, *customers) == before
    return refused.value


# --- the seed's flow ------------------------------------------------------------------------


def test_an_invoice_with_tax_paid_in_part_then_in_full_turns_paid_and_notifies(
    kit: pk.Kit, acme: pk.Customer
) -> None:
    vat = kit.billing.create_tax_rate("VAT", "20", default=True, actor=STAFF)
    assert kit.billing.default_tax(actor=STAFF) == vat
    invoice = kit.billing.create_invoice(acme.id, [seats(3)], actor=STAFF)
    # A line without a tax of its own gets the organisation's default.
    assert (invoice.number, invoice.status, invoice.total) == (
        "INV-000001",
        pk.InvoiceStatus.DRAFT,
        usd("180.00"),
    )
    assert (invoice.subtotal, invoice.tax_total) == (usd("150.00"), usd("30.00"))
    assert invoice.due_date == START.date() + timedelta(days=30)
    sent = kit.billing.issue_invoice(invoice.id, actor=STAFF)
    assert sent.status is pk.InvoiceStatus.SENT
    part = kit.billing.record_payment(acme.id, usd("80"), method=CASH, actor=STAFF)
    assert part.unapplied == usd("0")
    after = kit.billing.get_invoice(invoice.id, actor=admin_of(acme))
    assert (after.status, after.amount_paid, after.balance_due) == (
        pk.InvoiceStatus.PARTIALLY_PAID,
        usd("80.00"),
        usd("100.00"),
    )
    assert kit.outbox(topic="billing.invoice_paid") == []
    rest = kit.billing.record_payment(
        acme.id, usd("100"), method=pk.PaymentMethodKind.CHEQUE, reference="CHQ 1042", actor=STAFF
    )
    paid = kit.billing.get_invoice(invoice.id, actor=STAFF)
    assert (paid.status, paid.balance_due, paid.paid_at) == (
        pk.InvoiceStatus.PAID,
        usd("0.00"),
        kit.now(),
    )
    # "you will be notified about it and the status of the invoice will turn to Paid"
    [notice] = kit.outbox(topic="billing.invoice_paid")
    event = pk.from_dict(notice.payload, InvoicePaid)
    assert (event.invoice_id, event.number, event.total) == (invoice.id, "INV-000001", usd("180"))
    recorded = [
        pk.from_dict(m.payload, PaymentRecorded)
        for m in kit.outbox(topic="billing.payment_recorded")
    ]
    assert [r.payment_id for r in recorded] == [part.id, rest.id]
    assert recorded[1].applied[0].invoice_number == "INV-000001"
    assert kit.billing.balance(acme.id, currency="USD", actor=STAFF) == usd("0")


def test_an_overpayment_becomes_available_credit_and_pays_the_next_invoice(
    kit: pk.Kit, acme: pk.Customer
) -> None:
    first = kit.billing.create_invoice(acme.id, [seats(1)], issue=True, actor=STAFF)
    payment = kit.billing.record_payment(acme.id, usd("80"), method=BANK, actor=STAFF)
    assert payment.unapplied == usd("30")
    assert kit.billing.get_invoice(first.id, actor=STAFF).status is pk.InvoiceStatus.PAID
    assert kit.billing.available_credits(acme.id, actor=admin_of(acme)) == [usd("30")]
    assert kit.billing.balance(acme.id, currency="USD", actor=STAFF) == usd("-30")
    second = kit.billing.create_invoice(acme.id, [seats(1, "20")], issue=True, actor=STAFF)
    applied = kit.billing.apply_credits(second.id, actor=admin_of(acme))
    assert (applied.status, applied.credits_applied) == (pk.InvoiceStatus.PAID, usd("20"))
    assert kit.billing.available_credits(acme.id, actor=STAFF) == [usd("10")]
    receipt = kit.billing.receipt(payment.id, actor=admin_of(acme))
    assert [(line.invoice_number, line.amount) for line in receipt.lines] == [
        ("INV-000001", usd("50")),
        ("INV-000002", usd("20")),
    ]
    assert (receipt.number, receipt.method, receipt.to_credit) == (
        "PAY-000001",
        "Bank transfer",
        usd("10"),
    )


def test_payments_go_to_the_oldest_due_invoice_first(kit: pk.Kit, acme: pk.Customer) -> None:
    later = kit.billing.create_invoice(
        acme.id, [seats(1)], due_date=date(2026, 3, 1), issue=True, actor=STAFF
    )
    sooner = kit.billing.create_invoice(
        acme.id, [seats(1)], due_date=date(2026, 2, 1), issue=True, actor=STAFF
    )
    kit.billing.record_payment(acme.id, usd("70"), method=CASH, actor=STAFF)
    assert kit.billing.get_invoice(sooner.id, actor=STAFF).status is pk.InvoiceStatus.PAID
    assert kit.billing.get_invoice(later.id, actor=STAFF).balance_due == usd("30")
    # Naming an invoice pays that one.
    kit.billing.record_payment(acme.id, usd("30"), method=CASH, invoice_ids=[later.id], actor=STAFF)
    assert kit.billing.get_invoice(later.id, actor=STAFF).status is pk.InvoiceStatus.PAID


def test_numbers_run_per_customer_without_gaps(
    kit: pk.Kit, acme: pk.Customer, globex: pk.Customer
) -> None:
    numbers = []
    for customer in (acme, globex, acme):
        numbers.append(kit.billing.create_invoice(customer.id, [seats(1)], actor=STAFF).number)
    # A refused creation takes no number.
    with pytest.raises(InvalidInputError):
        kit.billing.create_invoice(acme.id, [seats(1)], due_date=date(2020, 1, 1), actor=STAFF)
    numbers.append(kit.billing.create_invoice(acme.id, [seats(1)], actor=STAFF).number)
    assert numbers == ["INV-000001", "INV-000001", "INV-000002", "INV-000003"]
    p = kit.billing.record_payment(globex.id, usd("1"), method=CASH, actor=STAFF)
    note = kit.billing.issue_credit_note(globex.id, usd("1"), reason="Goodwill", actor=STAFF)
    refund = kit.billing.refund_payment(p.id, usd("1"), actor=STAFF)
    assert (p.number, note.number, refund.number) == ("PAY-000001", "CN-000001", "RF-000001")


def test_a_credit_note_against_an_invoice_pays_it_down_and_a_standalone_one_is_credit(
    kit: pk.Kit, acme: pk.Customer
) -> None:
    invoice = kit.billing.create_invoice(acme.id, [seats(2)], issue=True, actor=STAFF)
    note = kit.billing.issue_credit_note(
        acme.id, usd("30"), reason="Two seats unused in March", invoice_id=invoice.id, actor=STAFF
    )
    assert note.unapplied == usd("0")
    credited = kit.billing.get_invoice(invoice.id, actor=STAFF)
    assert (credited.status, credited.credits_applied, credited.balance_due) == (
        pk.InvoiceStatus.PARTIALLY_PAID,
        usd("30"),
        usd("70"),
    )
    refused_leaves_nothing(
        kit,
        (acme,),
        CreditExceedsBalanceError,
        lambda: kit.billing.issue_credit_note(
            acme.id, usd("70.01"), reason="Too much", invoice_id=invoice.id, actor=STAFF
        ),
    )
    loose = kit.billing.issue_credit_note(acme.id, usd("25"), reason="Goodwill", actor=STAFF)
    assert kit.billing.available_credits(acme.id, actor=STAFF) == [usd("25")]
    refund = kit.billing.refund_credit_note(loose.id, usd("5"), reference="BT 77", actor=STAFF)
    assert refund.method is pk.RefundMethod.BANK_TRANSFER
    refused_leaves_nothing(
        kit,
        (acme,),
        RefundExceedsAvailableError,
        lambda: kit.billing.refund_credit_note(loose.id, usd("20.01"), actor=STAFF),
    )
    kit.billing.apply_credits(invoice.id, amount=usd("15"), actor=STAFF)
    assert kit.billing.get_invoice(invoice.id, actor=STAFF).balance_due == usd("55")
    assert kit.billing.available_credits(acme.id, actor=STAFF) == [usd("5")]
    # invoices - payments - credits + refunds
    assert kit.billing.balance(acme.id, currency="USD", actor=STAFF) == usd("100") - usd(
        "55"
    ) + usd("5")


def test_a_refund_never_exceeds_what_is_left_of_the_payment(kit: pk.Kit, acme: pk.Customer) -> None:
    kit.billing.create_invoice(acme.id, [seats(1)], issue=True, actor=STAFF)
    payment = kit.billing.record_payment(acme.id, usd("60"), method=CASH, actor=STAFF)
    refund = kit.billing.refund_payment(payment.id, usd("4"), actor=STAFF)
    assert (refund.amount, refund.method, refund.source_id) == (
        usd("4"),
        pk.RefundMethod.ORIGINAL,
        payment.id,
    )
    refused_leaves_nothing(
        kit,
        (acme,),
        RefundExceedsAvailableError,
        lambda: kit.billing.refund_payment(payment.id, usd("6.01"), actor=STAFF),
    )
    kit.billing.refund_payment(payment.id, usd("6"), method=pk.RefundMethod.CASH, actor=STAFF)
    stored = kit.billing.get_payment(payment.id, actor=STAFF)
    assert (stored.unapplied, stored.refunded) == (usd("0"), usd("10"))
    assert kit.outbox(topic="billing.payment_refunded")[-1].payload["amount"] == {
        "amount": "6.00",
        "currency": "USD",
    }


def test_money_that_paid_an_invoice_is_refunded_with_a_credit_note_against_it(
    kit: pk.Kit, acme: pk.Customer, globex: pk.Customer
) -> None:
    # Two payments paid the 100 USD invoice; the refund pays back the newest first.
    invoice = kit.billing.create_invoice(acme.id, [seats(2)], issue=True, actor=STAFF)
    first = kit.billing.record_payment(
        acme.id, usd("70"), method=BANK, invoice_ids=[invoice.id], actor=STAFF
    )
    second = kit.billing.record_payment(
        acme.id, usd("30"), method=CASH, invoice_ids=[invoice.id], actor=STAFF
    )
    refund = kit.billing.refund_invoice(
        invoice.id,
        usd("40"),
        reason="One seat returned",
        method=BANK,
        reference="BT-9",
        actor=STAFF,
    )
    assert (refund.amount, refund.method, refund.reference) == (usd("40"), BANK, "BT-9")
    stored = kit.billing.get_invoice(invoice.id, actor=STAFF)
    # Still paid, still settled: what came back was credited against it.
    assert (stored.status, stored.balance_due, stored.refunded) == (
        pk.InvoiceStatus.PAID,
        usd("0"),
        usd("40"),
    )
    paid_back = {p.id: p.refunded for p in kit.billing.payments(acme.id, actor=STAFF)}
    assert paid_back == {second.id: usd("30"), first.id: usd("10")}
    # invoices - payments - credits + refunds: 100 - 100 - 40 + 40
    assert kit.billing.balance(acme.id, currency="USD", actor=STAFF) == usd("0")
    _, entries = kit.billing.statement(
        acme.id, START.date(), START.date() + timedelta(days=1), actor=STAFF
    )
    assert [(e.kind.value, e.balance) for e in entries] == [
        ("invoice", usd("100")),
        ("payment", usd("30")),
        ("payment", usd("0")),
        ("credit_note", usd("-40")),
        ("refund", usd("0")),
    ]
    # Never beyond what paid it: 60 is left.
    refused_leaves_nothing(
        kit,
        (acme,),
        RefundExceedsAvailableError,
        lambda: kit.billing.refund_invoice(invoice.id, usd("60.01"), reason="x", actor=STAFF),
    )
    kit.billing.refund_invoice(invoice.id, usd("60"), reason="Cancelled", actor=STAFF)
    assert kit.billing.get_invoice(invoice.id, actor=STAFF).refunded == usd("100")
    refused_leaves_nothing(
        kit,
        (acme,),
        RefundExceedsAvailableError,
        lambda: kit.billing.refund_invoice(invoice.id, usd("0.01"), reason="x", actor=STAFF),
    )


def test_an_invoice_refund_refuses_bad_input_and_stores_nothing(
    kit: pk.Kit, acme: pk.Customer, globex: pk.Customer
) -> None:
    invoice = kit.billing.create_invoice(acme.id, [seats(2)], issue=True, actor=STAFF)
    unpaid = kit.billing.create_invoice(acme.id, [seats(1)], issue=True, actor=STAFF)
    kit.billing.record_payment(
        acme.id, usd("100"), method=BANK, invoice_ids=[invoice.id], actor=STAFF
    )
    # A credit note's part is no money received: only payments are paid back.
    kit.billing.issue_credit_note(
        acme.id, usd("10"), reason="Goodwill", invoice_id=unpaid.id, actor=STAFF
    )
    both = (acme, globex)
    cases: list[tuple[type[PartnerkitError], Callable[[], object]]] = [
        (
            AmountNotPositiveError,
            lambda: kit.billing.refund_invoice(invoice.id, usd("0"), reason="x", actor=STAFF),
        ),
        (
            WrongCurrencyError,
            lambda: kit.billing.refund_invoice(
                invoice.id, pk.Money.of("5", "EUR"), reason="x", actor=STAFF
            ),
        ),
        (
            RefundExceedsAvailableError,
            lambda: kit.billing.refund_invoice(unpaid.id, usd("1"), reason="x", actor=STAFF),
        ),
        (
            InvalidInputError,
            lambda: kit.billing.refund_invoice(invoice.id, usd("1"), reason=" ", actor=STAFF),
        ),
        (
            InvalidInputError,
            lambda: kit.billing.refund_invoice(
                invoice.id, usd("1"), reason="x", method="paypal", actor=STAFF
            ),
        ),  # type: ignore[arg-type]
        (
            InvoiceNotFoundError,
            lambda: kit.billing.refund_invoice("inv_nope", usd("1"), reason="x", actor=STAFF),
        ),
        (
            PermissionDeniedError,
            lambda: kit.billing.refund_invoice(
                invoice.id, usd("1"), reason="x", actor=admin_of(acme)
            ),
        ),
        (
            PermissionDeniedError,
            lambda: kit.billing.refund_invoice(
                invoice.id, usd("1"), reason="x", actor=admin_of(globex)
            ),
        ),
    ]
    for error, call in cases:
        refused_leaves_nothing(kit, both, error, call)


def test_an_idempotency_key_replays_the_first_payment(kit: pk.Kit, acme: pk.Customer) -> None:
    kit.billing.create_invoice(acme.id, [seats(1)], issue=True, actor=STAFF)
    first = kit.billing.record_payment(
        acme.id, usd("20"), method=BANK, idempotency_key="bt-2026-001", actor=STAFF
    )
    again = kit.billing.record_payment(
        acme.id, usd("20"), method=BANK, idempotency_key="bt-2026-001", actor=STAFF
    )
    assert again == first
    assert len(kit.billing.payments(acme.id, actor=STAFF)) == 1
    refused_leaves_nothing(
        kit,
        (acme,),
        IdempotencyConflictError,
        lambda: kit.billing.record_payment(
            acme.id, usd("21"), method=BANK, idempotency_key="bt-2026-001", actor=STAFF
        ),
    )


def test_run_due_marks_invoices_overdue_past_their_due_date(kit: pk.Kit, acme: pk.Customer) -> None:
    invoice = kit.billing.create_invoice(
        acme.id, [seats(1)], due_date=date(2026, 1, 10), issue=True, actor=STAFF
    )
    kit.billing.record_payment(acme.id, usd("10"), method=CASH, actor=STAFF)
    kit.advance_to(datetime(2026, 1, 10, 23, 59, tzinfo=UTC))
    assert (
        kit.billing.get_invoice(invoice.id, actor=STAFF).status is pk.InvoiceStatus.PARTIALLY_PAID
    )
    kit.advance_to(datetime(2026, 1, 11, 0, 0, tzinfo=UTC))
    overdue = kit.billing.get_invoice(invoice.id, actor=STAFF)
    assert overdue.status is pk.InvoiceStatus.OVERDUE
    assert [m.payload["number"] for m in kit.outbox(topic="billing.invoice_overdue")] == [
        "INV-000001"
    ]
    assert kit.run_due().handled["invoices_overdue"] == 0
    kit.billing.record_payment(acme.id, usd("40"), method=CASH, actor=STAFF)
    assert kit.billing.get_invoice(invoice.id, actor=STAFF).status is pk.InvoiceStatus.PAID


def test_voiding_takes_the_invoice_off_the_statement(kit: pk.Kit, acme: pk.Customer) -> None:
    invoice = kit.billing.create_invoice(acme.id, [seats(1)], issue=True, actor=STAFF)
    voided = kit.billing.void_invoice(invoice.id, actor=STAFF)
    assert (voided.status, voided.balance_due) == (pk.InvoiceStatus.VOID, usd("0"))
    header, entries = kit.billing.statement(acme.id, START.date(), START.date(), actor=STAFF)
    assert (header.entry_count, list(entries)) == (0, [])
    refused_leaves_nothing(
        kit,
        (acme,),
        InvalidInvoiceTransitionError,
        lambda: kit.billing.void_invoice(invoice.id, actor=STAFF),
    )
    paid_part = kit.billing.create_invoice(acme.id, [seats(1)], issue=True, actor=STAFF)
    kit.billing.record_payment(acme.id, usd("1"), method=CASH, actor=STAFF)
    refused_leaves_nothing(
        kit,
        (acme,),
        InvoiceHasPaymentsError,
        lambda: kit.billing.void_invoice(paid_part.id, actor=STAFF),
    )


def test_a_zero_invoice_is_paid_when_issued(kit: pk.Kit, acme: pk.Customer) -> None:
    free = kit.billing.create_invoice(acme.id, [seats(1, "0")], issue=True, actor=STAFF)
    assert free.status is pk.InvoiceStatus.PAID


# --- statements and receipts ----------------------------------------------------------------


def test_a_statement_opens_where_the_last_one_closed(kit: pk.Kit, acme: pk.Customer) -> None:
    clock = kit.clock
    assert isinstance(clock, pk.SimulatedClock)
    kit.billing.create_invoice(acme.id, [seats(2)], issue=True, actor=STAFF)  # Jan 5: +100
    clock.advance(timedelta(days=10))
    kit.billing.record_payment(acme.id, usd("30"), method=CASH, actor=STAFF)  # Jan 15: -30
    clock.advance(timedelta(days=20))
    kit.billing.issue_credit_note(acme.id, usd("15"), reason="Goodwill", actor=STAFF)  # Feb 4
    clock.advance(timedelta(days=1))
    p = kit.billing.record_payment(acme.id, usd("100"), method=BANK, actor=STAFF)  # Feb 5
    kit.billing.refund_payment(p.id, usd("5"), actor=STAFF)  # Feb 5: +5
    january, entries = kit.billing.statement(
        acme.id, date(2026, 1, 1), date(2026, 1, 31), actor=admin_of(acme)
    )
    lines = list(entries)
    assert (january.opening, january.closing, january.entry_count) == (usd("0"), usd("70"), 2)
    assert [(e.kind, e.debit, e.credit, e.balance) for e in lines] == [
        (pk.StatementEntryKind.INVOICE, usd("100"), None, usd("100")),
        (pk.StatementEntryKind.PAYMENT, None, usd("30"), usd("70")),
    ]
    february, entries = kit.billing.statement(
        acme.id, date(2026, 2, 1), date(2026, 2, 28), actor=STAFF
    )
    lines = list(entries)
    assert february.opening == january.closing
    assert [e.kind for e in lines] == [
        pk.StatementEntryKind.CREDIT_NOTE,
        pk.StatementEntryKind.PAYMENT,
        pk.StatementEntryKind.REFUND,
    ]
    assert february.closing == lines[-1].balance == usd("-40")
    movements = sum(((e.debit or usd("0")) - (e.credit or usd("0")) for e in lines), usd("0"))
    assert february.closing == february.opening + movements
    assert (february.customer_name, february.currency) == ("Acme", "USD")


def test_a_statement_of_several_currencies_asks_for_one(kit: pk.Kit, acme: pk.Customer) -> None:
    kit.billing.record_payment(acme.id, usd("1"), method=CASH, actor=STAFF)
    kit.billing.record_payment(acme.id, pk.Money.of("1", "EUR"), method=CASH, actor=STAFF)
    with pytest.raises(CurrencyRequiredError) as refused:
        kit.billing.statement(acme.id, date(2026, 1, 1), date(2026, 1, 31), actor=STAFF)
    assert refused.value.details["currencies"] == ["EUR", "USD"]
    header, _ = kit.billing.statement(
        acme.id, date(2026, 1, 1), date(2026, 1, 31), currency="EUR", actor=STAFF
    )
    assert header.closing == pk.Money.of("-1", "EUR")


def test_the_dashboard_shows_outstanding_credits_and_the_last_payment(
    kit: pk.Kit, acme: pk.Customer
) -> None:
    assert kit.billing.dashboard(acme.id, actor=admin_of(acme)) == pk.Dashboard((), (), None)
    first = kit.billing.create_invoice(acme.id, [seats(1)], issue=True, actor=STAFF)
    kit.billing.create_invoice(acme.id, [seats(3)], issue=True, actor=STAFF)
    kit.billing.create_invoice(acme.id, [seats(9)], actor=STAFF)  # a draft owes nothing yet
    assert isinstance(kit.clock, pk.SimulatedClock)
    kit.clock.advance(timedelta(hours=1))
    payment = kit.billing.record_payment(acme.id, usd("20"), method=CASH, actor=STAFF)
    kit.billing.issue_credit_note(acme.id, usd("7"), reason="Goodwill", actor=STAFF)
    board = kit.billing.dashboard(acme.id, actor=admin_of(acme))
    assert board.outstanding == (pk.OutstandingTotal("USD", 2, usd("180")),)
    assert board.available_credits == (usd("7"),)
    assert board.last_payment == pk.LastPayment(
        payment.id, "PAY-000001", usd("20"), kit.now(), first.id, "INV-000001"
    )


def test_lists_filter_sort_and_page(kit: pk.Kit, acme: pk.Customer) -> None:
    a = kit.billing.create_invoice(
        acme.id, [seats(1)], issue_date=date(2026, 1, 1), issue=True, actor=STAFF
    )
    b = kit.billing.create_invoice(
        acme.id, [seats(4)], issue_date=date(2026, 1, 3), issue=True, actor=STAFF
    )
    c = kit.billing.create_invoice(acme.id, [seats(2)], issue_date=date(2026, 1, 2), actor=STAFF)
    kit.billing.record_payment(acme.id, usd("50"), method=CASH, invoice_ids=[a.id], actor=STAFF)
    kit.billing.record_payment(acme.id, usd("5"), method=CASH, invoice_ids=[b.id], actor=STAFF)
    assert isinstance(kit.clock, pk.SimulatedClock)
    kit.clock.advance(timedelta(minutes=1))
    kit.billing.issue_credit_note(acme.id, usd("1"), reason="x", actor=STAFF)
    # No invoice in euros: all of it is credit, no invoice payment.
    only_credit = kit.billing.record_payment(
        acme.id, pk.Money.of("9", "EUR"), method=CASH, actor=STAFF
    )
    user = admin_of(acme)
    assert [i.id for i in kit.billing.invoices(acme.id, actor=user)] == [b.id, c.id, a.id]
    assert [i.id for i in kit.billing.invoices(acme.id, sort="amount", actor=user)] == [
        b.id,
        c.id,
        a.id,
    ]
    assert [i.id for i in kit.billing.invoices(acme.id, outstanding=True, actor=user)] == [b.id]
    assert [i.id for i in kit.billing.invoices(acme.id, status="paid", actor=user)] == [a.id]
    assert [
        i.id
        for i in kit.billing.invoices(
            acme.id, issued_from=date(2026, 1, 2), issued_to=date(2026, 1, 2), actor=user
        )
    ] == [c.id]
    assert [i.id for i in kit.billing.invoices(acme.id, limit=1, offset=1, actor=user)] == [c.id]
    payments = kit.billing.payments(acme.id, actor=user)
    assert payments[0].id == only_credit.id
    assert only_credit.id not in [
        p.id for p in kit.billing.payments(acme.id, invoice_payments_only=True, actor=user)
    ]
    assert [p.amount for p in kit.billing.payments(acme.id, sort="amount", actor=user)] == [
        usd("50"),
        pk.Money.of("9", "EUR"),
        usd("5"),
    ]
    with pytest.raises(InvalidInputError):
        kit.billing.invoices(acme.id, sort="colour", actor=user)
    with pytest.raises(InvalidInputError):
        kit.billing.payments(acme.id, limit=0, actor=user)


# --- who may do what -------------------------------------------------------------------------


def test_another_organisations_invoice_answers_like_a_missing_one(
    kit: pk.Kit, acme: pk.Customer, globex: pk.Customer
) -> None:
    invoice = kit.billing.create_invoice(acme.id, [seats(1)], issue=True, actor=STAFF)
    payment = kit.billing.record_payment(acme.id, usd("10"), method=CASH, actor=STAFF)
    outsider = admin_of(globex)
    partner = pk.Principal.partner_user("ptr_1", "ops@partner.example")
    for who in (outsider, partner):
        for call, missing_call, error in [
            (
                lambda w=who: kit.billing.get_invoice(invoice.id, actor=w),
                lambda w=who: kit.billing.get_invoice("inv_missing", actor=w),
                InvoiceNotFoundError,
            ),
            (
                lambda w=who: kit.billing.apply_credits(invoice.id, actor=w),
                lambda w=who: kit.billing.apply_credits("inv_missing", actor=w),
                InvoiceNotFoundError,
            ),
            (
                lambda w=who: kit.billing.receipt(payment.id, actor=w),
                lambda w=who: kit.billing.receipt("pay_missing", actor=w),
                PaymentNotFoundError,
            ),
            (
                lambda w=who: kit.billing.dashboard(acme.id, actor=w),
                lambda w=who: kit.billing.dashboard("cus_missing", actor=w),
                CustomerNotFoundError,
            ),
            (
                lambda w=who: kit.billing.statement(
                    acme.id, date(2026, 1, 1), date(2026, 1, 2), actor=w
                ),
                lambda w=who: kit.billing.statement(
                    "cus_missing", date(2026, 1, 1), date(2026, 1, 2), actor=w
                ),
                CustomerNotFoundError,
            ),
        ]:
            with pytest.raises(error) as foreign:
                call()
            with pytest.raises(error) as missing:
                missing_call()
            assert foreign.value.code == missing.value.code
            assert set(foreign.value.details) == set(missing.value.details)
            assert foreign.value.remedy == missing.value.remedy
    # The customer's own users read; only staff record money.
    assert kit.billing.get_invoice(invoice.id, actor=admin_of(acme)) == kit.billing.get_invoice(
        invoice.id, actor=STAFF
    )
    refused_leaves_nothing(
        kit,
        (acme,),
        PermissionDeniedError,
        lambda: kit.billing.record_payment(acme.id, usd("1"), method=CASH, actor=admin_of(acme)),
    )
    assert kit.outbox(topic="access.denied")


# --- bad input: a typed error, nothing stored -------------------------------------------------


def test_bad_input_is_refused_and_stores_nothing(
    kit: pk.Kit, acme: pk.Customer, globex: pk.Customer
) -> None:
    kit.billing.create_tax_rate("VAT", "20", actor=STAFF)
    draft = kit.billing.create_invoice(acme.id, [seats(1)], actor=STAFF)
    sent = kit.billing.create_invoice(acme.id, [seats(1)], issue=True, actor=STAFF)
    paid = kit.billing.create_invoice(acme.id, [seats(1, "10")], issue=True, actor=STAFF)
    kit.billing.record_payment(acme.id, usd("10"), method=CASH, invoice_ids=[paid.id], actor=STAFF)
    void = kit.billing.void_invoice(
        kit.billing.create_invoice(acme.id, [seats(1)], issue=True, actor=STAFF).id, actor=STAFF
    )
    theirs = kit.billing.create_invoice(globex.id, [seats(1)], issue=True, actor=STAFF)
    both = (acme, globex)

    def pay(amount: pk.Money, *ids: str, **kw: object) -> Callable[[], object]:
        return lambda: kit.billing.record_payment(
            acme.id,
            amount,
            method=kw.pop("method", CASH),  # type: ignore[arg-type]
            invoice_ids=list(ids) or None,
            actor=STAFF,
            **kw,  # type: ignore[arg-type]
        )

    cases: list[tuple[type[PartnerkitError], Callable[[], object], str]] = [
        (AmountNotPositiveError, pay(usd("0")), "billing.amount_not_positive"),
        (AmountNotPositiveError, pay(usd("-5")), "billing.amount_not_positive"),
        (WrongCurrencyError, pay(pk.Money.of("5", "EUR"), sent.id), "billing.wrong_currency"),
        (InvalidInvoiceTransitionError, pay(usd("5"), void.id), "billing.invalid_transition"),
        (InvalidInvoiceTransitionError, pay(usd("5"), paid.id), "billing.invalid_transition"),
        (InvalidInvoiceTransitionError, pay(usd("5"), draft.id), "billing.invalid_transition"),
        (InvoiceNotFoundError, pay(usd("5"), "inv_missing"), "billing.invoice_not_found"),
        (InvoiceNotFoundError, pay(usd("5"), theirs.id), "billing.invoice_not_found"),
        (
            InvalidInputError,
            pay(usd("5"), method=pk.PaymentMethodKind.ONLINE),
            "validation.invalid",
        ),
        (
            InvalidInputError,
            pay(usd("5"), received_at=START + timedelta(days=9)),
            "validation.invalid",
        ),
        (
            CustomerNotFoundError,
            lambda: kit.billing.record_payment("cus_missing", usd("1"), method=CASH, actor=STAFF),
            "customer.not_found",
        ),
        (
            AmountNotPositiveError,
            lambda: kit.billing.issue_credit_note(acme.id, usd("0"), reason="x", actor=STAFF),
            "billing.amount_not_positive",
        ),
        (
            WrongCurrencyError,
            lambda: kit.billing.issue_credit_note(
                acme.id, pk.Money.of("1", "EUR"), reason="x", invoice_id=sent.id, actor=STAFF
            ),
            "billing.wrong_currency",
        ),
        (
            InvalidInvoiceTransitionError,
            lambda: kit.billing.issue_credit_note(
                acme.id, usd("1"), reason="x", invoice_id=void.id, actor=STAFF
            ),
            "billing.invalid_transition",
        ),
        (
            NoCreditAvailableError,
            lambda: kit.billing.apply_credits(sent.id, actor=STAFF),
            "billing.no_credit_available",
        ),
        (
            InvalidInvoiceTransitionError,
            lambda: kit.billing.apply_credits(paid.id, actor=STAFF),
            "billing.invalid_transition",
        ),
        (
            CreditNoteNotFoundError,
            lambda: kit.billing.refund_credit_note("crn_missing", usd("1"), actor=STAFF),
            "billing.credit_note_not_found",
        ),
        (
            PaymentNotFoundError,
            lambda: kit.billing.refund_payment("pay_missing", usd("1"), actor=STAFF),
            "billing.payment_not_found",
        ),
        (
            TaxRateTakenError,
            lambda: kit.billing.create_tax_rate("VAT", "10", actor=STAFF),
            "billing.tax_rate_taken",
        ),
        (
            InvalidInputError,
            lambda: kit.billing.create_tax_rate("Odd", "120", actor=STAFF),
            "validation.invalid",
        ),
        (
            WrongCurrencyError,
            lambda: kit.billing.create_invoice(
                acme.id, [seats(1), pk.InvoiceLine.of("x", 1, pk.Money.of("1", "EUR"))], actor=STAFF
            ),
            "billing.wrong_currency",
        ),
        (
            InvalidInputError,
            lambda: kit.billing.create_invoice(acme.id, [], actor=STAFF),
            "validation.invalid",
        ),
        (
            InvalidInvoiceTransitionError,
            lambda: kit.billing.issue_invoice(sent.id, actor=STAFF),
            "billing.invalid_transition",
        ),
        (
            InvalidInputError,
            lambda: kit.billing.statement(acme.id, date(2026, 2, 1), date(2026, 1, 1), actor=STAFF),
            "validation.invalid",
        ),
    ]
    for error, call, code in cases:
        refused = refused_leaves_nothing(kit, both, error, call)
        assert refused.code == code, (code, refused)


def test_a_handler_that_fails_undoes_the_payment(kit: pk.Kit, acme: pk.Customer) -> None:
    # Another package's handler runs in the payment's transaction (a commission accrual, say).
    seen: list[PaymentRecorded] = []

    def handler(event: PaymentRecorded) -> None:
        seen.append(event)
        if event.amount > usd("100"):
            raise RuntimeError("the commission ledger is down")

    kit._runtime.on(PaymentRecorded, handler)
    invoice = kit.billing.create_invoice(acme.id, [seats(3)], issue=True, actor=STAFF)
    kit.billing.record_payment(acme.id, usd("50"), method=CASH, actor=STAFF)
    before = snapshot(kit, acme)
    with pytest.raises(RuntimeError):
        kit.billing.record_payment(acme.id, usd("100.01"), method=CASH, actor=STAFF)
    assert snapshot(kit, acme) == before
    assert [e.applied[0].invoice_id for e in seen] == [invoice.id, invoice.id]
    assert seen[0].to_credit == usd("0")


def test_tax_rates_are_staff_business(kit: pk.Kit, acme: pk.Customer) -> None:
    vat = kit.billing.create_tax_rate("VAT", Decimal("20"), actor=STAFF)
    gst = kit.billing.create_tax_rate("GST", "7.5", inclusive=True, actor=STAFF)
    assert [t.name for t in kit.billing.tax_rates(actor=STAFF)] == ["GST", "VAT"]
    assert kit.billing.set_default_tax(gst.id, actor=STAFF) == gst
    assert kit.billing.set_default_tax(None, actor=STAFF) is None
    assert kit.billing.default_tax(actor=STAFF) is None
    with pytest.raises(PermissionDeniedError):
        kit.billing.set_default_tax(vat.id, actor=admin_of(acme))


def test_a_back_dated_invoice_belongs_to_its_issue_dates_period(
    kit: pk.Kit, acme: pk.Customer
) -> None:
    # Sent on January 5 but dated December 30: December's statement lists it.
    kit.billing.create_invoice(
        acme.id, [seats(1)], issue_date=date(2025, 12, 30), issue=True, actor=STAFF
    )
    december, entries = kit.billing.statement(
        acme.id, date(2025, 12, 1), date(2025, 12, 31), actor=STAFF
    )
    assert [e.at for e in entries] == [datetime(2025, 12, 30, tzinfo=UTC)]
    january, _ = kit.billing.statement(acme.id, date(2026, 1, 1), date(2026, 1, 31), actor=STAFF)
    assert (december.closing, january.opening, january.entry_count) == (usd("50"), usd("50"), 0)
