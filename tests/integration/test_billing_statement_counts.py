"""The dashboard's queries are computed by the database (issue 10): the same small number of SQL
statements with 10 or 10,000 invoices, counted with SQLAlchemy's `before_cursor_execute`.

003_9950710e2377ac79.txt, "Home": "Outstanding Invoices: The total number of outstanding
invoices along with the total amount that your customer owes you"; "Available Credits"; "Last
Payment Made: The amount and date of the most recent payment made by your customer."
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import attrs
import pytest
from sqlalchemy import event

import partnerkit as pk
from partnerkit.backends.sql import SqlBackend
from partnerkit.billing.documents import EntryKind
from partnerkit.billing.ledger import LedgerEntry

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
STAFF = pk.Principal.staff("billing@vendor.example")


def _fill(kit: pk.Kit, customer_id: str, n: int, start: int) -> None:
    """`n` more issued invoices for the customer, with their ledger entries, in one transaction
    (the rows the service would write, without paying its per-call cost n times)."""
    template = kit.billing.create_invoice(
        customer_id,
        [pk.InvoiceLine.of("Seats", 1, pk.Money.of("10", "USD"))],
        issue=True,
        actor=STAFF,
    )
    with kit.backend.unit_of_work() as uow:
        for i in range(start, start + n):
            invoice = attrs.evolve(
                template,
                id=f"inv_bulk_{i}",
                number=f"INV-{i:06d}",
                sequence=i + 1000,
                due_date=date(2026, 2, 1) + timedelta(days=i % 50),
                version=1,
            )
            uow.invoices.add(invoice)
            uow.ledger.add(
                LedgerEntry(
                    f"led_bulk_{i:08d}",
                    customer_id,
                    T0 + timedelta(seconds=i),
                    EntryKind.INVOICE,
                    invoice.id,
                    invoice.number,
                    "Invoice",
                    invoice.total,
                )
            )


def test_the_dashboard_costs_the_same_statements_for_10_and_10000_invoices(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    kit = pk.connect(f"sqlite:///{tmp_path / 'counts.db'}", clock=pk.SimulatedClock(T0))
    kit.migrate()
    backend = kit.backend
    assert isinstance(backend, SqlBackend)
    acme = kit.customers.create(name="Acme", admin_email="it@acme.example", actor=STAFF)
    user = pk.Principal.customer_user(acme.id, "it@acme.example")
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    @contextmanager
    def counted() -> Iterator[list[str]]:
        statements.clear()
        event.listen(backend.engine, "before_cursor_execute", count)
        try:
            yield statements
        finally:
            event.remove(backend.engine, "before_cursor_execute", count)

    def measure() -> dict[str, int]:
        found = {}
        with counted() as seen:
            board = kit.billing.dashboard(acme.id, actor=user)
        found["dashboard"] = len(seen)
        with counted() as seen:
            kit.billing.invoices(acme.id, outstanding=True, limit=20, actor=user)
        found["outstanding invoices page"] = len(seen)
        with counted() as seen:
            kit.billing.payments(acme.id, invoice_payments_only=True, sort="amount", actor=user)
        found["payments page"] = len(seen)
        with counted() as seen:
            kit.billing.available_credits(acme.id, actor=user)
        found["available credits"] = len(seen)
        with counted() as seen:
            header, _ = kit.billing.statement(
                acme.id, date(2026, 1, 1), date(2026, 12, 31), actor=user
            )
        found["statement header"] = len(seen)
        assert board.outstanding and board.last_payment is not None and header.entry_count > 0
        return found

    _fill(kit, acme.id, 9, 0)
    kit.billing.record_payment(
        acme.id, pk.Money.of("25", "USD"), method=pk.PaymentMethodKind.CASH, actor=STAFF
    )
    small = measure()
    _fill(kit, acme.id, 9_989, 9)  # 10,000 invoices in all
    large = measure()
    board = kit.billing.dashboard(acme.id, actor=user)
    assert board.outstanding[0].count == 10_000 - 2  # 25 USD paid two of them and a half
    with capsys.disabled():
        print("\nSQL statements per dashboard query (10 / 10,000 invoices):")
        for name, n in small.items():
            print(f"  {name:28} {n:3} / {large[name]}")
    assert small == large
    # Small: the access check reads the account's name once; each figure is one or two
    # aggregates; a page is its ids and then its invoices with their lines.
    assert small["dashboard"] <= 8
    assert max(small.values()) <= 8
    kit.close()


#: Statements per billing write on SQLite, BEGIN included: the bound a change must not exceed
#: without saying why. Each write locks the customer's row and its billing account first.
#: Issue 11 took one from two of them: an issued invoice is stored sent (one write, not an
#: insert and an update), and a write's outbox messages go in with one executemany.
WRITES = {
    "create_invoice (issued)": 9,
    "record_payment (one invoice)": 11,
    "issue_credit_note": 7,
    "apply_credits": 14,
    "refund_payment": 9,
}


def test_billing_writes_cost_a_fixed_number_of_statements(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    kit = pk.connect(f"sqlite:///{tmp_path / 'writes.db'}", clock=pk.SimulatedClock(T0))
    kit.migrate()
    backend = kit.backend
    assert isinstance(backend, SqlBackend)
    acme = kit.customers.create(name="Acme", admin_email="it@acme.example", actor=STAFF)
    seats = [pk.InvoiceLine.of("Seats", 1, pk.Money.of("10", "USD"))]
    kit.billing.create_invoice(acme.id, seats, issue=True, actor=STAFF)  # compiles, warms up
    counts: dict[str, int] = {}
    seen: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    def measure(name: str, call: Any) -> Any:
        seen.clear()
        event.listen(backend.engine, "before_cursor_execute", count)
        try:
            return call()
        finally:
            event.remove(backend.engine, "before_cursor_execute", count)
            counts[name] = len(seen)

    cash = pk.PaymentMethodKind.CASH
    invoice = measure(
        "create_invoice (issued)",
        lambda: kit.billing.create_invoice(acme.id, seats, issue=True, actor=STAFF),
    )
    payment = measure(
        "record_payment (one invoice)",
        lambda: kit.billing.record_payment(
            acme.id, pk.Money.of("25", "USD"), method=cash, invoice_ids=[invoice.id], actor=STAFF
        ),
    )
    measure(
        "issue_credit_note",
        lambda: kit.billing.issue_credit_note(
            acme.id, pk.Money.of("1", "USD"), reason="Goodwill", actor=STAFF
        ),
    )
    first = kit.billing.invoices(acme.id, outstanding=True, actor=STAFF)[0]
    measure("apply_credits", lambda: kit.billing.apply_credits(first.id, actor=STAFF))
    measure(
        "refund_payment",
        lambda: kit.billing.refund_payment(payment.id, pk.Money.of("1", "USD"), actor=STAFF),
    )
    with capsys.disabled():
        print("\nSQL statements per billing write on SQLite (bound):")
        for name, n in counts.items():
            print(f"  {name:30} {n:3} ({WRITES[name]})")
    assert {name: n <= WRITES[name] for name, n in counts.items()} == dict.fromkeys(WRITES, True)
    kit.close()


def test_paying_one_invoice_online_costs_the_same_with_10_or_10000_invoices(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The CP checks read the default tax, the customer's user and the card's recent charges
    # (an index range of the last minutes), never the customer's invoices or payments.
    clock = pk.SimulatedClock(T0)
    gateway = pk.FakePaymentGateway(clock=clock)
    kit = pk.connect(f"sqlite:///{tmp_path / 'pay.db'}", clock=clock, payment_gateway=gateway)
    kit.migrate()
    backend = kit.backend
    assert isinstance(backend, SqlBackend)
    kit.billing.create_tax_rate("VAT", "20", default=True, actor=STAFF)
    acme = kit.customers.create(name="Acme", admin_email="it@acme.example", actor=STAFF)
    user = pk.Principal.customer_user(acme.id, "it@acme.example")
    card = kit.billing.add_payment_method(
        acme.id, gateway.tokenize("4242 4242 4242 4242", 12, 2030), actor=user
    )
    seats = [pk.InvoiceLine.of("Seats", 1, pk.Money.of("10", "USD"))]
    seen: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    def pay(key: str) -> int:
        invoice = kit.billing.create_invoice(acme.id, seats, issue=True, actor=STAFF)
        clock.advance(timedelta(minutes=10))  # past the duplicate window (CP3005)
        seen.clear()
        event.listen(backend.engine, "before_cursor_execute", count)
        try:
            paid = kit.billing.pay([invoice.id], method_id=card.id, idempotency_key=key, actor=user)
        finally:
            event.remove(backend.engine, "before_cursor_execute", count)
        assert paid.status is pk.PaymentStatus.SUCCEEDED
        return len(seen)

    pay("warm-up")
    _fill(kit, acme.id, 9, 0)
    small = pay("small")
    _fill(kit, acme.id, 9_990, 9)
    large = pay("large")
    with capsys.disabled():
        print(f"\nSQL statements of one online payment (10 / 10,000 invoices): {small} / {large}")
    assert small == large
    kit.close()
