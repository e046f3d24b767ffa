"""Properties of the subscription rules (issue 11): billing terms tile time with no gap and no
overlap, `term_containing` agrees with `term`, a proration never credits more than was paid,
discounts never take more than the subtotal, in whole minor units of JPY, USD and KWD, and a
change to what was paid charges what it credits.

Issue 11 acceptance: "proration credits never exceed what was paid for the period".
"""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

import partnerkit as pk
from partnerkit.billing.invoices import TaxRate, invoice_total
from partnerkit.money import minor_unit_digits
from partnerkit.subscriptions.catalog import Addon, AddonKind, Plan
from partnerkit.subscriptions.changes import recurring_lines, remaining_charge, unused_credit
from partnerkit.subscriptions.coupons import (
    Coupon,
    CouponDuration,
    DiscountKind,
    applies_on_cycle,
    discount,
    discounts,
)
from partnerkit.subscriptions.dunning import DunningPolicy, next_attempt
from partnerkit.subscriptions.pausing import PauseSchedule, paused_days
from partnerkit.subscriptions.periods import (
    MAX_PERIOD,
    BillingPeriod,
    IntervalUnit,
    period_end,
    term,
    term_containing,
)
from partnerkit.subscriptions.proration import prorate, prorated

CURRENCIES = ("JPY", "USD", "KWD")

anchors = st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 31))
periods = st.sampled_from(list(IntervalUnit)).flatmap(
    lambda unit: st.builds(BillingPeriod, st.just(unit), st.integers(1, min(MAX_PERIOD[unit], 24)))
)


@st.composite
def amounts(draw: st.DrawFn, currency: str, max_units: int = 10**9) -> pk.Money:
    return pk.Money.from_minor(draw(st.integers(0, max_units)), currency)


@given(anchors, periods, st.integers(1, 60))
def test_terms_tile_time_with_no_gap_or_overlap(
    anchor: date, period: BillingPeriod, index: int
) -> None:
    current = term(anchor, period, index)
    following = term(anchor, period, index + 1)
    assert current.index == index
    assert following.index == index + 1
    assert current.start < current.end == following.start < following.end
    assert current.end == period_end(anchor, period, index)
    if index == 1:
        assert current.start == anchor
    else:
        assert current.start == period_end(anchor, period, index - 1)


@given(anchors, periods, st.integers(0, 3000))
def test_term_containing_holds_the_day_and_is_the_term_of_its_index(
    anchor: date, period: BillingPeriod, offset: int
) -> None:
    day = anchor + timedelta(days=offset)
    found = term_containing(anchor, period, day)
    assert found.contains(day)
    assert found == term(anchor, period, found.index)
    assert found.start <= day < found.end


@given(anchors, periods, st.integers(1, 60))
def test_term_containing_finds_each_term_from_its_first_and_last_day(
    anchor: date, period: BillingPeriod, index: int
) -> None:
    wanted = term(anchor, period, index)
    assert term_containing(anchor, period, wanted.start) == wanted
    assert term_containing(anchor, period, wanted.end - timedelta(days=1)) == wanted


