"""The rules an online charge meets before the gateway is called (the CP codes partnerkit can know
in advance), and idempotency as a rule: when a second request is a replay of the first.

Pure functions over values and an instant: the billing service loads the facts, asks
`decide_charge`, and charges only when it answers None, so what `explain_charge` shows is what
is done.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import NoReturn

import attrs

from partnerkit.billing.gateway import (
    ChargeRequest,
    GatewayCapabilities,
    RefundRequest,
    _masked,
)
from partnerkit.billing.payment_errors import (
    CP_ERRORS,
    IdempotencyKeyReusedError,
    PortalPaymentError,
)
from partnerkit.clock import ensure_aware_utc
from partnerkit.errors import InvalidInputError
from partnerkit.money import Money

__all__ = [
    "ChargeCheck",
    "ChargeDecision",
    "ChargeRefusal",
    "ChargeRule",
    "ChargingPolicy",
    "PortalFacts",
    "RecentCharge",
    "decide_charge",
    "explain_charge",
    "same_request",
]

#: The longest duplicate window a policy may set: past a day, a second payment is no accident.
MAX_DUPLICATE_WINDOW = timedelta(days=1)


class ChargeRule(enum.StrEnum):
    """The rules `decide_charge` applies, in the order it applies them; each refuses with the
    seed's CP code (`cp_code`)."""

    #: CP1003: the portal user's customer contact was deleted.
    CONTACT_EXISTS = "contact_exists"
    #: CP1004: the recurring profile the payment is for was deleted.
    RECURRING_PROFILE_EXISTS = "recurring_profile_exists"
    #: CP2001: the organisation has a default tax.
    DEFAULT_TAX_SET = "default_tax_set"
    #: CP3002: the gateway accepts the configured credentials.
    CREDENTIALS_VALID = "credentials_valid"
    #: CP4003: the gateway takes the charge's currency.
    CURRENCY_SUPPORTED = "currency_supported"
    #: CP4002: a recurring charge needs a gateway that supports recurring payments.
    RECURRING_SUPPORTED = "recurring_supported"
    #: CP3001: a saved-card charge needs reference transactions in the merchant account.
    REFERENCE_TRANSACTIONS = "reference_transactions"
    #: CP4001: the amount is not below the gateway's minimum (after discounts and credits).
    MINIMUM_AMOUNT = "minimum_amount"
    #: CP3005: no charge of the same amount on the same card within the duplicate window.
    NO_DUPLICATE = "no_duplicate"

    @property
    def cp_code(self) -> str:
        """The seed's code the rule refuses with ("CP4001")."""
        return _CP_CODES[self]


_CP_CODES: Mapping[ChargeRule, str] = {
    ChargeRule.CONTACT_EXISTS: "CP1003",
    ChargeRule.RECURRING_PROFILE_EXISTS: "CP1004",
    ChargeRule.DEFAULT_TAX_SET: "CP2001",
    ChargeRule.CREDENTIALS_VALID: "CP3002",
    ChargeRule.CURRENCY_SUPPORTED: "CP4003",
    ChargeRule.RECURRING_SUPPORTED: "CP4002",
    ChargeRule.REFERENCE_TRANSACTIONS: "CP3001",
    ChargeRule.MINIMUM_AMOUNT: "CP4001",
    ChargeRule.NO_DUPLICATE: "CP3005",
}


def _window(value: object) -> timedelta:
    if not isinstance(value, timedelta) or not timedelta(0) <= value <= MAX_DUPLICATE_WINDOW:
        raise InvalidInputError(
            "the duplicate window must be a duration from zero to one day",
            field="duplicate_window",
            hint="ChargingPolicy(duplicate_window=timedelta(minutes=5))",
        )
    return value


@attrs.frozen
class ChargingPolicy:
    """The numbers of the charging rules.

    Attributes:
        duplicate_window: How long a second charge of the same amount on the same card is
            refused as a likely double payment (CP3005, "within a few minutes of the previous
            transaction"): 5 minutes by default, zero to turn the rule off, at most a day.

    Raises:
        InvalidInputError: A window that is not a duration from zero to one day
            (`validation.invalid`).
    """

    duplicate_window: timedelta = attrs.field(default=timedelta(minutes=5), converter=_window)


