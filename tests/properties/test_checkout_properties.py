"""Online payment's invariants over random sequences (issue 10, items 3 and 4): invoices paid
online with random gateway outcomes (succeeded, declined, refused by fraud filters, timed out,
lost), offline payments between them, and `run_due` reconciling, in JPY, USD and KWD:

- the money the gateway moved is exactly the money of the succeeded online payments, once
  every unknown one is reconciled: never a second charge, never a charge unrecorded;
- no invoice is ever paid beyond its total, and every succeeded payment is what it paid plus
  its credit: no cent lost or made;
- the balance is what was invoiced less what was received.
"""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import partnerkit as pk
from partnerkit.errors import PartnerkitError

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
STAFF = pk.Principal.staff("billing@vendor.example")
OUTCOMES = st.sampled_from(
    [
        pk.FakeOutcome.SUCCEED,
        pk.FakeOutcome.SUCCEED,
        pk.FakeOutcome.DECLINE,
        pk.FakeOutcome.FRAUD,
        pk.FakeOutcome.TIMEOUT,
        pk.FakeOutcome.LOST,
    ]
)


def _sum(amounts: list[pk.Money], currency: str) -> pk.Money:
    total = pk.Money.zero(currency)
    for amount in amounts:
        total = total + amount
    return total


def check(kit: pk.Kit, gateway: pk.FakePaymentGateway, cid: str, currency: str) -> None:
    invoices = kit.billing.invoices(cid, limit=500, actor=STAFF)
    payments = kit.billing.payments(cid, limit=500, actor=STAFF)
    for invoice in invoices:
        assert invoice.amount_paid + invoice.credits_applied <= invoice.total, invoice
    succeeded = [p for p in payments if p.status is pk.PaymentStatus.SUCCEEDED]
    received = _sum([p.amount for p in succeeded], currency)
    applied = _sum([i.amount_paid for i in invoices], currency)
    credit = _sum([p.unapplied for p in succeeded], currency)
    assert applied + credit == received
    invoiced = _sum([i.total for i in invoices], currency)
    assert kit.billing.balance(cid, currency=currency, actor=STAFF) == invoiced - received
    online = [p for p in succeeded if p.method is pk.PaymentMethodKind.ONLINE]
    unknown = [p for p in payments if p.status is pk.PaymentStatus.UNKNOWN]
    moved = _sum([c.amount for c in gateway.charges], currency)
    # Moved money is recorded, or still unknown (its answer lost), never more.
    assert _sum([p.amount for p in online], currency) <= moved
    assert moved <= _sum([p.amount for p in online + unknown], currency)


def run(currency: str, data: st.DataObject, url: str) -> None:
    clock = pk.SimulatedClock(START)
    gateway = pk.FakePaymentGateway(clock=clock)
    kit = pk.connect(url, clock=clock, payment_gateway=gateway)
    kit.migrate()
    kit.billing.create_tax_rate("VAT", "0", default=True, actor=STAFF)
    acme = kit.customers.create(name="Acme", admin_email="it@acme.example", actor=STAFF)
    units = st.integers(min_value=1, max_value=50_000)
    issued: list[pk.Invoice] = []
    for step in range(data.draw(st.integers(min_value=1, max_value=20), label="steps")):
        op = data.draw(st.sampled_from(["invoice", "pay", "pay_all", "cash", "tick"]), label="op")
        try:
            if op == "invoice" or not issued:
                line = pk.InvoiceLine.of(
                    "Seats", 1, pk.Money.from_minor(data.draw(units), currency)
                )
                issued.append(kit.billing.create_invoice(acme.id, [line], issue=True, actor=STAFF))
            elif op in ("pay", "pay_all"):
                token = gateway.tokenize(
                    "4242 4242 4242 4242", 12, 2030, outcome=data.draw(OUTCOMES, label="outcome")
                )
                key = f"k{data.draw(st.integers(0, step), label='key')}"
                if op == "pay":
                    chosen = data.draw(
                        st.lists(st.sampled_from(issued), min_size=1, max_size=3, unique_by=id)
                    )
                    kit.billing.pay(
                        [i.id for i in chosen], card=token, idempotency_key=key, actor=STAFF
                    )
                else:
                    kit.billing.pay_all_outstanding(
                        acme.id, card=token, idempotency_key=key, actor=STAFF
                    )
            elif op == "cash":
                kit.billing.record_payment(
                    acme.id,
                    pk.Money.from_minor(data.draw(units), currency),
                    method=pk.PaymentMethodKind.CASH,
                    actor=STAFF,
                )
            else:
                kit.advance_to(kit.now() + timedelta(minutes=data.draw(st.integers(1, 10))))
        except PartnerkitError:
            pass  # refused: the invariants hold all the same
        check(kit, gateway, acme.id, currency)
    kit.advance_to(kit.now() + timedelta(minutes=5))
    check(kit, gateway, acme.id, currency)
    payments = kit.billing.payments(acme.id, limit=500, actor=STAFF)
    assert all(p.status is not pk.PaymentStatus.UNKNOWN for p in payments)
    online = [
        p.amount
        for p in payments
        if p.method is pk.PaymentMethodKind.ONLINE and p.status is pk.PaymentStatus.SUCCEEDED
    ]
    # Reconciled: what the gateway moved is what was recorded, to the minor unit.
    assert _sum(online, currency) == _sum([c.amount for c in gateway.charges], currency)
    # One charge per gateway key: never a second.
    keys = [c.idempotency_key for c in gateway.charges]
    assert len(keys) == len(set(keys))
    kit.close()


@pytest.mark.parametrize("currency", ["JPY", "USD", "KWD"])
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_random_online_payments_keep_the_gateway_and_the_books_in_step(
    currency: str, data: st.DataObject
) -> None:
    run(currency, data, "memory://")


@settings(
    max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_random_online_payments_on_sqlite(data: st.DataObject) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        run("USD", data, f"sqlite:///{Path(scratch) / 'checkout.db'}")
