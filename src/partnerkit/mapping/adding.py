"""A partner adding an existing customer (000 seed): the three cases as the pure `decide_add`,
and `AddingService`, which applies them and ends unpaid provisional mappings after 3 months.

`kit.mapping.explain_add` and `add_customer` share the one decision, so what is explained is
what is done.
"""

from __future__ import annotations

import enum
from datetime import date, datetime, timedelta

import attrs
from dateutil.relativedelta import relativedelta

from partnerkit.access import Principal
from partnerkit.consent import ConsentKind, ConsentRequest
from partnerkit.customers.accounts import Customer, load_customer
from partnerkit.customers.events import PlanChanged
from partnerkit.customers.plans import Edition, ProductPlan
from partnerkit.mapping.errors import CustomerMappedToAnotherPartnerError
from partnerkit.mapping.events import MappingExpired
from partnerkit.mapping.history import RecordKeeper, shown
from partnerkit.mapping.partners import (
    Partner,
    authorised_product,
    load_partner,
    require_active,
    unseen_partner,
)
from partnerkit.mapping.policy import MappingPolicy
from partnerkit.mapping.ports import MappingStore
from partnerkit.mapping.records import (
    Channel,
    MappingInterval,
    MappingStatus,
    start_of_day,
)
from partnerkit.runtime import Runtime

__all__ = ["AddCase", "AddDecision", "AddResult", "AddingService", "decide_add"]


class AddCase(enum.StrEnum):
    #: Use case 1: paid more than 30 days before the mapping date.
    """Which of the 000 seed's three cases applies when a partner adds an existing customer."""

    PAID_NEEDS_APPROVAL = "paid_needs_approval"
    #: Use case 2: paid within 30 days of the mapping date.
    PAID_RECENTLY = "paid_recently"
    #: Use case 3: a free customer.
    FREE = "free"


@attrs.frozen
class AddDecision:
    """What adding a customer would do, and why: the 000 seed's rules in explainable form.

    Attributes:
        case: Which of the three cases applies.
        mapping_date: The day the decision is made for (the mapping date).
        needs_confirmation: Whether the customer must approve first (case 1).
        provisional: Whether the mapping would be provisional (case 3).
        paid_since: The day the customer became paid for the product; None for a free customer.
        days_paid: Days from `paid_since` to the mapping date; None for a free customer.
        provisional_until: The last day a free customer may upgrade to keep the mapping.
        commission_from: Start of the commission window; None means all transactions.
        reasons: The decision in plain words, one sentence each.
    """

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
    """Which of the 000 seed's three cases applies on a day to a customer with a plan.

    The rule itself, as the pure function `kit.mapping.explain_add` and `add_customer` share.

    - Paid for more than `policy.confirmation_after_days` (30) days: case 1, the customer must
      approve; commission from `commission_lookback_months` (1) before the mapping date.
    - Paid within those days: case 2, mapped at once; commission on all transactions.
    - Free, or no plan for the product: case 3, mapped at once, provisionally, until
      `provisional_months` (3) after the mapping date; commission from the mapping date.

    Args:
        plan: The customer's plan for the product; None counts as free.
        today: The mapping date.
        policy: The numbers of the rule.

    Returns:
        The case, its dates and commission window, and the reasons in plain words.

    Raises nothing: a pure function of its arguments, which it trusts (the service checks them).
    """
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
                "mapped at once without the customer's confirmation (use case 3)",
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
                f"than {policy.confirmation_after_days} days (use case 1)",
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
            f"{policy.confirmation_after_days} days (use case 2)",
            "mapped at once without the customer's confirmation",
            "commission covers all of the customer's transactions",
        ),
    )


@attrs.frozen
class AddResult:
    """What `kit.mapping.add_customer` did.

    Attributes:
        decision: The case that applied, and why.
        interval: The mapping made at once (cases 2 and 3), or the one already in force for the
            partner; None when the customer was asked.
        request: The approval request sent to the customer (case 1); None when mapped at once.
    """

    decision: AddDecision
    interval: MappingInterval | None = None
    request: ConsentRequest | None = None


