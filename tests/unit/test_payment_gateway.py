"""The payment gateway port and `FakePaymentGateway` (issue 10, items 3 and 4): the fake passes the
port's contract, charges once per idempotency key under any number of threads, produces every
outcome on demand, and never shows a card token."""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime, timedelta

import pytest

import partnerkit as pk
from partnerkit.billing.payment_errors import GatewayUnavailableError, IdempotencyKeyReusedError
from partnerkit.errors import InvalidInputError
from partnerkit.testing.conformance import PaymentGatewayContract

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
VISA = "4242 4242 4242 4242"
USD = pk.Money.of("25.00", "USD")


class TestFakePaymentGateway(PaymentGatewayContract):
    """The shipped fake passes the contract a real adapter runs against its sandbox."""

    @pytest.fixture
    def gateway(self) -> pk.PaymentGateway:
        return pk.FakePaymentGateway(clock=pk.SimulatedClock(T0))

    def payment_method(self, gateway: pk.PaymentGateway, outcome: pk.FakeOutcome) -> str | None:
        assert isinstance(gateway, pk.FakePaymentGateway)
        return gateway.tokenize(VISA, 12, 2030, outcome=outcome)


class TestFakeWithoutRecurringOrReferenceTransactions(TestFakePaymentGateway):
    """The contract's branches for a gateway that cannot do everything."""

    @pytest.fixture
    def gateway(self) -> pk.PaymentGateway:
        fake = pk.FakePaymentGateway(clock=pk.SimulatedClock(T0))
        fake.set_capabilities(recurring=False, reference_transactions=False)
        return fake


@pytest.fixture
def clock() -> pk.SimulatedClock:
    return pk.SimulatedClock(T0)


@pytest.fixture
def fake(clock: pk.SimulatedClock) -> pk.FakePaymentGateway:
    return pk.FakePaymentGateway(clock=clock)


def _charge(
    fake: pk.FakePaymentGateway,
    key: str = "pay_1",
    amount: pk.Money = USD,
    token: str | None = None,
    **changes: object,
) -> pk.ChargeRequest:
    token = token if token is not None else fake.tokenize(VISA, 12, 2030)
    return pk.ChargeRequest(key, "cus_1", amount, token, **changes)  # type: ignore[arg-type]


def test_the_fake_is_a_payment_gateway(fake: pk.FakePaymentGateway) -> None:
    assert isinstance(fake, pk.PaymentGateway)


