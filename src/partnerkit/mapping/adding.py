"""A partner adding an existing customer (000 seed): `AddingService`, which applies the one
mapping rule (`rules.decide_mapping`, around the 000 case table `decide_add`), and ends free
customers' provisional mappings after 3 months.

`kit.mapping.explain_add` and `add_customer` share the one decision, so what is explained is
what is done.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import attrs

from partnerkit.access import Principal, Role
from partnerkit.consent import ConsentKind, ConsentRequest
from partnerkit.customers.accounts import Customer, load_customer
from partnerkit.customers.events import PlanChanged
from partnerkit.customers.plans import Edition, ProductPlan
from partnerkit.mapping.history import RecordKeeper, shown
from partnerkit.mapping.partners import (
    Partner,
    authorised_product,
    load_partner,
    require_active,
    unseen_partner,
)
from partnerkit.mapping.policy import MappingPolicy, PartnerActivity
from partnerkit.mapping.ports import MappingStore
from partnerkit.mapping.records import Channel, MappingInterval, MappingStatus
from partnerkit.mapping.rules import (
    AddCase,
    AddDecision,
    MappingAction,
    MappingDecision,
    decide_add,
    decide_mapping,
)
from partnerkit.runtime import Runtime

__all__ = ["AddCase", "AddDecision", "AddResult", "AddingService", "decide_add"]


@attrs.frozen
class AddResult:
    """What `kit.mapping.add_customer` did.

    Attributes:
        decision: The rule that applied, and why (`decide_mapping`'s answer; it reads like an
            `AddDecision`).
        interval: The mapping made at once (cases 2 and 3), or the one already in force for the
            partner; None when the customer was asked.
        request: The approval request sent to the customer (case 1); None when mapped at once.
    """

    decision: MappingDecision
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
    ) -> MappingDecision:
        """`kit.mapping.explain_add`, documented on `MappingService`."""
        with self._rt.uow(readonly=True) as uow:
            principal = self._rt.guard.require_partner(
                actor, partner_id, unseen_partner(partner_id)
            )
            decision = self._decide(uow, partner_id, customer_id, product, record=False)[2]
            return _as_told(principal, decision)

    def add_customer(
        self, partner_id: str, customer_id: str, product: str, *, actor: Principal
    ) -> AddResult:
        """`kit.mapping.add_customer`, documented on `MappingService`."""
        guard = self._rt.guard
        with self._rt.uow() as uow:
            principal = guard.require_partner(actor, partner_id, unseen_partner(partner_id))
            partner, customer, decision, history = self._decide(
                uow, partner_id, customer_id, product, record=True
            )
            if self._policy.counts(PartnerActivity.PARTNER_ACTION):
                uow.partners.touch(partner.id, self._rt.now())
            if decision.action is MappingAction.ALREADY_MAPPED:
                current = uow.records.current(customer.id, decision.product)
                assert current is not None
                return AddResult(decision, interval=shown(guard, principal, current))
            if decision.action is MappingAction.AWAIT_APPROVAL:
                assert decision.pending_request_id is not None
                return AddResult(
                    _as_told(principal, decision),
                    request=uow.consents.get(decision.pending_request_id),
                )
            if decision.action is MappingAction.ASK_APPROVAL:
                request = self._records.request_consent(
                    uow,
                    ConsentKind.MAPPING_APPROVAL,
                    customer,
                    decision.product,
                    partner,
                    requested_by=principal.label,
                    valid_for=timedelta(days=self._policy.approval_valid_days),
                    template="mapping.approval_requested",
                    subject=f"{partner.name} asks to be your partner for {decision.product}",
                    body=(
                        f"{partner.name} says it works with you on {decision.product}. Approve "
                        "through the link to make it your partner; ignore this email otherwise."
                    ),
                )
                return AddResult(_as_told(principal, decision), request=request)
            interval = self._records.open_decided(
                uow,
                decision,
                partner,
                reason="; ".join(decision.reasons[:1]),
                by=principal.label,
                history=history,
            )
        return AddResult(decision, interval=interval)

    def _decide(
        self, uow: MappingStore, partner_id: str, customer_id: str, product: str, *, record: bool
    ) -> tuple[Partner, Customer, MappingDecision, list[MappingInterval] | None]:
        # Only the check: explain_add must not count as activity, add_customer touches later.
        partner = load_partner(uow, partner_id)
        require_active(partner)
        customer = load_customer(uow, customer_id)
        key = authorised_product(uow, partner, product)
        current = self._records.in_force(uow, customer.id, key, record=record)
        pending = uow.consents.pending(
            customer_id=customer.id, product=key, kind=ConsentKind.MAPPING_APPROVAL
        )
        # Only a free customer's add needs the earlier intervals (000 case 3 does not restart).
        history = (
            uow.records.history(customer.id, key)
            if current is None and not _is_paid(customer.plan(key))
            else None
        )
        decision = decide_mapping(
            Channel.PARTNER_ADDED,
            customer,
            key,
            partner,
            self._rt.now(),
            self._policy,
            current=current,
            pending=pending,
            history=history or (),
        )
        decision.raise_refusal()
        return partner, customer, decision, history

    # --- time-driven rules --------------------------------------------------------------------

    def next_provisional_due(self) -> datetime | None:
        with self._rt.uow(readonly=True) as uow:
            return uow.records.next_provisional_end()

    def expire_provisional(self, now: datetime) -> int:
        """`kit.mapping.expire_provisional`, documented on `MappingService`."""
        with self._rt.uow() as uow:
            ended = uow.records.provisional_ended_by(now)
            for interval in ended:
                self._records.expire(uow, interval)
        return len(ended)

    def on_plan_changed(self, event: PlanChanged) -> None:
        """`kit.mapping.on_plan_changed`, documented on `MappingService`."""
        if event.edition is not Edition.PAID:
            return
        plan = ProductPlan(event.product, event.edition, event.since)
        with self._rt.uow() as uow:
            current = self._records.in_force(uow, event.customer_id, event.product)
            if (
                current is not None
                and current.status is MappingStatus.PROVISIONAL
                and _paid_by(plan, current.provisional_until)
            ):
                uow.records.update(attrs.evolve(current, status=MappingStatus.PERMANENT))


def _is_paid(plan: ProductPlan | None) -> bool:
    return plan is not None and plan.edition is Edition.PAID


def _paid_by(plan: ProductPlan | None, deadline: date | None) -> bool:
    return (
        plan is not None
        and plan.edition is Edition.PAID
        and (deadline is None or plan.since <= deadline)
    )


def _as_told(principal: Principal, decision: MappingDecision) -> MappingDecision:
    """The decision as its reader may see it: a partner the customer is not yet of record
    for is not told the customer's billing dates (002 seed); staff and the system see all."""
    if principal.role is Role.PARTNER_USER and decision.action is not MappingAction.ALREADY_MAPPED:
        return decision.as_told_to_partner()
    return decision
