"""Credit notes and refunds as values: what the organisation owes a customer back, and money
paid back to it.
"""

from __future__ import annotations

import enum
from datetime import datetime

import attrs

from partnerkit.billing.payments import SourceKind
from partnerkit.money import Money

__all__ = ["CreditNote", "Refund", "RefundMethod"]


@attrs.frozen
class CreditNote:
    """A credit the organisation grants a customer: against an invoice, or standalone.

    Attributes:
        id: The credit note's id.
        customer_id: The customer credited.
        number: Its number, such as "CN-000003" (per customer).
        amount: How much, above zero.
        reason: Why, as the customer reads it.
        issued_at: When it was issued.
        issued_by: Who issued it (the principal's label).
        unapplied: What no invoice took yet and nothing refunded: available credit.
        refunded: What was paid back to the customer of it.
        invoice_id: The invoice it was issued against, or None for a standalone note.
        version: Increases with each change.
    """

    id: str
    customer_id: str
    number: str
    amount: Money
    reason: str
    issued_at: datetime
    issued_by: str
    unapplied: Money
    refunded: Money
    invoice_id: str | None = None
    version: int = 1


class RefundMethod(enum.StrEnum):
    """How a refund reaches the customer."""

    #: Back to the payment it refunds (the gateway, or the same bank account).
    ORIGINAL = "original"
    CASH = "cash"
    CHEQUE = "cheque"
    BANK_TRANSFER = "bank_transfer"


@attrs.frozen
class Refund:
    """Money paid back to a customer, out of a payment's or a credit note's unused amount.

    Attributes:
        id: The refund's id.
        customer_id: The customer paid back.
        number: Its number, such as "RF-000001" (per customer).
        amount: How much, above zero.
        source: Whether it pays back a payment's excess or a credit note.
        source_id: That payment's or credit note's id.
        method: How the money goes back.
        refunded_at: When it was paid back.
        refunded_by: Who recorded it (the principal's label).
        reference: The bank's or the gateway's reference, if any.
    """

    id: str
    customer_id: str
    number: str
    amount: Money
    source: SourceKind
    source_id: str
    method: RefundMethod
    refunded_at: datetime
    refunded_by: str
    reference: str | None = None
