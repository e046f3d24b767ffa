"""Properties of online charging (issue 10, item 4): whatever the sequence of retries, timeouts,
lost requests and outages, one idempotency key charges at most once, and exactly once as soon as
any answer said it succeeded; refunds never give back more than was charged; the CP rules
refuse exactly the charges they name, in every currency's minor units (JPY, USD, KWD)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

import partnerkit as pk
from partnerkit.billing.payment_errors import GatewayUnavailableError, IdempotencyKeyReusedError

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
VISA = "4242424242424242"
CURRENCIES = ("JPY", "USD", "KWD")  # 0, 2 and 3 minor-unit digits

steps = st.lists(
    st.sampled_from(["retry", "lookup", "timeout_next", "lose_next", "decline_next", "down", "up"]),
    max_size=25,
)


def _lookup(fake: pk.FakePaymentGateway, key: str) -> pk.ChargeResult | str | None:
    try:
        return fake.lookup(key)
    except GatewayUnavailableError:
        return "unavailable"


@given(steps)
def test_any_sequence_of_retries_with_one_key_charges_at_most_once(sequence: list[str]) -> None:
    fake = pk.FakePaymentGateway(clock=pk.SimulatedClock(T0))
    request = pk.ChargeRequest(
        "pay_1", "cus_1", pk.Money.of("20", "USD"), fake.tokenize(VISA, 12, 2030)
    )
    answers: list[pk.ChargeResult] = []
    for step in ["retry", *sequence]:
        if step == "retry":
            answers.append(fake.charge(request))
        elif step == "lookup":
            found = _lookup(fake, "pay_1")
            if found != "unavailable":
                made = fake.charges_for("pay_1")
                # What the gateway did, told as it is: the charge made, a refusal, or nothing.
                assert found is None or found.status is not pk.ChargeStatus.UNKNOWN
                if made:
                    assert found == made[0]
        elif step == "timeout_next":
            fake.next_charges(pk.FakeOutcome.TIMEOUT)
        elif step == "lose_next":
            fake.next_charges(pk.FakeOutcome.LOST)
        elif step == "decline_next":
            fake.next_charges(pk.FakeOutcome.DECLINE)
        else:
            fake.reachable = step == "up"
        charges = fake.charges_for("pay_1")
        assert len(charges) <= 1
        assert len(fake.charges) == len(charges)
        succeeded = [a for a in answers if a.succeeded]
        if succeeded:
            assert charges == [succeeded[0]]
            assert {a.reference for a in succeeded} == {charges[0].reference}
        # An answer never says failed when money moved, nor succeeded when none did.
        if charges:
            assert not any(a.status is pk.ChargeStatus.FAILED for a in answers)
    # Once the gateway answers again, the key settles: one charge, or one refusal that the key
    # keeps (a new attempt takes a new key).
    fake.reachable = True
    final = fake.charge(request)
    assert final.status is not pk.ChargeStatus.UNKNOWN or fake.lookup("pay_1") is None
    assert len(fake.charges_for("pay_1")) == (1 if final.succeeded else 0)


@given(
    st.lists(
        st.tuples(st.integers(0, 2), st.sampled_from(["charge", "timeout_next", "lose_next"])),
        max_size=30,
    )
)
def test_several_keys_charge_once_each(sequence: list[tuple[int, str]]) -> None:
    fake = pk.FakePaymentGateway(clock=pk.SimulatedClock(T0))
    card = fake.save_card("cus_1", fake.tokenize(VISA, 12, 2030))
    requests = [
        pk.ChargeRequest(f"pay_{i}", "cus_1", pk.Money.of("20", "USD"), card.token, saved_card=True)
        for i in range(3)
    ]
    for index, step in sequence:
        if step == "charge":
            fake.charge(requests[index])
        elif step == "timeout_next":
            fake.next_charges(pk.FakeOutcome.TIMEOUT)
        else:
            fake.next_charges(pk.FakeOutcome.LOST)
    keys = [c.idempotency_key for c in fake.charges]
    assert len(keys) == len(set(keys))
    settled = {key for key in ("pay_0", "pay_1", "pay_2") if fake.lookup(key) is not None}
    assert set(keys) == settled


@given(st.lists(st.tuples(st.integers(0, 5), st.integers(1, 6000)), max_size=20))
def test_refunds_never_give_back_more_than_was_charged(sequence: list[tuple[int, int]]) -> None:
    fake = pk.FakePaymentGateway(clock=pk.SimulatedClock(T0))
    charge = fake.charge(
        pk.ChargeRequest("pay_1", "cus_1", pk.Money.of("100", "USD"), fake.tokenize(VISA, 12, 2030))
    )
    assert charge.reference is not None
    amounts: dict[int, int] = {}
    for key, cents in sequence:
        amount = amounts.setdefault(key, cents)  # a key comes back with its first amount
        fake.refund(
            pk.RefundRequest(f"re_{key}", charge.reference, pk.Money.from_minor(amount, "USD"))
        )
    refunded = sum((r.amount for r in fake.refunds), pk.Money.zero("USD"))
    assert refunded <= charge.amount
    assert len({r.idempotency_key for r in fake.refunds}) == len(fake.refunds)


@given(st.sampled_from(CURRENCIES), st.integers(1, 10**7), st.integers(1, 10**7))
def test_the_minimum_refuses_exactly_the_amounts_below_it(
    currency: str, units: int, minimum_units: int
) -> None:
    minimum = pk.Money.from_minor(minimum_units, currency)
    capabilities = pk.GatewayCapabilities((currency,), minimum_amounts=(minimum,))
    amount = pk.Money.from_minor(units, currency)
    request = pk.ChargeRequest("pay_1", "cus_1", amount, "pm_saved")
    refusal = pk.decide_charge(request, capabilities, (), T0)
    assert (refusal is not None) == (amount < minimum)
    if refusal is not None:
        assert refusal.cp_code == "CP4001"
        assert refusal.details["amount"] == str(amount)


@given(
    st.integers(-600, 900),
    st.integers(0, 900),
    st.booleans(),
    st.booleans(),
)
def test_the_duplicate_rule_refuses_the_same_card_and_amount_within_the_window(
    seconds_ago: int, window_seconds: int, same_card: bool, same_amount: bool
) -> None:
    window = timedelta(seconds=window_seconds)
    request = pk.ChargeRequest("pay_2", "cus_1", pk.Money.of("20", "KWD"), "pm_saved")
    earlier = pk.RecentCharge(
        T0 - timedelta(seconds=seconds_ago),
        pk.Money.of("20" if same_amount else "20.001", "KWD"),
        "pm_saved" if same_card else "pm_other",
        "pay_1",
    )
    capabilities = pk.GatewayCapabilities(("KWD",))
    refusal = pk.decide_charge(
        request, capabilities, [earlier], T0, pk.ChargingPolicy(duplicate_window=window)
    )
    # Zero turns the rule off; a charge stamped after now (clock skew) counts as within.
    within = bool(window) and timedelta(seconds=seconds_ago) < window
    assert (refusal is not None) == (same_card and same_amount and within)


requests = st.builds(
    pk.ChargeRequest,
    idempotency_key=st.just("pay_1"),
    customer_id=st.sampled_from(["cus_1", "cus_2"]),
    amount=st.builds(pk.Money.from_minor, st.integers(1, 3), st.sampled_from(CURRENCIES)),
    payment_method=st.sampled_from(["pm_a", "pm_b"]),
    recurring=st.booleans(),
    saved_card=st.booleans(),
    description=st.sampled_from(["", "INV-1"]),
)


@given(requests, requests)
def test_one_key_is_a_replay_exactly_when_the_requests_are_equal(
    first: pk.ChargeRequest, second: pk.ChargeRequest
) -> None:
    if first == second:
        assert pk.same_request(first, second)
    else:
        with pytest.raises(IdempotencyKeyReusedError) as raised:
            pk.same_request(first, second)
        assert raised.value.details["fields"]
