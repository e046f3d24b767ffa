"""A trial whose end charge awaits the payment gateway's answer (003 seed, "Manage Trials":
"With auto-charge enabled ... the first charge is attempted"): the answer decides between live
and expired, so ending, cancelling or converting the trial, or turning auto-charge off, waits
for it — a typed refusal that stores nothing — and everything works again once it came.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import partnerkit as pk
from partnerkit.subscriptions.errors import TrialChargePendingError

STAFF = pk.Principal.staff("billing@vendor.example")
START = datetime(2026, 1, 31, 9, 0, tzinfo=UTC)
S, A = pk.SubscriptionStatus, pk.SubscriptionAction
MONTH = pk.BillingPeriod(pk.IntervalUnit.MONTH, 1)


@pytest.fixture(params=["memory", "sqlite"])
def lab(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[pk.Kit, pk.Customer]]:
    url = "memory://" if request.param == "memory" else f"sqlite:///{tmp_path / 'wait.db'}"
    clock = pk.SimulatedClock(START)
    kit = pk.connect(url, clock=clock, payment_gateway=pk.FakePaymentGateway(clock=clock))
    kit.migrate()
    kit.catalog.add_product("crm", name="CRM", actor=STAFF)
    kit.subscriptions.add_plan(
        "trial",
        product="crm",
        name="Trial",
        price=pk.Money.of("20.00", "USD"),
        period=MONTH,
        trial=14,
        setup_fee=pk.Money.of("0", "USD"),
        actor=STAFF,
    )
    acme = kit.customers.create(name="Acme", admin_email="it@acme.example", actor=STAFF)
    gateway = kit.payment_gateway
    assert isinstance(gateway, pk.FakePaymentGateway)
    kit.billing.add_payment_method(
        acme.id, gateway.tokenize("4242 4242 4242 4242", 12, 2030), actor=STAFF
    )
    yield kit, acme
    kit.close()


def _waiting(kit: pk.Kit, acme: pk.Customer) -> pk.Subscription:
    gateway = kit.payment_gateway
    assert isinstance(gateway, pk.FakePaymentGateway)
    sub = kit.subscriptions.create(acme.id, "trial", auto_charge=True, actor=STAFF)
    gateway.next_charges(pk.FakeOutcome.TIMEOUT)
    kit.advance_to(sub.term_end)
    waiting = kit.subscriptions.get(sub.id, actor=STAFF)
    assert waiting.trial_charge_pending
    return waiting


def test_a_trial_whose_end_charge_is_unanswered_waits_for_the_answer(
    lab: tuple[pk.Kit, pk.Customer],
) -> None:
    kit, acme = lab
    sub = _waiting(kit, acme)
    shown = kit.subscriptions.allowed_actions(sub.id, actor=STAFF)
    for action in (A.ACTIVATE, A.CANCEL, A.SCHEDULE_CANCELLATION, A.DISABLE_AUTO_CHARGE):
        assert action not in shown
    before = (
        kit.subscriptions.get(sub.id, actor=STAFF),
        kit.subscriptions.periods(sub.id, actor=STAFF),
    )
    moves = [
        lambda: kit.subscriptions.activate(sub.id, actor=STAFF),
        lambda: kit.subscriptions.preview_activate(sub.id, actor=STAFF),
        lambda: kit.subscriptions.cancel(sub.id, actor=STAFF),
        lambda: kit.subscriptions.cancel(sub.id, at_term_end=True, actor=STAFF),
        lambda: kit.subscriptions.set_auto_charge(sub.id, False, actor=STAFF),
    ]
    for move in moves:
        with pytest.raises(TrialChargePendingError) as refused:
            move()
        assert refused.value.code == "subscription.trial_charge_pending"
        assert refused.value.remedy == "Try again once the payment is settled, within the hour."
    after = (
        kit.subscriptions.get(sub.id, actor=STAFF),
        kit.subscriptions.periods(sub.id, actor=STAFF),
    )
    assert after == before
    # The answer comes (the charge went through): the trial is live, and the moves are back.
    kit.advance_to(kit.now() + timedelta(hours=2))
    live = kit.subscriptions.get(sub.id, actor=STAFF)
    assert live.status is S.LIVE and not live.trial_charge_pending
    assert len(kit.subscriptions.periods(sub.id, actor=STAFF)) == 1
    assert kit.subscriptions.cancel(sub.id, at_term_end=True, actor=STAFF).status is S.NON_RENEWING


def test_an_expired_trial_extended_and_converted_the_same_day_goes_live(
    lab: tuple[pk.Kit, pk.Customer],
) -> None:
    """003 seed, "Extend Trials" then "Convert Trials to Live", both on the day it expired: the
    expired trial's voided invoice no longer holds the period."""
    kit, acme = lab
    gateway = kit.payment_gateway
    assert isinstance(gateway, pk.FakePaymentGateway)
    sub = kit.subscriptions.create(acme.id, "trial", auto_charge=True, actor=STAFF)
    gateway.next_charges(pk.FakeOutcome.DECLINE)
    kit.advance_to(
        datetime.combine(sub.term_end, datetime.min.time(), tzinfo=UTC) + timedelta(hours=9)
    )
    assert kit.subscriptions.get(sub.id, actor=STAFF).status is S.EXPIRED
    assert kit.subscriptions.periods(sub.id, actor=STAFF) == []
    kit.subscriptions.extend_trial(sub.id, actor=STAFF)
    live = kit.subscriptions.activate(sub.id, actor=STAFF)
    assert (live.status, live.anchor) == (S.LIVE, sub.term_end)
    [period] = kit.subscriptions.periods(sub.id, actor=STAFF)
    invoice = kit.billing.get_invoice(period.invoice_id, actor=STAFF)
    assert invoice.status is not pk.InvoiceStatus.VOID
