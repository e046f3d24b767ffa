"""Edits of a subscription in the middle of a term (003 seed, "Edit Subscriptions"): which coupons
a billed term gets, what the rest of the term costs on the new plan, and what the unused days of
the old one credit; `ChangePreview`, what a preview returns and the change then does. Pure: the
service loads the catalog and calls these.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

import attrs

from partnerkit.billing.invoices import InvoiceLine, TaxRate, invoice_total
from partnerkit.errors import InvalidInputError
from partnerkit.money import Money
from partnerkit.subscriptions.catalog import Addon, Plan
from partnerkit.subscriptions.charges import ChargesSummary, term_lines
from partnerkit.subscriptions.coupons import Coupon, applies_on_cycle
from partnerkit.subscriptions.periods import Term
from partnerkit.subscriptions.proration import Proration, ProrationLine, prorated
from partnerkit.subscriptions.subscription import SubscriptionAddon, SubscriptionCoupon

__all__ = [
    "ChangePreview",
    "coupons_on",
    "proration_of",
    "recurring_lines",
    "remaining_charge",
    "unused_credit",
]


@attrs.frozen
class ChangePreview:
    """What a change of plan, addons or coupons would do: the preview a person confirms, and what
    the change then credits and invoices.

    Attributes:
        subscription_id: The subscription.
        plan_id: The plan after the change.
        addons: The addons after the change.
        coupons: The ids of the coupons after the change.
        at_term_end: Whether the change waits for the end of the current term.
        effective_on: The day it applies: today, or the current term's end.
        credit: The credit note for the unused days of what was paid for the current term;
            None when nothing is credited (at term end, or nothing was billed yet).
        charges: The invoice the change creates: the new charges over the rest of the term
            now, or the renewal's invoice at term end; None when nothing is invoiced.
        proration: The days and amounts behind `credit` and `charges` for a change now; None
            otherwise.
    """

    subscription_id: str
    plan_id: str
    addons: tuple[SubscriptionAddon, ...]
    coupons: tuple[str, ...]
    at_term_end: bool
    effective_on: date
    credit: Money | None
    charges: ChargesSummary | None
    proration: Proration | None

    @property
    def net(self) -> Money | None:
        """The charges less the credit (below zero when the credit is the larger); None when
        neither is known."""
        if self.charges is not None:
            currency = self.charges.total.currency
        elif self.credit is not None:
            currency = self.credit.currency
        else:
            return None
        zero = Money.zero(currency)
        charged = self.charges.total if self.charges else zero
        return charged - (self.credit or zero)


def coupons_on(
    applied: Sequence[tuple[Coupon, SubscriptionCoupon]], billed_cycle: int
) -> list[Coupon]:
    """The coupons that take something off a billed term, in the order they were applied.

    Each coupon's duration counts from the term it was applied on (`first_cycle`), not from
    the subscription's first.

    Args:
        applied: Each coupon with its application on the subscription.
        billed_cycle: The subscription's billed term, 1 for its first.

    Returns:
        The coupons that apply on that term.

    Raises nothing.
    """
    return [
        coupon
        for coupon, on in applied
        if on.cycle(billed_cycle) >= 1 and applies_on_cycle(coupon, on.cycle(billed_cycle))
    ]


def recurring_lines(
    plan: Plan,
    addons: Sequence[tuple[Addon, int]],
    coupons: Sequence[Coupon],
    term: Term,
    *,
    tax: TaxRate | None,
) -> tuple[InvoiceLine, ...]:
    """What a whole term of the plan and its recurring addons costs: the plan's line less the
    coupons (all of which apply), and a line per recurring addon; no setup fee, no one-time addon.

    Args:
        plan: The plan.
        addons: The addons with their quantities.
        coupons: The coupons that apply on the term (see `coupons_on`).
        term: The term, for the lines' words.
        tax: The tax rate on every line, or None.

    Returns:
        The lines, the plan's first.

    Raises:
        CouponCurrencyError: A fixed coupon is in another currency than the plan
            (`subscription.coupon_currency`).
    """
    # Every coupon given applies, so each is on its first cycle as `term_lines` counts them.
    return term_lines(plan, addons, coupons, term, cycle=1, first=False, tax=tax)


def _day_before(day: date) -> date:
    return day - timedelta(days=1)


def _as_priced(line: InvoiceLine) -> Money:
    # The amount the line's tax applies to: its net under an exclusive tax, net and tax together
    # under an inclusive one. Prorating the net of an inclusive line and taxing it again would
    # take the tax out twice, and charge the rest of the term less than the credit gives back.
    return line.gross - line.discount_amount


def unused_credit(paid: Sequence[InvoiceLine], term: Term, day: date) -> Money:
    """The credit for the unused days of a term's recurring charges, from `day` to its end.

    Each line's total (tax included) is prorated by day on its own and rounded half-even, so the
    credit never exceeds what the lines charged.

    Args:
        paid: The recurring lines of the term as they were billed (see `recurring_lines`).
        term: The term.
        day: The first unused day, from the term's start to its end.

    Returns:
        The credit, zero or more.

    Raises:
        InvalidInputError: `day` is outside the term (`validation.invalid`).
    """
    if not paid:
        raise InvalidInputError("a term's recurring charges have one line at least", field="paid")
    unused = (term.end - day).days
    return sum(
        (prorated(line.total, unused, term.days) for line in paid),
        Money.zero(paid[0].currency),
    )


def remaining_charge(
    new: Sequence[InvoiceLine],
    once: Sequence[InvoiceLine],
    term: Term,
    day: date,
    *,
    tax: TaxRate | None,
) -> tuple[InvoiceLine, ...]:
    """The invoice lines of a change on `day`: each new recurring line for the days left of the
    term, prorated by day from its amount after the discount as its price states it (tax
    included under an inclusive tax) and taxed as invoices are, and the one-time addons the
    change adds, whole.

    Args:
        new: The new recurring lines for the whole term (see `recurring_lines`).
        once: Lines of one-time addons the change adds.
        term: The current term.
        day: The day of the change, from the term's start to its end.
        tax: The tax rate on every line, or None.

    Returns:
        The lines with an amount above zero.

    Raises:
        InvalidInputError: `day` is outside the term, and a new line is to be prorated
            (`validation.invalid`).
    """
    unused = (term.end - day).days
    lines = [
        InvoiceLine.of(
            f"{line.description}: {day} to {_day_before(term.end)}"[:200],
            1,
            prorated(_as_priced(line), unused, term.days),
            tax=tax,
            product=line.product,
        )
        for line in new
    ]
    return tuple(line for line in (*lines, *once) if line.net.is_positive)


def proration_of(
    credit: Money, charges: Sequence[InvoiceLine], term: Term, day: date, *, old: str, new: str
) -> Proration:
    """The proration behind a change's credit and charges, as a preview explains it.

    Args:
        credit: The credit (see `unused_credit`).
        charges: The charge lines (see `remaining_charge`).
        term: The current term.
        day: The day of the change.
        old: What was paid for, in words (the old plan's name).
        new: What is charged for (the new plan's name).

    Returns:
        The proration: its credit and charge lines (None for zero), and the days counted.

    Raises nothing.
    """
    charged = invoice_total(charges) if charges else Money.zero(credit.currency)
    return Proration(
        credit=ProrationLine(f"Unused time on {old}", credit, day, term.end)
        if credit.is_positive
        else None,
        charge=ProrationLine(f"Remaining time on {new}", charged, day, term.end)
        if charged.is_positive
        else None,
        currency=credit.currency,
        unused_days=(term.end - day).days,
        term_days=term.days,
    )
