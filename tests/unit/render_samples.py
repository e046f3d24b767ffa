"""The statements and receipts the render tests print, after the flows of the 003 seed
(/work/shared/seeds/003_9950710e2377ac79.txt).

The seed gives no figures, so these follow its steps: invoices for a subscription, a partial
payment through the portal, "pay the total outstanding amount ... in one go", an offline
payment staff recorded, a credit note and a refund (sections "View & Pay Invoices", "Track
Payments Made", "Generate Statement of Accounts").
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import partnerkit as pk

__all__ = [
    "ACME_RECEIPT",
    "MUELLER_RECEIPT",
    "Kind",
    "entries_of",
    "many_closing",
    "many_entries",
    "statement",
]

Kind = pk.StatementEntryKind

#: (day of March 2026, kind, reference, description, debit, credit)
Movement = tuple[int, pk.StatementEntryKind, str, str, str | None, str | None]

MOVEMENTS: tuple[Movement, ...] = (
    (1, Kind.INVOICE, "INV-000041", "CRM Professional, 25 users, March 2026", "1190.00", None),
    (5, Kind.PAYMENT, "PAY-000017", "Visa ending 4242 (partial payment)", None, "500.00"),
    (12, Kind.INVOICE, "INV-000042", "Telephony add-on", "238.00", None),
    (20, Kind.CREDIT_NOTE, "CN-000003", "Credit for the outage of 18 March", None, "47.60"),
    (25, Kind.PAYMENT, "PAY-000018", "Pay all outstanding: bank transfer", None, "880.40"),
    (28, Kind.REFUND, "RF-000001", "Refund to Visa ending 4242", "47.60", None),
)
OPENING = "250.00"
#: 250.00 + 1190.00 - 500.00 + 238.00 - 47.60 - 880.40 + 47.60
CLOSING = "297.60"


def entries_of(
    currency: str, movements: tuple[Movement, ...] = MOVEMENTS, opening: str = OPENING
) -> Iterator[pk.StatementEntry]:
    """The movements as entries with their running balance, made one at a time."""
    balance = pk.Money.of(opening, currency)
    for day, kind, reference, description, debit, credit in movements:
        owed = pk.Money.of(debit, currency) if debit else None
        paid = pk.Money.of(credit, currency) if credit else None
        if owed is not None:
            balance = balance + owed
        if paid is not None:
            balance = balance - paid
        yield pk.StatementEntry(
            at=datetime(2026, 3, day, 10, 0, tzinfo=UTC),
            kind=kind,
            reference=reference,
            description=description,
            debit=owed,
            credit=paid,
            balance=balance,
        )


def statement(
    currency: str = "EUR",
    *,
    name: str = "Müller GmbH",
    opening: str = OPENING,
    closing: str = CLOSING,
    entry_count: int = len(MOVEMENTS),
) -> pk.StatementHeader:
    """March 2026's statement header for a customer."""
    return pk.StatementHeader(
        customer_id="cus_mueller",
        customer_name=name,
        currency=currency,
        start=date(2026, 3, 1),
        end=date(2026, 3, 31),
        opening=pk.Money.of(opening, currency),
        closing=pk.Money.of(closing, currency),
        issued_at=datetime(2026, 4, 1, 8, 0, tzinfo=UTC),
        entry_count=entry_count,
    )


def many_entries(n: int, currency: str = "EUR") -> Iterator[pk.StatementEntry]:
    """`n` entries made as they are asked for: an invoice of 119.00, then a payment of 100.00,
    and so on (the balance after them is 250.00 + 19.00 per pair, + 119.00 if `n` is odd)."""
    invoice = pk.Money.of("119.00", currency)
    payment = pk.Money.of("100.00", currency)
    balance = pk.Money.of(OPENING, currency)
    for i in range(n):
        is_invoice = i % 2 == 0
        balance = balance + invoice if is_invoice else balance - payment
        yield pk.StatementEntry(
            at=datetime(2026, 3, 1 + i % 28, 10, 0, tzinfo=UTC),
            kind=Kind.INVOICE if is_invoice else Kind.PAYMENT,
            reference=f"INV-{i:06d}" if is_invoice else f"PAY-{i:06d}",
            description="CRM Professional, monthly licence" if is_invoice else "Visa ending 4242",
            debit=invoice if is_invoice else None,
            credit=None if is_invoice else payment,
            balance=balance,
        )


def many_closing(n: int) -> str:
    """The balance `many_entries(n)` ends at."""
    pairs, odd = divmod(n, 2)
    return f"{250 + 19 * pairs + 119 * odd}.00"


MUELLER_RECEIPT = pk.Receipt(
    number="PAY-000018",
    customer_id="cus_mueller",
    customer_name="Müller GmbH",
    paid_at=datetime(2026, 3, 25, 9, 30, tzinfo=UTC),
    amount=pk.Money.of("928.00", "EUR"),
    method="Banküberweisung",
    reference="SEPA-2026-0325-17",
    lines=(
        pk.ReceiptLine(invoice_number="INV-000041", amount=pk.Money.of("690.00", "EUR")),
        pk.ReceiptLine(invoice_number="INV-000042", amount=pk.Money.of("190.40", "EUR")),
    ),
    to_credit=pk.Money.of("47.60", "EUR"),
)

ACME_RECEIPT = pk.Receipt(
    number="PAY-000007",
    customer_id="cus_acme",
    customer_name="Acme",
    paid_at=datetime(2026, 3, 5, 14, 0, tzinfo=UTC),
    amount=pk.Money.of("1234.50", "USD"),
    method="Visa ending 4242",
    reference=None,
    lines=(pk.ReceiptLine(invoice_number="INV-000007", amount=pk.Money.of("1234.50", "USD")),),
    to_credit=pk.Money.of("0", "USD"),
)