def test_eight_threads_with_one_key_make_exactly_one_charge(clock: pk.SimulatedClock) -> None:
    # The latency keeps every thread inside the race window before the first one finishes.
    fake = pk.FakePaymentGateway(clock=clock, latency=0.05)
    request = _charge(fake)
    results: list[pk.ChargeResult] = []
    barrier = threading.Barrier(8)

    def pay() -> None:
        barrier.wait()
        results.append(fake.charge(request))

    threads = [threading.Thread(target=pay) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 8
    assert len(fake.charges) == 1
    assert len(fake.charges_for("pay_1")) == 1
    assert len(fake.received) == 8
    assert all(result == fake.charges[0] for result in results)


def test_eight_threads_with_eight_keys_make_eight_charges(clock: pk.SimulatedClock) -> None:
    fake = pk.FakePaymentGateway(clock=clock, latency=0.01)
    requests = [_charge(fake, f"pay_{i}") for i in range(8)]
    threads = [threading.Thread(target=fake.charge, args=(r,)) for r in requests]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(c.idempotency_key for c in fake.charges) == [f"pay_{i}" for i in range(8)]
    assert len({c.reference for c in fake.charges}) == 8


def test_a_thread_with_the_key_and_another_request_is_refused_while_the_first_runs(
    clock: pk.SimulatedClock,
) -> None:
    fake = pk.FakePaymentGateway(clock=clock, latency=0.1)
    first = _charge(fake)
    other = _charge(fake, amount=USD * 2, token=first.payment_method)
    worker = threading.Thread(target=fake.charge, args=(first,))
    worker.start()
    while not fake.received:
        pass
    with pytest.raises(IdempotencyKeyReusedError) as raised:
        fake.charge(other)
    worker.join()
    assert raised.value.details["fields"] == ["amount"]
    assert len(fake.charges) == 1


@pytest.mark.parametrize(
    ("outcome", "code", "cp_code"),
    [
        (pk.FakeOutcome.FRAUD, "payment.cp3003", "CP3003"),
        (pk.FakeOutcome.ADDRESS_VERIFICATION, "payment.cp3004", "CP3004"),
        (pk.FakeOutcome.INVALID_CREDENTIALS, "payment.cp3002", "CP3002"),
        (pk.FakeOutcome.REFERENCE_TRANSACTIONS_DISABLED, "payment.cp3001", "CP3001"),
        (pk.FakeOutcome.DECLINE, "payment.declined", None),
    ],
)
def test_next_charges_produce_each_failure(
    fake: pk.FakePaymentGateway, outcome: pk.FakeOutcome, code: str, cp_code: str | None
) -> None:
    fake.next_charges(outcome)
    failed = fake.charge(_charge(fake, "pay_1"))
    assert failed.status is pk.ChargeStatus.FAILED
    assert failed.failure is not None
    assert failed.failure.code == code
    assert failed.failure.cp_code == cp_code
    assert failed.failure.gateway_code
    assert failed.at == T0
    assert fake.charges == []
    # The script is used up: the next charge, under a new key, succeeds.
    assert fake.charge(_charge(fake, "pay_2")).succeeded


def test_a_scripted_outcome_wins_over_the_cards_own(fake: pk.FakePaymentGateway) -> None:
    fraud_card = fake.tokenize(VISA, 12, 2030, outcome=pk.FakeOutcome.FRAUD)
    fake.next_charges(pk.FakeOutcome.SUCCEED)
    assert fake.charge(_charge(fake, "pay_1", token=fraud_card)).succeeded


@pytest.mark.parametrize(
    ("change", "request_changes", "cp_code"),
    [
        ({"credentials_valid": False}, {}, "CP3002"),
        ({"supported_currencies": ("EUR",), "minimum_amounts": ()}, {}, "CP4003"),
        ({"recurring": False}, {"recurring": True}, "CP4002"),
        ({"minimum_amounts": (pk.Money.of("30", "USD"),)}, {}, "CP4001"),
    ],
)
def test_the_fake_refuses_what_its_capabilities_do_not_allow(
    fake: pk.FakePaymentGateway,
    change: dict[str, object],
    request_changes: dict[str, object],
    cp_code: str,
) -> None:
    fake.set_capabilities(**change)
    result = fake.charge(_charge(fake, **request_changes))
    assert result.failure is not None
    assert result.failure.cp_code == cp_code
    assert fake.charges == []


def test_a_saved_card_charge_needs_reference_transactions(fake: pk.FakePaymentGateway) -> None:
    card = fake.save_card("cus_1", fake.tokenize(VISA, 12, 2030))
    assert card.brand == "visa"
    assert card.last4 == "4242"
    assert (card.exp_month, card.exp_year) == (12, 2030)
    fake.set_capabilities(reference_transactions=False)
    result = fake.charge(_charge(fake, token=card.token, saved_card=True))
    assert result.failure is not None
    assert result.failure.cp_code == "CP3001"
    fake.set_capabilities(reference_transactions=True)
    assert fake.charge(_charge(fake, "pay_2", token=card.token, saved_card=True)).succeeded


def test_duplicate_detection_refuses_the_same_card_and_amount_within_the_window(
    clock: pk.SimulatedClock,
) -> None:
    fake = pk.FakePaymentGateway(clock=clock, duplicate_check=True)
    card = fake.save_card("cus_1", fake.tokenize(VISA, 12, 2030))
    assert fake.charge(_charge(fake, "pay_1", token=card.token, saved_card=True)).succeeded
    clock.advance(timedelta(minutes=4))
    twice = fake.charge(_charge(fake, "pay_2", token=card.token, saved_card=True))
    assert twice.failure is not None
    assert twice.failure.cp_code == "CP3005"
    other_amount = _charge(fake, "pay_3", USD * 2, token=card.token, saved_card=True)
    assert fake.charge(other_amount).succeeded
    clock.advance(timedelta(minutes=1))
    assert fake.charge(_charge(fake, "pay_4", token=card.token, saved_card=True)).succeeded


def test_a_timeout_charges_once_and_lookup_then_tells(fake: pk.FakePaymentGateway) -> None:
    fake.next_charges(pk.FakeOutcome.TIMEOUT)
    request = _charge(fake)
    seen = fake.charge(request)
    assert seen.unknown
    assert seen.status is pk.ChargeStatus.UNKNOWN
    [made] = fake.charges
    assert fake.lookup("pay_1") == made
    assert made.succeeded
    for _ in range(3):
        assert fake.charge(request) == made
    assert len(fake.charges_for("pay_1")) == 1


def test_a_lost_request_charges_nothing_and_the_retry_charges_once(
    fake: pk.FakePaymentGateway,
) -> None:
    fake.next_charges(pk.FakeOutcome.LOST)
    request = _charge(fake)
    assert fake.charge(request).unknown
    assert fake.lookup("pay_1") is None
    assert fake.charges == []
    retried = fake.charge(request)
    assert retried.succeeded
    assert fake.charge(request) == retried
    assert len(fake.charges) == 1


def test_an_unreachable_gateway_moves_nothing_and_says_so(fake: pk.FakePaymentGateway) -> None:
    request = _charge(fake)
    token = fake.tokenize(VISA, 12, 2030)
    fake.reachable = False
    assert fake.charge(request).unknown
    with pytest.raises(GatewayUnavailableError) as raised:
        fake.lookup("pay_1")
    assert raised.value.code == "payment.gateway_unavailable"
    with pytest.raises(GatewayUnavailableError):
        fake.lookup_refund("re_1")
    with pytest.raises(GatewayUnavailableError):
        fake.save_card("cus_1", token)
    fake.reachable = True
    assert fake.lookup("pay_1") is None
    assert fake.charge(request).succeeded


def test_a_one_time_token_is_charged_once(fake: pk.FakePaymentGateway) -> None:
    token = fake.tokenize(VISA, 12, 2030)
    assert fake.charge(_charge(fake, "pay_1", token=token)).succeeded
    again = fake.charge(_charge(fake, "pay_2", token=token))
    assert again.failure is not None
    assert again.failure.code == "payment.declined"
    unknown = fake.charge(_charge(fake, "pay_3", token="tok_nobody_issued"))
    assert unknown.failure is not None
    assert unknown.failure.gateway_code == "no_such_payment_method"
    not_saved = fake.charge(_charge(fake, "pay_4", saved_card=True))
    assert not_saved.failure is not None
    assert not_saved.failure.code == "payment.declined"


def test_saving_a_token_twice_or_with_bad_credentials_is_refused(
    fake: pk.FakePaymentGateway,
) -> None:
    token = fake.tokenize(VISA, 12, 2030)
    fake.save_card("cus_1", token)
    with pytest.raises(pk.PaymentError) as raised:
        fake.save_card("cus_1", token)
    assert raised.value.code == "payment.declined"
    fake.set_capabilities(credentials_valid=False)
    with pytest.raises(pk.PaymentError) as bad:
        fake.save_card("cus_1", fake.tokenize(VISA, 12, 2030))
    assert bad.value.code == "payment.cp3002"
    with pytest.raises(InvalidInputError):
        fake.save_card("", token)


def test_eight_concurrent_refunds_never_exceed_the_charge(clock: pk.SimulatedClock) -> None:
    fake = pk.FakePaymentGateway(clock=clock, latency=0.01)
    charge = fake.charge(_charge(fake, amount=pk.Money.of("100", "USD")))
    assert charge.reference is not None
    results: list[pk.RefundResult] = []
    barrier = threading.Barrier(8)

    def refund(i: int) -> None:
        barrier.wait()
        request = pk.RefundRequest(f"re_{i}", charge.reference or "", pk.Money.of("30", "USD"))
        results.append(fake.refund(request))

    threads = [threading.Thread(target=refund, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(r.succeeded for r in results) == 3
    assert len(fake.refunds) == 3
    refused = [r for r in results if not r.succeeded]
    assert all(
        r.failure is not None and r.failure.gateway_code == "exceeds_remaining" for r in refused
    )


def test_refund_outcomes_are_settable(fake: pk.FakePaymentGateway) -> None:
    charge = fake.charge(_charge(fake, amount=pk.Money.of("100", "USD")))
    assert charge.reference is not None
    ten = pk.Money.of("10", "USD")
    fake.next_refunds(pk.FakeOutcome.TIMEOUT, pk.FakeOutcome.LOST, pk.FakeOutcome.DECLINE)
    timed_out = pk.RefundRequest("re_1", charge.reference, ten)
    assert fake.refund(timed_out).status is pk.ChargeStatus.UNKNOWN
    found = fake.lookup_refund("re_1")
    assert found is not None
    assert found.succeeded
    assert fake.refund(timed_out) == found
    lost = pk.RefundRequest("re_2", charge.reference, ten)
    assert fake.refund(lost).status is pk.ChargeStatus.UNKNOWN
    assert fake.lookup_refund("re_2") is None
    declined = fake.refund(pk.RefundRequest("re_3", charge.reference, ten))
    assert declined.failure is not None
    assert declined.failure.code == "payment.refund_refused"
    error = declined.error()
    assert error is not None
    assert error.details["gateway_code"] == "declined"
    assert fake.refund(lost).succeeded  # the lost one, sent again, is refunded once
    euros = fake.refund(pk.RefundRequest("re_4", charge.reference, pk.Money.of("1", "EUR")))
    assert euros.failure is not None
    assert euros.failure.gateway_code == "currency_mismatch"
    assert len(fake.refunds) == 2


def test_card_tokens_never_appear_in_a_repr_or_a_log_line(
    fake: pk.FakePaymentGateway, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="partnerkit")
    one_time = fake.tokenize(VISA, 12, 2030)
    card = fake.save_card("cus_1", one_time)
    request = _charge(fake, token=card.token, saved_card=True)
    result = fake.charge(request)
    fake.next_charges(pk.FakeOutcome.FRAUD)
    failed = fake.charge(_charge(fake, "pay_2", token=card.token, saved_card=True))
    assert result.reference is not None
    fake.refund(pk.RefundRequest("re_1", result.reference, USD))
    recent = pk.RecentCharge.of(request, T0)
    shown = " ".join(
        [
            repr(card),
            repr(request),
            repr(result),
            repr(failed),
            repr(fake),
            repr(recent),
            str(failed.error()),
            repr(failed.error()),
            caplog.text,
        ]
    )
    assert caplog.records, "the fake logs what it does"
    for token in (one_time, card.token):
        assert token not in shown
    assert "4242 4242" not in shown
    assert "4242424242424242" not in shown


def test_set_capabilities_refuses_what_capabilities_do_not_hold(
    fake: pk.FakePaymentGateway,
) -> None:
    with pytest.raises(InvalidInputError):
        fake.set_capabilities(teleport=True)
    replaced = fake.set_capabilities(pk.GatewayCapabilities(("USD",)))
    assert fake.capabilities() == replaced
    assert replaced.minimum("USD") is None


def test_the_fake_refuses_what_is_not_a_request_or_a_card(fake: pk.FakePaymentGateway) -> None:
    with pytest.raises(InvalidInputError):
        fake.charge("pay me")  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError):
        fake.refund("refund me")  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError):
        fake.tokenize("4242 4242 4242 4241", 12, 2030)
    with pytest.raises(InvalidInputError):
        fake.tokenize(VISA, 13, 2030)
    with pytest.raises(InvalidInputError):
        fake.next_charges("fraud")  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError):
        fake.tokenize(VISA, 12, 2030, outcome="fraud")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("number", "brand"),
    [
        ("4242424242424242", "visa"),
        ("5555555555554444", "mastercard"),
        ("2223003122003222", "mastercard"),
        ("378282246310005", "amex"),
        ("6011111111111117", "discover"),
        ("3056930009020004", "card"),
    ],
)
def test_tokenize_keeps_the_brand_and_the_last_four_digits(
    fake: pk.FakePaymentGateway, number: str, brand: str
) -> None:
    card = fake.save_card("cus_1", fake.tokenize(number, 1, 2031))
    assert card.brand == brand
    assert card.last4 == number[-4:]
    assert card.label == f"{brand} ending in {number[-4:]}, expires 01/2031"
