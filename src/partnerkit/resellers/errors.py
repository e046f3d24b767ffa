"""Errors of the reseller portal: missing resellers, customers and orders, a taken email, an
unknown tag, an archived or migrated customer, order lines and statuses, an order's one invoice,
invitations.

The codes are stable; the registry in `partnerkit.errors` collects them for the reference."""

from __future__ import annotations

from partnerkit.errors import (
    Audience,
    ConflictError,
    InvalidTransitionError,
    NotFoundError,
    ValidationError,
)

__all__ = [
    "AlreadyOwnPortalError",
    "CustomerArchivedError",
    "CustomerMigratedError",
    "InvalidOrderTransitionError",
    "InvitationExpiredError",
    "MixedCurrenciesError",
    "OrderEmptyError",
    "OrderInvoicedError",
    "OrderNotConfirmedError",
    "QuantityNotPositiveError",
    "ResellerCustomerNotFoundError",
    "ResellerEmailTakenError",
    "ResellerNotFoundError",
    "SalesOrderNotFoundError",
    "UnknownTagError",
]


# --- records that do not exist (or that the actor may not see) --------------------------------


class ResellerNotFoundError(NotFoundError):
    code = "resellers.reseller_not_found"
    audience = (Audience.RESELLER, Audience.STAFF)
    summary = "No such reseller."


class ResellerCustomerNotFoundError(NotFoundError):
    code = "resellers.customer_not_found"
    audience = (Audience.RESELLER, Audience.STAFF)
    summary = "No such customer in this reseller portal."


class SalesOrderNotFoundError(NotFoundError):
    code = "resellers.order_not_found"
    audience = (Audience.RESELLER, Audience.STAFF)
    summary = "No such order."


# --- input ------------------------------------------------------------------------------------


class UnknownTagError(ValidationError):
    code = "resellers.unknown_tag"
    audience = (Audience.RESELLER, Audience.STAFF)
    summary = "The customer list was filtered by a tag this portal does not have."
    default_remedy = "Choose one of the portal's tags, or tag a customer with it first."


class QuantityNotPositiveError(ValidationError):
    code = "resellers.quantity_not_positive"
    audience = (Audience.RESELLER, Audience.STAFF)
    summary = "An order line's quantity must be a whole number above zero."
    default_remedy = "Enter a quantity of 1 or more."


class MixedCurrenciesError(ValidationError):
    code = "resellers.mixed_currencies"
    audience = (Audience.RESELLER, Audience.STAFF)
    summary = "The lines of one order are priced in one currency."
    default_remedy = "Price every line of the order in the same currency, or place two orders."


class OrderEmptyError(ValidationError):
    code = "resellers.order_empty"
    audience = (Audience.RESELLER, Audience.STAFF)
    summary = "An order has at least one line."
    default_remedy = "Add a product to the order."


# --- conflicts --------------------------------------------------------------------------------


class ResellerEmailTakenError(ConflictError):
    code = "resellers.email_taken"
    audience = (Audience.RESELLER, Audience.STAFF)
    summary = "Another customer of this reseller has that email address."
    default_remedy = "Open that customer instead, or use another email address."


class OrderInvoicedError(ConflictError):
    code = "resellers.order_invoiced"
    audience = (Audience.RESELLER, Audience.STAFF)
    summary = "The order has its invoice already."
    default_remedy = (
        "Open the order's invoice instead: it is paid or credited in billing. Only when staff "
        "void that invoice can the order be invoiced again."
    )


# --- statuses ---------------------------------------------------------------------------------


class CustomerArchivedError(InvalidTransitionError):
    code = "resellers.customer_archived"
    audience = (Audience.RESELLER, Audience.STAFF)
    summary = "The customer is archived: no new orders can be placed for it."
    default_remedy = "Unarchive the customer first, then place the order."


class CustomerMigratedError(InvalidTransitionError):
    code = "resellers.customer_migrated"
    audience = (Audience.RESELLER, Audience.STAFF)
    summary = (
        "The customer moved to its own reseller portal: its history can still be read here, "
        "but no longer changed."
    )
    default_remedy = "Ask the customer to make the change in its own portal."


class AlreadyOwnPortalError(InvalidTransitionError):
    code = "resellers.already_own_portal"
    audience = (Audience.RESELLER, Audience.STAFF)
    summary = "The customer already manages its orders in its own reseller portal."


class InvalidOrderTransitionError(InvalidTransitionError):
    code = "resellers.invalid_order_transition"
    audience = (Audience.RESELLER, Audience.STAFF)
    summary = "The order's status does not allow this."


class OrderNotConfirmedError(InvalidTransitionError):
    code = "resellers.order_not_confirmed"
    audience = (Audience.RESELLER, Audience.STAFF)
    summary = "Only a confirmed (or fulfilled) order can be invoiced."
    default_remedy = "Confirm the order first; a cancelled order is not invoiced."


class InvitationExpiredError(InvalidTransitionError):
    code = "resellers.invitation_expired"
    audience = (Audience.RESELLER,)
    summary = "The invitation to the reseller portal has expired."
    default_remedy = "Ask the company you work for to send a new invitation."
