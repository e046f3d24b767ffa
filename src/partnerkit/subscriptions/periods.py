"""Billing periods and terms: where the n-th period from an anchor day ends, and which term a day
falls in. Each boundary is counted from the anchor with `relativedelta`, never from the previous
boundary, so a subscription started on 31 January renews on 28 (29) February, then 31 March.

Everything here is in `date`: billing days in the subscription's calendar (its customer's time
zone). A subscription renews at an instant; the subscription service turns the billing day
into that instant, these rules never do.
"""

from __future__ import annotations

import enum
from datetime import date
from typing import Any

import attrs
from dateutil.relativedelta import relativedelta

from partnerkit import validate
from partnerkit.subscriptions.errors import DayBeforeAnchorError, PeriodOutOfRangeError

__all__ = [
    "MAX_PERIOD",
    "BillingPeriod",
    "IntervalUnit",
    "Term",
    "period_end",
    "term",
    "term_containing",
]


class IntervalUnit(enum.StrEnum):
    """The unit a billing period counts in."""

    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    YEAR = "year"


#: The longest billing period, per unit: three years, as Stripe allows (1,095 days, 156 weeks,
#: 36 months, 3 years). Longer periods are contracts, not subscriptions.
MAX_PERIOD: dict[IntervalUnit, int] = {
    IntervalUnit.DAY: 1095,
    IntervalUnit.WEEK: 156,
    IntervalUnit.MONTH: 36,
    IntervalUnit.YEAR: 3,
}


def _unit(value: Any) -> IntervalUnit:
    return validate.choice(value, IntervalUnit, "unit", "the billing interval")


def _count(instance: BillingPeriod, attribute: Any, value: object) -> None:
    words = f"a billing period's number of {instance.unit.value}s"
    validate.whole_number(value, "count", minimum=1, maximum=MAX_PERIOD[instance.unit], words=words)


@attrs.frozen
class BillingPeriod:
    """How long one billing period is: `count` units (1 month, 3 months, 2 weeks, 1 year).

    Attributes:
        unit: Days, weeks, months or years.
        count: How many units, from 1 up to three years' worth (`MAX_PERIOD`).

    Raises:
        InvalidInputError: `unit` is not an interval unit, or `count` is not a whole number from
            1 to the unit's maximum (`validation.invalid`).
    """

    unit: IntervalUnit = attrs.field(converter=_unit)
    count: int = attrs.field(default=1, validator=_count)

    def offset(self, n: int) -> relativedelta:
        """The distance from the anchor to the end of the n-th period.

        Args:
            n: How many whole periods.

        Returns:
            `n` periods as a `relativedelta`.

        Raises nothing.
        """
        units = self.count * n
        if self.unit is IntervalUnit.DAY:
            return relativedelta(days=units)
        if self.unit is IntervalUnit.WEEK:
            return relativedelta(weeks=units)
        if self.unit is IntervalUnit.MONTH:
            return relativedelta(months=units)
        return relativedelta(years=units)


@attrs.frozen
class Term:
    """One billing term: the `index`-th period from the anchor, from `start` to `end`.

    `end` is exclusive, the next term's `start`: a monthly term from 31 January is
    `[2026-01-31, 2026-02-28)` and the next one `[2026-02-28, 2026-03-31)`.

    Attributes:
        index: Which term, 1 for the first (the one that starts on the anchor day).
        start: Its first day.
        end: The day after its last day: the next term's first day.
    """

    index: int
    start: date
    end: date

    @property
    def days(self) -> int:
        """How many days the term has (28 to 31 for a month)."""
        return (self.end - self.start).days

    def contains(self, day: date) -> bool:
        """Whether a day is one of the term's days.

        Args:
            day: The day.

        Returns:
            True from `start` up to, not including, `end`.

        Raises nothing.
        """
        return self.start <= day < self.end