@attrs.frozen
class PortalFacts:
    """What the billing service knows about the portal a payment comes through (CP1003, CP1004,
    CP2001): facts of the vendor's records, not of the gateway.

    Attributes:
        contact_deleted: The customer contact the portal user belongs to was deleted.
        recurring_profile_deleted: The recurring profile (subscription) paid for was deleted.
        default_tax_missing: The organisation has no default tax.
    """

    contact_deleted: bool = False
    recurring_profile_deleted: bool = False
    default_tax_missing: bool = False


def _instant(value: datetime) -> datetime:
    return ensure_aware_utc(value, "at")


@attrs.frozen
class RecentCharge:
    """A charge made earlier on a card (succeeded, or unknown and not yet settled), as the
    duplicate rule (CP3005) compares it.

    Attributes:
        at: When it was made.
        amount: Its amount.
        payment_method: The card's token; never shown in a repr.
        idempotency_key: Its key: a retry of the same charge is no duplicate.
    """

    at: datetime = attrs.field(converter=_instant)
    amount: Money
    payment_method: str = attrs.field(repr=_masked)
    idempotency_key: str = ""

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.amount, Money):
            raise InvalidInputError(
                "the amount must be an amount of money",
                field="amount",
                hint="RecentCharge(amount=Money.of('12.50', 'USD'))",
            )

    @classmethod
    def of(cls, request: ChargeRequest, at: datetime) -> RecentCharge:
        """The recent charge a request made at an instant.

        Args:
            request: The charge that was made.
            at: When.

        Returns:
            The recent charge.

        Raises:
            InvalidInputError: `at` is not an aware instant (`validation.invalid`).
        """
        return cls(at, request.amount, request.payment_method, request.idempotency_key)


@attrs.frozen
class ChargeRefusal:
    """Why a charge may not be sent: the rule, the seed's CP code and the reason in words.

    `error()` is the typed CP error, with the seed's words and the reason in its details.
    """

    rule: ChargeRule
    #: The rule's verdict on this charge, in plain words.
    reason: str
    #: Facts a program may act on: the amount, the minimum, the earlier charge's instant.
    details: Mapping[str, str] = attrs.field(factory=dict, hash=False)

    @property
    def cp_code(self) -> str:
        """The seed's code ("CP4001")."""
        return self.rule.cp_code

    def error(self) -> PortalPaymentError:
        """The typed CP error of the refusal.

        Returns:
            The error, its details the rule, the reason and the facts.

        Raises nothing.
        """
        return CP_ERRORS[self.cp_code](
            details={"rule": self.rule.value, "reason": self.reason, **self.details}
        )

    def raise_refusal(self) -> NoReturn:
        """Raise the refusal's typed CP error.

        Raises:
            ContactDeletedError: CP1003 (`payment.cp1003`).
            RecurringProfileDeletedError: CP1004 (`payment.cp1004`).
            NoDefaultTaxError: CP2001 (`payment.cp2001`).
            InvalidGatewayCredentialsError: CP3002 (`payment.cp3002`).
            CurrencyNotSupportedError: CP4003 (`payment.cp4003`).
            RecurringNotSupportedError: CP4002 (`payment.cp4002`).
            ReferenceTransactionsDisabledError: CP3001 (`payment.cp3001`).
            BelowMinimumAmountError: CP4001 (`payment.cp4001`).
            DuplicateTransactionError: CP3005 (`payment.cp3005`).
        """
        raise self.error()


@attrs.frozen
class ChargeCheck:
    """One rule applied to a charge: whether it holds, and why, in words."""

    rule: ChargeRule
    passed: bool
    reason: str


