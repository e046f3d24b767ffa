"""Payments as values: money received from a customer, online or recorded offline by staff, and
the applications that spread payments and credit notes over invoices.

An online payment through a gateway is the same value with a gateway reference, an idempotency
key and, while the gateway has not answered, the status `unknown`.
"""

from __future__ import annotations

import enum
from datetime import datetime

import attrs

from partnerkit.money import Money

__all__ = [
    "OFFLINE_METHODS",
    "Application",
    "Payment",
    "PaymentMethodKind",
    "PaymentStatus",
    "SourceKind",
]


class PaymentMethodKind(enum.StrEnum):
    """How money was paid (003 seed: "both the online payments as well as the offline payments
    you've recorded")."""

    #: Through the payment gateway (a card or a bank debit).
    ONLINE = "online"
    CASH = "cash"
    CHEQUE = "cheque"
    BANK_TRANSFER = "bank_transfer"
    #: Paid out of the customer's available credit.
    CREDIT = "credit"

    @property
    def words(self) -> str:
        """The method as a receipt names it."""
        return _METHOD_WORDS[self]


_METHOD_WORDS = {
    PaymentMethodKind.ONLINE: "Online payment",
    PaymentMethodKind.CASH: "Cash",
    PaymentMethodKind.CHEQUE: "Cheque",
    PaymentMethodKind.BANK_TRANSFER: "Bank transfer",
    PaymentMethodKind.CREDIT: "Customer credit",
}

#: What staff record by hand: money that reached the organisation outside the gateway.
OFFLINE_METHODS: frozenset[PaymentMethodKind] = frozenset(
    {PaymentMethodKind.CASH, PaymentMethodKind.CHEQUE, PaymentMethodKind.BANK_TRANSFER}
)


class PaymentStatus(enum.StrEnum):
    """Whether the money arrived. Only a succeeded payment counts towards balances."""

    SUCCEEDED = "succeeded"
    FAILED = "failed"
    #: The gateway did not answer (a timeout): `run_due` asks it again, never charges twice.
    UNKNOWN = "unknown"


@attrs.frozen
class Payment:
    """Money received from a customer.

    Attributes:
        id: The payment's id.
        customer_id: Who paid.
        number: Its number as the customer reads it, such as "PAY-000007" (per customer).
        amount: How much.
        method: How it was paid.
        status: Whether the money arrived.
        received_at: When it was received.
        recorded_at: When it was recorded.
        recorded_by: Who recorded it (the principal's label).
        unapplied: What no invoice took yet: the customer's credit from this payment.
        refunded: What was paid back of it.
        reference: The cheque number or the bank's reference, if any.
        idempotency_key: The caller's key for the request, unique per customer, if any.
        gateway_reference: The gateway's transaction id, for an online payment.
        failure_code: Why an online payment failed: the payment error's code
            ("payment.cp3003"), for a failed payment only.
        payment_method_id: The saved payment method charged, if one was.
        version: Increases with each change.
    """

    id: str
    customer_id: str
    number: str
    amount: Money
    method: PaymentMethodKind
    status: PaymentStatus
    received_at: datetime
    recorded_at: datetime
    recorded_by: str
    unapplied: Money
    refunded: Money
    reference: str | None = None
    idempotency_key: str | None = None
    gateway_reference: str | None = None
    failure_code: str | None = None
    payment_method_id: str | None = None
    version: int = 1

    @property
    def currency(self) -> str:
        """The payment's currency."""
        return self.amount.currency


class SourceKind(enum.StrEnum):
    """Where money applied to an invoice came from."""

    PAYMENT = "payment"
    CREDIT_NOTE = "credit_note"


@attrs.frozen
class Application:
    """Part of a payment or a credit note applied to one invoice.

    Attributes:
        id: The application's id.
        customer_id: The customer.
        invoice_id: The invoice it paid.
        source: A payment's money or a credit note's.
        source_id: The payment's or the credit note's id.
        amount: How much, above zero.
        applied_at: When.
    """

    id: str
    customer_id: str
    invoice_id: str
    source: SourceKind
    source_id: str
    amount: Money
    applied_at: datetime
