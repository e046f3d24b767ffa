"""The payment errors: the customer portal's CP codes (003 seed, "Troubleshooting") and the few a
gateway adds (a plain decline, a refused refund, a reused payment key, a card number).

Each CP error says what went wrong and what can be done in the seed's own words, for the vendor's
team who reads the code a customer reports, and carries the words the paying customer is shown.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, ClassVar

from partnerkit.errors import (
    Audience,
    ConflictError,
    PaymentError,
    ValidationError,
)

__all__ = [
    "CP_ERRORS",
    "AddressVerificationFailedError",
    "BelowMinimumAmountError",
    "CardDeclinedError",
    "CardNumberRefusedError",
    "ContactDeletedError",
    "CurrencyNotSupportedError",
    "DuplicateTransactionError",
    "FraudDeclinedError",
    "GatewayUnavailableError",
    "IdempotencyKeyReusedError",
    "InvalidGatewayCredentialsError",
    "NoDefaultTaxError",
    "PaymentError",
    "PortalPaymentError",
    "RecurringNotSupportedError",
    "RecurringProfileDeletedError",
    "ReferenceTransactionsDisabledError",
    "RefundRefusedError",
    "cp_error",
]

#: What a paying customer is told when nothing more can be said without the vendor's help.
_ASK_US = "Contact us, and we will sort it out with you."


class PortalPaymentError(PaymentError):
    """A payment through the customer portal failed with one of the seed's CP codes.

    `message` is the seed's "What went wrong?", `remedy` its "What can you do?": both are for
    the vendor's team, who looks the code up when a customer reports it. `customer_message` is
    what the paying customer reads on the payment page, with the code to quote (`for_customer`).
    `details["cp_code"]` holds the code ("CP3003") for programs, beside the dotted `code`
    ("payment.cp3003").

    Args:
        message: The message; the seed's "What went wrong?" when None.
        details: Facts about the failure, such as the rule and the gateway's own code.
        remedy: What the vendor's team can do; the seed's "What can you do?" when None.
        hint: What the developer can do; the class's default hint when None.
    """

    code = "payment.portal"
    summary = "A payment through the customer portal failed."
    abstract = True
    #: The seed's code, as the customer sees it: "CP3003".
    cp_code: ClassVar[str] = ""
    #: The words for the customer paying, on the payment page.
    customer_message: ClassVar[str] = _ASK_US

    def __init__(
        self,
        message: str | None = None,
        *,
        details: Mapping[str, Any] | None = None,
        remedy: str | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(
            message, details={"cp_code": self.cp_code, **(details or {})}, remedy=remedy, hint=hint
        )

    def for_customer(self) -> str:
        """What the paying customer is shown: the customer's words and the code to quote.

        Returns:
            Such as "Your payment was declined. ... (error CP3003)".

        Raises nothing.
        """
        return f"{self.customer_message} (error {self.cp_code})"


# --- the seed's table, in its order ---------------------------------------------------------


class ContactDeletedError(PortalPaymentError):
    code = "payment.cp1003"
    cp_code = "CP1003"
    audience = (Audience.STAFF, Audience.CUSTOMER)
    summary = "Your customer’s customer portal might be associated with a deleted customer contact."
    default_remedy = "Verify that the associated customer contact still exists."
    default_hint = "The contact the portal user belongs to was removed from the customer."
    customer_message = "Your portal access is linked to a contact that no longer exists. " + _ASK_US


class RecurringProfileDeletedError(PortalPaymentError):
    code = "payment.cp1004"
    cp_code = "CP1004"
    audience = (Audience.STAFF, Audience.CUSTOMER)
    summary = (
        "Your customer’s customer portal might be associated with a deleted recurring profile."
    )
    default_remedy = "Verify that the associated recurring profile still exists."
    default_hint = "The subscription or recurring profile this payment renews was deleted."
    customer_message = "The recurring payment you are paying for no longer exists. " + _ASK_US


class NoDefaultTaxError(PortalPaymentError):
    code = "payment.cp2001"
    cp_code = "CP2001"
    audience = (Audience.STAFF,)
    summary = "You have not set up default taxes for your organization."
    default_remedy = (
        "Go to Settings > Taxes & Compliance > Taxes > Tax Rates and create a default tax."
    )
    default_hint = "Set the organisation's default tax before taking online payments."
    customer_message = "Online payments are not available right now. " + _ASK_US


class ReferenceTransactionsDisabledError(PortalPaymentError):
    code = "payment.cp3001"
    cp_code = "CP3001"
    audience = (Audience.STAFF,)
    summary = "You have not enabled reference transactions in your merchant account."
    default_remedy = "Enable reference transactions in your merchant account."
    default_hint = (
        "A saved-card charge (ChargeRequest(saved_card=True)) needs "
        "GatewayCapabilities.reference_transactions."
    )
    customer_message = (
        "Your saved card cannot be charged right now. Pay with a new card, or contact us."
    )


class InvalidGatewayCredentialsError(PortalPaymentError):
    code = "payment.cp3002"
    cp_code = "CP3002"
    # Only the vendor's team: a customer has no business learning about the merchant account.
    audience = (Audience.STAFF,)
    summary = (
        "You have configured the payment gateway with invalid credentials or have made recent "
        "changes to your merchant account."
    )
    default_remedy = (
        "Re-enter the correct credentials in Settings > Online Payments > Payment Gateways."
    )
    default_hint = (
        "The gateway adapter's API keys were refused (GatewayCapabilities.credentials_valid)."
    )
    customer_message = "Online payments are not available right now. " + _ASK_US


class FraudDeclinedError(PortalPaymentError):
    code = "payment.cp3003"
    cp_code = "CP3003"
    audience = (Audience.STAFF, Audience.CUSTOMER)
    summary = (
        "The payment has been declined due to the fraud detection filters that you’ve set up "
        "in your merchant account."
    )
    default_remedy = (
        "Verify if the transaction was fraudulent or not. Moderate your fraud filters, "
        "if necessary."
    )
    default_hint = "The gateway's fraud filters refused it; details['gateway_code'] is its answer."
    customer_message = "Your payment was declined. Try another card, or contact us."


class AddressVerificationFailedError(PortalPaymentError):
    code = "payment.cp3004"
    cp_code = "CP3004"
    audience = (Audience.STAFF, Audience.CUSTOMER)
    summary = (
        "The transaction has been declined as the payment gateway couldn’t verify the address "
        "of your customer."
    )
    default_remedy = (
        "Configure the address fields for your payment pages in Settings > Online Payments > "
        "Payment Gateways > Card Verification Settings."
    )
    default_hint = (
        "Pass the address the customer typed as ChargeRequest(billing_address=BillingAddress(...))."
    )
    customer_message = (
        "Your card's billing address could not be verified. Check the address you entered, "
        "or try another card."
    )


class DuplicateTransactionError(PortalPaymentError):
    code = "payment.cp3005"
    cp_code = "CP3005"
    audience = (Audience.STAFF, Audience.CUSTOMER)
    summary = (
        "A transaction with the same amount and card details was made within a few minutes of "
        "the previous transaction."
    )
    default_remedy = "Ask your customer to try again after a few minutes."
    default_hint = "ChargingPolicy.duplicate_window sets how long the same card and amount wait."
    customer_message = (
        "A payment of the same amount with this card was just made. Try again in a few minutes."
    )


class BelowMinimumAmountError(PortalPaymentError):
    code = "payment.cp4001"
    cp_code = "CP4001"
    audience = (Audience.STAFF, Audience.CUSTOMER)
    summary = (
        "The transaction amount is less than the minimum amount allowed by the payment gateway. "
        "This may be due to the discounts or credits applied."
    )
    default_remedy = (
        "Make sure that the transaction amount is greater than the minimum transaction amount."
    )
    default_hint = "GatewayCapabilities.minimum(currency) is the gateway's minimum."
    customer_message = (
        "The amount is below the smallest payment we can take online. Contact us to pay it "
        "another way."
    )


class RecurringNotSupportedError(PortalPaymentError):
    code = "payment.cp4002"
    cp_code = "CP4002"
    audience = (Audience.STAFF,)
    summary = "Payment gateway that you’ve configured doesn’t support recurring payments."
    default_remedy = "Configure a payment gateway that supports recurring payments."
    default_hint = (
        "A recurring charge (ChargeRequest(recurring=True)) needs GatewayCapabilities.recurring."
    )
    customer_message = (
        "Automatic payments are not available right now. You can still pay each invoice "
        "yourself, or contact us."
    )


class CurrencyNotSupportedError(PortalPaymentError):
    code = "payment.cp4003"
    cp_code = "CP4003"
    audience = (Audience.STAFF,)
    summary = "The payment gateways that you’ve configured don’t support the transaction currency."
    default_remedy = "Configure a payment gateway that supports the transaction currency."
    default_hint = "GatewayCapabilities.supported_currencies lists what the gateway takes."
    customer_message = (
        "We cannot take online payments in this currency yet. Contact us to pay it another way."
    )


#: Every CP error by its seed code ("CP3003"), for an adapter that maps a gateway's answer.
CP_ERRORS: Mapping[str, type[PortalPaymentError]] = MappingProxyType(
    {
        cls.cp_code: cls
        for cls in (
            ContactDeletedError,
            RecurringProfileDeletedError,
            NoDefaultTaxError,
            ReferenceTransactionsDisabledError,
            InvalidGatewayCredentialsError,
            FraudDeclinedError,
            AddressVerificationFailedError,
            DuplicateTransactionError,
            BelowMinimumAmountError,
            RecurringNotSupportedError,
            CurrencyNotSupportedError,
        )
    }
)


def cp_error(cp_code: str, **details: Any) -> PortalPaymentError:
    """The typed error for a seed code, as a gateway adapter builds it from the gateway's answer.

    Args:
        cp_code: The seed's code, such as "CP3003".
        **details: Facts to carry, such as the gateway's own decline code.

    Returns:
        The error, with the seed's words as its message and remedy.

    Raises:
        KeyError: `cp_code` is not in the seed's table.
    """
    return CP_ERRORS[cp_code](details=details)


# --- what a gateway adds ------------------------------------------------------------------------


class CardDeclinedError(PaymentError):
    """The card issuer or the gateway declined the charge for a reason the CP table does not name
    (insufficient funds, an expired or blocked card); `details["gateway_code"]` holds the
    gateway's own decline code."""

    code = "payment.declined"
    audience = (Audience.CUSTOMER, Audience.STAFF)
    summary = "The card was declined."
    default_remedy = "Try another card, or ask your bank why the payment was declined."
    default_hint = "details['gateway_code'] holds the gateway's own decline code."