@given(anchors, st.integers(1, 36), st.integers(1, 60))
def test_a_monthly_end_keeps_the_anchor_day_or_the_months_last(
    anchor: date, count: int, n: int
) -> None:
    end = period_end(anchor, BillingPeriod(IntervalUnit.MONTH, count), n)
    months = anchor.month - 1 + count * n
    assert (end.year, end.month) == (anchor.year + months // 12, months % 12 + 1)
    assert end.day == min(anchor.day, calendar.monthrange(end.year, end.month)[1])


@st.composite
def prorations(draw: st.DrawFn) -> tuple[object, ...]:
    currency = draw(st.sampled_from(CURRENCIES))
    anchor = draw(anchors)
    period = draw(periods)
    current = term(anchor, period, draw(st.integers(1, 24)))
    day = current.start + timedelta(days=draw(st.integers(0, current.days)))
    paid = draw(amounts(currency))
    price = draw(amounts(currency))
    return current, paid, price, day


@given(prorations())
def test_a_proration_never_credits_more_than_was_paid(case: tuple[object, ...]) -> None:
    current, paid, price, day = case
    assert isinstance(paid, pk.Money)
    assert isinstance(price, pk.Money)
    proration = prorate(
        current,  # type: ignore[arg-type]
        paid,
        price,
        day,  # type: ignore[arg-type]
        old_description="Old plan",
        new_description="New plan",
    )
    zero = pk.Money.zero(paid.currency)
    credit = proration.credit.amount if proration.credit else zero
    charge = proration.charge.amount if proration.charge else zero
    assert zero <= credit <= paid
    assert zero <= charge <= price
    assert proration.net == charge - credit
    if proration.unused_days == proration.term_days:
        assert credit == paid
        assert charge == price
    if proration.unused_days == 0:
        assert proration.credit is None
        assert proration.charge is None
    # Each amount is the exact share rounded once: less than a minor unit's half away.
    exact = Decimal(paid.minor_units * proration.unused_days) / proration.term_days
    assert abs(credit.minor_units - exact) <= Decimal("0.5")


@given(st.sampled_from(CURRENCIES).flatmap(amounts), st.integers(1, 1000), st.data())
def test_a_later_change_never_credits_more(
    paid: pk.Money, term_days: int, data: st.DataObject
) -> None:
    early = data.draw(st.integers(0, term_days))
    late = data.draw(st.integers(0, early))
    assert prorated(paid, late, term_days) <= prorated(paid, early, term_days) <= paid


@st.composite
def same_lines_changes(draw: st.DrawFn) -> tuple[object, ...]:
    currency = draw(st.sampled_from(CURRENCIES))
    created = datetime(2026, 1, 1, tzinfo=UTC)
    plan = Plan(
        "plan", "crm", "Plan", draw(amounts(currency, 10**8)), IntervalUnit.MONTH, 1,
        pk.Money.zero(currency), created,
    )  # fmt: skip
    seats = Addon("seats", "crm", "Seats", draw(amounts(currency, 10**6)), AddonKind.RECURRING,
                  created)  # fmt: skip
    addons = [(seats, draw(st.integers(1, 50)))] if draw(st.booleans()) else []
    coupons = [_coupon(draw, 0, currency)] if draw(st.booleans()) else []
    percentage = draw(st.sampled_from(["0", "7.5", "19", "20"]))
    tax = draw(st.one_of(st.none(), st.builds(
        TaxRate, st.just("tax"), st.just("Tax"), st.just(Decimal(percentage)), st.booleans(),
        st.just(created),
    )))  # fmt: skip
    current = term(draw(anchors), BillingPeriod(IntervalUnit.MONTH), draw(st.integers(1, 24)))
    day = current.start + timedelta(days=draw(st.integers(0, current.days)))
    return plan, addons, coupons, tax, current, day


@given(same_lines_changes())
def test_a_change_to_the_lines_that_were_paid_charges_what_it_credits(
    case: tuple[object, ...],
) -> None:
    """Issue 11, edits "prorated by day": changing to exactly what was paid costs nothing. The
    rest of the term is charged what its unused days credit: to the minor unit untaxed or with
    the tax included in the price (the same amount prorated once), within two minor units a
    line with the tax added on top (the prorated net's tax is rounded again)."""
    plan, addons, coupons, tax, current, day = case
    paid = recurring_lines(plan, addons, coupons, current, tax=tax)  # type: ignore[arg-type]
    credit = unused_credit(paid, current, day)  # type: ignore[arg-type]
    lines = remaining_charge(paid, (), current, day, tax=tax)  # type: ignore[arg-type]
    charged = invoice_total(lines) if lines else pk.Money.zero(credit.currency)
    if tax is None or tax.inclusive or not tax.percentage:  # type: ignore[attr-defined]
        assert charged == credit
    else:
        assert abs(charged.minor_units - credit.minor_units) <= 2 * len(paid)


def _coupon(draw: st.DrawFn, index: int, currency: str) -> Coupon:
    duration = draw(st.sampled_from(list(CouponDuration)))
    cycles = draw(st.integers(1, 12)) if duration is CouponDuration.CYCLES else None
    common = {
        "id": f"cpn_{index}",
        "code": f"C{index}",
        "name": f"Coupon {index}",
        "duration": duration,
        "cycles": cycles,
    }
    if draw(st.booleans()):
        percentage = Decimal(draw(st.integers(1, 10000))).scaleb(-2)
        return Coupon.create(kind=DiscountKind.PERCENTAGE, percentage=percentage, **common)  # type: ignore[arg-type]
    amount = pk.Money.from_minor(draw(st.integers(1, 10**7)), currency)
    return Coupon.create(kind=DiscountKind.FIXED, amount=amount, **common)  # type: ignore[arg-type]


@st.composite
def coupon_cases(draw: st.DrawFn) -> tuple[list[Coupon], pk.Money, int]:
    currency = draw(st.sampled_from(CURRENCIES))
    coupons = [_coupon(draw, index, currency) for index in range(draw(st.integers(0, 5)))]
    return coupons, draw(amounts(currency, 10**8)), draw(st.integers(1, 15))


@given(coupon_cases())
def test_discounts_never_exceed_the_subtotal_and_keep_minor_units(
    case: tuple[list[Coupon], pk.Money, int],
) -> None:
    coupons, subtotal, cycle = case
    taken = discounts(coupons, subtotal, cycle)
    zero = pk.Money.zero(subtotal.currency)
    total = sum((amount for _, amount in taken), zero)
    assert zero <= total <= subtotal
    assert [coupon for coupon, _ in taken] == [c for c in coupons if applies_on_cycle(c, cycle)]
    exponent = Decimal(1).scaleb(-minor_unit_digits(subtotal.currency))
    left = subtotal
    for coupon, amount in taken:
        assert amount.currency == subtotal.currency
        assert amount.amount == amount.amount.quantize(exponent)
        assert zero <= amount <= left
        assert amount == discount(coupon, left, cycle)
        left -= amount


@given(st.integers(0, 9), st.lists(st.integers(1, 90), max_size=10, unique=True))
def test_retries_come_in_the_order_of_the_schedule(made: int, days: list[int]) -> None:
    policy = DunningPolicy(retry_after_days=tuple(sorted(days)))
    failed = datetime(2026, 1, 10, 9, tzinfo=UTC)
    due = next_attempt(policy, failed, made)
    if made >= len(days):
        assert due is None
        return
    assert due == failed + timedelta(days=sorted(days)[made])
    following = next_attempt(policy, failed, made + 1)
    assert following is None or following > due


@given(anchors, periods, st.integers(-400, 400), st.one_of(st.none(), st.integers(1, 400)))
def test_paused_days_are_the_terms_days_the_schedule_covers(
    anchor: date, period: BillingPeriod, start: int, length: int | None
) -> None:
    current = term(anchor, period, 1)
    pause_on = current.start + timedelta(days=start)
    resume_on = None if length is None else pause_on + timedelta(days=length)
    schedule = PauseSchedule(pause_on, resume_on)
    covered = sum(
        schedule.covers(current.start + timedelta(days=offset)) for offset in range(current.days)
    )
    assert paused_days(schedule, current) == covered
