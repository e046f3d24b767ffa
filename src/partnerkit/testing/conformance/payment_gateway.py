"""The `PaymentGateway` port's contract: idempotent charges and refunds, failures as results with
their CP codes, timeouts as `unknown` settled by `lookup`, and no card data.

A host that writes an adapter for a real gateway subclasses it and runs it against the gateway's
sandbox; partnerkit runs it against `FakePaymentGateway`.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable

import pytest

from partnerkit.billing.gateway import (
    ChargeRequest,
    ChargeResult,
    ChargeStatus,
    GatewayCapabilities,
    PaymentGateway,
    RefundRequest,
    SavedCard,
    looks_like_card_number,
)
from partnerkit.billing.payment_errors import IdempotencyKeyReusedError
from partnerkit.gateways.payments import FakeOutcome
from partnerkit.money import Money

__all__ = ["PaymentGatewayContract"]

#: Currencies to try when a test needs one the gateway does not take.
_RARE_CURRENCIES = ("XOF", "MNT", "BTN", "LAK", "TMT", "CHF", "SEK", "PLN", "BRL", "ZAR")


def _key() -> str:
    return f"contract-{uuid.uuid4().hex}"


class PaymentGatewayContract:
    """The rules every `PaymentGateway` keeps, as pytest tests a subclass inherits.

    Subclass it (as `TestMyGateway`), override the `gateway` fixture to give the adapter on its
    sandbox, and `payment_method` to give a fresh one-time token of a sandbox test card for an
    outcome (None where the sandbox cannot produce that outcome: those tests are skipped). The
    tests make real sandbox charges, each under a new idempotency key.
    """

    #: The customer id the contract's charges are made for.
    customer_id = "cus_contract"

    @pytest.fixture
    def gateway(self) -> PaymentGateway:
        """The gateway under test: override it to give your adapter on its sandbox.

        Returns:
            The gateway.

        Raises:
            NotImplementedError: Not overridden.
        """
        raise NotImplementedError("override the `gateway` fixture to give your gateway adapter")

    def payment_method(self, gateway: PaymentGateway, outcome: FakeOutcome) -> str | None:
        """A fresh one-time token whose charges produce `outcome`: override it.

        Args:
            gateway: The gateway under test.
            outcome: What charges of the card must do (SUCCEED at least).

        Returns:
            The token, or None when the sandbox cannot produce the outcome.

        Raises nothing.
        """
        return None

    # --- helpers ----------------------------------------------------------------------------

    def _token(self, gateway: PaymentGateway, outcome: FakeOutcome = FakeOutcome.SUCCEED) -> str:
        token = self.payment_method(gateway, outcome)
        if token is None and outcome is FakeOutcome.SUCCEED:
            raise NotImplementedError("override payment_method() to give a sandbox card's token")
        if token is None:
            pytest.skip(f"the gateway's sandbox gives no card that produces {outcome.value}")
        return token

    @staticmethod
    def _amount(capabilities: GatewayCapabilities) -> Money:
        currencies = capabilities.supported_currencies
        currency = "USD" if "USD" in currencies else currencies[0]
        minimum = capabilities.minimum(currency)
        return minimum * 4 if minimum is not None else Money.of("10", currency)

    def _request(self, gateway: PaymentGateway, **changes: object) -> ChargeRequest:
        values: dict[str, object] = {
            "idempotency_key": _key(),
            "customer_id": self.customer_id,
            "amount": self._amount(gateway.capabilities()),
            "payment_method": self._token(gateway),
            "description": "partnerkit contract",
        }
        values.update(changes)
        return ChargeRequest(**values)  # type: ignore[arg-type]

    # --- capabilities -------------------------------------------------------------------------

    def test_capabilities_describe_the_gateway(self, gateway: PaymentGateway) -> None:
        capabilities = gateway.capabilities()
        assert isinstance(capabilities, GatewayCapabilities)
        assert capabilities.supported_currencies
        for minimum in capabilities.minimum_amounts:
            assert capabilities.supports(minimum.currency)

    # --- charges and idempotency ----------------------------------------------------------

    def test_a_charge_succeeds_with_the_gateways_reference(self, gateway: PaymentGateway) -> None:
        request = self._request(gateway)
        result = gateway.charge(request)
        assert result.status is ChargeStatus.SUCCEEDED
        assert result.reference
        assert result.amount == request.amount
        assert result.idempotency_key == request.idempotency_key
        assert result.failure is None
        assert result.error() is None
        assert gateway.lookup(request.idempotency_key) == result

    def test_a_retry_with_the_same_key_returns_the_first_result(
        self, gateway: PaymentGateway
    ) -> None:
        request = self._request(gateway)
        first = gateway.charge(request)
        assert gateway.charge(request) == first
        assert gateway.charge(request) == first
        assert gateway.lookup(request.idempotency_key) == first

    def test_the_same_key_with_another_request_is_refused(self, gateway: PaymentGateway) -> None:
        request = self._request(gateway)
        first = gateway.charge(request)
        other = ChargeRequest(
            request.idempotency_key,
            request.customer_id,
            request.amount * 2,
            request.payment_method,
            description=request.description,
        )
        with pytest.raises(IdempotencyKeyReusedError) as raised:
            gateway.charge(other)
        assert raised.value.code == "payment.idempotency_key_reused"
        assert gateway.lookup(request.idempotency_key) == first

    def test_lookup_of_a_key_never_sent_finds_nothing(self, gateway: PaymentGateway) -> None:
        assert gateway.lookup(_key()) is None
        assert gateway.lookup_refund(_key()) is None

    def test_eight_callers_with_one_key_charge_once(self, gateway: PaymentGateway) -> None:
        request = self._request(gateway)
        results: list[ChargeResult] = []
        errors: list[BaseException] = []
        start = threading.Barrier(8)

        def pay() -> None:
            try:
                start.wait()
                results.append(gateway.charge(request))
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)

        threads = [threading.Thread(target=pay) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert not errors
        assert len(results) == 8
        assert {r.reference for r in results} == {results[0].reference}
        assert results[0].succeeded
        assert gateway.lookup(request.idempotency_key) == results[0]

    # --- what the gateway cannot do fails with its CP code ------------------------------------

    def test_a_currency_it_does_not_take_fails_with_cp4003(self, gateway: PaymentGateway) -> None:
        capabilities = gateway.capabilities()
        currency = next((c for c in _RARE_CURRENCIES if not capabilities.supports(c)), None)
        if currency is None:
            pytest.skip("the gateway takes every currency the contract tries")
        result = gateway.charge(self._request(gateway, amount=Money.of("100", currency)))
        assert result.status is ChargeStatus.FAILED
        assert result.failure is not None
        assert result.failure.cp_code == "CP4003"

    def test_less_than_the_minimum_fails_with_cp4001(self, gateway: PaymentGateway) -> None:
        capabilities = gateway.capabilities()
        minimum = next(
            (m for m in capabilities.minimum_amounts if m > Money.from_minor(1, m.currency)), None
        )
        if minimum is None:
            pytest.skip("the gateway sets no minimum above one minor unit")
        below = minimum - Money.from_minor(1, minimum.currency)
        result = gateway.charge(self._request(gateway, amount=below))
        assert result.status is ChargeStatus.FAILED
        assert result.failure is not None
        assert result.failure.cp_code == "CP4001"

    def test_a_recurring_charge_needs_recurring_support(self, gateway: PaymentGateway) -> None:
        result = gateway.charge(self._request(gateway, recurring=True))
        if gateway.capabilities().recurring:
            assert result.succeeded
        else:
            assert result.failure is not None
            assert result.failure.cp_code == "CP4002"

    # --- outcomes a sandbox card produces ------------------------------------------------------

    @pytest.mark.parametrize(
        ("outcome", "code"),
        [
            (FakeOutcome.FRAUD, "payment.cp3003"),
            (FakeOutcome.ADDRESS_VERIFICATION, "payment.cp3004"),
            (FakeOutcome.DECLINE, "payment.declined"),
        ],
    )
    def test_a_declined_card_fails_with_its_code_and_moves_nothing(
        self, gateway: PaymentGateway, outcome: FakeOutcome, code: str
    ) -> None:
        request = self._request(gateway, payment_method=self._token(gateway, outcome))
        result = gateway.charge(request)
        assert result.status is ChargeStatus.FAILED
        assert result.reference is None
        assert result.failure is not None
        assert result.failure.code == code
        error = result.error()
        assert error is not None
        assert error.code == code
        # Stripe's rule too: the key keeps its answer; a new attempt takes a new key.
        assert gateway.charge(request) == result

    def test_a_timeout_is_unknown_and_lookup_tells_what_happened(
        self, gateway: PaymentGateway
    ) -> None:
        request = self._request(gateway, payment_method=self._token(gateway, FakeOutcome.TIMEOUT))
        seen = gateway.charge(request)
        assert seen.status is ChargeStatus.UNKNOWN
        assert seen.reference is None
        assert seen.failure is None
        found = gateway.lookup(request.idempotency_key)
        assert found is not None
        assert found.succeeded
        # A retry under the key is answered, never charged again.
        assert gateway.charge(request) == found

    def test_a_lost_request_is_unknown_and_safe_to_send_again(
        self, gateway: PaymentGateway
    ) -> None:
        request = self._request(gateway, payment_method=self._token(gateway, FakeOutcome.LOST))
        assert gateway.charge(request).status is ChargeStatus.UNKNOWN
        assert gateway.lookup(request.idempotency_key) is None

    # --- refunds -----------------------------------------------------------------------------

    def _charged(self, gateway: PaymentGateway) -> ChargeResult:
        result = gateway.charge(self._request(gateway))
        assert result.succeeded
        return result

    def test_refunds_never_exceed_the_charge(self, gateway: PaymentGateway) -> None:
        charge = self._charged(gateway)
        assert charge.reference is not None
        half = charge.amount.allocate([1, 1])
        first = RefundRequest(_key(), charge.reference, half[0], reason="contract")
        refunded = gateway.refund(first)
        assert refunded.succeeded
        assert refunded.reference
        assert gateway.refund(first) == refunded  # a replay refunds nothing more
        assert gateway.lookup_refund(first.idempotency_key) == refunded
        too_much = gateway.refund(RefundRequest(_key(), charge.reference, charge.amount))
        assert too_much.status is ChargeStatus.FAILED
        assert too_much.failure is not None
        assert too_much.failure.code == "payment.refund_refused"
        rest = gateway.refund(RefundRequest(_key(), charge.reference, half[1]))
        assert rest.succeeded
        penny = Money.from_minor(1, charge.amount.currency)
        after = gateway.refund(RefundRequest(_key(), charge.reference, penny))
        assert after.status is ChargeStatus.FAILED

    def test_a_refund_with_a_reused_key_and_another_amount_is_refused(
        self, gateway: PaymentGateway
    ) -> None:
        charge = self._charged(gateway)
        assert charge.reference is not None
        penny = Money.from_minor(1, charge.amount.currency)
        request = RefundRequest(_key(), charge.reference, penny)
        gateway.refund(request)
        with pytest.raises(IdempotencyKeyReusedError):
            gateway.refund(RefundRequest(request.idempotency_key, charge.reference, penny * 2))

    def test_a_refund_of_a_charge_it_never_made_is_refused(self, gateway: PaymentGateway) -> None:
        currency = self._amount(gateway.capabilities()).currency
        result = gateway.refund(RefundRequest(_key(), "ch_never_made", Money.of("1", currency)))
        assert result.status is ChargeStatus.FAILED
        assert result.failure is not None
        assert result.failure.code == "payment.refund_refused"

    # --- saved cards -------------------------------------------------------------------------

    def test_a_saved_card_has_a_token_and_no_card_number(self, gateway: PaymentGateway) -> None:
        card = gateway.save_card(self.customer_id, self._token(gateway))
        assert isinstance(card, SavedCard)
        assert card.token
        assert len(card.last4) == 4
        assert card.last4.isdigit()
        for value in (card.token, card.brand, repr(card)):
            assert not looks_like_card_number(value)
        assert card.token not in repr(card)
        result = gateway.charge(self._request(gateway, payment_method=card.token, saved_card=True))
        if gateway.capabilities().reference_transactions:
            assert result.succeeded
            again = self._request(gateway, payment_method=card.token, saved_card=True)
            assert gateway.charge(again).succeeded  # a saved card is charged again and again
        else:
            assert result.failure is not None
            assert result.failure.cp_code == "CP3001"

    def test_tokens_never_show_in_a_repr(self, gateway: PaymentGateway) -> None:
        request = self._request(gateway)
        result = gateway.charge(request)
        shown: list[Callable[[], str]] = [
            lambda: repr(request),
            lambda: str(request),
            lambda: repr(result),
            lambda: repr(gateway),
        ]
        for show in shown:
            assert request.payment_method not in show()
