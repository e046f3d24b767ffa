"""The subscriptions ports: a subscription with its addons and coupons reads back exactly and
updates by version, the due queue in `due_at` order, and one billed row per subscription and
period (a second is refused by the storage). One contract class per port."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import attrs
import pytest

from partnerkit.billing.invoices import Invoice, InvoiceLine, InvoiceStatus
from partnerkit.errors import ConcurrencyError
from partnerkit.money import Money
from partnerkit.ports import Backend
from partnerkit.stores import Store
from partnerkit.subscriptions.catalog import Plan
from partnerkit.subscriptions.errors import PeriodAlreadyBilledError, PlanTakenError
from partnerkit.subscriptions.lifecycle import SubscriptionStatus
from partnerkit.subscriptions.periods import IntervalUnit
from partnerkit.subscriptions.ports import BilledPeriod
from partnerkit.subscriptions.subscription import (
    Subscription,
    SubscriptionAddon,
    SubscriptionCoupon,
)
from partnerkit.testing.conformance._base import T0, ContractBase

__all__ = ["SubscriptionPeriodsContract", "SubscriptionsContract"]

_PLAN = Plan(
    "crm-pro", "crm", "CRM Pro", Money.of("30", "USD"), IntervalUnit.MONTH, 1,
    Money.zero("USD"), T0,
)  # fmt: skip


def _subscription(sid: str, due_days: int | None = 1) -> Subscription:
    return Subscription(
        id=sid,
        customer_id="cus_1",
        product="crm",
        plan_id="crm-pro",
        status=SubscriptionStatus.LIVE,
        start_date=date(2026, 1, 31),
        term_start=date(2026, 1, 31),
        term_end=date(2026, 2, 28),
        created_at=T0,
        created_by="team@vendor.example",
        anchor=date(2026, 1, 31),
        term_index=1,
        addons=(SubscriptionAddon("seats", 3), SubscriptionAddon("onboarding")),
        coupons=(SubscriptionCoupon("cpn_1"), SubscriptionCoupon("cpn_2", first_cycle=3)),
        due_at=None if due_days is None else T0 + timedelta(days=due_days),
    )


def _invoice(iid: str, sequence: int) -> Invoice:
    usd = Money.of("30", "USD")
    zero = Money.zero("USD")
    return Invoice(
        iid, "cus_1", f"INV-{sequence:06d}", sequence, date(2026, 1, 31), date(2026, 3, 2),
        (InvoiceLine("CRM Pro", Decimal(1), usd, zero),),
        InvoiceStatus.SENT, usd, zero, zero, usd, T0, "partnerkit",
    )  # fmt: skip


class SubscriptionsContract(ContractBase):
    """Plans by code (a second is refused); subscriptions with their addons and coupons read
    back exactly, update by version, and leave the due queue earliest first."""

    def test_a_subscription_reads_back_exactly_and_updates_by_version(
        self, backend: Backend[Store]
    ) -> None:
        self._program(backend)
        with backend.unit_of_work() as uow:
            uow.plans.add(_PLAN)
            uow.subscriptions.add(_subscription("sub_1"))
        with backend.unit_of_work() as uow:
            assert uow.plans.get("crm-pro") == _PLAN
            assert uow.plans.for_product("crm") == [_PLAN]
            with pytest.raises(PlanTakenError):
                uow.plans.add(_PLAN)
        with backend.unit_of_work() as uow:
            found = uow.subscriptions.get("sub_1", for_update=True)
            assert found == _subscription("sub_1")
            changed = attrs.evolve(found, addons=(SubscriptionAddon("seats", 5),), coupons=())
            updated = uow.subscriptions.update(changed)
            assert updated.version == 2
            with pytest.raises(ConcurrencyError):
                uow.subscriptions.update(found)
        with backend.unit_of_work() as uow:
            assert uow.subscriptions.get("sub_1") == updated
            assert uow.subscriptions.for_customer("cus_1") == [updated]
            assert uow.subscriptions.get("sub_404") is None

    def test_the_due_queue_is_earliest_first_and_bounded(self, backend: Backend[Store]) -> None:
        self._program(backend)
        with backend.unit_of_work() as uow:
            uow.plans.add(_PLAN)
            assert uow.subscriptions.next_due() is None
            uow.subscriptions.add(_subscription("sub_3", 3))
            uow.subscriptions.add(_subscription("sub_1", 1))
            uow.subscriptions.add(_subscription("sub_2", 2))
            uow.subscriptions.add(_subscription("sub_9", None))
        with backend.unit_of_work() as uow:
            assert uow.subscriptions.next_due() == T0 + timedelta(days=1)
            due = uow.subscriptions.claim_due(T0 + timedelta(days=2), 10)
            assert [s.id for s in due] == ["sub_1", "sub_2"]
            assert [s.id for s in uow.subscriptions.claim_due(T0 + timedelta(days=9), 1)] == [
                "sub_1"
            ]


class SubscriptionPeriodsContract(ContractBase):
    """One billed row per subscription and period: the second is refused by the storage, and
    the transaction goes on."""

    def test_a_period_is_billed_once(self, backend: Backend[Store]) -> None:
        self._program(backend)
        with backend.unit_of_work() as uow:
            uow.plans.add(_PLAN)
            uow.subscriptions.add(_subscription("sub_1"))
            uow.invoices.add(_invoice("inv_1", 1))
            uow.invoices.add(_invoice("inv_2", 2))
            first = BilledPeriod("sub_1", date(2026, 1, 31), date(2026, 2, 28), "inv_1", T0)
            uow.subscription_periods.add(first)
        with backend.unit_of_work() as uow:
            with pytest.raises(PeriodAlreadyBilledError):
                uow.subscription_periods.add(attrs.evolve(first, invoice_id="inv_2"))
            second = BilledPeriod("sub_1", date(2026, 2, 28), date(2026, 3, 31), "inv_2", T0)
            uow.subscription_periods.add(second)
        with backend.unit_of_work() as uow:
            assert uow.subscription_periods.for_subscription("sub_1") == [first, second]
