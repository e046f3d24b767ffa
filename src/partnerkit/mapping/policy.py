"""The rules for a partner adding a customer (000 seed) as a policy with the seed's numbers,
and the pure decision `decide_add` that `kit.mapping.explain_add` and `add_customer` share.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

import attrs
from dateutil.relativedelta import relativedelta

from partnerkit.customers.accounts import Edition, ProductPlan
from partnerkit.mapping.records import start_of_day

__all__ = ["AddCase", "AddDecision", "MappingPolicy", "decide_add"]


@attrs.frozen
class MappingPolicy:
    """The numbers behind the mapping rules; the defaults are the seeds'."""

    #: 000: a customer paid for more than this many days needs to approve (case 1); within
    #: it, the mapping is immediate (case 2).
    confirmation_after_days: int = 30
    #: 000 case 3: a free customer's mapping is removed unless paid within this many months.
    provisional_months: int = 3
    #: 000 case 1: commission covers the last month's transactions before the mapping date.
    commission_lookback_months: int = 1
    #: How long a case-1 approval link stays valid. The seed is silent; a month is the bar.
    approval_valid_days: int = 30
    #: A transfer lapses if the customer does not confirm within this many days.
    transfer_confirm_days: int = 15
    #: 000: partners inactive this long are deactivated by the partner team (run_due).
    inactivity_months: int = 12


class AddCase(enum.StrEnum):
    #: Use case 1: paid more than 30 days before the mapping date.
    PAID_NEEDS_APPROVAL = "paid_needs_approval"
    #: Use case 2: paid within 30 days of the mapping date.
    PAID_RECENTLY = "paid_recently"
    #: Use case 3: a free customer.
    FREE = "free"


@attrs.frozen
class AddDecision:
    """What adding this customer would do, and why: the explainable form of the 000 rules."""

    case: AddCase
    mapping_date: date
    needs_confirmation: bool
    provisional: bool
    paid_since: date | None
    days_paid: int | None
    provisional_until: date | None
    #: Start of the commission window; None means all transactions.
    commission_from: datetime | None
    reasons: tuple[str, ...]


def decide_add(plan: ProductPlan | None, today: date, policy: MappingPolicy) -> AddDecision:
    """Which of the 000 seed's three cases applies on `today` to a customer with `plan`."""
    if plan is None or plan.edition is Edition.FREE:
        until = today + relativedelta(months=policy.provisional_months)
        return AddDecision(
            case=AddCase.FREE,
            mapping_date=today,
            needs_confirmation=False,
            provisional=True,
            paid_since=None,
            days_paid=None,
            provisional_until=until,
            commission_from=start_of_day(today),
            reasons=(
                "the customer uses the free edition of this product",
                "mapped at once without the customer's confirmation (000 seed, use case 3)",
                f"the mapping is removed unless the customer upgrades to paid by {until} "
                f"({policy.provisional_months} months from the mapping date)",
            ),
        )
    days = (today - plan.since).days
    if days > policy.confirmation_after_days:
        lookback = today - relativedelta(months=policy.commission_lookback_months)
        return AddDecision(
            case=AddCase.PAID_NEEDS_APPROVAL,
            mapping_date=today,
            needs_confirmation=True,
            provisional=False,
            paid_since=plan.since,
            days_paid=days,
            provisional_until=None,
            commission_from=start_of_day(lookback),
            reasons=(
                f"the customer became paid on {plan.since}, {days} days before {today}: more "
                f"than {policy.confirmation_after_days} days (000 seed, use case 1)",
                "a confirmation email goes to the customer; the mapping takes effect when "
                "they approve through its link",
                f"commission covers the last {policy.commission_lookback_months} month(s) of "
                "transactions before the approval and everything after it",
            ),
        )
    return AddDecision(
        case=AddCase.PAID_RECENTLY,
        mapping_date=today,
        needs_confirmation=False,
        provisional=False,
        paid_since=plan.since,
        days_paid=days,
        provisional_until=None,
        commission_from=None,
        reasons=(
            f"the customer became paid on {plan.since}, {days} days before {today}: within "
            f"{policy.confirmation_after_days} days (000 seed, use case 2)",
            "mapped at once without the customer's confirmation",
            "commission covers all of the customer's transactions",
        ),
    )