def _boundary(anchor: date, period: BillingPeriod, n: int, field: str = "n") -> date:
    """The start of term n + 1 (the anchor for n = 0)."""
    try:
        end = anchor + period.offset(n)
    except (OverflowError, ValueError):
        end = date.max
    # The last day has no day after it: every rule that counts days would overflow on it.
    if end == date.max:
        raise PeriodOutOfRangeError(
            f"{n} billing periods of {period.count} {period.unit.value}(s) from {anchor} end "
            "after the last day partnerkit handles",
            field=field,
            details={"anchor": anchor.isoformat(), "periods": n},
        )
    return end


def _period(value: object) -> BillingPeriod:
    return validate.instance(value, BillingPeriod, "period", "the billing period")


def period_end(anchor: date, period: BillingPeriod, n: int) -> date:
    """The day the n-th billing period from `anchor` ends (exclusive: the next one's start).

    Counted from the anchor, never from the previous end: monthly from 31 January 2026 gives
    28 February, 31 March, 30 April, 31 May (29 February in 2028); yearly from 29 February 2028
    gives 28 February 2029.

    Args:
        anchor: The first day of the first period.
        period: How long each period is.
        n: Which period, 1 for the first.

    Returns:
        `anchor` plus `n` periods, a month-end anchor kept on the month's last day.

    Raises:
        InvalidInputError: `anchor` is not a day, `period` not a billing period, or `n` not a
            whole number of 1 or more (`validation.invalid`).
        PeriodOutOfRangeError: The end is past the last day partnerkit handles
            (`subscription.period_out_of_range`).
    """
    anchor = validate.as_date(anchor, "anchor")
    n = validate.whole_number(n, "n", minimum=1, words="the number of periods")
    return _boundary(anchor, _period(period), n)


def term(anchor: date, period: BillingPeriod, index: int) -> Term:
    """The `index`-th billing term from the anchor.

    Args:
        anchor: The first day of the first term.
        period: How long each term is.
        index: Which term, 1 for the first.

    Returns:
        The term, from the end of term `index - 1` (the anchor for the first) to
        `period_end(anchor, period, index)`.

    Raises:
        InvalidInputError: `anchor` is not a day, `period` not a billing period, or `index`
            not a whole number of 1 or more (`validation.invalid`).
        PeriodOutOfRangeError: The term ends past the last day partnerkit handles
            (`subscription.period_out_of_range`).
    """
    anchor = validate.as_date(anchor, "anchor")
    period = _period(period)
    index = validate.whole_number(index, "index", minimum=1, words="the term's number")
    start = _boundary(anchor, period, index - 1, "index")
    return Term(index, start, _boundary(anchor, period, index, "index"))


def _months_between(anchor: date, day: date) -> int:
    return (day.year - anchor.year) * 12 + day.month - anchor.month


def term_containing(anchor: date, period: BillingPeriod, day: date) -> Term:
    """The billing term a day falls in.

    Computed, not walked: a day twenty years on costs what tomorrow costs.

    Args:
        anchor: The first day of the first term.
        period: How long each term is.
        day: Any day on or after the anchor.

    Returns:
        The term whose `start <= day < end`.

    Raises:
        InvalidInputError: `anchor` or `day` is not a day, or `period` not a billing period
            (`validation.invalid`).
        DayBeforeAnchorError: `day` is before the anchor (`subscription.day_before_anchor`).
        PeriodOutOfRangeError: The term ends past the last day partnerkit handles
            (`subscription.period_out_of_range`).
    """
    anchor = validate.as_date(anchor, "anchor")
    period = _period(period)
    day = validate.as_date(day, "day")
    if day < anchor:
        raise DayBeforeAnchorError(
            f"{day} is before the first billing period starts on {anchor}",
            field="day",
            details={"day": day.isoformat(), "anchor": anchor.isoformat()},
        )
    if period.unit is IntervalUnit.DAY:
        done = (day - anchor).days // period.count
    elif period.unit is IntervalUnit.WEEK:
        done = (day - anchor).days // (7 * period.count)
    else:
        months = period.count * (12 if period.unit is IntervalUnit.YEAR else 1)
        done = _months_between(anchor, day) // months
        # The boundary in the day's month may fall after it (31 January's anchor starts its
        # term on 28 February): the day is then still in the previous term.
        if _boundary(anchor, period, done) > day:
            done -= 1
    return term(anchor, period, done + 1)
