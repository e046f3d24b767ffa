"""A payment gateway in memory, for tests: `FakePaymentGateway` does what a real one does with
idempotency keys, refunds and saved cards, and can be told to produce every outcome.

It keeps no card number: `tokenize` plays the gateway's payment page and keeps the brand, the
last four digits and the expiry only.
"""

from __future__ import annotations

import enum
import logging
import re
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from datetime import datetime
from typing import Any, Generic, TypeVar

import attrs

from partnerkit.billing.charging import ChargingPolicy, RecentCharge, decide_charge, same_request
from partnerkit.billing.gateway import (
    ChargeRequest,
    ChargeResult,
    ChargeStatus,
    GatewayCapabilities,
    PaymentFailure,
    RefundRequest,
    RefundResult,
    SavedCard,
    _text,
    looks_like_card_number,
)
from partnerkit.billing.payment_errors import (
    CP_ERRORS,
    AddressVerificationFailedError,
    CardDeclinedError,
    FraudDeclinedError,
    GatewayUnavailableError,
    InvalidGatewayCredentialsError,
    PaymentError,
    ReferenceTransactionsDisabledError,
    RefundRefusedError,
)
from partnerkit.clock import Clock, SystemClock
from partnerkit.errors import InvalidInputError
from partnerkit.money import Money

__all__ = ["FakeOutcome", "FakePaymentGateway", "default_capabilities"]

_log = logging.getLogger(__name__)


class FakeOutcome(enum.StrEnum):
    """What the fake does with a charge: the outcomes a real gateway produces, on demand."""

    #: The money moves.
    SUCCEED = "succeed"
    #: The issuer declines the card for a reason the CP table does not name (`payment.declined`).
    DECLINE = "decline"
    #: Declined by the merchant account's fraud filters (CP3003).
    FRAUD = "fraud"
    #: The billing address could not be verified (CP3004).
    ADDRESS_VERIFICATION = "address_verification"
    #: The gateway refuses its credentials although the capabilities said they were valid
    #: (CP3002): a merchant account changed since.
    INVALID_CREDENTIALS = "invalid_credentials"
    #: The merchant account refuses the saved-card charge (CP3001).
    REFERENCE_TRANSACTIONS_DISABLED = "reference_transactions_disabled"
    #: The charge is made, but the answer is lost: the caller sees `unknown`, `lookup` tells.
    TIMEOUT = "timeout"
    #: The request never reaches the gateway: the caller sees `unknown`, `lookup` finds nothing.
    LOST = "lost"


_FAILURES: dict[FakeOutcome, tuple[type[PaymentError], str]] = {
    FakeOutcome.DECLINE: (CardDeclinedError, "card_declined"),
    FakeOutcome.FRAUD: (FraudDeclinedError, "fraudulent"),
    FakeOutcome.ADDRESS_VERIFICATION: (AddressVerificationFailedError, "avs_failure"),
    FakeOutcome.INVALID_CREDENTIALS: (InvalidGatewayCredentialsError, "authentication_failed"),
    FakeOutcome.REFERENCE_TRANSACTIONS_DISABLED: (
        ReferenceTransactionsDisabledError,
        "reference_transactions_disabled",
    ),
}


def default_capabilities() -> GatewayCapabilities:
    """What a new `FakePaymentGateway` can do: everything, in six currencies, with minimums
    like those of the large card gateways.

    Returns:
        USD, EUR and INR from 0.50, GBP from 0.30, JPY from 50 and KWD with no minimum;
        reference transactions, valid credentials and recurring payments.

    Raises nothing.
    """
    return GatewayCapabilities(
        supported_currencies=("EUR", "GBP", "INR", "JPY", "KWD", "USD"),
        minimum_amounts=(
            Money.of("0.50", "USD"),
            Money.of("0.50", "EUR"),
            Money.of("0.50", "INR"),
            Money.of("0.30", "GBP"),
            Money.of("50", "JPY"),
        ),
    )


@attrs.define
class _Card:
    brand: str
    last4: str
    exp_month: int
    exp_year: int
    outcome: FakeOutcome
    saved: bool = False
    used: bool = False


Req = TypeVar("Req", ChargeRequest, RefundRequest)
Res = TypeVar("Res", ChargeResult, RefundResult)