class AddingService:
    """A partner adding an existing customer (000 seed), and the provisional mappings of free
    customers: made permanent by an upgrade in time, ended by `run_due` otherwise."""

    def __init__(
        self, runtime: Runtime[MappingStore], policy: MappingPolicy, records: RecordKeeper
    ) -> None:
        self._rt = runtime
        self._policy = policy
        self._records = records

    # --- a partner adding a customer (000 seed) -----------------------------------------------

    def explain_add(
        self, partner_id: str, customer_id: str, product: str, *, actor: Principal
    ) -> AddDecision:
        """`kit.mapping.explain_add`, documented on `MappingService`."""
        with self._rt.uow(readonly=True) as uow:
            self._rt.guard.require_partner(actor, partner_id, unseen_partner(partner_id))
            return self._check_add(uow, partner_id, customer_id, product)[3]

    def add_customer(
        self, partner_id: str, customer_id: str, product: str, *, actor: Principal
    ) -> AddResult:
        """`kit.mapping.add_customer`, documented on `MappingService`."""
        guard = self._rt.guard
        with self._rt.uow() as uow:
            principal = guard.require_partner(actor, partner_id, unseen_partner(partner_id))
            partner, customer, key, decision = self._check_add(
                uow, partner_id, customer_id, product
            )
            uow.partners.touch(partner.id, self._rt.now())
            current = uow.records.current(customer.id, key)
            if current is not None:  # the same partner: _check_add refused any other
                return AddResult(decision, interval=shown(guard, principal, current))
            pending = uow.consents.pending(
                customer_id=customer.id, product=key, kind=ConsentKind.MAPPING_APPROVAL
            )
            mine = [r for r in pending if r.partner_id == partner.id]
            if mine:
                return AddResult(decision, request=mine[0])
            if decision.needs_confirmation:
                request = self._records.request_consent(
                    uow,
                    ConsentKind.MAPPING_APPROVAL,
                    customer,
                    key,
                    partner,
                    requested_by=principal.label,
                    valid_for=timedelta(days=self._policy.approval_valid_days),
                    template="mapping.approval_requested",
                    subject=f"{partner.name} asks to be your partner for {key}",
                    body=(
                        f"{partner.name} says it works with you on {key}. Approve through the "
                        "link to make it your partner; ignore this email otherwise."
                    ),
                )
                return AddResult(decision, request=request)
            interval = self._records.open(
                uow,
                customer.id,
                key,
                partner,
                Channel.PARTNER_ADDED,
                reason="; ".join(decision.reasons[:1]),
                by=principal.label,
                status=MappingStatus.PROVISIONAL if decision.provisional else None,
                provisional_until=decision.provisional_until,
                commission_from=decision.commission_from,
            )
        return AddResult(decision, interval=interval)

    def _check_add(
        self, uow: MappingStore, partner_id: str, customer_id: str, product: str
    ) -> tuple[Partner, Customer, str, AddDecision]:
        # Only the check: explain_add must not count as activity, add_customer touches later.
        partner = load_partner(uow, partner_id)
        require_active(partner)
        customer = load_customer(uow, customer_id)
        key = authorised_product(uow, partner, product)
        current = uow.records.current(customer.id, key)
        if current is not None and current.partner_id != partner.id:
            raise CustomerMappedToAnotherPartnerError(
                "Customer mapped to another partner",
                details={"customer_id": customer.id, "product": key},
            )
        decision = decide_add(customer.plan(key), self._rt.today(), self._policy)
        return partner, customer, key, decision

    # --- time-driven rules --------------------------------------------------------------------

    def next_provisional_due(self) -> datetime | None:
        with self._rt.uow(readonly=True) as uow:
            until = uow.records.next_provisional_until()
        return None if until is None else start_of_day(until + timedelta(days=1))

    def expire_provisional(self, now: datetime) -> int:
        """`kit.mapping.expire_provisional`, documented on `MappingService`."""
        handled = 0
        with self._rt.uow() as uow:
            for interval in uow.records.provisional_ending_before(now.date()):
                assert interval.provisional_until is not None
                customer = load_customer(uow, interval.customer_id)
                plan = customer.plan(interval.product)
                if _paid_by(plan, interval.provisional_until):
                    uow.records.update(attrs.evolve(interval, status=MappingStatus.PERMANENT))
                else:
                    closed = self._records.end(
                        uow,
                        interval,
                        start_of_day(interval.provisional_until + timedelta(days=1)),
                        f"not upgraded to paid within {self._policy.provisional_months} "
                        "months of the mapping date",
                        "partnerkit",
                    )
                    self._records.publish_change(uow, closed, MappingExpired)
                handled += 1
        return handled

    def on_plan_changed(self, event: PlanChanged) -> None:
        """`kit.mapping.on_plan_changed`, documented on `MappingService`."""
        if event.edition is not Edition.PAID:
            return
        plan = ProductPlan(event.product, event.edition, event.since)
        with self._rt.uow() as uow:
            current = uow.records.current(event.customer_id, event.product)
            if (
                current is not None
                and current.status is MappingStatus.PROVISIONAL
                and _paid_by(plan, current.provisional_until)
            ):
                uow.records.update(attrs.evolve(current, status=MappingStatus.PERMANENT))


def _paid_by(plan: ProductPlan | None, deadline: date | None) -> bool:
    return (
        plan is not None
        and plan.edition is Edition.PAID
        and (deadline is None or plan.since <= deadline)
    )
