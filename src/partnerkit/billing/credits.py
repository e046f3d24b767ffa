"""Credit notes and refunds as values: what the organisation owes a customer back, and money
paid back to it.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from datetime import datetime

import attrs

from partnerkit.billing.payments import Application, SourceKind
from partnerkit.money import Money

__all__ = ["CreditNote", "Refund", "RefundMethod", "refund_parts"]


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


def refund_parts(
    applications: Sequence[Application], refunded_before: Money, amount: Money
) -> list[tuple[str, Money]]:
    """Which payments a refund of `amount` of an invoice pays back, and how much of each.

    The payments' parts on the invoice are paid back newest first, each at most once over all
    the invoice's refunds: the first `refunded_before` of the stack went back already, so this
    refund takes the next `amount` of it. Credit notes' parts are no money received and are
    never paid back. The parts add up to `amount` when the payments hold that much; the caller
    checks the cap first.

    Args:
        applications: What was applied to the invoice, in the order it was applied.
        refunded_before: What earlier refunds of the invoice paid back.
        amount: This refund.

    Returns:
        `(payment_id, part)` pairs, newest payment first, every part above zero.
    """
    parts: list[tuple[str, Money]] = []
    skip, want = refunded_before, amount
    for application in reversed(applications):
        if application.source is not SourceKind.PAYMENT or not want.is_positive:
            continue
        held = application.amount
        if skip >= held:
            skip = skip - held
            continue
        free = held - skip
        skip = Money.zero(held.currency)
        part = min(free, want)
        parts.append((application.source_id, part))
        want = want - part
    return parts