class RefundRefusedError(PaymentError):
    """The gateway refused a refund: more than is left of the payment, or a payment it does not
    know; `details["reason"]` says which."""

    code = "payment.refund_refused"
    audience = (Audience.STAFF,)
    summary = "The payment gateway refused the refund."
    default_remedy = (
        "Check the amount against what is left of the original payment, or record the refund "
        "as an offline one."
    )
    default_hint = "details['gateway_code'] says why: exceeds_remaining, unknown_charge, ..."


class GatewayUnavailableError(PaymentError):
    """The gateway did not answer a call that moves no money (saving a card). A charge or a
    refund never raises this: its outcome is `unknown` until the gateway is asked again."""

    code = "payment.gateway_unavailable"
    audience = (Audience.CUSTOMER, Audience.STAFF)
    summary = "The payment gateway could not be reached."
    default_remedy = "Try again in a few minutes."
    default_hint = "Nothing moved: call again later; lookup() settles an unknown charge then."


class IdempotencyKeyReusedError(ConflictError):
    """A payment key (idempotency key) came back with a different request: a program's mistake,
    since a retry must repeat its request exactly. `details["fields"]` names what differs."""

    code = "payment.idempotency_key_reused"
    audience = (Audience.DEVELOPER,)
    summary = "A payment key was used again for a different payment; nothing was charged."
    default_hint = (
        "Give every new charge or refund its own idempotency_key, and retry one with its key "
        "and the very same request."
    )


class CardNumberRefusedError(ValidationError):
    """A value that looks like a card number (13 to 19 digits that pass the Luhn check) where a
    gateway token, a description or a brand belongs: partnerkit never takes or keeps one."""

    code = "payment.card_number_refused"
    audience = (Audience.DEVELOPER, Audience.STAFF)
    summary = "A card number was given where a card token belongs: card numbers are never taken."
    default_remedy = (
        "Let the payment gateway's payment page take the card, and pass on the token it returns."
    )
    default_hint = "Pass the gateway's token (such as a payment method id), never the card number."
