"""The rules an online charge meets before the gateway is called (issue 10, item 3, the 003
source document's CP table), idempotency as a rule (`same_request`), and the port's values,
which refuse bad input and card numbers."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import attrs
import pytest

import partnerkit as pk
from partnerkit.billing.gateway import looks_like_card_number
from partnerkit.billing.payment_errors import CardNumberRefusedError, IdempotencyKeyReusedError
from partnerkit.errors import InvalidInputError, UnknownCurrencyError

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
TOKEN = "pm_card_visa_saved"
NAIVE = datetime(2026, 3, 2)  # noqa: DTZ001 - refused on purpose
CAPS = pk.GatewayCapabilities(
    supported_currencies=("USD", "JPY", "KWD"),
    minimum_amounts=(pk.Money.of("0.50", "USD"), pk.Money.of("50", "JPY")),
)


def _request(
    key: str = "pay_1", amount: str = "20", currency: str = "USD", **kw: object
) -> pk.ChargeRequest:
    return pk.ChargeRequest(key, "cus_1", pk.Money.of(amount, currency), TOKEN, **kw)  # type: ignore[arg-type]


def _decide(
    request: pk.ChargeRequest, caps: pk.GatewayCapabilities = CAPS, **kw: object
) -> pk.ChargeRefusal | None:
    recent = kw.pop("recent", ())
    return pk.decide_charge(request, caps, recent, kw.pop("now", T0), **kw)  # type: ignore[arg-type]


def test_a_charge_the_gateway_can_make_is_allowed_and_every_rule_says_why() -> None:
    decision = pk.explain_charge(_request(), CAPS, (), T0)
    assert decision.allowed
    assert decision.refusal is None
    assert [check.rule for check in decision.checks] == list(pk.ChargeRule)
    assert all(check.passed for check in decision.checks)
    assert "the gateway takes USD" in decision.reasons
    assert "20.00 USD is at least the gateway's minimum of 0.50 USD" in decision.reasons
    assert _decide(_request()) is None


@pytest.mark.parametrize(
    ("portal", "rule", "cp_code"),
    [
        (pk.PortalFacts(contact_deleted=True), pk.ChargeRule.CONTACT_EXISTS, "CP1003"),
        (
            pk.PortalFacts(recurring_profile_deleted=True),
            pk.ChargeRule.RECURRING_PROFILE_EXISTS,
            "CP1004",
        ),
        (pk.PortalFacts(default_tax_missing=True), pk.ChargeRule.DEFAULT_TAX_SET, "CP2001"),
    ],
)
def test_the_portals_facts_refuse_first(
    portal: pk.PortalFacts, rule: pk.ChargeRule, cp_code: str
) -> None:
    refusal = _decide(_request(), portal=portal)
    assert refusal is not None
    assert refusal.rule is rule
    assert refusal.cp_code == cp_code == rule.cp_code
    error = refusal.error()
    assert error.cp_code == cp_code
    assert error.details["rule"] == rule.value
    assert error.details["reason"] == refusal.reason


def test_invalid_credentials_refuse_with_cp3002() -> None:
    refusal = _decide(_request(), attrs.evolve(CAPS, credentials_valid=False))
    assert refusal is not None
    assert refusal.cp_code == "CP3002"
    assert refusal.reason == "the gateway refused its credentials"


def test_a_currency_the_gateway_does_not_take_refuses_with_cp4003() -> None:
    refusal = _decide(_request(currency="EUR"))
    assert refusal is not None
    assert refusal.cp_code == "CP4003"
    assert refusal.reason == "the gateway does not take EUR, only JPY, KWD, USD"
    assert refusal.details == {"currency": "EUR"}


def test_a_recurring_charge_needs_recurring_support_cp4002() -> None:
    no_recurring = attrs.evolve(CAPS, recurring=False)
    assert _decide(_request(), no_recurring) is None  # a one-off charge does not
    refusal = _decide(_request(recurring=True), no_recurring)
    assert refusal is not None
    assert refusal.cp_code == "CP4002"
    assert _decide(_request(recurring=True)) is None


def test_a_saved_card_charge_needs_reference_transactions_cp3001() -> None:
    off = attrs.evolve(CAPS, reference_transactions=False)
    assert _decide(_request(), off) is None  # a new card's one-time token does not
    refusal = _decide(_request(saved_card=True), off)
    assert refusal is not None
    assert refusal.cp_code == "CP3001"
    assert refusal.reason == "a saved-card charge, and reference transactions are not enabled"


@pytest.mark.parametrize(
    ("amount", "currency", "refused"),
    [
        ("0.49", "USD", True),
        ("0.50", "USD", False),  # "less than the minimum" is refused; the minimum itself is not
        ("0.51", "USD", False),
        ("49", "JPY", True),
        ("50", "JPY", False),
        ("0.001", "KWD", False),  # no minimum for KWD: any amount above zero
    ],
)
def test_less_than_the_minimum_refuses_with_cp4001(
    amount: str, currency: str, refused: bool
) -> None:
    refusal = _decide(_request(amount=amount, currency=currency))
    assert (refusal is not None) is refused
    if refusal is not None:
        assert refusal.cp_code == "CP4001"
        assert refusal.details["minimum"] == str(CAPS.minimum(currency))
        assert "less than the gateway's minimum" in refusal.reason


def test_an_amount_left_below_the_minimum_by_credits_is_refused() -> None:
    # 003: "This may be due to the discounts or credits applied."
    invoice = pk.Money.of("20.00", "USD")
    credits = pk.Money.of("19.60", "USD")
    request = pk.ChargeRequest("pay_1", "cus_1", invoice - credits, TOKEN)
    refusal = _decide(request)
    assert refusal is not None
    assert refusal.cp_code == "CP4001"
    assert refusal.reason == "0.40 USD is less than the gateway's minimum of 0.50 USD"


def _recent(
    at: datetime, amount: str = "20", key: str = "pay_0", token: str = TOKEN
) -> pk.RecentCharge:
    return pk.RecentCharge(at, pk.Money.of(amount, "USD"), token, key)


def test_the_same_amount_and_card_within_the_window_is_refused_with_cp3005() -> None:
    # 003: "A transaction with the same amount and card details was made within a few minutes
    # of the previous transaction."
    earlier = _recent(T0 - timedelta(minutes=4, seconds=59))
    refusal = _decide(_request(), recent=[earlier])
    assert refusal is not None
    assert refusal.cp_code == "CP3005"
    assert refusal.details["previous_at"] == earlier.at.isoformat()
    assert "less than 5 minutes ago" in refusal.reason
    error = refusal.error()
    assert error.remedy == "Ask your customer to try again after a few minutes."


@pytest.mark.parametrize(
    "earlier",
    [
        _recent(T0 - timedelta(minutes=5)),  # the window is over
        _recent(T0, amount="21"),  # another amount
        _recent(T0, token="pm_other_card"),  # another card
        _recent(T0, key="pay_1"),  # the same charge again: a replay, not a duplicate
    ],
    ids=["window-over", "other-amount", "other-card", "same-key"],
)
def test_a_charge_that_is_no_duplicate_is_allowed(earlier: pk.RecentCharge) -> None:
    assert _decide(_request(), recent=[earlier]) is None


def test_the_window_is_a_policy_value() -> None:
    earlier = _recent(T0 - timedelta(minutes=8))
    assert _decide(_request(), recent=[earlier]) is None
    long = pk.ChargingPolicy(duplicate_window=timedelta(minutes=10))
    refusal = _decide(_request(), recent=[earlier], policy=long)
    assert refusal is not None
    assert refusal.cp_code == "CP3005"
    day = pk.ChargingPolicy(duplicate_window=timedelta(days=1))
    assert _decide(_request(), recent=[_recent(T0 - timedelta(hours=23))], policy=day) is not None
    off = pk.ChargingPolicy(duplicate_window=timedelta(0))
    assert _decide(_request(), recent=[_recent(T0)], policy=off) is None
    assert pk.ChargingPolicy().duplicate_window == timedelta(minutes=5)


@pytest.mark.parametrize("window", [timedelta(seconds=-1), timedelta(days=1, seconds=1), 300])
def test_a_window_out_of_range_is_refused(window: object) -> None:
    with pytest.raises(InvalidInputError) as raised:
        pk.ChargingPolicy(duplicate_window=window)  # type: ignore[arg-type]
    assert raised.value.field == "duplicate_window"


def test_the_rules_apply_in_order_and_the_first_refusal_is_the_one() -> None:
    broken = pk.GatewayCapabilities(("JPY",), credentials_valid=False, recurring=False)
    request = _request(recurring=True, saved_card=True, amount="0.01")
    decision = pk.explain_charge(
        request, broken, [_recent(T0)], T0, portal=pk.PortalFacts(default_tax_missing=True)
    )
    assert decision.refusal is not None
    assert decision.refusal.cp_code == "CP2001"
    assert [c.rule for c in decision.checks][-1] is pk.ChargeRule.DEFAULT_TAX_SET
    assert _decide(request, broken).cp_code == "CP3002"  # type: ignore[union-attr]
    assert _decide(request, attrs.evolve(broken, credentials_valid=True)).cp_code == "CP4003"  # type: ignore[union-attr]


def test_the_decision_refuses_a_naive_instant() -> None:
    with pytest.raises(InvalidInputError) as now:
        pk.decide_charge(_request(), CAPS, (), NAIVE)
    assert now.value.field == "now"
    with pytest.raises(InvalidInputError) as at:
        pk.RecentCharge(NAIVE, pk.Money.of("1", "USD"), TOKEN)
    assert at.value.field == "at"
    with pytest.raises(InvalidInputError) as amount:
        pk.RecentCharge(T0, "1 USD", TOKEN)  # type: ignore[arg-type]
    assert amount.value.field == "amount"


def test_a_recent_charge_remembers_its_key_so_a_replay_is_no_duplicate() -> None:
    request = _request()
    recent = pk.RecentCharge.of(request, T0)
    assert (recent.at, recent.amount, recent.idempotency_key) == (T0, request.amount, "pay_1")
    assert recent.payment_method == TOKEN
    assert _decide(request, recent=[recent]) is None
    again = _decide(_request("pay_2"), recent=[recent], now=T0 + timedelta(minutes=1))
    assert again is not None
    assert again.details == {"previous_at": T0.isoformat(), "window": "0:05:00"}


# --- idempotency as a rule ---------------------------------------------------------------------


def test_the_same_key_and_request_is_a_replay() -> None:
    assert pk.same_request(_request(), _request())
    assert not pk.same_request(_request("pay_1"), _request("pay_2", amount="99"))


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"amount": "21"}, ["amount"]),
        ({"currency": "JPY"}, ["amount"]),
        ({"recurring": True, "description": "other"}, ["recurring", "description"]),
    ],
)
def test_the_same_key_with_another_request_is_refused(
    changes: dict[str, object], fields: list[str]
) -> None:
    with pytest.raises(IdempotencyKeyReusedError) as raised:
        pk.same_request(_request(), _request(**changes))  # type: ignore[arg-type]
    assert raised.value.code == "payment.idempotency_key_reused"
    assert raised.value.details == {"idempotency_key": "pay_1", "fields": fields}


def test_a_reused_key_names_the_card_field_never_the_token() -> None:
    other = pk.ChargeRequest("pay_1", "cus_1", pk.Money.of("20", "USD"), "pm_other_card_token")
    with pytest.raises(IdempotencyKeyReusedError) as raised:
        pk.same_request(_request(), other)
    assert raised.value.details["fields"] == ["payment_method"]
    assert "pm_other_card_token" not in repr(raised.value.as_dict(include_internal=True))
    assert TOKEN not in str(raised.value)


def test_a_charge_and_a_refund_under_one_key_are_different_requests() -> None:
    refund = pk.RefundRequest("pay_1", "ch_1", pk.Money.of("20", "USD"))
    with pytest.raises(IdempotencyKeyReusedError) as raised:
        pk.same_request(_request(), refund)
    assert raised.value.details["fields"] == ["kind"]


# --- the values refuse bad input and card numbers ---------------------------------------------


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"amount": pk.Money.of("0", "USD")}, "amount"),
        ({"amount": pk.Money.of("-5", "USD")}, "amount"),
        ({"amount": "20 USD"}, "amount"),
        ({"idempotency_key": ""}, "idempotency_key"),
        ({"idempotency_key": "k" * 256}, "idempotency_key"),
        ({"idempotency_key": "a\x00b"}, "idempotency_key"),
        ({"customer_id": 7}, "customer_id"),
        ({"payment_method": " "}, "payment_method"),
        ({"recurring": "yes"}, "recurring"),
        ({"saved_card": 1}, "saved_card"),
        ({"billing_address": {"line1": "x"}}, "billing_address"),
    ],
)
def test_a_charge_request_refuses_bad_input(values: dict[str, object], field: str) -> None:
    base: dict[str, object] = {
        "idempotency_key": "pay_1",
        "customer_id": "cus_1",
        "amount": pk.Money.of("20", "USD"),
        "payment_method": TOKEN,
    }
    with pytest.raises(InvalidInputError) as raised:
        pk.ChargeRequest(**{**base, **values})  # type: ignore[arg-type]
    assert raised.value.field == field


@pytest.mark.parametrize(
    "number", ["4242424242424242", "4242 4242 4242 4242", "4242-4242-4242-4242", "378282246310005"]
)
def test_a_card_number_is_refused_wherever_a_token_or_words_belong(number: str) -> None:
    with pytest.raises(CardNumberRefusedError) as raised:
        pk.ChargeRequest("pay_1", "cus_1", pk.Money.of("20", "USD"), number)
    assert raised.value.field == "payment_method"
    assert number not in str(raised.value)
    with pytest.raises(CardNumberRefusedError):
        pk.ChargeRequest(
            "pay_1", "cus_1", pk.Money.of("20", "USD"), TOKEN, description=f"card {number}"
        )
    with pytest.raises(CardNumberRefusedError):
        pk.SavedCard(number, "visa", "4242", 12, 2030)
    with pytest.raises(CardNumberRefusedError):
        pk.BillingAddress(line1=number)
    with pytest.raises(CardNumberRefusedError):
        pk.RefundRequest("re_1", "ch_1", pk.Money.of("1", "USD"), reason=number)


@pytest.mark.parametrize(
    ("text", "card"),
    [
        ("4242424242424242", True),
        ("pm_4242424242424242_x", True),
        ("4242424242424241", False),  # fails the Luhn check
        ("424242424242", False),  # 12 digits: too short for a card
        ("42424242424242424242", False),  # 20 digits: too long for a card
        ("8415718415172202", False),  # passes Luhn, but no payment network's first digit
        ("tok_fake_0a1b2c3d", False),
        ("invoice INV-000042 of 2026-03-02", False),
    ],
)
def test_what_looks_like_a_card_number(text: str, card: bool) -> None:
    assert looks_like_card_number(text) is card


@pytest.mark.parametrize(
    "token",
    [
        "tok_fake_4242424242424242ab",  # hex tokens hold long runs of digits now and then
        "8415718415172202",  # an Adyen-style reference: 16 digits, passes Luhn, starts with 8
    ],
)
def test_a_token_is_refused_only_when_it_is_a_card_number(token: str) -> None:
    request = pk.ChargeRequest("4242424242424242", "cus_1", pk.Money.of("1", "USD"), token)
    assert request.payment_method == token
    assert pk.SavedCard(token, "visa", "4242", 1, 2030).token == token
    # Ids are the host's or the gateway's: a key or a reference is never scanned.
    assert pk.RefundRequest("4242424242424242", "4242424242424242", request.amount)


def test_a_saved_card_keeps_a_token_never_shown() -> None:
    card = pk.SavedCard("card_1MvoiELkdIwHu7ix", "visa", "4242", 3, 2027)
    assert "card_1MvoiELkdIwHu7ix" not in repr(card)
    assert card.label == "visa ending in 4242, expires 03/2027"
    assert not card.expired(date(2027, 3, 31))
    assert card.expired(date(2027, 4, 1))


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"last4": "424"}, "last4"),
        ({"last4": 4242}, "last4"),
        ({"exp_month": 0}, "exp_month"),
        ({"exp_month": 13}, "exp_month"),
        ({"exp_month": True}, "exp_month"),
        ({"exp_year": 27}, "exp_year"),
        ({"token": ""}, "token"),
        ({"brand": ""}, "brand"),
    ],
)
def test_a_saved_card_refuses_bad_input(values: dict[str, object], field: str) -> None:
    base: dict[str, object] = {
        "token": "card_1",
        "brand": "visa",
        "last4": "4242",
        "exp_month": 3,
        "exp_year": 2027,
    }
    with pytest.raises(InvalidInputError) as raised:
        pk.SavedCard(**{**base, **values})  # type: ignore[arg-type]
    assert raised.value.field == field


def test_capabilities_are_checked_and_compare_as_sets() -> None:
    assert pk.GatewayCapabilities(("USD", "EUR", "USD")) == pk.GatewayCapabilities(("EUR", "USD"))
    assert CAPS.supports("JPY")
    assert not CAPS.supports("EUR")
    assert CAPS.minimum("JPY") == pk.Money.of("50", "JPY")
    assert CAPS.minimum("KWD") is None
    with pytest.raises(UnknownCurrencyError):
        pk.GatewayCapabilities(("usd",))
    with pytest.raises(InvalidInputError):
        pk.GatewayCapabilities(("USD",), minimum_amounts=(pk.Money.of("1", "EUR"),))
    with pytest.raises(InvalidInputError):
        pk.GatewayCapabilities(
            ("USD",), minimum_amounts=(pk.Money.of("1", "USD"), pk.Money.of("2", "USD"))
        )
    with pytest.raises(InvalidInputError):
        pk.GatewayCapabilities(("USD",), minimum_amounts=(pk.Money.of("0", "USD"),))
    with pytest.raises(InvalidInputError):
        pk.GatewayCapabilities(("USD",), recurring="no")  # type: ignore[arg-type]


def test_results_have_the_shape_of_their_status() -> None:
    usd = pk.Money.of("1", "USD")
    with pytest.raises(InvalidInputError):
        pk.ChargeResult("k", pk.ChargeStatus.SUCCEEDED, usd)  # no reference
    with pytest.raises(InvalidInputError):
        pk.ChargeResult("k", pk.ChargeStatus.FAILED, usd)  # no reason
    with pytest.raises(InvalidInputError):
        pk.ChargeResult("k", pk.ChargeStatus.UNKNOWN, usd, reference="ch_1")
    with pytest.raises(InvalidInputError):
        pk.ChargeResult("k", "succeeded", usd, reference="ch_1")  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError):
        pk.RefundResult("k", pk.ChargeStatus.SUCCEEDED, usd, "ch_1", reference="re_1", at=NAIVE)
    failed = pk.ChargeResult(
        "k",
        pk.ChargeStatus.FAILED,
        usd,
        failure=pk.PaymentFailure("payment.cp3004", "avs", "no match"),
    )
    assert not failed.succeeded
    assert not failed.unknown
    error = failed.error()
    assert error is not None
    assert error.code == "payment.cp3004"
    assert error.details == {
        "cp_code": "CP3004",
        "gateway_code": "avs",
        "gateway_message": "no match",
    }


def test_a_failure_names_a_payment_errors_code() -> None:
    assert pk.PaymentFailure("payment.declined").cp_code is None
    assert pk.PaymentFailure("payment.cp4001").cp_code == "CP4001"
    for code in ("customer.not_found", "payment.cp9999", "payment", 42):
        with pytest.raises(InvalidInputError):
            pk.PaymentFailure(code)  # type: ignore[arg-type]


def test_the_values_round_trip_through_serialization() -> None:
    request = _request(
        billing_address=pk.BillingAddress(line1="1 Main St", postal_code="94105", country="US")
    )
    assert pk.from_json(pk.to_json(request), pk.ChargeRequest) == request
    result = pk.ChargeResult(
        "pay_1",
        pk.ChargeStatus.FAILED,
        request.amount,
        failure=pk.PaymentFailure("payment.cp3003"),
        at=T0,
    )
    assert pk.from_json(pk.to_json(result), pk.ChargeResult) == result
    assert pk.from_dict(pk.to_dict(CAPS), pk.GatewayCapabilities) == CAPS
    card = pk.SavedCard("card_1", "visa", "4242", 3, 2027)
    assert pk.from_json(pk.to_json(card), pk.SavedCard) == card
    refund = pk.RefundResult("re_1", pk.ChargeStatus.UNKNOWN, request.amount, "ch_1")
    assert pk.from_json(pk.to_json(refund), pk.RefundResult) == refund
