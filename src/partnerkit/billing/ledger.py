"""The customer's ledger: one entry per invoice issued, payment received, credit note issued
and refund paid, in one table, so that a balance is one sum and a statement one ordered scan.

Also each customer's billing account: the counters that number its documents without gaps.
"""

from __future__ import annotations

from datetime import datetime

import attrs

from partnerkit.billing.documents import EntryKind
from partnerkit.money import Money

__all__ = ["BillingAccount", "DocumentKind", "LedgerEntry", "document_number"]


@attrs.frozen
class BillingAccount:
    """A customer's document counters: the last number given to each kind of document.

    Locked (`FOR UPDATE`) by every billing write for the customer, so that numbers have no gap
    and no duplicate, and the customer's money moves one writer at a time.
    """

    customer_id: str
    invoices: int = 0
    payments: int = 0
    credit_notes: int = 0
    refunds: int = 0
    version: int = 1


#: The document kinds a billing account numbers, with their prefixes.
DocumentKind = EntryKind

_PREFIX = {
    EntryKind.INVOICE: "INV",
    EntryKind.PAYMENT: "PAY",
    EntryKind.CREDIT_NOTE: "CN",
    EntryKind.REFUND: "RF",
}


def document_number(kind: EntryKind, sequence: int) -> str:
    """The number a customer reads: `INV-000042`, `PAY-000007`, `CN-000003`, `RF-000001`."""
    return f"{_PREFIX[kind]}-{sequence:06d}"


@attrs.frozen
class LedgerEntry:
    """One movement on a customer's account.

    `amount` is signed from the customer's side: positive when the customer owes more (an
    invoice, a refund), negative when it owes less (a payment, a credit note).

    Attributes:
        id: Sequential within an instant, so entries at one instant keep their order.
        customer_id: The customer.
        at: When it happened.
        kind: What it records.
        document_id: The invoice's, payment's, credit note's or refund's id.
        reference: The document's number.
        description: What a person wrote for it (a credit note's reason, a reference), or "".
        amount: Signed: + debit, - credit.
        detail: What the statement's words for it are built from in the reader's language: an
            invoice's due date, a payment's or refund's method (`StatementEntry.detail`).
    """

    id: str
    customer_id: str
    at: datetime
    kind: EntryKind
    document_id: str
    reference: str
    description: str
    amount: Money
    detail: str | None = None

    @property
    def currency(self) -> str:
        """The entry's currency."""
        return self.amount.currency
