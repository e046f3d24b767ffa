"""Proration by day: what a change applied in the middle of a term credits for the unused days of
what was paid, and charges for the same days at the new price (issue 11, "Edit Subscriptions":
"applied immediately (prorated by day, with a preview of the credit and charge)").

As Chargebee and Stripe do: the unused share of the term is unused days / days in the term,
each amount rounded to the currency's minor unit once (half-even, the kit's rounding), so the
credit is never more than what was paid.
"""

from __future__ import annotations

from datetime import date, timedelta
from fractions import Fraction

import attrs

from partnerkit import validate
from partnerkit.errors import CurrencyMismatchError, InvalidInputError
from partnerkit.money import Money
from partnerkit.subscriptions.errors import ChangeDayOutsideTermError
from partnerkit.subscriptions.periods import Term

__all__ = ["Proration", "ProrationLine", "prorate", "prorated"]


@attrs.frozen
class ProrationLine:
    """One line of a proration: a credit or a charge for the days from `start` to `end`.

    Attributes:
        description: What the line is for, as an invoice or a credit note shows it.
        amount: The amount, above zero.
        start: The first day it covers: the day of the change.
        end: The day after the last day it covers: the term's end.
    """

    description: str
    amount: Money
    start: date
    end: date


@attrs.frozen
class Proration:
    """What a change in the middle of a term credits and charges, for the preview and the action.

    Attributes:
        credit: For the unused days of what was paid; None when nothing is credited.
        charge: For the same days at the new price; None when nothing is charged.
        currency: The currency of both.
        unused_days: The days from the change to the term's end.
        term_days: The days of the whole term.
    """

    credit: ProrationLine | None
    charge: ProrationLine | None
    currency: str
    unused_days: int
    term_days: int

    @property
    def net(self) -> Money:
        """The charge less the credit: below zero when the credit is the larger (a downgrade)."""
        zero = Money.zero(self.currency)
        charged = self.charge.amount if self.charge else zero
        credited = self.credit.amount if self.credit else zero
        return charged - credited

    def explain(self) -> tuple[str, ...]:
        """The proration in words, one sentence a line, for a preview.

        Returns:
            The credit, the charge and what is left to pay or to credit.

        Raises nothing.
        """
        share = f"{self.unused_days} of the term's {self.term_days} days"
        # A line's end is exclusive; a person reads the last day it covers.
        lines = [
            f"{line.description}: {kind} of {line.amount} for {share}, {line.start} to "
            f"{line.end - timedelta(days=1)}"
            for line, kind in ((self.credit, "credit"), (self.charge, "charge"))
            if line is not None
        ]
        if not lines:
            lines.append(f"nothing to credit or charge for {share}")
        net = self.net
        if net.is_negative:
            lines.append(f"the credit is larger: {-net} goes to the account's credits")
        else:
            lines.append(f"to pay now: {net}")
        return tuple(lines)


def prorated(amount: Money, days: int, term_days: int) -> Money:
    """The share of an amount for some days of a term, rounded half-even to the minor unit.

    Args:
        amount: The amount for the whole term, zero or more.
        days: The days of the share, from 0 to `term_days`.
        term_days: The days of the term, 1 or more.

    Returns:
        `amount * days / term_days`, rounded once: never more than `amount`.

    Raises:
        InvalidInputError: `amount` is not money of zero or more, or the days are not whole
            numbers with 0 <= days <= term days and term days of 1 or more
            (`validation.invalid`).
    """
    if not isinstance(amount, Money) or amount.is_negative:
        raise InvalidInputError(
            "the amount must be an amount of zero or more",
            field="amount",
            hint="amount takes a Money of zero or more",
        )
    term_days = validate.whole_number(term_days, "term_days", minimum=1, words="the term's days")
    days = validate.whole_number(days, "days", maximum=term_days, words="the days of the share")
    # round() of a Fraction is half-even and exact, whatever the sizes.
    return Money.from_minor(round(Fraction(amount.minor_units * days, term_days)), amount.currency)


def _price(value: object, field: str) -> Money:
    if not isinstance(value, Money) or value.is_negative:
        raise InvalidInputError(
            "the price must be an amount of zero or more",
            field=field,
            hint=f"{field} takes a Money of zero or more",
        )
    return value


def prorate(
    term: Term,
    paid_for_term: Money,
    new_price_for_term: Money,
    change_day: date,
    *,
    old_description: str,
    new_description: str,
) -> Proration:
    """What changing a subscription on a day of its term credits and charges.

    The credit is for the unused days of what was paid, `paid_for_term * unused_days /
    term.days`; the charge is for the same days at the new price. Unused days run from the
    change day to the term's end: a change on the first day credits all that was paid, one on
    the term's end day (the next term's first) credits and charges nothing. Each amount is
    rounded half-even to the currency's minor unit, so the credit never exceeds what was paid.

    Args:
        term: The current term.
        paid_for_term: What was paid for the whole term (after discounts), zero or more.
        new_price_for_term: What the new plan costs for a whole term, zero or more.
        change_day: The day the change applies, from the term's start to its end.
        old_description: What was paid for ("Pro plan, monthly").
        new_description: What is charged for.

    Returns:
        The credit and charge lines (None for a zero amount) and the days counted.

    Raises:
        InvalidInputError: An amount is not money of zero or more, the day is not a day, or a
            description is empty (`validation.invalid`).
        CurrencyMismatchError: The two prices are in different currencies
            (`money.currency_mismatch`).
        ChangeDayOutsideTermError: The change day is before the term's start or after its end
            (`subscription.change_day_outside_term`).
    """
    term = validate.instance(term, Term, "term", "the current term")
    if term.days < 1:
        raise InvalidInputError("the current term ends before it starts", field="term")
    paid = _price(paid_for_term, "paid_for_term")
    price = _price(new_price_for_term, "new_price_for_term")
    if paid.currency != price.currency:
        raise CurrencyMismatchError(
            f"what was paid is in {paid.currency} and the new price in {price.currency}",
            field="new_price_for_term",
            details={"paid": paid.currency, "price": price.currency},
        )
    day = validate.as_date(change_day, "change_day")
    if not term.start <= day <= term.end:
        raise ChangeDayOutsideTermError(
            f"{day} is outside the current term, {term.start} to {term.end}",
            field="change_day",
            details={"day": day.isoformat(), "start": term.start.isoformat()},
        )
    old = validate.text(old_description, "old_description")
    new = validate.text(new_description, "new_description")
    unused = (term.end - day).days
    credit = prorated(paid, unused, term.days)
    charge = prorated(price, unused, term.days)
    return Proration(
        credit=ProrationLine(f"Unused time on {old}", credit, day, term.end) if credit else None,
        charge=ProrationLine(f"Remaining time on {new}", charge, day, term.end) if charge else None,
        currency=paid.currency,
        unused_days=unused,
        term_days=term.days,
    )
