"""What a subscription's terms and edits charge (issue 11), pinned with exact figures and no kit:
a term's invoice lines (`charges.term_lines`, `summary`) and an edit's proration by day
(`changes`: the coupons of a billed term, the whole term's recurring lines, the unused credit,
the remaining charge and the proration a preview explains).

The rules come from 003_9950710e2377ac79.txt, "Manage Subscriptions": "Convert Trials to Live"
("A summary of the various subscription related charges will be displayed"), "Edit
Subscriptions" ("changing plans, addons, and coupons ... apply their changes to reflect
immediately, or at the end of the current term"), and issue 11: edits "applied immediately
(prorated by day, with a preview of the credit and charge)".
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

import partnerkit as pk
from partnerkit.billing.invoices import InvoiceLine, TaxRate, invoice_total
from partnerkit.errors import InvalidInputError
from partnerkit.subscriptions.catalog import Addon, AddonKind, Plan
from partnerkit.subscriptions.changes import (
    coupons_on,
    proration_of,
    recurring_lines,
    remaining_charge,
    unused_credit,
)
from partnerkit.subscriptions.charges import ChargesSummary, summary, term_lines
from partnerkit.subscriptions.coupons import Coupon, CouponDuration, DiscountKind
from partnerkit.subscriptions.periods import IntervalUnit, Term
from partnerkit.subscriptions.proration import Proration, ProrationLine
from partnerkit.subscriptions.subscription import SubscriptionCoupon

T0 = datetime(2026, 1, 1, tzinfo=UTC)
APRIL = Term(4, date(2026, 4, 1), date(2026, 5, 1))
MID_APRIL = date(2026, 4, 16)  # 15 of April's 30 days left


def usd(amount: str) -> pk.Money:
    return pk.Money.of(amount, "USD")


VAT = TaxRate("tax_vat", "VAT", Decimal(20), False, T0)  # added on top of the price
GST = TaxRate("tax_gst", "GST", Decimal(20), True, T0)  # included in the price
PRO = Plan("crm-pro", "crm", "CRM Pro", usd("30.00"), IntervalUnit.MONTH, 1, usd("10.00"), T0)
BIZ = Plan("crm-biz", "crm", "CRM Business", usd("60.00"), IntervalUnit.MONTH, 1, usd("0"), T0)
SEATS = Addon("seats", "crm", "Seats", usd("5.00"), AddonKind.RECURRING, T0)
ONBOARDING = Addon("onboarding", "crm", "Onboarding", usd("50.00"), AddonKind.ONE_TIME, T0)


def coupon(id: str, duration: CouponDuration, cycles: int | None = None, **kind: object) -> Coupon:
    return Coupon.create(
        id=id,
        code=id.upper(),
        name=id,
        kind=DiscountKind.FIXED if "amount" in kind else DiscountKind.PERCENTAGE,
        duration=duration,
        cycles=cycles,
        **kind,  # type: ignore[arg-type]
    )


TEN_PERCENT_ONCE = coupon("ten", CouponDuration.ONCE, percentage=10)
TWO_OFF_FOREVER = coupon("two", CouponDuration.FOREVER, amount=usd("2.00"))


# --- a term's lines ---------------------------------------------------------------------------


def test_the_first_invoice_has_the_plan_less_its_coupons_the_setup_fee_and_every_addon() -> None:
    """The plan's line carries the coupons (10 % of 30.00, then 2.00 off the 27.00 left); the
    setup fee and the one-time addon bill on the first invoice only; every line is taxed."""
    lines = term_lines(
        PRO,
        [(ONBOARDING, 1), (SEATS, 3)],
        [TEN_PERCENT_ONCE, TWO_OFF_FOREVER],
        APRIL,
        cycle=1,
        first=True,
        tax=VAT,
    )
    assert lines == (
        InvoiceLine.of(
            "CRM Pro (2026-04-01 to 2026-04-30)",
            1,
            usd("30.00"),
            discount=usd("5.00"),
            tax=VAT,
            product="crm",
        ),
        InvoiceLine.of("CRM Pro: setup fee", 1, usd("10.00"), tax=VAT),
        InvoiceLine.of("Onboarding", 1, usd("50.00"), tax=VAT, product="crm"),
        InvoiceLine.of("Seats", 3, usd("5.00"), tax=VAT, product="crm"),
    )
    assert summary("sub_1", APRIL, lines) == ChargesSummary(
        "sub_1", date(2026, 4, 1), date(2026, 5, 1), lines, usd("120.00")
    )
    assert summary("sub_1", APRIL, lines).subtotal == usd("100.00")


def test_a_renewal_bills_the_plan_and_its_recurring_addons_only() -> None:
    """On the second billed term the once coupon is spent and the for-ever one still takes
    2.00; no setup fee, no one-time addon (listed first: the recurring one after it stays)."""
    lines = term_lines(
        PRO,
        [(ONBOARDING, 1), (SEATS, 3)],
        [TEN_PERCENT_ONCE, TWO_OFF_FOREVER],
        APRIL,
        cycle=2,
        first=False,
    )
    assert lines == (
        InvoiceLine.of(
            "CRM Pro (2026-04-01 to 2026-04-30)", 1, usd("30.00"), discount=usd("2.00"),
            product="crm",
        ),
        InvoiceLine.of("Seats", 3, usd("5.00"), product="crm"),
    )  # fmt: skip
    assert invoice_total(lines) == usd("43.00")


def test_a_first_invoice_without_a_setup_fee_has_no_line_for_it() -> None:
    [line] = term_lines(BIZ, [], [], APRIL, cycle=1, first=True)
    assert line == InvoiceLine.of("CRM Business (2026-04-01 to 2026-04-30)", 1, usd("60.00"),
                                  product="crm")  # fmt: skip


def test_a_long_plan_name_is_cut_to_the_200_characters_a_line_holds() -> None:
    name = "N" * 190
    long = Plan("crm-long", "crm", name, usd("30.00"), IntervalUnit.MONTH, 1, usd("10.00"), T0)
    plan_line, fee_line = term_lines(long, [], [], APRIL, cycle=1, first=True)
    assert plan_line.description == f"{name} (2026-04-"
    assert fee_line.description == f"{name}: setup fe"
    assert len(plan_line.description) == len(fee_line.description) == 200
    # And an edit's line for the rest of the term, which adds the days to it.
    [rest] = remaining_charge([plan_line], (), APRIL, MID_APRIL, tax=None)
    assert rest.description == plan_line.description


# --- an edit's coupons and lines --------------------------------------------------------------


def test_a_coupons_duration_counts_from_the_term_it_was_applied_on() -> None:
    """A coupon added by an edit lasts as long as one applied at the start: 2 cycles from the
    third billed term are the third and the fourth."""
    once = (TEN_PERCENT_ONCE, SubscriptionCoupon("ten"))
    twice = coupon("twice", CouponDuration.CYCLES, 2, percentage=5)
    two_cycles = (twice, SubscriptionCoupon("twice", 3))
    later = (TWO_OFF_FOREVER, SubscriptionCoupon("two", 5))
    applied = [once, two_cycles, later]
    assert coupons_on(applied, 1) == [TEN_PERCENT_ONCE]
    assert coupons_on(applied, 2) == []
    assert coupons_on(applied, 3) == [twice]
    assert coupons_on(applied, 4) == [twice]
    assert coupons_on(applied, 5) == [TWO_OFF_FOREVER]
    assert coupons_on(applied, 9) == [TWO_OFF_FOREVER]


def test_a_terms_recurring_lines_take_every_coupon_given_and_no_one_time_charge() -> None:
    lines = recurring_lines(PRO, [(ONBOARDING, 1), (SEATS, 3)], [TEN_PERCENT_ONCE], APRIL, tax=VAT)
    assert lines == (
        InvoiceLine.of(
            "CRM Pro (2026-04-01 to 2026-04-30)",
            1,
            usd("30.00"),
            discount=usd("3.00"),
            tax=VAT,
            product="crm",
        ),
        InvoiceLine.of("Seats", 3, usd("5.00"), tax=VAT, product="crm"),
    )


def test_issue_11_the_unused_days_credit_what_the_recurring_lines_charged_tax_included() -> None:
    paid = recurring_lines(PRO, [(SEATS, 3)], [TEN_PERCENT_ONCE], APRIL, tax=VAT)
    assert invoice_total(paid) == usd("50.40")  # 27.00 + 15.00, and 20 % on top
    assert unused_credit(paid, APRIL, APRIL.start) == usd("50.40")
    assert unused_credit(paid, APRIL, MID_APRIL) == usd("25.20")
    assert unused_credit(paid, APRIL, date(2026, 4, 21)) == usd("16.80")
    assert unused_credit(paid, APRIL, APRIL.end) == usd("0.00")


def test_each_lines_credit_is_rounded_on_its_own() -> None:
    # 0.05 for 1 of 2 days is 0.025: half-even, 0.02 a line, 0.04 for two; never 0.05.
    nickel = InvoiceLine.of("Nickel", 1, usd("0.05"))
    two_days = Term(1, date(2026, 4, 1), date(2026, 4, 3))
    assert unused_credit([nickel, nickel], two_days, date(2026, 4, 2)) == usd("0.04")


def test_an_unused_credit_needs_lines_and_a_day_of_the_term() -> None:
    with pytest.raises(InvalidInputError) as raised:
        unused_credit([], APRIL, MID_APRIL)
    assert raised.value.field == "paid"
    paid = recurring_lines(BIZ, [], [], APRIL, tax=None)
    for outside in (date(2026, 3, 31), date(2026, 5, 2)):
        with pytest.raises(InvalidInputError) as outside_raised:
            unused_credit(paid, APRIL, outside)
        assert outside_raised.value.field == "days"


def test_issue_11_the_rest_of_the_term_is_charged_by_day_on_the_new_lines() -> None:
    """Each new recurring line for the 15 days left, at its net, taxed as invoices are, and
    the one-time addon the change adds, whole."""
    new = recurring_lines(BIZ, [(SEATS, 3)], [], APRIL, tax=VAT)
    once = (InvoiceLine.of("Onboarding", 1, usd("50.00"), tax=VAT, product="crm"),)
    lines = remaining_charge(new, once, APRIL, MID_APRIL, tax=VAT)
    assert lines == (
        InvoiceLine.of(
            "CRM Business (2026-04-01 to 2026-04-30): 2026-04-16 to 2026-04-30",
            1,
            usd("30.00"),
            tax=VAT,
            product="crm",
        ),
        InvoiceLine.of("Seats: 2026-04-16 to 2026-04-30", 1, usd("7.50"), tax=VAT, product="crm"),
        once[0],
    )
    assert invoice_total(lines) == usd("105.00")
    # On the term's end day nothing is left to charge but what is bought once.
    assert remaining_charge(new, once, APRIL, APRIL.end, tax=VAT) == once
    assert remaining_charge(new, (), APRIL, APRIL.end, tax=VAT) == ()


@pytest.mark.parametrize(
    ("tax", "charged"),
    [
        pytest.param(None, "54.00", id="untaxed"),
        pytest.param(VAT, "64.80", id="tax-on-top"),
        # 108.00 tax included for the term: half of it, tax still included.
        pytest.param(GST, "54.00", id="tax-included"),
    ],
)
def test_a_change_to_what_was_paid_charges_the_rest_of_the_term_what_it_credits(
    tax: TaxRate | None, charged: str
) -> None:
    """A change on the same lines in the middle of the term charges what it credits, whether
    the tax is added on top or included in the price. Included, the prorated line used to be
    its net (tax taken out) taxed again: 45.00 charged against a 54.00 credit."""
    gross = Plan("crm-gross", "crm", "CRM", usd("120.00"), IntervalUnit.MONTH, 1, usd("0"), T0)
    paid = recurring_lines(gross, [], [TEN_PERCENT_ONCE], APRIL, tax=tax)
    credit = unused_credit(paid, APRIL, MID_APRIL)
    lines = remaining_charge(paid, (), APRIL, MID_APRIL, tax=tax)
    assert credit == usd(charged)
    assert invoice_total(lines) == usd(charged)


def test_the_proration_a_preview_explains() -> None:
    credit = unused_credit(recurring_lines(PRO, [(SEATS, 3)], [], APRIL, tax=VAT), APRIL, MID_APRIL)
    charges = remaining_charge(
        recurring_lines(BIZ, [(SEATS, 3)], [], APRIL, tax=VAT), (), APRIL, MID_APRIL, tax=VAT
    )
    assert proration_of(credit, charges, APRIL, MID_APRIL, old="CRM Pro", new="CRM Business") == (
        Proration(
            credit=ProrationLine("Unused time on CRM Pro", usd("27.00"), MID_APRIL, APRIL.end),
            charge=ProrationLine(
                "Remaining time on CRM Business", usd("45.00"), MID_APRIL, APRIL.end
            ),
            currency="USD",
            unused_days=15,
            term_days=30,
        )
    )


def test_a_proration_without_a_credit_or_a_charge_has_no_line_for_it() -> None:
    charges = remaining_charge(recurring_lines(BIZ, [], [], APRIL, tax=None), (), APRIL,
                               MID_APRIL, tax=None)  # fmt: skip
    # Nothing billed yet: a charge only.
    assert proration_of(usd("0"), charges, APRIL, MID_APRIL, old="CRM Pro", new="CRM Business") == (
        Proration(
            credit=None,
            charge=ProrationLine("Remaining time on CRM Business", usd("30.00"), MID_APRIL,
                                 APRIL.end),
            currency="USD",
            unused_days=15,
            term_days=30,
        )
    )  # fmt: skip
    # A change to a free plan: a credit only, in the credit's currency.
    yen = pk.Money.of("1500", "JPY")
    assert proration_of(yen, (), APRIL, MID_APRIL, old="CRM Pro", new="CRM Free") == Proration(
        credit=ProrationLine("Unused time on CRM Pro", yen, MID_APRIL, APRIL.end),
        charge=None,
        currency="JPY",
        unused_days=15,
        term_days=30,
    )
    nothing = proration_of(pk.Money.zero("JPY"), (), APRIL, APRIL.end, old="A", new="B")
    assert nothing == Proration(None, None, "JPY", 0, 30)
