"""Renewal runs racing each other (issue 11, "Scale"): two workers, each a kit on its own engine
over the same PostgreSQL (or MariaDB) database, run `run_due` at once over 5,000 due
subscriptions. Each batch claims its rows `FOR UPDATE SKIP LOCKED`, so the workers share the
queue; every subscription is billed exactly once (counted in SQL per subscription and period),
every auto-charge is charged once, and neither worker sees an error."""

from __future__ import annotations

import os
import time

import pytest
import sqlalchemy as sa
from racing import race, said

import partnerkit as pk
from partnerkit.backends.sql import SqlBackend
from partnerkit.backends.sql import schema as t
from partnerkit.testing.databases import require_server, wipe
from partnerkit.testing.renewals import RENEWAL_DAY, due_subscriptions, renewal_instant

DUE = 5_000
WORKERS = 2
#: Every tenth subscription is charged to a saved card: the charges are made after each batch
#: commits, while the other worker may claim the same subscription for its charge.
CHARGE_EVERY = 10
CHARGED = DUE // CHARGE_EVERY


@pytest.fixture(
    params=[
        pytest.param("PARTNERKIT_TEST_POSTGRES_URL", marks=pytest.mark.postgres, id="postgres"),
        pytest.param("PARTNERKIT_TEST_MYSQL_URL", marks=pytest.mark.mysql, id="mariadb"),
    ],
    scope="module",
)
def url(request: pytest.FixtureRequest) -> str:
    backend = require_server(request.param)
    wipe(backend)
    backend.close()
    return os.environ[request.param]


def _workers(url: str, gateway: pk.FakePaymentGateway) -> list[pk.Kit]:
    """One kit per worker, each on an engine of its own: two processes' worth of connections.
    They share the gateway account, as two workers of one vendor do."""
    return [
        pk.Kit(
            SqlBackend.from_url(url),
            clock=pk.SimulatedClock(renewal_instant()),
            payment_gateway=gateway,
        )
        for _ in range(WORKERS)
    ]


def _billed(engine: sa.Engine) -> dict[str, int]:
    """What the database holds after the runs, counted in SQL."""
    inv, per, pay = t.invoices, t.subscription_periods, t.payments
    with engine.connect() as conn:
        twice = conn.execute(
            sa.select(sa.func.count()).select_from(
                sa.select(inv.c.subscription_id)
                .where(inv.c.subscription_id.is_not(None))
                .group_by(inv.c.subscription_id)
                .having(sa.func.count() > 1)
                .subquery()
            )
        ).scalar_one()
        periods_twice = conn.execute(
            sa.select(sa.func.count()).select_from(
                sa.select(per.c.subscription_id, per.c.period_start)
                .group_by(per.c.subscription_id, per.c.period_start)
                .having(sa.func.count() > 1)
                .subquery()
            )
        ).scalar_one()
        renewed = conn.execute(
            sa.select(sa.func.count(sa.distinct(per.c.subscription_id))).where(
                per.c.period_start == RENEWAL_DAY
            )
        ).scalar_one()
        invoiced = conn.execute(
            sa.select(sa.func.count()).where(inv.c.subscription_id.is_not(None))
        ).scalar_one()
        # Every invoice is the one of its subscription's period.
        unmatched = conn.execute(
            sa.select(sa.func.count())
            .select_from(inv.outerjoin(per, per.c.invoice_id == inv.c.id))
            .where(inv.c.subscription_id.is_not(None), per.c.invoice_id.is_(None))
        ).scalar_one()
        paid = conn.execute(
            sa.select(sa.func.count()).where(inv.c.status == pk.InvoiceStatus.PAID.value)
        ).scalar_one()
        charged = conn.execute(
            sa.select(sa.func.count()).where(pay.c.status == pk.PaymentStatus.SUCCEEDED.value)
        ).scalar_one()
        waiting = conn.execute(
            sa.select(sa.func.count()).where(
                t.subscriptions.c.status != pk.SubscriptionStatus.LIVE.value
            )
        ).scalar_one()
    return {
        "invoices for one subscription twice": twice,
        "periods billed twice": periods_twice,
        "subscriptions renewed": renewed,
        "subscription invoices": invoiced,
        "invoices without their period": unmatched,
        "invoices paid": paid,
        "charges that went through": charged,
        "subscriptions not live": waiting,
    }


def _race_renewals(
    url: str, due: int, *, customers: int, charge_every: int | None
) -> tuple[dict[str, int], pk.FakePaymentGateway, list[int]]:
    """`due` subscriptions written, then two workers' runs at once: what the database holds,
    the gateway, and how many subscriptions each run handled."""
    gateway = pk.FakePaymentGateway()
    card = gateway.save_card("cus_any", gateway.tokenize("4242 4242 4242 4242", 12, 2030))
    kits = _workers(url, gateway)
    backend = kits[0].backend
    assert isinstance(backend, SqlBackend)
    wipe(backend)
    try:
        due_subscriptions(
            backend,
            due,
            customers=customers,
            auto_charge_token=None if charge_every is None else card.token,
            charge_every=charge_every or 1,
        )
        started = time.perf_counter()
        handled, errors = race(WORKERS, lambda i: kits[i].run_due(), timeout=600)
        took = time.perf_counter() - started
        assert not errors, said(errors)
        shares = [r.handled["subscriptions"] for r in handled]  # type: ignore[attr-defined]
        print(
            f"\n{WORKERS} workers renewed {due} subscriptions of {customers} customers in "
            f"{took:.1f} s ({due / took:.0f} a second), handling {shares}"
        )
        return _billed(backend.engine), gateway, shares
    finally:
        for kit in kits:
            kit.close()


def test_two_renewal_runs_at_once_bill_every_subscription_exactly_once(url: str) -> None:
    counts, gateway, shares = _race_renewals(url, DUE, customers=DUE, charge_every=CHARGE_EVERY)
    assert counts == {
        "invoices for one subscription twice": 0,
        "periods billed twice": 0,
        "subscriptions renewed": DUE,
        "subscription invoices": DUE,
        "invoices without their period": 0,
        "invoices paid": CHARGED,
        "charges that went through": CHARGED,
        "subscriptions not live": 0,
    }
    # Each charge made once at the gateway: one key per subscription and period, though a
    # worker may claim a subscription whose charge the other worker is making.
    keys = {r.idempotency_key for r in gateway.received}
    assert (len(keys), len(gateway.charges)) == (CHARGED, CHARGED)
    assert sum(shares) >= DUE
    assert all(shares), f"one worker did all the work: {shares}"


def test_two_runs_renewing_customers_with_many_subscriptions_do_not_deadlock(url: str) -> None:
    """Twenty subscriptions per customer, spread over both workers' batches: each renewal
    locks its customer's billing account for the invoice number, in both workers at once."""
    due = 2_000
    counts, _, shares = _race_renewals(url, due, customers=due // 20, charge_every=None)
    assert counts["subscriptions renewed"] == counts["subscription invoices"] == due
    assert counts["invoices for one subscription twice"] == counts["periods billed twice"] == 0
    assert sum(shares) == due
