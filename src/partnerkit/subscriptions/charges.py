"""What a term of a subscription charges: the plan's line, its addons, the setup fee on the
first invoice, coupons off the plan's line; and `ChargesSummary`, what a preview returns and
the invoice then bills. Pure: the service loads the catalog and calls these."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

import attrs

from partnerkit.billing.invoices import InvoiceLine, TaxRate, invoice_total
from partnerkit.money import Money
from partnerkit.subscriptions.catalog import Addon, AddonKind, Plan
from partnerkit.subscriptions.coupons import Coupon, discounts
from partnerkit.subscriptions.periods import Term

__all__ = ["ChargesSummary", "summary", "term_lines"]


@attrs.frozen
class ChargesSummary:
    """What an invoice for a term of a subscription charges: the summary a preview shows.

    Attributes:
        subscription_id: The subscription.
        period_start: The first day of the term billed.
        period_end: The day after its last.
        lines: The invoice's lines, taxed as the invoice will be.
        total: What the invoice will total.
        credit: What is credited with it, or None: a reactivation within the cancelled term
            credits the days from today to that term's end, which were billed already.
    """

    subscription_id: str
    period_start: date
    period_end: date
    lines: tuple[InvoiceLine, ...]
    total: Money
    credit: Money | None = None

    @property
    def subtotal(self) -> Money:
        """The lines' net amounts (before tax)."""
        return sum((line.net for line in self.lines), Money.zero(self.total.currency))


def term_lines(
    plan: Plan,
    addons: Sequence[tuple[Addon, int]],
    coupons: Sequence[Coupon],
    term: Term,
    *,
    cycle: int,
    first: bool,
    tax: TaxRate | None = None,
) -> tuple[InvoiceLine, ...]:
    """The invoice lines of one term.

    The plan's line carries the coupons' discount (coupons apply to the plan's recurring
    charge, as counted by `cycle`); recurring addons bill every term, one-time addons and the
    setup fee only on the first invoice.

    Args:
        plan: The plan.
        addons: The addons with their quantities.
        coupons: The coupons applied, in the order they were applied.
        term: The term billed.
        cycle: Which billed term this is, 1 for the first.
        first: Whether this is the subscription's first invoice.
        tax: The tax rate on every line (the organisation's default), or None.

    Returns:
        The lines, the plan's first.

    Raises:
        CouponCurrencyError: A fixed coupon is in another currency than the plan
            (`subscription.coupon_currency`).
    """
    # The days a customer reads: the first and the last (the term's end is the next one's
    # first day, so printing it would make two invoices seem to bill that day twice).
    span = f"{term.start.isoformat()} to {(term.end - timedelta(days=1)).isoformat()}"
    off = sum(
        (taken for _, taken in discounts(coupons, plan.price, cycle)), Money.zero(plan.currency)
    )
    lines = [
        InvoiceLine.of(
            f"{plan.name} ({span})"[:200],
            1,
            plan.price,
            discount=off if off.is_positive else None,
            tax=tax,
            product=plan.product,
        )
    ]
    if first and plan.setup_fee.is_positive:
        lines.append(InvoiceLine.of(f"{plan.name}: setup fee"[:200], 1, plan.setup_fee, tax=tax))
    for addon, quantity in addons:
        if addon.kind is AddonKind.ONE_TIME and not first:
            continue
        lines.append(
            InvoiceLine.of(addon.name, quantity, addon.price, tax=tax, product=addon.product)
        )
    return tuple(lines)


def summary(subscription_id: str, term: Term, lines: tuple[InvoiceLine, ...]) -> ChargesSummary:
    """The summary of an invoice of `lines` for `term`.

    Args:
        subscription_id: The subscription.
        term: The term billed.
        lines: The lines.

    Returns:
        The summary.

    Raises nothing.
    """
    return ChargesSummary(subscription_id, term.start, term.end, lines, invoice_total(lines))