@attrs.frozen
class ChargeDecision:
    """Every rule `decide_charge` applies to a charge, in order, up to the first that refuses.

    `refusal` is that rule's refusal, None when the charge may be sent.
    """

    checks: tuple[ChargeCheck, ...]
    refusal: ChargeRefusal | None

    @property
    def allowed(self) -> bool:
        """Whether the charge may be sent to the gateway."""
        return self.refusal is None

    @property
    def reasons(self) -> tuple[str, ...]:
        """Each rule's verdict, in plain words."""
        return tuple(check.reason for check in self.checks)


_Verdict = tuple[ChargeRule, bool, str, dict[str, str]]


def _verdict(
    rule: ChargeRule, passed: bool, held: str, refused: str, details: dict[str, str] | None = None
) -> _Verdict:
    """A rule's verdict with its reason: `held` when it passed, `refused` when not."""
    return rule, passed, held if passed else refused, details or {}


def _checks(
    request: ChargeRequest,
    capabilities: GatewayCapabilities,
    recent_charges: Iterable[RecentCharge],
    now: datetime,
    policy: ChargingPolicy,
    portal: PortalFacts,
) -> Iterable[_Verdict]:
    """Each rule's verdict, lazily: nothing after the first refusal is looked at."""
    yield _verdict(
        ChargeRule.CONTACT_EXISTS,
        not portal.contact_deleted,
        "the portal's customer contact exists",
        "the portal's customer contact was deleted",
    )
    yield _verdict(
        ChargeRule.RECURRING_PROFILE_EXISTS,
        not portal.recurring_profile_deleted,
        "no deleted recurring profile is paid for",
        "the recurring profile paid for was deleted",
    )
    yield _verdict(
        ChargeRule.DEFAULT_TAX_SET,
        not portal.default_tax_missing,
        "the organisation has a default tax",
        "the organisation has no default tax",
    )
    yield _verdict(
        ChargeRule.CREDENTIALS_VALID,
        capabilities.credentials_valid,
        "the gateway accepts its credentials",
        "the gateway refused its credentials",
    )
    currency = request.amount.currency
    yield _verdict(
        ChargeRule.CURRENCY_SUPPORTED,
        capabilities.supports(currency),
        f"the gateway takes {currency}",
        f"the gateway does not take {currency}, only "
        + ", ".join(capabilities.supported_currencies),
        {"currency": currency},
    )
    yield _verdict(
        ChargeRule.RECURRING_SUPPORTED,
        not request.recurring or capabilities.recurring,
        "a recurring charge, and the gateway supports recurring payments"
        if request.recurring
        else "not a recurring charge",
        "a recurring charge, and the gateway does not support recurring payments",
    )
    yield _verdict(
        ChargeRule.REFERENCE_TRANSACTIONS,
        not request.saved_card or capabilities.reference_transactions,
        "a saved-card charge, and reference transactions are enabled"
        if request.saved_card
        else "not a saved-card charge",
        "a saved-card charge, and reference transactions are not enabled",
    )
    minimum = capabilities.minimum(currency)
    yield _verdict(
        ChargeRule.MINIMUM_AMOUNT,
        minimum is None or request.amount >= minimum,
        f"the gateway sets no minimum for {currency}"
        if minimum is None
        else f"{request.amount} is at least the gateway's minimum of {minimum}",
        f"{request.amount} is less than the gateway's minimum of {minimum}",
        {"amount": str(request.amount), "minimum": str(minimum)},
    )
    window = policy.duplicate_window
    earlier = (
        next(
            (
                charge
                for charge in recent_charges
                if charge.idempotency_key != request.idempotency_key
                and charge.payment_method == request.payment_method
                and charge.amount == request.amount
                and now - charge.at < window
            ),
            None,
        )
        if window
        else None
    )
    minutes = f"{window.total_seconds() / 60:g} minutes"
    yield _verdict(
        ChargeRule.NO_DUPLICATE,
        earlier is None,
        f"no charge of {request.amount} on this card in the last {minutes}",
        f"{request.amount} was charged on this card at "
        f"{earlier.at.isoformat() if earlier else ''}, less than {minutes} ago",
        {"previous_at": earlier.at.isoformat(), "window": str(window)} if earlier else {},
    )


