"""The pure rules of subscriptions (issue 11), pinned with exact figures: billing periods from the
anchor, coupons, proration by day, the dunning schedule and pause schedules.

Issue 11: "Periods use `relativedelta` from the anchor date: a subscription started on 31
January renews on 28/29 February, then 31 March"; "a failed charge moves the subscription to
dunning with retries on a configurable schedule (default three retries, e.g. after 1, 3 and 7
days), then a configurable final action (cancel, or leave unpaid)"; edits "applied immediately
(prorated by day, with a preview of the credit and charge)".
003_9950710e2377ac79.txt, "Pause & Resume Subscriptions": "Configure their Pause and Resume
(optional) schedule as required."
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from words import pythonisms

import partnerkit as pk
from partnerkit.errors import (
    CurrencyMismatchError,
    InvalidInputError,
    PartnerkitError,
)
from partnerkit.subscriptions import errors
from partnerkit.subscriptions.coupons import (
    MAX_COUPON_CYCLES,
    Coupon,
    CouponDuration,
    DiscountKind,
    RedemptionRule,
    applies_on_cycle,
    decide_redemption,
    discount,
    discounts,
)
from partnerkit.subscriptions.dunning import (
    DunningAction,
    DunningPolicy,
    DunningStep,
    FinalAction,
    decide_retry,
    next_attempt,
)
from partnerkit.subscriptions.pausing import PauseSchedule, paused_days, resumed_term_anchor
from partnerkit.subscriptions.periods import (
    MAX_PERIOD,
    BillingPeriod,
    IntervalUnit,
    Term,
    period_end,
    term,
    term_containing,
)
from partnerkit.subscriptions.proration import Proration, ProrationLine, prorate, prorated

MONTHLY = BillingPeriod(IntervalUnit.MONTH)
YEARLY = BillingPeriod(IntervalUnit.YEAR)
WEEKLY = BillingPeriod(IntervalUnit.WEEK)
APRIL = Term(1, date(2026, 4, 1), date(2026, 5, 1))


def usd(amount: str) -> pk.Money:
    return pk.Money.of(amount, "USD")


# --- periods ----------------------------------------------------------------------------------


def test_issue_11_31_january_renews_on_28_february_then_31_march() -> None:
    ends = [period_end(date(2026, 1, 31), MONTHLY, n) for n in range(1, 6)]
    assert ends == [
        date(2026, 2, 28),
        date(2026, 3, 31),
        date(2026, 4, 30),
        date(2026, 5, 31),
        date(2026, 6, 30),
    ]


def test_issue_11_31_january_renews_on_29_february_in_a_leap_year() -> None:
    assert period_end(date(2028, 1, 31), MONTHLY, 1) == date(2028, 2, 29)
    assert period_end(date(2028, 1, 31), MONTHLY, 2) == date(2028, 3, 31)


def test_yearly_from_29_february_is_28_february_and_29_again_in_the_next_leap_year() -> None:
    # Counted from the anchor, never chained: a chain would stay on the 28th for ever.
    ends = [period_end(date(2028, 2, 29), YEARLY, n) for n in range(1, 5)]
    assert ends == [date(2029, 2, 28), date(2030, 2, 28), date(2031, 2, 28), date(2032, 2, 29)]


def test_weekly_daily_and_multi_unit_periods() -> None:
    monday = date(2026, 1, 5)
    assert [period_end(monday, WEEKLY, n) for n in (1, 2, 3)] == [
        date(2026, 1, 12),
        date(2026, 1, 19),
        date(2026, 1, 26),
    ]
    assert period_end(monday, BillingPeriod(IntervalUnit.WEEK, 2), 1) == date(2026, 1, 19)
    assert period_end(monday, BillingPeriod(IntervalUnit.DAY, 10), 2) == date(2026, 1, 25)
    assert period_end(monday, BillingPeriod(IntervalUnit.DAY), 1) == date(2026, 1, 6)
    quarterly = BillingPeriod(IntervalUnit.MONTH, 3)
    assert [period_end(date(2025, 11, 30), quarterly, n) for n in (1, 2)] == [
        date(2026, 2, 28),
        date(2026, 5, 30),
    ]
    assert period_end(date(2026, 3, 15), BillingPeriod(IntervalUnit.YEAR, 2), 1) == date(
        2028, 3, 15
    )


def test_a_period_is_one_to_three_years_long() -> None:
    assert BillingPeriod("month").unit is IntervalUnit.MONTH
    assert BillingPeriod(IntervalUnit.MONTH).count == 1
    for unit, longest in MAX_PERIOD.items():
        assert BillingPeriod(unit, longest).count == longest
        with pytest.raises(InvalidInputError) as raised:
            BillingPeriod(unit, longest + 1)
        assert raised.value.field == "count"
        assert raised.value.message == (
            f"a billing period's number of {unit.value}s must be a whole number from 1 to {longest}"
        )
    assert MAX_PERIOD == {
        IntervalUnit.DAY: 1095,
        IntervalUnit.WEEK: 156,
        IntervalUnit.MONTH: 36,
        IntervalUnit.YEAR: 3,
    }
    for bad in (0, -1, True, "1", Decimal(1)):
        with pytest.raises(InvalidInputError) as raised:
            BillingPeriod(IntervalUnit.MONTH, bad)  # type: ignore[arg-type]
        assert raised.value.field == "count"
    with pytest.raises(InvalidInputError) as raised:
        BillingPeriod("fortnight")
    assert raised.value.field == "unit"
    assert "day, week, month, year" in raised.value.message


def test_period_end_refuses_what_is_not_a_count_of_periods() -> None:
    anchor = date(2026, 1, 31)
    for bad in (0, -1, True, "1"):
        with pytest.raises(InvalidInputError) as raised:
            period_end(anchor, MONTHLY, bad)  # type: ignore[arg-type]
        assert raised.value.field == "n"
        assert raised.value.message == "the number of periods must be a whole number of 1 or more"
    with pytest.raises(InvalidInputError) as raised:
        period_end(datetime(2026, 1, 31, tzinfo=UTC), MONTHLY, 1)
    assert raised.value.field == "anchor"
    with pytest.raises(InvalidInputError) as raised:
        period_end(anchor, "monthly", 1)  # type: ignore[arg-type]
    assert raised.value.field == "period"


def test_a_period_past_the_last_day_is_a_typed_error() -> None:
    with pytest.raises(errors.PeriodOutOfRangeError) as raised:
        period_end(date(9999, 1, 31), MONTHLY, 12)
    assert raised.value.field == "n"
    assert raised.value.details["periods"] == 12
    # The very last day is refused too: nothing can count a day after it.
    daily = BillingPeriod(IntervalUnit.DAY)
    with pytest.raises(errors.PeriodOutOfRangeError):
        period_end(date(9999, 12, 30), daily, 1)
    assert period_end(date(9999, 12, 29), daily, 1) == date(9999, 12, 30)
    assert period_end(date(9999, 11, 30), MONTHLY, 1) == date(9999, 12, 30)
    with pytest.raises(errors.PeriodOutOfRangeError):
        period_end(date(2026, 1, 1), BillingPeriod(IntervalUnit.DAY), 10**12)
    with pytest.raises(errors.PeriodOutOfRangeError) as raised:
        term(date(9999, 1, 31), MONTHLY, 12)
    assert raised.value.field == "index"
    # The term starts on a day partnerkit handles and would end after the last.
    with pytest.raises(errors.PeriodOutOfRangeError) as raised:
        term(date(9999, 12, 1), MONTHLY, 1)
    assert raised.value.field == "index"
    assert raised.value.details["periods"] == 1


def test_term_is_the_index_th_period_with_an_exclusive_end() -> None:
    first = term(date(2026, 1, 31), MONTHLY, 1)
    assert first == Term(1, date(2026, 1, 31), date(2026, 2, 28))
    assert first.days == 28
    second = term(date(2026, 1, 31), MONTHLY, 2)
    assert second == Term(2, date(2026, 2, 28), date(2026, 3, 31))
    assert second.days == 31
    assert first.contains(date(2026, 1, 31))
    assert first.contains(date(2026, 2, 27))
    assert not first.contains(date(2026, 2, 28))
    assert not first.contains(date(2026, 1, 30))
    assert second.contains(date(2026, 2, 28))
    for bad in (0, False):
        with pytest.raises(InvalidInputError) as raised:
            term(date(2026, 1, 31), MONTHLY, bad)
        assert raised.value.field == "index"
        assert raised.value.message == "the term's number must be a whole number of 1 or more"
    with pytest.raises(InvalidInputError) as raised:
        term(datetime(2026, 1, 31, tzinfo=UTC), MONTHLY, 1)
    assert raised.value.field == "anchor"
    with pytest.raises(InvalidInputError) as raised:
        term(date(2026, 1, 31), None, 1)  # type: ignore[arg-type]
    assert raised.value.field == "period"


def test_term_containing_a_day_near_a_month_end_anchor() -> None:
    anchor = date(2026, 1, 31)
    assert term_containing(anchor, MONTHLY, anchor) == term(anchor, MONTHLY, 1)
    assert term_containing(anchor, MONTHLY, date(2026, 2, 27)).index == 1
    assert term_containing(anchor, MONTHLY, date(2026, 2, 28)).index == 2
    assert term_containing(anchor, MONTHLY, date(2026, 3, 30)).index == 2
    assert term_containing(anchor, MONTHLY, date(2026, 3, 31)).index == 3
    assert term_containing(anchor, MONTHLY, date(2046, 1, 30)).index == 240
    assert term_containing(anchor, MONTHLY, date(2046, 1, 31)).index == 241
    leap = date(2028, 2, 29)
    assert term_containing(leap, YEARLY, date(2029, 2, 27)).index == 1
    assert term_containing(leap, YEARLY, date(2029, 2, 28)).index == 2
    assert term_containing(leap, YEARLY, date(2032, 2, 28)).index == 4
    assert term_containing(leap, YEARLY, date(2032, 2, 29)).index == 5
    quarterly = BillingPeriod(IntervalUnit.MONTH, 3)
    assert term_containing(date(2025, 11, 30), quarterly, date(2026, 2, 27)).index == 1
    assert term_containing(date(2025, 11, 30), quarterly, date(2026, 2, 28)).index == 2
    assert term_containing(date(2025, 11, 30), quarterly, date(2026, 5, 29)).index == 2
    assert term_containing(date(2025, 11, 30), quarterly, date(2026, 5, 30)).index == 3


def test_term_containing_a_day_of_weeks_and_days() -> None:
    monday = date(2026, 1, 5)
    assert term_containing(monday, WEEKLY, date(2026, 1, 11)).index == 1
    assert term_containing(monday, WEEKLY, date(2026, 1, 12)).index == 2
    fortnightly = BillingPeriod(IntervalUnit.WEEK, 2)
    assert term_containing(monday, fortnightly, date(2026, 1, 18)).index == 1
    assert term_containing(monday, fortnightly, date(2026, 1, 19)).index == 2
    ten_days = BillingPeriod(IntervalUnit.DAY, 10)
    assert term_containing(monday, ten_days, date(2026, 1, 14)).index == 1
    assert term_containing(monday, ten_days, date(2026, 1, 15)) == Term(
        2, date(2026, 1, 15), date(2026, 1, 25)
    )


def test_term_containing_refuses_a_day_before_the_anchor() -> None:
    with pytest.raises(errors.DayBeforeAnchorError) as raised:
        term_containing(date(2026, 1, 31), MONTHLY, date(2026, 1, 30))
    assert raised.value.field == "day"
    assert raised.value.details == {"field": "day", "day": "2026-01-30", "anchor": "2026-01-31"}
    with pytest.raises(InvalidInputError) as raised_input:
        term_containing(date(2026, 1, 31), MONTHLY, "2026-02-01")  # type: ignore[arg-type]
    assert raised_input.value.field == "day"
    with pytest.raises(InvalidInputError) as raised_input:
        term_containing(date.max, MONTHLY, date.max)
    assert raised_input.value.field == "anchor"
    with pytest.raises(InvalidInputError) as raised_input:
        term_containing(date(2026, 1, 31), 1, date(2026, 2, 1))  # type: ignore[arg-type]
    assert raised_input.value.field == "period"


def test_billing_period_offsets_by_its_unit() -> None:
    from dateutil.relativedelta import relativedelta

    assert BillingPeriod(IntervalUnit.DAY, 2).offset(3) == relativedelta(days=6)
    assert BillingPeriod(IntervalUnit.WEEK, 2).offset(3) == relativedelta(weeks=6)
    assert BillingPeriod(IntervalUnit.MONTH, 2).offset(3) == relativedelta(months=6)
    assert BillingPeriod(IntervalUnit.YEAR, 2).offset(3) == relativedelta(years=6)


# --- coupons ----------------------------------------------------------------------------------


def percent(value: str | int, **kwargs: object) -> Coupon:
    return Coupon.create(
        id=str(kwargs.pop("id", "cpn_1")),
        code=str(kwargs.pop("code", "SAVE10")),
        name="Save",
        kind=DiscountKind.PERCENTAGE,
        percentage=Decimal(value),
        **kwargs,  # type: ignore[arg-type]
    )


def fixed(amount: str, currency: str = "USD", **kwargs: object) -> Coupon:
    return Coupon.create(
        id=str(kwargs.pop("id", "cpn_2")),
        code=str(kwargs.pop("code", "FIVEOFF")),
        name="Five off",
        kind=DiscountKind.FIXED,
        amount=pk.Money.of(amount, currency),
        **kwargs,  # type: ignore[arg-type]
    )


def test_coupon_create_keeps_what_it_was_given() -> None:
    coupon = Coupon.create(
        id=" cpn_1 ",
        code="Spring-2026_a",
        name=" Spring ",
        kind="percentage",  # type: ignore[arg-type]
        percentage=Decimal("12.5"),
        duration="cycles",  # type: ignore[arg-type]
        cycles=3,
        valid_until=date(2026, 5, 31),
        max_redemptions=100,
    )
    assert coupon == Coupon(
        id="cpn_1",
        code="Spring-2026_a",
        name="Spring",
        kind=DiscountKind.PERCENTAGE,
        percentage=Decimal("12.5"),
        amount=None,
        duration=CouponDuration.CYCLES,
        cycles=3,
        valid_until=date(2026, 5, 31),
        max_redemptions=100,
        archived=False,
        version=1,
    )
    assert fixed("5").duration is CouponDuration.ONCE
    assert fixed("5").amount == usd("5")
    assert percent(100).percentage == 100
    assert percent(7).percentage == Decimal(7)
    assert percent("0.01").percentage == Decimal("0.01")
    archived = fixed("5", archived=True, version=4)
    assert archived.archived
    assert archived.version == 4


@pytest.mark.parametrize(
    ("kwargs", "error", "field"),
    [
        ({"kind": "percentage"}, errors.CouponKindMismatchError, "percentage"),
        ({"kind": "fixed"}, errors.CouponKindMismatchError, "amount"),
        (
            {"kind": "percentage", "percentage": 10, "amount": usd("5")},
            errors.CouponKindMismatchError,
            "amount",
        ),
        (
            {"kind": "fixed", "percentage": 10, "amount": usd("5")},
            errors.CouponKindMismatchError,
            "percentage",
        ),
        ({"kind": "percentage", "percentage": 0}, errors.CouponPercentageError, "percentage"),
        ({"kind": "percentage", "percentage": -5}, errors.CouponPercentageError, "percentage"),
        (
            {"kind": "percentage", "percentage": Decimal("100.01")},
            errors.CouponPercentageError,
            "percentage",
        ),
        (
            {"kind": "percentage", "percentage": Decimal("12.345")},
            errors.CouponPercentageError,
            "percentage",
        ),
        (
            {"kind": "percentage", "percentage": Decimal("NaN")},
            errors.CouponPercentageError,
            "percentage",
        ),
        ({"kind": "percentage", "percentage": 12.5}, errors.CouponPercentageError, "percentage"),
        ({"kind": "percentage", "percentage": True}, errors.CouponPercentageError, "percentage"),
        ({"kind": "percentage", "percentage": "10"}, errors.CouponPercentageError, "percentage"),
        ({"kind": "fixed", "amount": usd("0")}, errors.CouponAmountNotPositiveError, "amount"),
        ({"kind": "fixed", "amount": usd("-1")}, errors.CouponAmountNotPositiveError, "amount"),
        ({"kind": "fixed", "amount": "5"}, InvalidInputError, "amount"),
        (
            {"kind": "percentage", "percentage": 10, "duration": "cycles"},
            errors.CouponCyclesError,
            "cycles",
        ),
        (
            {"kind": "percentage", "percentage": 10, "duration": "cycles", "cycles": 0},
            errors.CouponCyclesError,
            "cycles",
        ),
        (
            {"kind": "percentage", "percentage": 10, "duration": "cycles", "cycles": True},
            errors.CouponCyclesError,
            "cycles",
        ),
        (
            {
                "kind": "percentage",
                "percentage": 10,
                "duration": "cycles",
                "cycles": MAX_COUPON_CYCLES + 1,
            },
            errors.CouponCyclesError,
            "cycles",
        ),
        ({"kind": "percentage", "percentage": 10, "cycles": 3}, errors.CouponCyclesError, "cycles"),
        (
            {"kind": "percentage", "percentage": 10, "duration": "forever", "cycles": 3},
            errors.CouponCyclesError,
            "cycles",
        ),
        ({"kind": "percent", "percentage": 10}, InvalidInputError, "kind"),
        (
            {"kind": "percentage", "percentage": 10, "duration": "twice"},
            InvalidInputError,
            "duration",
        ),
        ({"kind": "percentage", "percentage": 10, "code": "SAVE 10"}, InvalidInputError, "code"),
        ({"kind": "percentage", "percentage": 10, "code": "S" * 51}, InvalidInputError, "code"),
        ({"kind": "percentage", "percentage": 10, "code": ""}, InvalidInputError, "code"),
        ({"kind": "percentage", "percentage": 10, "name": " "}, InvalidInputError, "name"),
        ({"kind": "percentage", "percentage": 10, "id": "x" * 101}, InvalidInputError, "id"),
        (
            {"kind": "percentage", "percentage": 10, "valid_until": "2026-05-31"},
            InvalidInputError,
            "valid_until",
        ),
        (
            {"kind": "percentage", "percentage": 10, "max_redemptions": 0},
            InvalidInputError,
            "max_redemptions",
        ),
        (
            {"kind": "percentage", "percentage": 10, "max_redemptions": False},
            InvalidInputError,
            "max_redemptions",
        ),
        (
            {"kind": "percentage", "percentage": 10, "archived": "no"},
            InvalidInputError,
            "archived",
        ),
        ({"kind": "percentage", "percentage": 10, "version": 0}, InvalidInputError, "version"),
    ],
)
def test_coupon_create_refuses_every_bad_combination(
    kwargs: dict[str, object], error: type[PartnerkitError], field: str
) -> None:
    given = {"id": "cpn_1", "code": "SAVE10", "name": "Save", **kwargs}
    with pytest.raises(error) as raised:
        Coupon.create(**given)  # type: ignore[arg-type]
    assert type(raised.value) is error
    assert raised.value.details["field"] == field


def test_an_unknown_kind_or_duration_names_the_choices() -> None:
    with pytest.raises(InvalidInputError) as raised:
        Coupon.create(id="c", code="C", name="C", kind="percent", percentage=1)  # type: ignore[arg-type]
    assert raised.value.message == "the coupon's kind is one of percentage, fixed"
    with pytest.raises(InvalidInputError) as raised:
        percent(10, duration="twice")
    assert raised.value.message == "the coupon's duration is one of once, cycles, forever"


def test_coupon_limits_at_their_edges() -> None:
    assert percent(10, duration=CouponDuration.CYCLES, cycles=1).cycles == 1
    longest = percent(10, duration=CouponDuration.CYCLES, cycles=MAX_COUPON_CYCLES)
    assert longest.cycles == MAX_COUPON_CYCLES == 1000
    assert percent(10, max_redemptions=1).max_redemptions == 1
    assert fixed("0.01").amount == usd("0.01")
    assert percent(10, code="S" * 50).code == "S" * 50


def test_coupon_once_applies_on_the_first_billed_term_only() -> None:
    once = percent(10)
    assert [applies_on_cycle(once, cycle) for cycle in (1, 2, 3)] == [True, False, False]


def test_coupon_for_n_cycles_applies_on_the_first_n() -> None:
    three = percent(10, duration=CouponDuration.CYCLES, cycles=3)
    assert [applies_on_cycle(three, cycle) for cycle in (1, 2, 3, 4, 5)] == [
        True,
        True,
        True,
        False,
        False,
    ]


def test_coupon_forever_applies_on_every_term() -> None:
    forever = percent(10, duration=CouponDuration.FOREVER)
    assert all(applies_on_cycle(forever, cycle) for cycle in (1, 2, 12, 1000, 10**6))


def test_a_cycle_is_counted_from_one() -> None:
    for bad in (0, -1, True, "1"):
        with pytest.raises(InvalidInputError) as raised:
            applies_on_cycle(percent(10), bad)  # type: ignore[arg-type]
        assert raised.value.field == "cycle"


def test_a_percentage_discount_is_rounded_half_even_to_the_minor_unit() -> None:
    ten = percent(10)
    assert discount(ten, usd("100"), 1) == usd("10.00")
    assert discount(ten, usd("0.05"), 1) == usd("0.00")  # 0.5 cent: to the even 0
    assert discount(ten, usd("0.15"), 1) == usd("0.02")  # 1.5 cents: to the even 2
    assert discount(ten, usd("0.25"), 1) == usd("0.02")  # 2.5 cents: to the even 2
    assert discount(percent("12.5"), pk.Money.of("1000", "JPY"), 1) == pk.Money.of("125", "JPY")
    assert discount(percent("33.33"), pk.Money.of("10", "KWD"), 1) == pk.Money.of("3.333", "KWD")
    assert discount(percent(100), usd("19.99"), 1) == usd("19.99")
    assert discount(ten, usd("0"), 1) == usd("0")


def test_a_fixed_discount_never_takes_more_than_the_subtotal() -> None:
    five = fixed("5", duration=CouponDuration.FOREVER)
    assert discount(five, usd("100"), 1) == usd("5.00")
    assert discount(five, usd("5"), 3) == usd("5.00")
    assert discount(five, usd("3"), 2) == usd("3.00")
    assert discount(five, usd("0"), 2) == usd("0")


def test_no_discount_on_a_cycle_the_coupon_does_not_apply_on() -> None:
    assert discount(percent(10), usd("100"), 2) == usd("0")
    assert discount(fixed("5"), usd("100"), 2) == usd("0")
    assert discount(fixed("500", "JPY"), pk.Money.of("1000", "JPY"), 2).currency == "JPY"


def test_a_fixed_coupon_in_another_currency_is_refused() -> None:
    with pytest.raises(errors.CouponCurrencyError) as raised:
        discount(fixed("5", "EUR"), usd("100"), 1)
    assert raised.value.details == {"field": "coupon", "coupon": "cpn_2", "currency": "USD"}
    # A percentage is of whatever currency the subtotal is in.
    assert discount(percent(10), pk.Money.of("100", "EUR"), 1) == pk.Money.of("10", "EUR")


def test_a_subtotal_is_money_of_zero_or_more() -> None:
    for bad in (usd("-1"), Decimal(100), None):
        with pytest.raises(InvalidInputError) as raised:
            discount(percent(10), bad, 1)  # type: ignore[arg-type]
        assert raised.value.field == "subtotal"
        with pytest.raises(InvalidInputError):
            discounts([percent(10)], bad, 1)  # type: ignore[arg-type]


def test_several_coupons_apply_in_order_each_on_what_is_left() -> None:
    ten = percent(10, id="ten", duration=CouponDuration.FOREVER)
    five = fixed("5", id="five", duration=CouponDuration.FOREVER)
    assert discounts([ten, five], usd("100"), 1) == [(ten, usd("10.00")), (five, usd("5.00"))]
    assert discounts([five, ten], usd("100"), 1) == [(five, usd("5.00")), (ten, usd("9.50"))]
    big = fixed("80", id="big", duration=CouponDuration.FOREVER)
    assert discounts([big, five, ten], usd("82"), 1) == [
        (big, usd("80.00")),
        (five, usd("2.00")),
        (ten, usd("0.00")),
    ]
    assert discounts([], usd("82"), 1) == []


def test_only_the_coupons_of_the_cycle_are_listed() -> None:
    once = percent(10, id="once")
    forever = fixed("5", id="forever", duration=CouponDuration.FOREVER)
    assert discounts([once, forever], usd("100"), 1) == [
        (once, usd("10.00")),
        (forever, usd("5.00")),
    ]
    assert discounts([once, forever], usd("100"), 2) == [(forever, usd("5.00"))]


def test_a_coupon_is_applied_once_in_a_list() -> None:
    ten = percent(10)
    with pytest.raises(InvalidInputError) as raised:
        discounts([ten, fixed("5", id="five"), ten], usd("100"), 1)
    assert raised.value.field == "coupons[2]"
    assert raised.value.details["coupon"] == "cpn_1"


def test_a_coupon_may_be_redeemed_when_every_rule_holds() -> None:
    coupon = percent(10, valid_until=date(2026, 5, 31), max_redemptions=2)
    decision = decide_redemption(coupon, date(2026, 5, 31), 1)
    assert decision.allowed
    assert decision.refusal is None
    assert [check.rule for check in decision.checks] == list(RedemptionRule)
    assert decision.reasons == (
        "the coupon 'SAVE10' is offered",
        "the coupon 'SAVE10' may be applied until 2026-05-31",
        "the coupon 'SAVE10' was applied 1 of 2 times",
    )
    open_ended = decide_redemption(percent(10), date(2026, 5, 31), 10**6)
    assert open_ended.allowed
    assert open_ended.reasons[1:] == (
        "the coupon 'SAVE10' has no last day",
        "the coupon 'SAVE10' may be applied any number of times",
    )
    with pytest.raises(InvalidInputError) as raised:
        decision.raise_refusal()
    assert raised.value.field == "coupon"


@pytest.mark.parametrize(
    ("coupon", "today", "redemptions", "rule", "error"),
    [
        (
            percent(10, archived=True),
            date(2026, 1, 1),
            0,
            RedemptionRule.NOT_ARCHIVED,
            errors.CouponArchivedError,
        ),
        (
            percent(10, valid_until=date(2026, 5, 31)),
            date(2026, 6, 1),
            0,
            RedemptionRule.NOT_EXPIRED,
            errors.CouponExpiredError,
        ),
        (
            percent(10, max_redemptions=2),
            date(2026, 1, 1),
            2,
            RedemptionRule.REDEMPTIONS_LEFT,
            errors.CouponUsedUpError,
        ),
    ],
)
def test_a_coupon_is_refused_by_the_first_rule_it_breaks(
    coupon: Coupon,
    today: date,
    redemptions: int,
    rule: RedemptionRule,
    error: type[PartnerkitError],
) -> None:
    decision = decide_redemption(coupon, today, redemptions)
    assert not decision.allowed
    assert decision.refusal is not None
    assert decision.refusal.rule is rule
    assert decision.checks[-1] == decision.refusal
    assert len(decision.checks) == list(RedemptionRule).index(rule) + 1
    with pytest.raises(error) as raised:
        decision.raise_refusal()
    assert raised.value.details == {"coupon": "cpn_1", "rule": rule.value}
    assert raised.value.message == decision.refusal.reason


def test_redemption_refusals_say_why() -> None:
    assert decide_redemption(percent(10, archived=True), date(2026, 1, 1), 0).reasons == (
        "the coupon 'SAVE10' was withdrawn",
    )
    late = decide_redemption(percent(10, valid_until=date(2026, 5, 31)), date(2026, 6, 1), 0)
    assert late.reasons[-1] == "the coupon 'SAVE10' could be applied until 2026-05-31"
    used = decide_redemption(percent(10, max_redemptions=3), date(2026, 1, 1), 4)
    assert used.reasons[-1] == "the coupon 'SAVE10' was applied all 3 times it may be"


def test_redemption_takes_a_day_and_a_count() -> None:
    with pytest.raises(InvalidInputError) as raised:
        decide_redemption(percent(10), datetime(2026, 1, 1, tzinfo=UTC), 0)
    assert raised.value.field == "today"
    for bad in (-1, True, "0"):
        with pytest.raises(InvalidInputError) as raised:
            decide_redemption(percent(10), date(2026, 1, 1), bad)  # type: ignore[arg-type]
        assert raised.value.field == "redemptions"
    assert decide_redemption(percent(10), date(2026, 1, 1), 0).allowed


# --- proration --------------------------------------------------------------------------------


def upgrade(
    day: date, paid: str = "30", price: str = "60", currency: str = "USD", term: Term = APRIL
) -> Proration:
    return prorate(
        term,
        pk.Money.of(paid, currency),
        pk.Money.of(price, currency),
        day,
        old_description="Basic plan",
        new_description="Pro plan",
    )


def test_issue_11_a_change_on_the_first_day_credits_all_that_was_paid() -> None:
    proration = upgrade(date(2026, 4, 1))
    assert proration == Proration(
        credit=ProrationLine("Unused time on Basic plan", usd("30"), date(2026, 4, 1), APRIL.end),
        charge=ProrationLine("Remaining time on Pro plan", usd("60"), date(2026, 4, 1), APRIL.end),
        currency="USD",
        unused_days=30,
        term_days=30,
    )
    assert proration.net == usd("30")


def test_issue_11_a_change_on_the_end_day_credits_and_charges_nothing() -> None:
    proration = upgrade(APRIL.end)
    assert proration.credit is None
    assert proration.charge is None
    assert proration.unused_days == 0
    assert proration.net == usd("0")
    assert proration.explain() == (
        "nothing to credit or charge for 0 of the term's 30 days",
        "to pay now: 0.00 USD",
    )


def test_issue_11_a_change_in_the_middle_credits_and_charges_the_unused_days() -> None:
    proration = upgrade(date(2026, 4, 16))
    assert proration.credit == ProrationLine(
        "Unused time on Basic plan", usd("15.00"), date(2026, 4, 16), date(2026, 5, 1)
    )
    assert proration.charge == ProrationLine(
        "Remaining time on Pro plan", usd("30.00"), date(2026, 4, 16), date(2026, 5, 1)
    )
    assert proration.unused_days == 15
    assert proration.term_days == 30
    assert proration.net == usd("15.00")
    assert proration.explain() == (
        "Unused time on Basic plan: credit of 15.00 USD for 15 of the term's 30 days, "
        "2026-04-16 to 2026-04-30",
        "Remaining time on Pro plan: charge of 30.00 USD for 15 of the term's 30 days, "
        "2026-04-16 to 2026-04-30",
        "to pay now: 15.00 USD",
    )


def test_a_downgrade_credits_more_than_it_charges() -> None:
    proration = upgrade(date(2026, 4, 21), paid="60", price="30")
    assert proration.credit is not None
    assert proration.credit.amount == usd("20.00")
    assert proration.charge is not None
    assert proration.charge.amount == usd("10.00")
    assert proration.net == usd("-10.00")
    assert (
        proration.explain()[-1] == "the credit is larger: 10.00 USD goes to the account's credits"
    )


def test_a_change_to_a_free_plan_credits_only() -> None:
    proration = upgrade(date(2026, 4, 21), paid="60", price="0")
    assert proration.charge is None
    assert proration.net == usd("-20.00")
    assert len(proration.explain()) == 2


def test_proration_rounds_each_amount_once_half_even() -> None:
    # 10.00 USD for 10 of 30 days is 3.333...: 3.33.
    third = upgrade(date(2026, 4, 21), paid="10", price="20")
    assert third.credit is not None
    assert third.credit.amount == usd("3.33")
    assert third.charge is not None
    assert third.charge.amount == usd("6.67")
    # 1,000 JPY for 10 of January's 31 days is 322.58 yen: 323.
    january = Term(1, date(2026, 1, 1), date(2026, 2, 1))
    jpy = upgrade(date(2026, 1, 22), "1000", "1000", "JPY", term=january)
    assert jpy.credit is not None
    assert jpy.credit.amount == pk.Money.of("323", "JPY")
    assert jpy.net == pk.Money.of("0", "JPY")
    # 10.000 KWD for 1 of 31 days is 0.32258: 0.323.
    kwd = upgrade(date(2026, 1, 31), "10", "0", "KWD", term=january)
    assert kwd.credit is not None
    assert kwd.credit.amount == pk.Money.of("0.323", "KWD")


def test_prorated_ties_go_to_the_even_minor_unit() -> None:
    assert prorated(usd("0.03"), 15, 30) == usd("0.02")  # 1.5 cents
    assert prorated(usd("0.05"), 15, 30) == usd("0.02")  # 2.5 cents
    assert prorated(usd("0.07"), 15, 30) == usd("0.04")  # 3.5 cents
    assert prorated(usd("0.01"), 15, 30) == usd("0")  # 0.5 cents
    assert prorated(usd("9.99"), 0, 30) == usd("0")
    assert prorated(usd("9.99"), 30, 30) == usd("9.99")
    assert prorated(usd("9.99"), 1, 1) == usd("9.99")


@pytest.mark.parametrize(
    ("amount", "days", "term_days", "field"),
    [
        (usd("-1"), 1, 30, "amount"),
        (Decimal(1), 1, 30, "amount"),
        (usd("1"), -1, 30, "days"),
        (usd("1"), 31, 30, "days"),
        (usd("1"), 0, 0, "term_days"),
        (usd("1"), True, 30, "days"),
        (usd("1"), 1, True, "term_days"),
        (usd("1"), "1", 30, "days"),
        (usd("1"), 1, "30", "term_days"),
    ],
)
def test_prorated_refuses_what_is_not_a_share_of_a_term(
    amount: pk.Money, days: int, term_days: int, field: str
) -> None:
    with pytest.raises(InvalidInputError) as raised:
        prorated(amount, days, term_days)
    assert raised.value.field == field


def test_a_change_day_outside_the_term_is_refused() -> None:
    for day in (date(2026, 3, 31), date(2026, 5, 2)):
        with pytest.raises(errors.ChangeDayOutsideTermError) as raised:
            upgrade(day)
        assert raised.value.field == "change_day"
        assert raised.value.details["start"] == "2026-04-01"


def test_proration_refuses_bad_input() -> None:
    with pytest.raises(CurrencyMismatchError) as mismatch:
        prorate(
            APRIL,
            usd("30"),
            pk.Money.of("30", "EUR"),
            date(2026, 4, 2),
            old_description="a",
            new_description="b",
        )
    assert mismatch.value.field == "new_price_for_term"
    for paid, price, field in (
        (usd("-1"), usd("1"), "paid_for_term"),
        (usd("1"), usd("-1"), "new_price_for_term"),
        (Decimal(1), usd("1"), "paid_for_term"),
    ):
        with pytest.raises(InvalidInputError) as raised:
            prorate(
                APRIL,
                paid,  # type: ignore[arg-type]
                price,
                date(2026, 4, 2),
                old_description="a",
                new_description="b",
            )
        assert raised.value.field == field
    for bad_term in (None, Term(1, date(2026, 4, 1), date(2026, 4, 1))):
        with pytest.raises(InvalidInputError) as raised:
            prorate(
                bad_term,  # type: ignore[arg-type]
                usd("1"),
                usd("1"),
                date(2026, 4, 1),
                old_description="a",
                new_description="b",
            )
        assert raised.value.field == "term"
    with pytest.raises(InvalidInputError) as raised:
        prorate(
            APRIL, usd("1"), usd("1"), date(2026, 4, 1), old_description=" ", new_description="b"
        )
    assert raised.value.field == "old_description"
    with pytest.raises(InvalidInputError) as raised:
        prorate(
            APRIL, usd("1"), usd("1"), date(2026, 4, 1), old_description="a", new_description=""
        )
    assert raised.value.field == "new_description"
    with pytest.raises(InvalidInputError) as raised:
        upgrade(datetime(2026, 4, 2, tzinfo=UTC))
    assert raised.value.field == "change_day"


# --- dunning ----------------------------------------------------------------------------------

FAILED = datetime(2026, 1, 10, 9, 30, tzinfo=UTC)


def test_issue_11_default_dunning_retries_after_1_3_and_7_days_then_cancels() -> None:
    policy = DunningPolicy()
    assert policy.retry_after_days == (1, 3, 7)
    assert policy.final_action is FinalAction.CANCEL
    assert policy.schedule(FAILED) == (
        DunningStep(1, 1, datetime(2026, 1, 11, 9, 30, tzinfo=UTC)),
        DunningStep(2, 3, datetime(2026, 1, 13, 9, 30, tzinfo=UTC)),
        DunningStep(3, 7, datetime(2026, 1, 17, 9, 30, tzinfo=UTC)),
    )
    assert [next_attempt(policy, FAILED, made) for made in range(5)] == [
        datetime(2026, 1, 11, 9, 30, tzinfo=UTC),
        datetime(2026, 1, 13, 9, 30, tzinfo=UTC),
        datetime(2026, 1, 17, 9, 30, tzinfo=UTC),
        None,
        None,
    ]


def test_decide_retry_waits_retries_and_then_takes_the_final_action() -> None:
    policy = DunningPolicy()
    due = datetime(2026, 1, 11, 9, 30, tzinfo=UTC)
    waiting = decide_retry(policy, FAILED, 0, due - timedelta(seconds=1))
    assert waiting.action is DunningAction.WAIT
    assert waiting.attempt == 1
    assert waiting.due_at == due
    assert waiting.final_action is None
    assert waiting.reasons == (
        "0 of 3 retries made",
        "retry 1 is due 1 day after the failed charge, at 2026-01-11T09:30:00+00:00",
        "not yet",
    )
    now = decide_retry(policy, FAILED, 0, due)
    assert now.action is DunningAction.RETRY
    assert now.attempt == 1
    assert now.due_at == due
    assert now.reasons[-1] == "charge again now"
    third = decide_retry(policy, FAILED, 2, datetime(2026, 2, 1, tzinfo=UTC))
    assert third.action is DunningAction.RETRY
    assert third.attempt == 3
    assert third.reasons[1] == (
        "retry 3 is due 7 days after the failed charge, at 2026-01-17T09:30:00+00:00"
    )
    done = decide_retry(policy, FAILED, 3, FAILED)
    assert done.action is DunningAction.FINAL_ACTION
    assert done.final_action is FinalAction.CANCEL
    assert done.attempt is None
    assert done.due_at is None
    assert done.reasons == (
        "the charge failed and 3 of 3 retries made: none is left",
        "the subscription is cancelled",
    )


def test_issue_11_the_final_action_may_leave_the_invoice_unpaid() -> None:
    policy = DunningPolicy(retry_after_days=(2,), final_action="leave_unpaid")
    assert policy.final_action is FinalAction.LEAVE_UNPAID
    done = decide_retry(policy, FAILED, 1, FAILED)
    assert done.final_action is FinalAction.LEAVE_UNPAID
    assert done.reasons[-1] == "the invoice is left unpaid and the subscription goes on"


def test_no_retries_means_the_final_action_on_the_first_failure() -> None:
    policy = DunningPolicy(retry_after_days=())
    assert policy.schedule(FAILED) == ()
    assert next_attempt(policy, FAILED, 0) is None
    assert decide_retry(policy, FAILED, 0, FAILED).action is DunningAction.FINAL_ACTION


def test_a_retry_schedule_is_increasing_days_from_1_to_90_at_most_10() -> None:
    assert DunningPolicy(retry_after_days=[1, 2]).retry_after_days == (1, 2)
    assert DunningPolicy(retry_after_days=(90,)).retry_after_days == (90,)
    ten = tuple(range(1, 11))
    assert DunningPolicy(retry_after_days=ten).retry_after_days == ten
    for bad in ((3, 1), (1, 1), (0,), (91,), (-1, 2), tuple(range(1, 12)), (True,), ("1",)):
        with pytest.raises(errors.DunningScheduleError) as raised:
            DunningPolicy(retry_after_days=bad)
        assert raised.value.field == "retry_after_days"
    for bad_kind in ("137", 7, None):
        with pytest.raises(errors.DunningScheduleError) as raised:
            DunningPolicy(retry_after_days=bad_kind)
        assert raised.value.field == "retry_after_days"
    with pytest.raises(InvalidInputError) as raised_input:
        DunningPolicy(final_action="delete")
    assert raised_input.value.field == "final_action"


def test_dunning_refuses_bad_input() -> None:
    policy = DunningPolicy()
    for bad in (-1, True, "0"):
        with pytest.raises(InvalidInputError) as raised:
            next_attempt(policy, FAILED, bad)  # type: ignore[arg-type]
        assert raised.value.field == "attempts_made"
    naive = datetime(2026, 1, 10, 9, 30)  # noqa: DTZ001 - refused on purpose
    with pytest.raises(InvalidInputError) as raised:
        next_attempt(policy, naive, 0)
    assert raised.value.field == "first_failure"
    with pytest.raises(InvalidInputError) as raised:
        policy.schedule(naive)
    assert raised.value.field == "first_failure"
    with pytest.raises(InvalidInputError) as raised:
        decide_retry(policy, FAILED, 0, naive)
    assert raised.value.field == "now"
    with pytest.raises(InvalidInputError) as raised:
        decide_retry(None, FAILED, 0, FAILED)  # type: ignore[arg-type]
    assert raised.value.field == "policy"
    with pytest.raises(InvalidInputError) as raised:
        next_attempt("default", FAILED, 0)  # type: ignore[arg-type]
    assert raised.value.field == "policy"
    last = datetime.max.replace(tzinfo=UTC) - timedelta(hours=1)
    with pytest.raises(InvalidInputError) as raised:
        next_attempt(policy, last, 0)
    assert raised.value.field == "first_failure"
    with pytest.raises(InvalidInputError):
        policy.schedule(last)


# --- pausing ----------------------------------------------------------------------------------

TODAY = date(2026, 4, 1)


def test_003_seed_a_pause_with_and_without_a_resume_day() -> None:
    assert PauseSchedule.create(TODAY, today=TODAY) == PauseSchedule(TODAY, None)
    later = PauseSchedule.create(date(2026, 4, 10), date(2026, 4, 11), today=TODAY)
    assert later == PauseSchedule(date(2026, 4, 10), date(2026, 4, 11))


def test_issue_11_a_pause_cannot_start_in_the_past() -> None:
    with pytest.raises(errors.PauseInPastError) as raised:
        PauseSchedule.create(date(2026, 3, 31), today=TODAY)
    assert raised.value.details == {
        "field": "pause_on",
        "pause_on": "2026-03-31",
        "today": "2026-04-01",
    }


def test_issue_11_a_resume_before_the_pause_is_refused() -> None:
    for resume in (date(2026, 4, 10), date(2026, 4, 9)):
        with pytest.raises(errors.ResumeNotAfterPauseError) as raised:
            PauseSchedule.create(date(2026, 4, 10), resume, today=TODAY)
        assert raised.value.field == "resume_on"
        assert raised.value.details["resume_on"] == resume.isoformat()


def test_pause_schedule_days_are_days() -> None:
    for kwargs, field in (
        ({"pause_on": "2026-04-10", "today": TODAY}, "pause_on"),
        ({"pause_on": TODAY, "resume_on": "2026-05-01", "today": TODAY}, "resume_on"),
        ({"pause_on": TODAY, "today": datetime(2026, 4, 1, tzinfo=UTC)}, "today"),
    ):
        with pytest.raises(InvalidInputError) as raised:
            PauseSchedule.create(**kwargs)
        assert raised.value.field == field


def test_a_schedule_covers_its_paused_days() -> None:
    schedule = PauseSchedule(date(2026, 4, 10), date(2026, 4, 20))
    assert not schedule.covers(date(2026, 4, 9))
    assert schedule.covers(date(2026, 4, 10))
    assert schedule.covers(date(2026, 4, 19))
    assert not schedule.covers(date(2026, 4, 20))
    assert PauseSchedule(date(2026, 4, 10)).covers(date(2099, 1, 1))


@pytest.mark.parametrize(
    ("pause_on", "resume_on", "days"),
    [
        (date(2026, 4, 10), date(2026, 4, 20), 10),
        (date(2026, 3, 1), None, 30),
        (date(2026, 4, 30), None, 1),
        (date(2026, 5, 1), None, 0),
        (date(2026, 3, 1), date(2026, 4, 5), 4),
        (date(2026, 3, 1), date(2026, 3, 20), 0),
        (date(2026, 4, 10), date(2026, 6, 1), 21),
        (date(2026, 3, 1), date(2026, 6, 1), 30),
    ],
)
def test_issue_11_paused_days_of_a_term_are_not_billed(
    pause_on: date, resume_on: date | None, days: int
) -> None:
    assert paused_days(PauseSchedule(pause_on, resume_on), APRIL) == days


def test_paused_days_needs_a_schedule_and_a_term() -> None:
    with pytest.raises(InvalidInputError) as raised:
        paused_days(None, APRIL)  # type: ignore[arg-type]
    assert raised.value.field == "schedule"
    with pytest.raises(InvalidInputError) as raised:
        paused_days(PauseSchedule(TODAY), (TODAY, TODAY))  # type: ignore[arg-type]
    assert raised.value.field == "term"


def test_issue_11_renewals_resume_from_the_resume_date() -> None:
    schedule = PauseSchedule(date(2026, 4, 10), date(2026, 4, 20))
    anchor = resumed_term_anchor(schedule)
    assert anchor == date(2026, 4, 20)
    assert period_end(anchor, MONTHLY, 1) == date(2026, 5, 20)
    # "Resume now" on a day of the kit's choosing wins over the schedule's day.
    assert resumed_term_anchor(schedule, date(2026, 4, 15)) == date(2026, 4, 15)
    assert resumed_term_anchor(schedule, date(2026, 4, 10)) == date(2026, 4, 10)
    assert resumed_term_anchor(PauseSchedule(date(2026, 4, 10)), date(2026, 6, 1)) == date(
        2026, 6, 1
    )


def test_a_resume_needs_a_day_on_or_after_the_pause() -> None:
    with pytest.raises(errors.NoResumeDayError) as raised:
        resumed_term_anchor(PauseSchedule(date(2026, 4, 10)))
    assert raised.value.details == {"field": "resumed_on", "pause_on": "2026-04-10"}
    with pytest.raises(errors.ResumeNotAfterPauseError) as before:
        resumed_term_anchor(PauseSchedule(date(2026, 4, 10)), date(2026, 4, 9))
    assert before.value.field == "resumed_on"
    with pytest.raises(InvalidInputError) as raised_input:
        resumed_term_anchor(PauseSchedule(date(2026, 4, 10)), "2026-05-01")  # type: ignore[arg-type]
    assert raised_input.value.field == "resumed_on"
    with pytest.raises(InvalidInputError) as raised_input:
        resumed_term_anchor(None)  # type: ignore[arg-type]
    assert raised_input.value.field == "schedule"


# --- the words people read ----------------------------------------------------------------------


#: Every rule broken once, as a person would break it.
MISTAKES: tuple[Callable[[], object], ...] = (
    lambda: period_end(date(9999, 6, 30), MONTHLY, 12),
    lambda: term_containing(date(2026, 1, 31), MONTHLY, date(2026, 1, 1)),
    lambda: BillingPeriod(IntervalUnit.MONTH, 40),
    lambda: BillingPeriod("fortnight"),
    lambda: percent(150),
    lambda: fixed("0"),
    lambda: Coupon.create(
        id="c", code="C", name="C", kind=DiscountKind.FIXED, percentage=Decimal(5)
    ),
    lambda: percent(10, cycles=2),
    lambda: percent(10, duration=CouponDuration.CYCLES),
    lambda: percent(10, code="TEN PERCENT"),
    lambda: discount(fixed("5", "EUR"), usd("10"), 1),
    decide_redemption(percent(10, archived=True), TODAY, 0).raise_refusal,
    decide_redemption(percent(10, valid_until=date(2026, 3, 1)), TODAY, 0).raise_refusal,
    decide_redemption(percent(10, max_redemptions=1), TODAY, 1).raise_refusal,
    lambda: upgrade(date(2026, 6, 1)),
    lambda: DunningPolicy(retry_after_days=(7, 3)),
    lambda: PauseSchedule.create(date(2026, 3, 1), today=TODAY),
    lambda: PauseSchedule.create(TODAY, TODAY, today=TODAY),
    lambda: resumed_term_anchor(PauseSchedule(TODAY)),
)


def test_the_rules_refusals_speak_to_the_people_who_read_them() -> None:
    met: list[PartnerkitError] = []
    for mistake in MISTAKES:
        with pytest.raises(PartnerkitError) as raised:
            mistake()
        met.append(raised.value)
    bad = [
        f"{error.code} {part}: {text!r} {pythonisms(text)}"
        for error in met
        for part, text in (("message", error.message), ("remedy", error.remedy or ""))
        if pythonisms(text)
    ]
    assert not bad, "\n".join(bad)
    # The rules' block of errors.py; the lifecycle's errors below it have their own walk in
    # test_subscriptions.py.
    source = inspect.getsource(errors)
    block = source[: source.index("# --- lifecycle ---")]
    ours = {errors.__dict__[name].code for name in errors.__all__ if f"class {name}(" in block}
    assert ours <= {error.code for error in met}, sorted(ours - {e.code for e in met})
