"""Errors of billing: invoices, tax rates, payments, credit notes and refunds.

The codes are stable; the registry in `partnerkit.errors` collects them for the reference."""

from __future__ import annotations

from partnerkit.access.guard import NotFound
from partnerkit.errors import (
    Audience,
    ConfigurationError,
    ConflictError,
    InvalidTransitionError,
    NotFoundError,
    PartnerkitError,
    ValidationError,
)

__all__ = [
    "AmountNotPositiveError",
    "CreditExceedsBalanceError",
    "CreditNoteNotFoundError",
    "CurrencyRequiredError",
    "IdempotencyConflictError",
    "InvalidInvoiceTransitionError",
    "InvoiceHasPaymentsError",
    "InvoiceNotFoundError",
    "InvoicesOfSeveralCustomersError",
    "NoCreditAvailableError",
    "NoPaymentGatewayError",
    "PaymentInProgressError",
    "PaymentMethodNotFoundError",
    "PaymentNotFoundError",
    "RefundExceedsAvailableError",
    "TaxRateNotFoundError",
    "TaxRateTakenError",
    "WrongCurrencyError",
    "not_found",
]


# --- records that do not exist (or that the actor may not see) --------------------------------


class InvoiceNotFoundError(NotFoundError):
    code = "billing.invoice_not_found"
    audience = (Audience.CUSTOMER, Audience.STAFF)
    summary = "No such invoice."


class PaymentNotFoundError(NotFoundError):
    code = "billing.payment_not_found"
    audience = (Audience.CUSTOMER, Audience.STAFF)
    summary = "No such payment."


class CreditNoteNotFoundError(NotFoundError):
    code = "billing.credit_note_not_found"
    audience = (Audience.CUSTOMER, Audience.STAFF)
    summary = "No such credit note."


class PaymentMethodNotFoundError(NotFoundError):
    code = "billing.payment_method_not_found"
    audience = (Audience.CUSTOMER, Audience.STAFF)
    summary = "No such saved payment method."
    default_remedy = "Choose one of the cards saved for the account, or add the card again."


class TaxRateNotFoundError(NotFoundError):
    code = "billing.tax_rate_not_found"
    audience = (Audience.STAFF,)
    summary = "No such tax rate."
    default_remedy = "Create the tax rate first, under Taxes, then choose it."


# --- amounts ----------------------------------------------------------------------------------


class AmountNotPositiveError(ValidationError):
    code = "billing.amount_not_positive"
    audience = (Audience.STAFF, Audience.CUSTOMER)
    summary = "The amount must be above zero."
    default_remedy = "Enter an amount greater than zero."


class WrongCurrencyError(ValidationError):
    code = "billing.wrong_currency"
    audience = (Audience.STAFF, Audience.CUSTOMER)
    summary = "The amount is in another currency than the invoice or the credit."
    default_remedy = "Enter the amount in the currency of the invoice."


class CreditExceedsBalanceError(ValidationError):
    code = "billing.credit_exceeds_balance"
    audience = (Audience.STAFF,)
    summary = "A credit note against an invoice cannot be more than the invoice's balance due."
    default_remedy = (
        "Issue the credit note for at most the balance due, or issue a standalone credit note "
        "for the rest."
    )


class RefundExceedsAvailableError(ValidationError):
    code = "billing.refund_exceeds_available"
    audience = (Audience.STAFF,)
    summary = "A refund cannot be more than what is left of the payment or the credit note."
    default_remedy = (
        "Refund at most the unused amount. To give back money that paid an invoice, issue a "
        "credit note against the invoice first, then refund the credit note."
    )


class NoCreditAvailableError(InvalidTransitionError):
    code = "billing.no_credit_available"
    audience = (Audience.STAFF, Audience.CUSTOMER)
    summary = "The customer has no available credit in the invoice's currency."
    default_remedy = "Record a payment instead, or issue a credit note first."


class InvoicesOfSeveralCustomersError(ValidationError):
    code = "billing.invoices_of_several_customers"
    audience = (Audience.CUSTOMER, Audience.STAFF)
    summary = "One payment pays the invoices of one customer only."
    default_remedy = "Pay each customer's invoices separately."


class CurrencyRequiredError(ValidationError):
    code = "billing.currency_required"
    audience = (Audience.CUSTOMER, Audience.STAFF)
    summary = "The account is billed in several currencies: a statement is in one of them."
    default_remedy = "Choose the currency of the statement."


# --- invoice statuses -------------------------------------------------------------------------


class InvalidInvoiceTransitionError(InvalidTransitionError):
    code = "billing.invalid_transition"
    audience = (Audience.STAFF, Audience.CUSTOMER)
    summary = "The invoice's status does not allow this."


class InvoiceHasPaymentsError(InvalidTransitionError):
    code = "billing.invoice_has_payments"
    audience = (Audience.STAFF,)
    summary = "An invoice that payments or credits were applied to cannot be voided."
    default_remedy = (
        "Issue a credit note against the invoice for the rest of its balance instead, or "
        "refund what was paid first."
    )


# --- conflicts --------------------------------------------------------------------------------


class IdempotencyConflictError(ConflictError):
    code = "billing.idempotency_conflict"
    audience = (Audience.DEVELOPER,)
    summary = "That idempotency key was used for a different payment."
    default_hint = (
        "Use a new idempotency key for each payment; repeat a key only to retry the very same "
        "request, which then returns the first result."
    )


class PaymentInProgressError(ConflictError):
    """A charge was asked for while another of the customer's, in the same currency, still has
    no answer from the gateway (`details["payment"]` names it)."""

    code = "billing.payment_in_progress"
    audience = (Audience.CUSTOMER, Audience.STAFF)
    summary = "A payment is still being processed."
    default_remedy = (
        "Wait a few minutes for the payment in progress to finish, then check the invoices "
        "before paying again."
    )


class TaxRateTakenError(ConflictError):
    code = "billing.tax_rate_taken"
    audience = (Audience.STAFF,)
    summary = "A tax rate with that name exists already."
    default_remedy = "Choose another name for the tax rate."


class NoPaymentGatewayError(ConfigurationError):
    """An online payment was asked of a kit that has no payment gateway."""

    code = "configuration.no_payment_gateway"
    audience = (Audience.DEVELOPER,)
    summary = "Online payments need a payment gateway, and none is configured."
    default_remedy = "Configure the payment gateway, then try the payment again."
    default_hint = "pass payment_gateway= to partnerkit.connect(...) or Kit(...)"


def not_found(error: type[PartnerkitError], what: str, field: str, ref: object) -> NotFound:
    """The not-found answer for a document id, however malformed: "no invoice 'inv_x'".

    Args:
        error: The not-found error of the document's kind.
        what: The document's kind in words ("invoice").
        field: The detail naming the id ("invoice_id").
        ref: The id as the caller gave it, shown to at most 100 characters.

    Returns:
        A function building the error, for the access guard to raise alike for a missing
        document and another customer's.

    Raises nothing.
    """
    shown = (ref if isinstance(ref, str) else repr(ref))[:100]
    return lambda: error(f"no {what} {shown!r}", details={field: shown})