@attrs.define
class _Ledger(Generic[Req, Res]):
    """Requests by idempotency key: those being processed, and what became of the others."""

    in_flight: dict[str, Req] = attrs.Factory(dict)
    done: dict[str, tuple[Req, Res]] = attrs.Factory(dict)


def _brand(digits: str) -> str:
    if digits.startswith("4"):
        return "visa"
    if digits[:2] in ("34", "37"):
        return "amex"
    if 51 <= int(digits[:2]) <= 55 or 2221 <= int(digits[:4]) <= 2720:
        return "mastercard"
    if digits.startswith(("6011", "65")):
        return "discover"
    return "card"


class FakePaymentGateway:
    """A `PaymentGateway` in memory, thread-safe, that tests tell what to do.

    - `tokenize(number, month, year)` plays the gateway's payment page: it returns a one-time
      token and keeps only the brand, the last four digits and the expiry. `outcome=` makes every
      charge of that card produce one `FakeOutcome` (fraud, a failed address check, a timeout...).
    - `next_charges(*outcomes)` makes the next charges (new keys) produce those outcomes in order,
      whatever the card; `next_refunds` the same for refunds.
    - `set_capabilities(...)` changes what the gateway can do; the fake refuses what it cannot
      (the CP rules of `decide_charge`), as a real gateway would.
    - `reachable = False` makes it answer nothing: charges and refunds are `unknown` and nothing
      moves; lookups and saving a card raise `GatewayUnavailableError`.
    - `charges`, `refunds` and `received` are what tests assert on ("charged exactly once").

    One idempotency key charges once, however many threads send it at once: a second caller
    with the same key waits for the first and gets its result. Tokens never appear in a repr or a
    log line.

    Args:
        capabilities: What it can do; `default_capabilities()` when None.
        clock: Where it reads the time of a charge; the system clock when None.
        duplicate_check: Refuse the same amount on the same card within the policy's window
            (CP3005), as gateways with duplicate detection do; off by default.
        policy: The charging rules' numbers, for the duplicate window.
        latency: Seconds each charge or refund takes, to widen the window of a race in a test.
    """

    def __init__(
        self,
        capabilities: GatewayCapabilities | None = None,
        *,
        clock: Clock | None = None,
        duplicate_check: bool = False,
        policy: ChargingPolicy | None = None,
        latency: float = 0.0,
    ) -> None:
        self._capabilities = capabilities if capabilities is not None else default_capabilities()
        self._clock: Clock = clock if clock is not None else SystemClock()
        self.duplicate_check = duplicate_check
        self._policy = policy if policy is not None else ChargingPolicy()
        self.latency = latency
        #: Whether the gateway answers at all.
        self.reachable = True
        self._lock = threading.Condition()
        self._cards: dict[str, _Card] = {}
        self._charge_script: deque[FakeOutcome] = deque()
        self._refund_script: deque[FakeOutcome] = deque()
        self._charges: _Ledger[ChargeRequest, ChargeResult] = _Ledger()
        self._refunds: _Ledger[RefundRequest, RefundResult] = _Ledger()
        self._charged: list[tuple[ChargeRequest, ChargeResult]] = []
        self._refunded: list[RefundResult] = []
        self._received: list[ChargeRequest] = []
        self._left: dict[str, Money] = {}
        self._count = 0

    def __repr__(self) -> str:
        with self._lock:
            return (
                f"FakePaymentGateway(charges={len(self._charged)}, refunds={len(self._refunded)})"
            )

    # --- what a test sets ----------------------------------------------------------------------

    def set_capabilities(
        self, capabilities: GatewayCapabilities | None = None, **changes: Any
    ) -> GatewayCapabilities:
        """Change what the gateway can do, from now on.

        Args:
            capabilities: The new capabilities; the current ones when None.
            **changes: Fields to change on them, such as `reference_transactions=False`.

        Returns:
            The capabilities in force.

        Raises:
            InvalidInputError: A change that capabilities do not hold (`validation.invalid`).
        """
        with self._lock:
            base = capabilities if capabilities is not None else self._capabilities
            try:
                self._capabilities = attrs.evolve(base, **changes)
            except TypeError as exc:
                raise InvalidInputError(
                    "the capabilities have no such field",
                    field="capabilities",
                    hint=f"GatewayCapabilities fields only: {exc}",
                ) from None
            return self._capabilities

    def next_charges(self, *outcomes: FakeOutcome) -> None:
        """Make the next charges under new keys produce these outcomes, in order, then go back
        to each card's own outcome.

        Args:
            *outcomes: One outcome per charge.

        Raises:
            InvalidInputError: Something other than a `FakeOutcome` (`validation.invalid`).
        """
        with self._lock:
            self._charge_script.extend(self._outcomes(outcomes))

    def next_refunds(self, *outcomes: FakeOutcome) -> None:
        """Make the next refunds under new keys produce these outcomes, in order: SUCCEED,
        DECLINE (refused), TIMEOUT (refunded, answer lost) or LOST (never received).

        Args:
            *outcomes: One outcome per refund.

        Raises:
            InvalidInputError: Something other than a `FakeOutcome` (`validation.invalid`).
        """
        with self._lock:
            self._refund_script.extend(self._outcomes(outcomes))

    @staticmethod
    def _outcomes(outcomes: tuple[object, ...]) -> list[FakeOutcome]:
        if not all(isinstance(o, FakeOutcome) for o in outcomes):
            raise InvalidInputError("each outcome must be a fake outcome", field="outcomes")
        return list(outcomes)  # type: ignore[arg-type]

    def tokenize(
        self,
        number: str,
        exp_month: int,
        exp_year: int,
        *,
        outcome: FakeOutcome = FakeOutcome.SUCCEED,
    ) -> str:
        """Play the gateway's payment page: take a card, keep what may be kept, return a token.

        A real gateway does this in the customer's browser, so that the card number never
        reaches the host; that is why it is no part of the port.

        Args:
            number: A card number that passes the Luhn check, such as "4242 4242 4242 4242".
            exp_month: Its expiry month.
            exp_year: Its expiry year, four digits.
            outcome: What every charge of this card does.

        Returns:
            A one-time token for `charge` (once) or `save_card`.

        Raises:
            InvalidInputError: Not a card number, or an expiry out of range
                (`validation.invalid`).
        """
        digits = re.sub(r"[ -]", "", number) if isinstance(number, str) else ""
        if not digits.isdigit() or not looks_like_card_number(digits):
            raise InvalidInputError("the card number is not one a card can have", field="number")
        if not isinstance(outcome, FakeOutcome):
            raise InvalidInputError("the outcome must be a fake outcome", field="outcome")
        # SavedCard checks the expiry, and shows what is kept: never the number.
        kept = SavedCard("tok", _brand(digits), digits[-4:], exp_month, exp_year)
        token = f"tok_fake_{_opaque()}"
        with self._lock:
            self._cards[token] = _Card(kept.brand, kept.last4, exp_month, exp_year, outcome)
        return token

    # --- what tests assert on ----------------------------------------------------------------

    @property
    def charges(self) -> list[ChargeResult]:
        """Every charge that moved money, oldest first (timeouts included: they did)."""
        with self._lock:
            return [result for _, result in self._charged]

    @property
    def refunds(self) -> list[RefundResult]:
        """Every refund that moved money back, oldest first."""
        with self._lock:
            return list(self._refunded)

    @property
    def received(self) -> list[ChargeRequest]:
        """Every charge request received, replays included, oldest first."""
        with self._lock:
            return list(self._received)

    def charges_for(self, idempotency_key: str) -> list[ChargeResult]:
        """The charges that moved money under one key: one at most, whatever the retries.

        Args:
            idempotency_key: The key.

        Returns:
            Those charges.

        Raises nothing.
        """
        return [c for c in self.charges if c.idempotency_key == idempotency_key]

    # --- the port --------------------------------------------------------------------------

    def capabilities(self) -> GatewayCapabilities:
        """What the gateway can do now.

        Returns:
            The capabilities.

        Raises nothing.
        """
        with self._lock:
            return self._capabilities

    def charge(self, request: ChargeRequest) -> ChargeResult:
        """Charge a card once per idempotency key, with the outcome the test set.

        Args:
            request: The charge.

        Returns:
            Succeeded, failed or unknown.

        Raises:
            IdempotencyKeyReusedError: The key came with a different request
                (`payment.idempotency_key_reused`).
            InvalidInputError: `request` is not a `ChargeRequest` (`validation.invalid`).
        """
        if not isinstance(request, ChargeRequest):
            raise InvalidInputError("the charge must be a charge request", field="request")
        with self._lock:
            self._received.append(request)
        return self._once(request, self._charges, self._process_charge)

    def refund(self, request: RefundRequest) -> RefundResult:
        """Refund a charge once per idempotency key, never beyond what is left of it.

        Args:
            request: The refund.

        Returns:
            Succeeded, failed (`payment.refund_refused`) or unknown.

        Raises:
            IdempotencyKeyReusedError: The key came with a different request
                (`payment.idempotency_key_reused`).
            InvalidInputError: `request` is not a `RefundRequest` (`validation.invalid`).
        """
        if not isinstance(request, RefundRequest):
            raise InvalidInputError("the refund must be a refund request", field="request")
        return self._once(request, self._refunds, self._process_refund)

    def lookup(self, idempotency_key: str) -> ChargeResult | None:
        """What became of the charge under a key.

        Args:
            idempotency_key: The key.

        Returns:
            Its result, or None when the gateway never received it.

        Raises:
            GatewayUnavailableError: `reachable` is off (`payment.gateway_unavailable`).
        """
        with self._lock:
            self._answering()
            done = self._charges.done.get(idempotency_key)
            return done[1] if done is not None else None

    def lookup_refund(self, idempotency_key: str) -> RefundResult | None:
        """What became of the refund under a key.

        Args:
            idempotency_key: The key.

        Returns:
            Its result, or None when the gateway never received it.

        Raises:
            GatewayUnavailableError: `reachable` is off (`payment.gateway_unavailable`).
        """
        with self._lock:
            self._answering()
            done = self._refunds.done.get(idempotency_key)
            return done[1] if done is not None else None

    def save_card(self, customer_id: str, payment_method: str) -> SavedCard:
        """Keep a tokenised card for later charges, with a reusable token.

        Args:
            customer_id: The customer.
            payment_method: A one-time token from `tokenize`.

        Returns:
            The saved card; its charges keep the outcome the card was tokenised with.

        Raises:
            CardDeclinedError: An unknown or already used token (`payment.declined`).
            InvalidGatewayCredentialsError: The capabilities say the credentials are invalid
                (`payment.cp3002`).
            GatewayUnavailableError: `reachable` is off (`payment.gateway_unavailable`).
            InvalidInputError: An empty customer id or token (`validation.invalid`).
        """
        _text(customer_id, "customer_id", max_length=100, ids=True)
        _text(payment_method, "payment_method", max_length=255, token=True)
        with self._lock:
            self._answering()
            if not self._capabilities.credentials_valid:
                raise InvalidGatewayCredentialsError(details={"gateway_code": "authentication"})
            card = self._cards.get(payment_method)
            if card is None or card.saved or card.used:
                raise CardDeclinedError(
                    "the card could not be saved: its token is unknown or was used already",
                    details={"gateway_code": "invalid_token"},
                )
            card.used = True
            token = f"card_fake_{_opaque()}"
            self._cards[token] = attrs.evolve(card, saved=True, used=False)
            return SavedCard(token, card.brand, card.last4, card.exp_month, card.exp_year)

    # --- inside -------------------------------------------------------------------------------

    def _answering(self) -> None:
        if not self.reachable:
            raise GatewayUnavailableError(details={"gateway_code": "timeout"})

    def _once(
        self,
        request: Req,
        ledger: _Ledger[Req, Res],
        process: Callable[[Req], tuple[Res | None, Res]],
    ) -> Res:
        """Process a request once per key: a replay gets the first result, a concurrent one
        waits for it, a different request under the key is refused."""
        key = request.idempotency_key
        with self._lock:
            while True:
                done = ledger.done.get(key)
                if done is not None:
                    same_request(done[0], request)
                    return done[1]
                pending = ledger.in_flight.get(key)
                if pending is None:
                    break
                same_request(pending, request)
                self._lock.wait()
            ledger.in_flight[key] = request
        try:
            if self.latency:
                time.sleep(self.latency)
            with self._lock:
                actual, seen = process(request)
                if actual is not None:
                    ledger.done[key] = (request, actual)
        finally:
            with self._lock:
                del ledger.in_flight[key]
                self._lock.notify_all()
        return seen

    def _reference(self, prefix: str) -> str:
        self._count += 1
        return f"{prefix}_fake_{self._count:06d}"

    def _process_charge(self, request: ChargeRequest) -> tuple[ChargeResult | None, ChargeResult]:
        unknown = ChargeResult(request.idempotency_key, ChargeStatus.UNKNOWN, request.amount)
        card = self._cards.get(request.payment_method)
        outcome = (
            self._charge_script.popleft()
            if self._charge_script
            else card.outcome
            if card is not None
            else FakeOutcome.SUCCEED
        )
        if not self.reachable or outcome is FakeOutcome.LOST:
            _log.info("charge %s never reached the gateway", request.idempotency_key)
            return None, unknown
        now = self._clock.now()
        failure = self._charge_failure(request, card, outcome, now)
        if failure is not None:
            result = ChargeResult(
                request.idempotency_key,
                ChargeStatus.FAILED,
                request.amount,
                failure=failure,
                at=now,
            )
            _log.info("charge %s failed: %s", request.idempotency_key, failure.code)
            return result, result
        assert card is not None
        if not card.saved:
            card.used = True
        result = ChargeResult(
            request.idempotency_key,
            ChargeStatus.SUCCEEDED,
            request.amount,
            reference=self._reference("ch"),
            at=now,
        )
        assert result.reference is not None
        self._charged.append((request, result))
        self._left[result.reference] = request.amount
        _log.info("charged %s under %s", request.amount, request.idempotency_key)
        return result, unknown if outcome is FakeOutcome.TIMEOUT else result

    def _charge_failure(
        self, request: ChargeRequest, card: _Card | None, outcome: FakeOutcome, now: datetime
    ) -> PaymentFailure | None:
        if card is None:
            return PaymentFailure.of(CardDeclinedError, gateway_code="no_such_payment_method")
        if card.used or (request.saved_card and not card.saved):
            return PaymentFailure.of(CardDeclinedError, gateway_code="payment_method_unusable")
        recent = (
            [
                RecentCharge.of(made, result.at)
                for made, result in self._charged
                if result.at is not None and made.payment_method == request.payment_method
            ]
            if self.duplicate_check
            else []
        )
        refusal = decide_charge(request, self._capabilities, recent, now, self._policy)
        if refusal is not None:
            return PaymentFailure(CP_ERRORS[refusal.cp_code].code, gateway_code=refusal.rule.value)
        if outcome in _FAILURES:
            error, gateway_code = _FAILURES[outcome]
            return PaymentFailure.of(error, gateway_code=gateway_code)
        return None

    def _process_refund(self, request: RefundRequest) -> tuple[RefundResult | None, RefundResult]:
        outcome = self._refund_script.popleft() if self._refund_script else FakeOutcome.SUCCEED
        unknown = RefundResult(
            request.idempotency_key, ChargeStatus.UNKNOWN, request.amount, request.charge_reference
        )
        if not self.reachable or outcome is FakeOutcome.LOST:
            return None, unknown
        now = self._clock.now()
        left = self._left.get(request.charge_reference)
        reason = (
            "unknown_charge"
            if left is None
            else "currency_mismatch"
            if left.currency != request.amount.currency
            else "exceeds_remaining"
            if request.amount > left
            else "declined"
            if outcome is not FakeOutcome.SUCCEED and outcome is not FakeOutcome.TIMEOUT
            else None
        )
        if reason is not None:
            failed = RefundResult(
                request.idempotency_key,
                ChargeStatus.FAILED,
                request.amount,
                request.charge_reference,
                failure=PaymentFailure.of(RefundRefusedError, gateway_code=reason),
                at=now,
            )
            return failed, failed
        assert left is not None
        self._left[request.charge_reference] = left - request.amount
        result = RefundResult(
            request.idempotency_key,
            ChargeStatus.SUCCEEDED,
            request.amount,
            request.charge_reference,
            reference=self._reference("re"),
            at=now,
        )
        self._refunded.append(result)
        _log.info("refunded %s under %s", request.amount, request.idempotency_key)
        return result, unknown if outcome is FakeOutcome.TIMEOUT else result


def _opaque() -> str:
    """24 random hex digits in groups of six: random hex can hold a run of 13 or more digits
    that passes the Luhn check, and a token must never look like a card number."""
    raw = secrets.token_hex(12)
    return "_".join(raw[i : i + 6] for i in range(0, len(raw), 6))
