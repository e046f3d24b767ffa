"""Online payment through `kit.billing.pay` on memory and SQLite (issue 10, items 3 to 6): the
CP rules with the seed's remedies, idempotency, unknown charges reconciled by `run_due`, saved
payment methods, pay all outstanding, and refunds back to the card.

003_9950710e2377ac79.txt, "View & Pay Invoices": "you will be notified about it and the status
of the invoice will turn to Paid"; "View & Update Payment Information": updating a card moves
what used the old one onto the new one; "Troubleshooting": the CP error table.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import partnerkit as pk
from partnerkit.billing.errors import (
    IdempotencyConflictError,
    InvalidInvoiceTransitionError,
    InvoiceNotFoundError,
    NoPaymentGatewayError,
    PaymentInProgressError,
    PaymentMethodNotFoundError,
    WrongCurrencyError,
)
from partnerkit.billing.payment_errors import CP_ERRORS, PaymentError
from partnerkit.errors import InvalidInputError

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
STAFF = pk.Principal.staff("billing@vendor.example")
VISA = "4242 4242 4242 4242"


def usd(amount: str) -> pk.Money:
    return pk.Money.of(amount, "USD")


@pytest.fixture(params=["memory", "sqlite"])
def kit(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[pk.Kit]:
    url = "memory://" if request.param == "memory" else f"sqlite:///{tmp_path / 'pay.db'}"
    clock = pk.SimulatedClock(START)
    kit = pk.connect(
        url,
        clock=clock,
        mailer=pk.InMemoryMailer(),
        payment_gateway=pk.FakePaymentGateway(clock=clock),
    )
    kit.migrate()
    kit.billing.create_tax_rate("VAT", "20", default=True, actor=STAFF)
    yield kit
    kit.close()


def fake(kit: pk.Kit) -> pk.FakePaymentGateway:
    assert isinstance(kit.payment_gateway, pk.FakePaymentGateway)
    return kit.payment_gateway


@pytest.fixture
def acme(kit: pk.Kit) -> pk.Customer:
    return kit.customers.create(name="Acme", admin_email="it@acme.example", actor=STAFF)


def admin_of(customer: pk.Customer) -> pk.Principal:
    return pk.Principal.customer_user(customer.id, customer.users[0].email)


def invoice(
    kit: pk.Kit, customer: pk.Customer, price: str = "50.00", currency: str = "USD"
) -> pk.Invoice:
    line = pk.InvoiceLine.of("CRM seats", 1, pk.Money.of(price, currency))
    return kit.billing.create_invoice(customer.id, [line], issue=True, actor=STAFF)


def card(kit: pk.Kit, outcome: pk.FakeOutcome = pk.FakeOutcome.SUCCEED) -> str:
    return fake(kit).tokenize(VISA, 12, 2030, outcome=outcome)


def test_paying_an_invoice_online_turns_it_paid_and_charges_once(
    kit: pk.Kit, acme: pk.Customer
) -> None:
    inv = invoice(kit, acme)
    payment = kit.billing.pay(
        [inv.id], card=card(kit), idempotency_key="order-1", actor=admin_of(acme)
    )
    assert (payment.status, payment.amount, payment.method) == (
        pk.PaymentStatus.SUCCEEDED,
        inv.total,
        pk.PaymentMethodKind.ONLINE,
    )
    assert payment.gateway_reference is not None
    assert kit.billing.get_invoice(inv.id, actor=STAFF).status is pk.InvoiceStatus.PAID
    assert len(kit.outbox(topic="billing.invoice_paid")) == 1
    # The same key and request: the first payment, nothing more charged.
    again = kit.billing.pay([inv.id], card="tok_other", idempotency_key="order-1", actor=STAFF)
    assert again == payment
    assert len(fake(kit).charges) == 1
    assert kit.billing.balance(acme.id, currency="USD", actor=STAFF) == usd("0")


def test_the_same_key_with_another_method_is_a_conflict(kit: pk.Kit, acme: pk.Customer) -> None:
    inv = invoice(kit, acme)
    method = kit.billing.add_payment_method(acme.id, card(kit), actor=admin_of(acme))
    kit.billing.pay([inv.id], card=card(kit), idempotency_key="k", actor=STAFF)
    with pytest.raises(IdempotencyConflictError):
        kit.billing.pay([inv.id], method_id=method.id, idempotency_key="k", actor=STAFF)
    assert len(fake(kit).charges) == 1


@pytest.mark.parametrize(
    ("code", "setup"),
    [
        ("CP2001", lambda kit: kit.billing.set_default_tax(None, actor=STAFF)),
        ("CP3002", lambda kit: fake(kit).set_capabilities(credentials_valid=False)),
        (
            "CP4003",
            lambda kit: fake(kit).set_capabilities(
                supported_currencies=("EUR",), minimum_amounts=()
            ),
        ),
        (
            "CP4001",
            lambda kit: fake(kit).set_capabilities(minimum_amounts=(usd("100"),)),
        ),
        ("CP3001", lambda kit: fake(kit).set_capabilities(reference_transactions=False)),
    ],
)
def test_a_cp_rule_refuses_before_the_gateway_and_the_attempt_is_kept(
    kit: pk.Kit, acme: pk.Customer, code: str, setup: object
) -> None:
    inv = invoice(kit, acme)
    method = kit.billing.add_payment_method(acme.id, card(kit), actor=admin_of(acme))
    setup(kit)  # type: ignore[operator]
    with pytest.raises(PaymentError) as caught:
        kit.billing.pay([inv.id], method_id=method.id, idempotency_key="k", actor=admin_of(acme))
    error = caught.value
    assert error.code == f"payment.{code.lower()}"
    assert error.remedy == CP_ERRORS[code].default_remedy
    assert fake(kit).charges == []
    [attempt] = kit.billing.payments(acme.id, actor=STAFF)
    assert (attempt.status, attempt.failure_code) == (pk.PaymentStatus.FAILED, error.code)
    assert kit.billing.get_invoice(inv.id, actor=STAFF).status is pk.InvoiceStatus.SENT


def test_cp2001_is_the_portals_rule_staff_and_the_system_charge_without_a_default_tax(
    kit: pk.Kit, acme: pk.Customer
) -> None:
    # 003 seed, "Troubleshooting" lists CP2001 for payments in the customer portal; an
    # auto-charge the system runs, or staff charging a saved card, is not the portal.
    kit.billing.set_default_tax(None, actor=STAFF)
    method = kit.billing.add_payment_method(acme.id, card(kit), actor=admin_of(acme))
    first, second = invoice(kit, acme), invoice(kit, acme)
    by_staff = kit.billing.pay([first.id], method_id=method.id, idempotency_key="s", actor=STAFF)
    kit.clock.advance(timedelta(minutes=6))  # type: ignore[attr-defined]  # not CP3005
    by_system = kit.billing.pay(
        [second.id], method_id=method.id, idempotency_key="y", actor=pk.Principal.system()
    )
    assert {by_staff.status, by_system.status} == {pk.PaymentStatus.SUCCEEDED}


def test_cp1003_a_deleted_contact_cannot_pay_through_the_portal(
    kit: pk.Kit, acme: pk.Customer
) -> None:
    inv = invoice(kit, acme)
    ghost = pk.Principal.customer_user(acme.id, "gone@acme.example")
    with pytest.raises(PaymentError) as caught:
        kit.billing.pay([inv.id], card=card(kit), idempotency_key="k", actor=ghost)
    assert caught.value.code == "payment.cp1003"
    assert caught.value.remedy == CP_ERRORS["CP1003"].default_remedy


def test_cp1004_an_invoice_of_a_deleted_recurring_profile_is_not_charged(
    kit: pk.Kit, acme: pk.Customer
) -> None:
    # 003 seed: CP1004 "Your customer's customer portal might be associated with a deleted
    # recurring profile." The host (or the subscriptions package) tells billing which exist.
    deleted = {"sub_gone"}
    kit.billing.add_recurring_profile_check(lambda uow, sid: sid not in deleted)
    gone = kit.billing.create_invoice(
        acme.id,
        [pk.InvoiceLine.of("CRM, March", 1, usd("30"))],
        subscription_id="sub_gone",
        issue=True,
        actor=STAFF,
    )
    live = kit.billing.create_invoice(
        acme.id,
        [pk.InvoiceLine.of("CRM, March", 1, usd("30"))],
        subscription_id="sub_live",
        issue=True,
        actor=STAFF,
    )
    with pytest.raises(PaymentError) as caught:
        kit.billing.pay([gone.id], card=card(kit), idempotency_key="k", actor=admin_of(acme))
    assert caught.value.code == "payment.cp1004"
    assert caught.value.remedy == CP_ERRORS["CP1004"].default_remedy
    assert fake(kit).charges == []
    assert kit.billing.get_invoice(gone.id, actor=STAFF).status is pk.InvoiceStatus.SENT
    # Paying it together with a live one is refused too; the live one alone goes through.
    with pytest.raises(PaymentError):
        kit.billing.pay(
            [live.id, gone.id], card=card(kit), idempotency_key="k2", actor=admin_of(acme)
        )
    paid = kit.billing.pay([live.id], card=card(kit), idempotency_key="k3", actor=admin_of(acme))
    assert paid.status is pk.PaymentStatus.SUCCEEDED


def test_cp3005_is_the_portals_rule_auto_charges_of_two_invoices_both_go_through(
    kit: pk.Kit, acme: pk.Customer
) -> None:
    # Two subscriptions of one price renew on one day: the system charges the same card the
    # same amount twice within minutes, for two invoices. That is no one paying twice.
    method = kit.billing.add_payment_method(acme.id, card(kit), actor=admin_of(acme))
    first, second = invoice(kit, acme), invoice(kit, acme)
    system = pk.Principal.system()
    for inv, key in ((first, "r1"), (second, "r2")):
        paid = kit.billing.pay([inv.id], method_id=method.id, idempotency_key=key, actor=system)
        assert paid.status is pk.PaymentStatus.SUCCEEDED


def test_cp4002_a_card_kept_for_future_transactions_needs_recurring_support(
    kit: pk.Kit, acme: pk.Customer
) -> None:
    # 003 seed: CP4002 "Payment gateway that you've configured doesn't support recurring
    # payments". A card kept "for future transactions" is charged again without the customer.
    inv = invoice(kit, acme)
    fake(kit).set_capabilities(recurring=False)
    with pytest.raises(PaymentError) as caught:
        kit.billing.pay(
            [inv.id],
            card=card(kit),
            save_for_future=True,
            idempotency_key="k",
            actor=admin_of(acme),
        )
    assert caught.value.code == "payment.cp4002"
    assert caught.value.remedy == CP_ERRORS["CP4002"].default_remedy
    assert fake(kit).charges == []
    assert kit.billing.payment_methods(acme.id, actor=STAFF) == []  # no card kept
    # Paying once, without keeping the card, needs no recurring support.
    paid = kit.billing.pay([inv.id], card=card(kit), idempotency_key="k2", actor=admin_of(acme))
    assert paid.status is pk.PaymentStatus.SUCCEEDED


def test_cp3005_the_same_amount_on_the_same_card_within_minutes(
    kit: pk.Kit, acme: pk.Customer
) -> None:
    first, second = invoice(kit, acme), invoice(kit, acme)
    method = kit.billing.add_payment_method(acme.id, card(kit), actor=admin_of(acme))
    kit.billing.pay([first.id], method_id=method.id, idempotency_key="a", actor=admin_of(acme))
    with pytest.raises(PaymentError) as caught:
        kit.billing.pay([second.id], method_id=method.id, idempotency_key="b", actor=admin_of(acme))
    assert caught.value.code == "payment.cp3005"
    assert caught.value.remedy == CP_ERRORS["CP3005"].default_remedy
    kit.clock.advance(timedelta(minutes=6))  # type: ignore[attr-defined]
    paid = kit.billing.pay(
        [second.id], method_id=method.id, idempotency_key="b", actor=admin_of(acme)
    )
    assert paid.status is pk.PaymentStatus.SUCCEEDED


@pytest.mark.parametrize(
    ("outcome", "code"),
    [
        (pk.FakeOutcome.FRAUD, "payment.cp3003"),
        (pk.FakeOutcome.ADDRESS_VERIFICATION, "payment.cp3004"),
    ],
)
def test_a_gateway_decline_is_kept_failed_and_a_retry_with_a_new_key_succeeds(
    kit: pk.Kit, acme: pk.Customer, outcome: pk.FakeOutcome, code: str
) -> None:
    inv = invoice(kit, acme)
    with pytest.raises(PaymentError) as caught:
        kit.billing.pay(
            [inv.id], card=card(kit, outcome), idempotency_key="1", actor=admin_of(acme)
        )
    assert caught.value.code == code
    # The same key answers the same failure, and charges nothing.
    with pytest.raises(PaymentError):
        kit.billing.pay([inv.id], card=card(kit), idempotency_key="1", actor=admin_of(acme))
    paid = kit.billing.pay([inv.id], card=card(kit), idempotency_key="2", actor=admin_of(acme))
    assert paid.status is pk.PaymentStatus.SUCCEEDED
    statuses = sorted(p.status.value for p in kit.billing.payments(acme.id, actor=STAFF))
    assert statuses == ["failed", "succeeded"]


def test_a_timeout_stays_unknown_and_run_due_settles_it_without_a_second_charge(
    kit: pk.Kit, acme: pk.Customer
) -> None:
    inv = invoice(kit, acme)
    fake(kit).next_charges(pk.FakeOutcome.TIMEOUT)
    payment = kit.billing.pay([inv.id], card=card(kit), idempotency_key="t", actor=STAFF)
    assert payment.status is pk.PaymentStatus.UNKNOWN
    assert kit.billing.get_invoice(inv.id, actor=STAFF).status is pk.InvoiceStatus.SENT
    # Another payer meanwhile is refused: it would be charged for the same invoice.
    with pytest.raises(PaymentInProgressError) as caught:
        kit.billing.pay([inv.id], card=card(kit), idempotency_key="other", actor=admin_of(acme))
    assert caught.value.details["payment"] == payment.number
    # A retry under the key answers the unknown payment: no second charge.
    assert (
        kit.billing.pay([inv.id], card=card(kit), idempotency_key="t", actor=STAFF).id == payment.id
    )
    kit.advance_to(kit.now() + timedelta(minutes=2))
    settled = kit.billing.get_payment(payment.id, actor=STAFF)
    assert settled.status is pk.PaymentStatus.SUCCEEDED
    assert kit.billing.get_invoice(inv.id, actor=STAFF).status is pk.InvoiceStatus.PAID
    assert len(fake(kit).charges_for(payment.id)) == 1
    assert len(fake(kit).charges) == 1


def test_a_charge_the_gateway_never_received_is_failed_by_run_due(
    kit: pk.Kit, acme: pk.Customer
) -> None:
    inv = invoice(kit, acme)
    fake(kit).next_charges(pk.FakeOutcome.LOST)
    payment = kit.billing.pay([inv.id], card=card(kit), idempotency_key="t", actor=STAFF)
    assert payment.status is pk.PaymentStatus.UNKNOWN
    kit.advance_to(kit.now() + timedelta(minutes=2))
    assert kit.billing.get_payment(payment.id, actor=STAFF).status is pk.PaymentStatus.FAILED
    assert fake(kit).charges == []


def test_pay_all_outstanding_charges_once_per_currency_oldest_due_first(
    kit: pk.Kit, acme: pk.Customer
) -> None:
    a = invoice(kit, acme, "30.00")
    kit.clock.advance(timedelta(days=1))  # type: ignore[attr-defined]
    b = invoice(kit, acme, "20.00")
    e = invoice(kit, acme, "10.00", "EUR")
    paid = kit.billing.pay_all_outstanding(
        acme.id, card=card(kit), idempotency_key="all", actor=admin_of(acme)
    )
    assert [(p.currency, p.amount) for p in paid] == [
        ("EUR", pk.Money.of("12.00", "EUR")),
        ("USD", usd("60.00")),
    ]
    assert len(fake(kit).charges) == 2
    for inv in (a, b, e):
        assert kit.billing.get_invoice(inv.id, actor=STAFF).status is pk.InvoiceStatus.PAID
    assert kit.billing.dashboard(acme.id, actor=STAFF).outstanding == ()
    # Again with the key: the same payments, nothing more.
    assert (
        kit.billing.pay_all_outstanding(
            acme.id, card=card(kit), idempotency_key="all", actor=admin_of(acme)
        )
        == []
    )


def test_saved_methods_default_update_and_remove(kit: pk.Kit, acme: pk.Customer) -> None:
    who = admin_of(acme)
    first = kit.billing.add_payment_method(acme.id, card(kit), actor=who)
    second = kit.billing.add_payment_method(acme.id, card(kit), actor=who)
    assert first.default and not second.default
    assert "tok_" not in repr(first) and "card_fake" not in repr(first)
    kit.billing.set_default_payment_method(second.id, actor=who)
    assert [m.default for m in kit.billing.payment_methods(acme.id, actor=who)] == [False, True]
    # Updating moves the default (and anything pointing at the method) onto the new card.
    updated = kit.billing.update_payment_method(
        second.id, fake(kit).tokenize("5555 5555 5555 4444", 1, 2031), actor=who
    )
    assert (updated.id, updated.default, updated.last4, updated.brand) == (
        second.id,
        True,
        "4444",
        "mastercard",
    )
    inv = invoice(kit, acme)
    paid = kit.billing.pay([inv.id], method_id=second.id, idempotency_key="m", actor=who)
    assert paid.payment_method_id == second.id
    kit.billing.remove_payment_method(second.id, actor=who)
    [left] = kit.billing.payment_methods(acme.id, actor=who)
    assert (left.id, left.default) == (first.id, True)
    with pytest.raises(PaymentMethodNotFoundError):
        kit.billing.set_default_payment_method(second.id, actor=who)


def test_save_for_future_makes_the_card_the_default(kit: pk.Kit, acme: pk.Customer) -> None:
    kit.billing.add_payment_method(acme.id, card(kit), actor=STAFF)
    inv = invoice(kit, acme)
    paid = kit.billing.pay(
        [inv.id], card=card(kit), save_for_future=True, idempotency_key="s", actor=admin_of(acme)
    )
    [old, new] = kit.billing.payment_methods(acme.id, actor=STAFF)
    assert (old.default, new.default, paid.payment_method_id) == (False, True, new.id)


def test_another_organisations_invoice_or_method_answers_like_a_missing_one(
    kit: pk.Kit, acme: pk.Customer
) -> None:
    globex = kit.customers.create(name="Globex", admin_email="it@globex.example", actor=STAFF)
    theirs = invoice(kit, globex)
    method = kit.billing.add_payment_method(globex.id, card(kit), actor=STAFF)
    mine = invoice(kit, acme)
    with pytest.raises(InvoiceNotFoundError):
        kit.billing.pay([theirs.id], card=card(kit), idempotency_key="x", actor=admin_of(acme))
    with pytest.raises(PaymentMethodNotFoundError):
        kit.billing.pay([mine.id], method_id=method.id, idempotency_key="x", actor=admin_of(acme))
    with pytest.raises(PaymentMethodNotFoundError):
        kit.billing.remove_payment_method(method.id, actor=admin_of(acme))
    assert kit.billing.payments(acme.id, actor=STAFF) == []
    assert fake(kit).charges == []


def test_bad_input_is_refused_and_nothing_is_charged(kit: pk.Kit, acme: pk.Customer) -> None:
    inv = invoice(kit, acme)
    eur = invoice(kit, acme, "5.00", "EUR")
    who = admin_of(acme)
    with pytest.raises(InvalidInputError):
        kit.billing.pay([inv.id], idempotency_key="x", actor=who)
    with pytest.raises(InvalidInputError):
        kit.billing.pay([inv.id], card="", idempotency_key="x", actor=who)
    with pytest.raises(pk.PartnerkitError):
        kit.billing.pay([inv.id], card=VISA, idempotency_key="x", actor=who)
    with pytest.raises(WrongCurrencyError):
        kit.billing.pay([inv.id, eur.id], card=card(kit), idempotency_key="x", actor=who)
    kit.billing.void_invoice(eur.id, actor=STAFF)
    with pytest.raises(InvalidInvoiceTransitionError):
        kit.billing.pay([eur.id], card=card(kit), idempotency_key="x", actor=who)
    assert kit.billing.payments(acme.id, actor=STAFF) == []
    assert fake(kit).charges == []


def test_a_refund_of_an_online_overpayment_goes_back_to_the_card_never_beyond_it(
    kit: pk.Kit, acme: pk.Customer
) -> None:
    inv = invoice(kit, acme)
    fake(kit).next_charges(pk.FakeOutcome.TIMEOUT)
    online = kit.billing.pay([inv.id], card=card(kit), idempotency_key="p", actor=STAFF)
    # While the charge is unknown the customer pays by bank transfer; the charge went through.
    kit.billing.record_payment(
        acme.id, inv.total, method=pk.PaymentMethodKind.BANK_TRANSFER, actor=STAFF
    )
    kit.advance_to(kit.now() + timedelta(minutes=2))
    settled = kit.billing.get_payment(online.id, actor=STAFF)
    assert (settled.status, settled.unapplied) == (pk.PaymentStatus.SUCCEEDED, inv.total)
    assert kit.billing.available_credits(acme.id, actor=STAFF) == [inv.total]
    with pytest.raises(pk.PartnerkitError):
        kit.billing.refund_payment(online.id, inv.total + usd("0.01"), actor=STAFF)
    refund = kit.billing.refund_payment(online.id, inv.total, actor=STAFF)
    [back] = fake(kit).refunds
    assert (back.amount, back.charge_reference, refund.reference) == (
        inv.total,
        settled.gateway_reference,
        back.reference,
    )
    assert kit.billing.available_credits(acme.id, actor=STAFF) == []


def test_without_a_gateway_online_calls_raise_a_configuration_error(tmp_path: Path) -> None:
    kit = pk.connect(f"sqlite:///{tmp_path / 'none.db'}", clock=pk.SimulatedClock(START))
    kit.migrate()
    acme = kit.customers.create(name="Acme", admin_email="it@acme.example", actor=STAFF)
    with pytest.raises(NoPaymentGatewayError) as caught:
        kit.billing.add_payment_method(acme.id, "tok_x", actor=STAFF)
    assert caught.value.code == "configuration.no_payment_gateway"
    kit.close()


def test_a_saved_card_token_is_in_no_repr_log_line_or_outbox_message(
    kit: pk.Kit, acme: pk.Customer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    one_time = card(kit)
    method = kit.billing.add_payment_method(acme.id, one_time, actor=admin_of(acme))
    inv = invoice(kit, acme)
    paid = kit.billing.pay([inv.id], method_id=method.id, idempotency_key="s", actor=STAFF)
    kit.run_due()
    # The token is the gateway's reference to charge again: kept, and shown nowhere.
    assert method.token.startswith("card_fake_")
    outbox = json.dumps([m.payload for m in kit.outbox()], default=str)
    shown = [
        repr(method),
        repr(kit.billing.payment_methods(acme.id, actor=STAFF)),
        repr(paid),
        caplog.text,
        outbox,
        repr(fake(kit).received),
    ]
    for token in (method.token, one_time):
        assert all(token not in text for text in shown)


def test_a_refund_whose_answer_is_lost_is_settled_by_the_same_refund_without_a_second(
    kit: pk.Kit, acme: pk.Customer
) -> None:
    inv = invoice(kit, acme)
    fake(kit).next_charges(pk.FakeOutcome.TIMEOUT)
    online = kit.billing.pay([inv.id], card=card(kit), idempotency_key="p", actor=STAFF)
    kit.billing.record_payment(acme.id, inv.total, method=pk.PaymentMethodKind.CASH, actor=STAFF)
    kit.advance_to(kit.now() + timedelta(minutes=2))
    fake(kit).next_refunds(pk.FakeOutcome.TIMEOUT)
    with pytest.raises(PaymentError) as caught:
        kit.billing.refund_payment(online.id, usd("10"), actor=STAFF)
    assert caught.value.code == "payment.gateway_unavailable"
    assert kit.billing.available_credits(acme.id, actor=STAFF) == [inv.total]
    refund = kit.billing.refund_payment(online.id, usd("10"), actor=STAFF)
    assert len(fake(kit).refunds) == 1
    assert refund.reference == fake(kit).refunds[0].reference
    assert kit.billing.available_credits(acme.id, actor=STAFF) == [inv.total - usd("10")]
