"""What the Home dashboard shows (003 seed): outstanding invoices, available credits and the
last payment made, as values the storage computes."""

from __future__ import annotations

from datetime import datetime

import attrs

from partnerkit.money import Money

__all__ = ["Dashboard", "LastPayment", "OutstandingTotal"]


@attrs.frozen
class OutstandingTotal:
    """The outstanding invoices in one currency: how many, and what they owe together."""

    currency: str
    count: int
    total: Money


@attrs.frozen
class LastPayment:
    """The most recent payment: its amount and date, and the invoice it paid (if any)."""

    payment_id: str
    number: str
    amount: Money
    received_at: datetime
    invoice_id: str | None
    invoice_number: str | None


@attrs.frozen
class Dashboard:
    """The customer's Home figures.

    Attributes:
        outstanding: Per currency, the count and total of the invoices with a balance.
        available_credits: Per currency, unused credit notes plus overpayments.
        last_payment: The most recent payment, or None.
    """

    outstanding: tuple[OutstandingTotal, ...]
    available_credits: tuple[Money, ...]
    last_payment: LastPayment | None
