"""What billing announces. Other packages register handlers for these in their `install()`
and react in the same transaction (a collected payment accrues a partner's commission, a
refund books its reversal), without billing importing them."""

from __future__ import annotations

from datetime import date, datetime
from typing import ClassVar

import attrs

from partnerkit.billing.invoices import RevenueShare
from partnerkit.billing.payments import PaymentMethodKind
from partnerkit.events import Event
from partnerkit.money import Money

__all__ = [
    "AppliedAmount",
    "CreditNoteIssued",
    "InvoiceIssued",
    "InvoiceOverdue",
    "InvoicePaid",
    "InvoiceVoided",
    "PaymentRecorded",
    "PaymentRefunded",
    "ReturnedRevenue",
]


@attrs.frozen
class AppliedAmount:
    """How much of a payment went to one invoice, and the product lines' net revenue in it
    (what a partner of record earns commission on)."""

    invoice_id: str
    invoice_number: str
    amount: Money
    subscription_id: str | None = None
    revenue: tuple[RevenueShare, ...] = ()


@attrs.frozen
class ReturnedRevenue:
    """Revenue a refund gives back: part of what `payment_id` paid on one invoice's product
    line (`line_index`), which the partner who earned on it loses again."""

    payment_id: str
    invoice_id: str
    line_index: int
    product: str
    amount: Money


@attrs.frozen
class InvoiceIssued(Event):
    TOPIC: ClassVar[str] = "billing.invoice_issued"
    invoice_id: str
    customer_id: str
    number: str
    total: Money
    due_date: date
    subscription_id: str | None = None
    sales_order_id: str | None = None


@attrs.frozen
class InvoicePaid(Event):
    """The invoice is paid in full: the organisation is told (003 seed: "you will be notified
    about it and the status of the invoice will turn to Paid")."""

    TOPIC: ClassVar[str] = "billing.invoice_paid"
    invoice_id: str
    customer_id: str
    number: str
    total: Money
    paid_at: datetime


@attrs.frozen
class InvoiceOverdue(Event):
    TOPIC: ClassVar[str] = "billing.invoice_overdue"
    invoice_id: str
    customer_id: str
    number: str
    balance_due: Money
    due_date: date


@attrs.frozen
class InvoiceVoided(Event):
    """An invoice voided: it owes nothing; `sales_order_id` names the order it billed, if any
    (the reseller portal frees that order to be invoiced again)."""

    TOPIC: ClassVar[str] = "billing.invoice_voided"
    invoice_id: str
    customer_id: str
    number: str
    sales_order_id: str | None = None


@attrs.frozen
class PaymentRecorded(Event):
    """Money received: `applied` says which invoices it paid; the rest became credit."""

    TOPIC: ClassVar[str] = "billing.payment_recorded"
    payment_id: str
    customer_id: str
    number: str
    amount: Money
    method: PaymentMethodKind
    received_at: datetime
    applied: tuple[AppliedAmount, ...]
    to_credit: Money


@attrs.frozen
class PaymentRefunded(Event):
    """Money paid back, out of a payment's excess or a credit note (`source_id`). `returned`
    names the revenue a refund gives back, for the partner who earned on it: a payment's
    unused excess or a standalone credit note was no revenue, and gives back none."""

    TOPIC: ClassVar[str] = "billing.payment_refunded"
    refund_id: str
    customer_id: str
    number: str
    source_id: str
    amount: Money
    refunded_at: datetime
    returned: tuple[ReturnedRevenue, ...] = ()


@attrs.frozen
class CreditNoteIssued(Event):
    TOPIC: ClassVar[str] = "billing.credit_note_issued"
    credit_note_id: str
    customer_id: str
    number: str
    amount: Money
    invoice_id: str | None = None
