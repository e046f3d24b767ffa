"""The payment gateway port: what partnerkit asks of a gateway (Stripe, Braintree, PayPal...) and
the values it exchanges with one. Card data never crosses it: only the gateway's tokens do.

An adapter implements `PaymentGateway`; `partnerkit.FakePaymentGateway` is the one shipped for
tests, and `partnerkit.testing.conformance.PaymentGatewayContract` holds both to the same rules.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from datetime import date, datetime
from typing import Protocol, runtime_checkable

import attrs

from partnerkit.billing.payment_errors import (
    CardNumberRefusedError,
    PaymentError,
)
from partnerkit.clock import ensure_aware_utc
from partnerkit.errors import ERRORS, InvalidInputError, field_label
from partnerkit.money import Money

__all__ = [
    "MAX_KEY_LENGTH",
    "BillingAddress",
    "ChargeRequest",
    "ChargeResult",
    "ChargeStatus",
    "GatewayCapabilities",
    "PaymentFailure",
    "PaymentGateway",
    "RefundRequest",
    "RefundResult",
    "SavedCard",
    "looks_like_card_number",
]

#: The longest idempotency key, gateway reference or token kept: Stripe's limit for keys.
MAX_KEY_LENGTH = 255
_DIGIT_RUN = re.compile(r"(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)")
_LAST4 = re.compile(r"^\d{4}$")


def _luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch)
        if i % 2 == 1:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total % 10 == 0


def looks_like_card_number(text: str) -> bool:
    """Whether `text` holds what looks like a card number: 13 to 19 digits, spaces or dashes
    between them allowed, starting with 1 to 6 (the payment networks' first digits, ISO/IEC
    7812) and passing the Luhn check (the check digit every card number has).

    Args:
        text: Any text: a token, a description, an address line.

    Returns:
        True when some run of digits in it could be a card number.

    Raises nothing.
    """
    for found in _DIGIT_RUN.finditer(text):
        digits = re.sub(r"[ -]", "", found.group())
        if _card_digits(digits):
            return True
    return False


def _card_digits(digits: str) -> bool:
    # ISO/IEC 7812: card numbers of payment networks start with 1 to 6 (airlines, travel,
    # banking); 13 to 19 digits; the Luhn check digit last.
    return 13 <= len(digits) <= 19 and digits[0] in "123456" and _luhn(digits)


def _is_card_number(text: str) -> bool:
    # A token is refused only when it is a card number itself: an embedded run of digits is
    # common in hex tokens and would refuse one in a few hundred.
    digits = re.sub(r"[ -]", "", text)
    return digits.isdigit() and _card_digits(digits)


def _masked(_: object) -> str:
    # Tokens are the keys to a customer's card at the gateway: no repr, log line or traceback
    # shows one.
    return "'…'"


def _text(
    value: object,
    field: str,
    *,
    max_length: int,
    required: bool = True,
    token: bool = False,
    ids: bool = False,
) -> str:
    """Checked text. A token is refused when it is a card number; words when they hold one;
    ids (keys, references) are the host's or the gateway's and are not scanned: Adyen's
    references, for one, are 16-digit numbers."""
    if not isinstance(value, str):
        raise InvalidInputError(
            f"{field_label(field)} must be text",
            field=field,
            hint=f"{field} got {type(value).__name__}",
        )
    if required and not value.strip():
        raise InvalidInputError(f"{field_label(field)} must not be empty", field=field)
    if len(value) > max_length:
        raise InvalidInputError(
            f"{field_label(field)} is longer than {max_length} characters",
            field=field,
            details={"max_length": max_length},
        )
    if any(ord(ch) < 32 or 0xD800 <= ord(ch) <= 0xDFFF for ch in value):
        raise InvalidInputError(
            f"{field_label(field)} must not contain control characters or broken characters",
            field=field,
        )
    if not ids and (_is_card_number(value) if token else looks_like_card_number(value)):
        raise CardNumberRefusedError(
            f"{field_label(field)} looks like a card number, which is never taken",
            field=field,
        )
    return value


def _flag(value: object, field: str) -> None:
    if not isinstance(value, bool):
        raise InvalidInputError(
            f"{field_label(field)} must be yes or no",
            field=field,
            hint=f"{field} takes True or False",
        )


def _positive(value: object, field: str) -> Money:
    if not isinstance(value, Money):
        raise InvalidInputError(
            f"{field_label(field)} must be an amount of money",
            field=field,
            hint=f"{field} takes Money.of('12.50', 'USD'), got {type(value).__name__}",
        )
    if not value.is_positive:
        raise InvalidInputError(
            f"{field_label(field)} must be more than zero", field=field, details={"value": value}
        )
    return value


def _currencies(values: Iterable[str]) -> tuple[str, ...]:
    # Sorted and unique, so that two equal sets of capabilities compare equal.
    if isinstance(values, str):
        values = (values,)
    return tuple(sorted(set(values)))


def _minimums(values: Iterable[Money]) -> tuple[Money, ...]:
    return tuple(sorted(values, key=lambda m: m.currency))


class ChargeStatus(enum.StrEnum):
    """What became of a charge or a refund at the gateway."""

    #: The money moved: the result has the gateway's reference.
    SUCCEEDED = "succeeded"
    #: Refused, and no money moved: the result's `failure` says why.
    FAILED = "failed"
    #: Not known: the gateway timed out or the answer was lost. The money may have moved. Never
    #: guess: ask the gateway again with `lookup(idempotency_key)`, or retry with the same key.
    UNKNOWN = "unknown"


@attrs.frozen
class GatewayCapabilities:
    """What a configured gateway can do: the facts the CP rules check before charging.

    Attributes:
        supported_currencies: ISO 4217 codes it takes (CP4003 for any other).
        minimum_amounts: Its smallest charge, one amount per currency that has one (CP4001).
        reference_transactions: Whether the merchant account lets a saved card be charged
            again without the customer (CP3001).
        credentials_valid: Whether the gateway accepted the configured credentials (CP3002).
        recurring: Whether it supports recurring payments (CP4002).

    Raises:
        InvalidInputError: A currency given twice among the minimums, a minimum in a currency
            it does not take, or one not above zero (`validation.invalid`).
        UnknownCurrencyError: A currency that is not an ISO 4217 code (`money.unknown_currency`).
    """

    supported_currencies: tuple[str, ...] = attrs.field(converter=_currencies)
    minimum_amounts: tuple[Money, ...] = attrs.field(default=(), converter=_minimums)
    reference_transactions: bool = True
    credentials_valid: bool = True
    recurring: bool = True

    def __attrs_post_init__(self) -> None:
        for currency in self.supported_currencies:
            Money.zero(currency)  # refuses what is not an ISO 4217 code
        seen: set[str] = set()
        for i, minimum in enumerate(self.minimum_amounts):
            field = f"minimum_amounts[{i}]"
            _positive(minimum, field)
            if minimum.currency in seen or minimum.currency not in self.supported_currencies:
                raise InvalidInputError(
                    f"{field_label(field)} must be one amount for a currency the gateway takes",
                    field=field,
                    details={"currency": minimum.currency},
                )
            seen.add(minimum.currency)
        for name in ("reference_transactions", "credentials_valid", "recurring"):
            _flag(getattr(self, name), name)

    def supports(self, currency: str) -> bool:
        """Whether the gateway takes this currency.

        Args:
            currency: An ISO 4217 code.

        Returns:
            True when it is among `supported_currencies`.

        Raises nothing.
        """
        return currency in self.supported_currencies

    def minimum(self, currency: str) -> Money | None:
        """The gateway's smallest charge in a currency.

        Args:
            currency: An ISO 4217 code.

        Returns:
            The minimum, or None when the gateway sets none for it.

        Raises nothing.
        """
        return next((m for m in self.minimum_amounts if m.currency == currency), None)


@attrs.frozen
class BillingAddress:
    """The billing address as the customer gave it on the payment page, for the gateway's
    address verification (CP3004). Nothing is normalised: the gateway compares what was typed."""

    line1: str = ""
    line2: str = ""
    city: str = ""
    state: str = ""
    postal_code: str = ""
    country: str = ""

    def __attrs_post_init__(self) -> None:
        for field in ("line1", "line2", "city", "state", "postal_code", "country"):
            _text(getattr(self, field), f"billing_address.{field}", max_length=200, required=False)


@attrs.frozen
class ChargeRequest:
    """One charge to make at the gateway, under an idempotency key the caller chose.

    Retrying with the same key and the very same request returns the first result and charges
    nothing more; the same key with anything different is refused (`same_request`).

    Attributes:
        idempotency_key: The caller's key for this charge, up to 255 characters; make it once per
            payment (a payment's id) and keep it for every retry.
        customer_id: The customer the money comes from.
        amount: More than zero.
        payment_method: The gateway's token for the card: a one-time token from its payment
            page, or a saved card's token. Never a card number; never shown in a repr.
        recurring: A recurring payment (an auto-charge of a subscription), which needs a
            gateway that supports them (CP4002).
        saved_card: A charge of a saved card without the customer present (a reference
            transaction, CP3001).
        description: What the charge is for, as the customer's statement at the bank shows it.
        billing_address: The address given on the payment page, as given.

    Raises:
        InvalidInputError: A field of the wrong kind, an empty key or token, or an amount not
            above zero (`validation.invalid`).
        CardNumberRefusedError: A card number in the token or the description
            (`payment.card_number_refused`).
    """

    idempotency_key: str
    customer_id: str
    amount: Money
    payment_method: str = attrs.field(repr=_masked)
    recurring: bool = False
    saved_card: bool = False
    description: str = ""
    billing_address: BillingAddress | None = None

    def __attrs_post_init__(self) -> None:
        _text(self.idempotency_key, "idempotency_key", max_length=MAX_KEY_LENGTH, ids=True)
        _text(self.customer_id, "customer_id", max_length=100, ids=True)
        _positive(self.amount, "amount")
        _text(self.payment_method, "payment_method", max_length=MAX_KEY_LENGTH, token=True)
        _flag(self.recurring, "recurring")
        _flag(self.saved_card, "saved_card")
        _text(self.description, "description", max_length=500, required=False)
        if self.billing_address is not None and not isinstance(
            self.billing_address, BillingAddress
        ):
            raise InvalidInputError(
                "billing address must be an address",
                field="billing_address",
                hint="billing_address takes a BillingAddress",
            )


@attrs.frozen
class PaymentFailure:
    """Why a charge or a refund failed: the partnerkit error's code and the gateway's own words.

    Attributes:
        code: The code of a payment error: "payment.cp3003" for a CP error, "payment.declined"
            for a plain decline, "payment.refund_refused".
        gateway_code: The gateway's own code ("fraudulent", "avs_failure"), for the vendor's team.
        gateway_message: The gateway's own message, for the vendor's team.

    Raises:
        InvalidInputError: `code` is not the code of a payment error (`validation.invalid`).
    """

    code: str
    gateway_code: str | None = None
    gateway_message: str | None = None

    def __attrs_post_init__(self) -> None:
        error = ERRORS.get(self.code) if isinstance(self.code, str) else None
        if error is None or not issubclass(error, PaymentError):
            raise InvalidInputError(
                "the failure must name a payment error's code",
                field="code",
                hint="PaymentFailure(code=...) takes a code such as 'payment.cp3003'",
            )

    @classmethod
    def of(cls, error: type[PaymentError] | PaymentError, **gateway: str | None) -> PaymentFailure:
        """The failure for an error class or instance.

        Args:
            error: The payment error.
            **gateway: `gateway_code=` and `gateway_message=`, as the gateway said them.

        Returns:
            The failure.

        Raises:
            InvalidInputError: `error` is no concrete payment error (`validation.invalid`).
        """
        return cls(error.code, **gateway)

    @property
    def cp_code(self) -> str | None:
        """The seed's code ("CP3003"), or None for a failure the CP table does not name."""
        return getattr(ERRORS[self.code], "cp_code", None) or None

    def error(self) -> PaymentError:
        """The typed error, with the gateway's words in its details.

        Returns:
            A new instance of the failure's error class.

        Raises nothing.
        """
        details = {
            key: value
            for key, value in (
                ("gateway_code", self.gateway_code),
                ("gateway_message", self.gateway_message),
            )
            if value is not None
        }
        error = ERRORS[self.code](details=details)
        assert isinstance(error, PaymentError)
        return error


def _result_shape(
    status: ChargeStatus, reference: str | None, failure: PaymentFailure | None
) -> None:
    if not isinstance(status, ChargeStatus):
        raise InvalidInputError("status must be a charge status", field="status")
    if (status is ChargeStatus.SUCCEEDED) != (reference is not None):
        raise InvalidInputError(
            "a succeeded result, and only one, has the gateway's reference", field="reference"
        )
    if (status is ChargeStatus.FAILED) != (failure is not None):
        raise InvalidInputError("a failed result, and only one, says why", field="failure")


@attrs.frozen
class ChargeResult:
    """What the gateway did with a charge: succeeded with a reference, failed with a reason, or
    unknown (a timeout: ask again with `lookup`, never guess).

    Attributes:
        idempotency_key: The charge's key.
        status: Succeeded, failed or unknown.
        amount: The amount asked for.
        reference: The gateway's id of the charge; set exactly when it succeeded.
        failure: Why it failed; set exactly when it failed.
        at: When the gateway processed it; None when unknown.

    Raises:
        InvalidInputError: A reference without success or a failure without failing
            (`validation.invalid`).
    """

    idempotency_key: str
    status: ChargeStatus
    amount: Money
    reference: str | None = None
    failure: PaymentFailure | None = None
    at: datetime | None = None

    def __attrs_post_init__(self) -> None:
        _result_shape(self.status, self.reference, self.failure)
        if self.at is not None:
            ensure_aware_utc(self.at, "at")

    @property
    def succeeded(self) -> bool:
        """Whether the money moved."""
        return self.status is ChargeStatus.SUCCEEDED

    @property
    def unknown(self) -> bool:
        """Whether the outcome is still to be asked for (`lookup`)."""
        return self.status is ChargeStatus.UNKNOWN

    def error(self) -> PaymentError | None:
        """The typed error of a failed charge: a CP error, or a plain decline.

        Returns:
            The error, or None when the charge did not fail.

        Raises nothing.
        """
        return self.failure.error() if self.failure is not None else None


@attrs.frozen
class RefundRequest:
    """Money to give back on a charge that succeeded, under its own idempotency key.

    Attributes:
        idempotency_key: The caller's key for this refund; keep it for every retry.
        charge_reference: The gateway's reference of the charge.
        amount: More than zero, in the charge's currency, at most what is left of it.
        reason: Why, for the vendor's records.

    Raises:
        InvalidInputError: A field of the wrong kind, or an amount not above zero
            (`validation.invalid`).
        CardNumberRefusedError: A card number in the reason (`payment.card_number_refused`).
    """

    idempotency_key: str
    charge_reference: str
    amount: Money
    reason: str = ""

    def __attrs_post_init__(self) -> None:
        _text(self.idempotency_key, "idempotency_key", max_length=MAX_KEY_LENGTH, ids=True)
        _text(self.charge_reference, "charge_reference", max_length=MAX_KEY_LENGTH, ids=True)
        _positive(self.amount, "amount")
        _text(self.reason, "reason", max_length=500, required=False)


@attrs.frozen
class RefundResult:
    """What the gateway did with a refund, like a `ChargeResult`.

    Attributes:
        idempotency_key: The refund's key.
        status: Succeeded, failed or unknown.
        amount: The amount asked for.
        charge_reference: The charge it refunds.
        reference: The gateway's id of the refund; set exactly when it succeeded.
        failure: Why it failed (`payment.refund_refused`); set exactly when it failed.
        at: When the gateway processed it; None when unknown.

    Raises:
        InvalidInputError: A reference without success or a failure without failing
            (`validation.invalid`).
    """

    idempotency_key: str
    status: ChargeStatus
    amount: Money
    charge_reference: str
    reference: str | None = None
    failure: PaymentFailure | None = None
    at: datetime | None = None

    def __attrs_post_init__(self) -> None:
        _result_shape(self.status, self.reference, self.failure)
        if self.at is not None:
            ensure_aware_utc(self.at, "at")

    @property
    def succeeded(self) -> bool:
        """Whether the money went back."""
        return self.status is ChargeStatus.SUCCEEDED

    def error(self) -> PaymentError | None:
        """The typed error of a failed refund.

        Returns:
            The error, or None when the refund did not fail.

        Raises nothing.
        """
        return self.failure.error() if self.failure is not None else None


@attrs.frozen
class SavedCard:
    """A card the gateway keeps for the customer: its token and what a person recognises it by.

    Never a card number: a value that looks like one in the token or the brand is refused, and
    the token is never shown in a repr.

    Attributes:
        token: The gateway's reusable token for the card.
        brand: The card's network as the gateway names it ("visa").
        last4: Its last four digits.
        exp_month: Its expiry month, 1 to 12.
        exp_year: Its expiry year, four digits.

    Raises:
        InvalidInputError: An empty token, last digits that are not four digits, or an expiry
            out of range (`validation.invalid`).
        CardNumberRefusedError: A card number in the token or the brand
            (`payment.card_number_refused`).
    """

    token: str = attrs.field(repr=_masked)
    brand: str
    last4: str
    exp_month: int
    exp_year: int

    def __attrs_post_init__(self) -> None:
        _text(self.token, "token", max_length=MAX_KEY_LENGTH, token=True)
        _text(self.brand, "brand", max_length=40)
        if not isinstance(self.last4, str) or not _LAST4.match(self.last4):
            raise InvalidInputError("last 4 digits must be four digits", field="last4")
        for field, low, high in (("exp_month", 1, 12), ("exp_year", 2000, 2199)):
            value = getattr(self, field)
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise InvalidInputError(
                    f"{field_label(field)} must be a whole number from {low} to {high}",
                    field=field,
                )

    def expired(self, today: date) -> bool:
        """Whether the card has expired: it works to the last day of its expiry month.

        Args:
            today: The day to ask for.

        Returns:
            True from the first day after its expiry month.

        Raises nothing.
        """
        return (today.year, today.month) > (self.exp_year, self.exp_month)

    @property
    def label(self) -> str:
        """How a person recognises the card: "visa ending in 4242, expires 12/2030"."""
        return f"{self.brand} ending in {self.last4}, expires {self.exp_month:02d}/{self.exp_year}"


@runtime_checkable
class PaymentGateway(Protocol):
    """What partnerkit asks of a payment gateway; an adapter implements it over the gateway's API.

    The rules every adapter keeps (`PaymentGatewayContract` checks them):

    - **Idempotency.** A charge or refund carries the caller's key. A key the gateway has seen
      with the same request returns the first result and moves no money, however many callers
      send it at once; with a different request it raises `IdempotencyKeyReusedError`. Pass the
      key to the gateway's own idempotency (Stripe's Idempotency-Key header), so that a retry
      after a crash is safe too.
    - **Failures are results.** A decline comes back as a failed result with its
      `PaymentFailure` (a CP code where the table has one), never as an exception.
    - **Timeouts are unknown.** When the gateway does not answer, the result is `unknown`,
      never a guess; `lookup(idempotency_key)` later tells what the gateway did with that key.
    - **No card data.** Only the gateway's tokens cross the port; cards are tokenised by the
      gateway's own payment page, in the customer's browser.
    """

    def capabilities(self) -> GatewayCapabilities:
        """What the configured gateway can do, for the checks made before a charge.

        Returns:
            The capabilities, as the gateway's configuration says now.

        Raises nothing.
        """
        ...

    def charge(self, request: ChargeRequest) -> ChargeResult:
        """Charge a card, once per idempotency key.

        Args:
            request: The charge.

        Returns:
            Succeeded, failed (with the reason) or unknown (a timeout).

        Raises:
            IdempotencyKeyReusedError: The key was used for a different request
                (`payment.idempotency_key_reused`).
        """
        ...

    def refund(self, request: RefundRequest) -> RefundResult:
        """Give money back on a charge, once per idempotency key, never more than was charged.

        Args:
            request: The refund.

        Returns:
            Succeeded, failed (`payment.refund_refused`: more than is left, or an unknown
            charge) or unknown (a timeout).

        Raises:
            IdempotencyKeyReusedError: The key was used for a different request
                (`payment.idempotency_key_reused`).
        """
        ...

    def lookup(self, idempotency_key: str) -> ChargeResult | None:
        """What the gateway did with the charge under a key: how an `unknown` charge is settled.

        Args:
            idempotency_key: The charge's key.

        Returns:
            The charge's result, or None when the gateway never received it (safe to send again
            with the same key).

        Raises:
            GatewayUnavailableError: The gateway did not answer: the charge stays unknown until
                it is asked again (`payment.gateway_unavailable`).
        """
        ...

    def lookup_refund(self, idempotency_key: str) -> RefundResult | None:
        """What the gateway did with the refund under a key.

        Args:
            idempotency_key: The refund's key.

        Returns:
            The refund's result, or None when the gateway never received it.

        Raises:
            GatewayUnavailableError: The gateway did not answer (`payment.gateway_unavailable`).
        """
        ...

    def save_card(self, customer_id: str, payment_method: str) -> SavedCard:
        """Keep a card at the gateway for later charges ("use for future transactions").

        Args:
            customer_id: The customer the card belongs to.
            payment_method: The one-time token of the gateway's payment page.

        Returns:
            The saved card: a reusable token, brand, last four digits and expiry.

        Raises:
            CardDeclinedError: The gateway refused the card (`payment.declined`).
            InvalidGatewayCredentialsError: The gateway refused the credentials
                (`payment.cp3002`).
            GatewayUnavailableError: The gateway did not answer
                (`payment.gateway_unavailable`).
        """
        ...