def explain_charge(
    request: ChargeRequest,
    capabilities: GatewayCapabilities,
    recent_charges: Iterable[RecentCharge],
    now: datetime,
    policy: ChargingPolicy | None = None,
    *,
    portal: PortalFacts | None = None,
) -> ChargeDecision:
    """What `decide_charge` decides, with each rule's verdict in words.

    Args:
        request: The charge to send.
        capabilities: The configured gateway's.
        recent_charges: The charges made on the request's card lately (succeeded, or unknown
            and not yet settled); only those within the policy's window count.
        now: The instant of the decision.
        policy: The numbers; 5 minutes of duplicate window by default.
        portal: What the vendor's records say about the portal (CP1003, CP1004, CP2001); none
            of those rules refuses when not given.

    Returns:
        The rules applied in order up to the first that refuses, and that refusal.

    Raises:
        InvalidInputError: `now` is not an aware instant (`validation.invalid`).
    """
    now = ensure_aware_utc(now, "now")
    checks: list[ChargeCheck] = []
    for rule, passed, reason, details in _checks(
        request,
        capabilities,
        recent_charges,
        now,
        policy if policy is not None else ChargingPolicy(),
        portal if portal is not None else PortalFacts(),
    ):
        checks.append(ChargeCheck(rule, passed, reason))
        if not passed:
            return ChargeDecision(tuple(checks), ChargeRefusal(rule, reason, details))
    return ChargeDecision(tuple(checks), None)


def decide_charge(
    request: ChargeRequest,
    capabilities: GatewayCapabilities,
    recent_charges: Iterable[RecentCharge],
    now: datetime,
    policy: ChargingPolicy | None = None,
    *,
    portal: PortalFacts | None = None,
) -> ChargeRefusal | None:
    """The CP rule that refuses a charge before the gateway is called, or None to send it.

    In order: the portal's facts (CP1003 deleted contact, CP1004 deleted recurring profile,
    CP2001 no default tax), then the gateway's capabilities (CP3002 invalid credentials, CP4003
    currency not supported, CP4002 no recurring support for a recurring charge, CP3001 no
    reference transactions for a saved-card charge, CP4001 less than the minimum, as after
    discounts or credits; an amount equal to the minimum is allowed), then CP3005: the same
    amount on the same card within `policy.duplicate_window` of an earlier charge with another
    key (a retry under the same key is a replay, not a duplicate).

    Args:
        request: The charge to send.
        capabilities: The configured gateway's.
        recent_charges: The charges made on the request's card lately.
        now: The instant of the decision.
        policy: The numbers; 5 minutes of duplicate window by default.
        portal: What the vendor's records say about the portal.

    Returns:
        The first refusal, its `error()` the typed CP error; None when the charge may be sent.

    Raises:
        InvalidInputError: `now` is not an aware instant (`validation.invalid`).
    """
    return explain_charge(request, capabilities, recent_charges, now, policy, portal=portal).refusal


def same_request(
    first: ChargeRequest | RefundRequest, second: ChargeRequest | RefundRequest
) -> bool:
    """Whether `second` is a replay of `first`: the same idempotency key with the same request.

    A replay returns the first request's result and charges nothing more. The same key with
    any difference (the amount, the card, the description...) is refused: a retry must repeat
    its request exactly, and a new charge needs a new key.

    Args:
        first: The request the key was first used with.
        second: The request that comes with a key now.

    Returns:
        True for a replay; False when the keys differ (two requests).

    Raises:
        IdempotencyKeyReusedError: The same key with a different request
            (`payment.idempotency_key_reused`); `details["fields"]` names what differs, never
            the values.
    """
    if first.idempotency_key != second.idempotency_key:
        return False
    if first == second:
        return True
    if type(first) is not type(second):
        fields = ["kind"]
    else:
        fields = [
            field.name
            for field in attrs.fields(type(first))
            if getattr(first, field.name) != getattr(second, field.name)
        ]
    raise IdempotencyKeyReusedError(
        details={"idempotency_key": first.idempotency_key, "fields": fields}
    )
