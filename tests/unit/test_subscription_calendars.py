"""A subscription's days are the customer's (issue 11, "Periods use relativedelta from the anchor
date"): its terms start, renew and pause at midnight in the customer's time zone, and its
invoices name the days that customer's calendar shows, as the statements do (billing issue).
The zone is the customer's own, else the organisation's (`MappingPolicy.time_zone`), taken when
the subscription is created; a later change of the customer's zone leaves it alone.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

import partnerkit as pk

STAFF = pk.Principal.staff("billing@vendor.example")
MONTH = pk.BillingPeriod(pk.IntervalUnit.MONTH, 1)
S = pk.SubscriptionStatus
#: 20:00 UTC on 31 January 2026: already 1 February in Tokyo (UTC+9), still 31 January in
#: New York (UTC-5).
START = datetime(2026, 1, 31, 20, 0, tzinfo=UTC)


def usd(amount: str) -> pk.Money:
    return pk.Money.of(amount, "USD")


@pytest.fixture(params=["memory", "sqlite"])
def kit(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[pk.Kit]:
    url = "memory://" if request.param == "memory" else f"sqlite:///{tmp_path / 'zones.db'}"
    clock = pk.SimulatedClock(START)
    kit = pk.connect(
        url,
        clock=clock,
        payment_gateway=pk.FakePaymentGateway(clock=clock),
        policies=[pk.MappingPolicy(time_zone="America/New_York")],
    )
    kit.migrate()
    kit.billing.create_tax_rate("No tax", "0", default=True, actor=STAFF)
    kit.catalog.add_product("crm", name="CRM", actor=STAFF)
    kit.subscriptions.add_plan(
        "crm-pro", product="crm", name="CRM Pro", price=usd("30.00"), period=MONTH, actor=STAFF
    )
    yield kit
    kit.close()


def customer(kit: pk.Kit, name: str, zone: str | None) -> pk.Customer:
    return kit.customers.create(
        name=name, admin_email=f"it@{name.lower()}.example", time_zone=zone, actor=STAFF
    )


def lines(kit: pk.Kit, sub: pk.Subscription) -> list[str]:
    found = kit.billing.invoices(sub.customer_id, limit=50, actor=STAFF)
    return sorted(line.description for invoice in found for line in invoice.lines)


def test_a_tokyo_customer_s_terms_are_tokyo_days_and_renew_at_tokyo_midnight(
    kit: pk.Kit,
) -> None:
    tokyo = customer(kit, "Sakura", "Asia/Tokyo")
    sub = kit.subscriptions.create(tokyo.id, "crm-pro", actor=STAFF)
    assert sub.time_zone == "Asia/Tokyo"
    assert (sub.anchor, sub.term_start, sub.term_end) == (
        date(2026, 2, 1), date(2026, 2, 1), date(2026, 3, 1),
    )  # fmt: skip
    # Midnight of 1 March in Tokyo is 15:00 UTC on 28 February.
    assert sub.due_at == datetime(2026, 2, 28, 15, 0, tzinfo=UTC)
    kit.advance_to(datetime(2026, 2, 28, 14, 59, tzinfo=UTC))
    assert len(kit.subscriptions.periods(sub.id, actor=STAFF)) == 1
    kit.advance_to(datetime(2026, 2, 28, 15, 0, tzinfo=UTC))
    assert [
        (p.period_start, p.period_end) for p in kit.subscriptions.periods(sub.id, actor=STAFF)
    ] == [(date(2026, 2, 1), date(2026, 3, 1)), (date(2026, 3, 1), date(2026, 4, 1))]
    assert lines(kit, sub) == [
        "CRM Pro (2026-02-01 to 2026-02-28)",
        "CRM Pro (2026-03-01 to 2026-03-31)",
    ]


def test_without_a_zone_of_its_own_the_organisation_s_calendar_counts(kit: pk.Kit) -> None:
    """New York: still 31 January at 20:00 UTC; the month-end anchor renews on 28 February at
    midnight there (05:00 UTC), then on 31 March after the clocks moved to summer time on 8
    March (04:00 UTC)."""
    acme = customer(kit, "Acme", None)
    sub = kit.subscriptions.create(acme.id, "crm-pro", actor=STAFF)
    assert (sub.time_zone, sub.anchor) == ("America/New_York", date(2026, 1, 31))
    assert sub.due_at == datetime(2026, 2, 28, 5, 0, tzinfo=UTC)
    kit.advance_to(datetime(2026, 2, 28, 5, 0, tzinfo=UTC))
    renewed = kit.subscriptions.get(sub.id, actor=STAFF)
    assert (renewed.term_start, renewed.term_end) == (date(2026, 2, 28), date(2026, 3, 31))
    assert renewed.due_at == datetime(2026, 3, 31, 4, 0, tzinfo=UTC)


def test_the_calendar_is_kept_when_the_customer_s_zone_changes(kit: pk.Kit) -> None:
    tokyo = customer(kit, "Sakura", "Asia/Tokyo")
    sub = kit.subscriptions.create(tokyo.id, "crm-pro", actor=STAFF)
    kit.customers.set_time_zone(tokyo.id, "Europe/Paris", actor=STAFF)
    kept = kit.subscriptions.get(sub.id, actor=STAFF)
    assert (kept.time_zone, kept.due_at) == ("Asia/Tokyo", sub.due_at)
    later = kit.subscriptions.create(tokyo.id, "crm-pro", actor=STAFF)
    assert (later.time_zone, later.anchor) == ("Europe/Paris", date(2026, 1, 31))


def test_a_pause_and_a_start_day_are_days_of_the_customer_s_calendar(kit: pk.Kit) -> None:
    """003 seed, "Pause & Resume Subscriptions": a pause day "today or later" is today in
    Tokyo, 1 February, where 31 January has passed already; and so is a start day."""
    tokyo = customer(kit, "Sakura", "Asia/Tokyo")
    sub = kit.subscriptions.create(tokyo.id, "crm-pro", actor=STAFF)
    with pytest.raises(pk.PartnerkitError) as refused:
        kit.subscriptions.schedule_pause(sub.id, date(2026, 1, 31), actor=STAFF)
    assert refused.value.code == "subscription.pause_in_past"
    assert kit.subscriptions.get(sub.id, actor=STAFF) == sub
    paused = kit.subscriptions.schedule_pause(sub.id, date(2026, 2, 1), actor=STAFF)
    assert paused.status is S.PAUSED
    with pytest.raises(pk.PartnerkitError) as past:
        kit.subscriptions.create(tokyo.id, "crm-pro", start_date=date(2026, 1, 31), actor=STAFF)
    assert (past.value.code, past.value.field) == ("validation.invalid", "start_date")
    # The resume day, 10 February in Tokyo, begins at 15:00 UTC on 9 February.
    resuming = kit.subscriptions.schedule_resume(sub.id, date(2026, 2, 10), actor=STAFF)
    assert resuming.due_at == datetime(2026, 2, 9, 15, 0, tzinfo=UTC)
    kit.advance_to(datetime(2026, 2, 9, 15, 0, tzinfo=UTC) - timedelta(seconds=1))
    assert kit.subscriptions.get(sub.id, actor=STAFF).status is S.PAUSED
    kit.advance_to(datetime(2026, 2, 9, 15, 0, tzinfo=UTC))
    resumed = kit.subscriptions.get(sub.id, actor=STAFF)
    assert (resumed.status, resumed.anchor) == (S.LIVE, date(2026, 2, 10))
