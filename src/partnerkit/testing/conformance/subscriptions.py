"""The subscriptions ports: a subscription with its addons, coupons, pause schedule and scheduled
change reads back exactly and updates by version, the due queue in `due_at` order, a coupon's
redemptions counted on it (and rolled back with their transaction), and one billed row per
subscription and period (a second is refused by the storage). One contract class per port."""

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
from partnerkit.subscriptions.catalog import Addon, AddonKind, Plan
from partnerkit.subscriptions.coupons import Coupon, DiscountKind
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

__all__ = ["CouponsContract", "SubscriptionPeriodsContract", "SubscriptionsContract"]

_PLAN = Plan(
    "crm-pro", "crm", "CRM Pro", Money.of("30", "USD"), IntervalUnit.MONTH, 1,
    Money.zero("USD"), T0,
)  # fmt: skip


_BIZ = attrs.evolve(_PLAN, id="crm-biz", name="CRM Business")

_SEATS = Addon("seats", "crm", "Seats", Money.of("5", "USD"), AddonKind.RECURRING, T0)
_ONBOARDING = Addon(
    "onboarding", "crm", "Onboarding", Money.of("100", "USD"), AddonKind.ONE_TIME, T0
)

_COUPON = Coupon.create(
    id="cpn_1", code="HALF", name="Half off", kind=DiscountKind.PERCENTAGE, percentage=50,
    max_redemptions=2,
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
        # Not the default: a backend that drops the calendar reads "UTC" back.
        time_zone="Asia/Tokyo",
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
    """Plans by code (a second is refused), addons by code, one or many at once;
    subscriptions with their addons and coupons read back exactly, update by version, and
    leave the due queue earliest first."""

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

    def test_addons_are_read_by_code_one_at_a_time_or_many_at_once(
        self, backend: Backend[Store]
    ) -> None:
        self._program(backend)
        with backend.unit_of_work() as uow:
            uow.addons.add(_SEATS)
            uow.addons.add(_ONBOARDING)
        with backend.unit_of_work(readonly=True) as uow:
            assert uow.addons.get("seats") == _SEATS
            assert uow.addons.for_product("crm") == [_ONBOARDING, _SEATS]
            # A renewal batch reads its subscriptions' addons in one go: each found once,
            # by code, a missing one left out.
            assert uow.addons.get_many(["seats", "nope", "onboarding", "seats"]) == {
                "seats": _SEATS,
                "onboarding": _ONBOARDING,
            }
            assert uow.addons.get_many(["nope"]) == {}
            assert uow.addons.get_many([]) == {}

    def test_a_pause_and_a_scheduled_change_read_back_and_clear(
        self, backend: Backend[Store]
    ) -> None:
        self._program(backend)
        with backend.unit_of_work() as uow:
            uow.plans.add(_PLAN)
            uow.plans.add(_BIZ)
            scheduled = attrs.evolve(
                _subscription("sub_1"),
                pause_on=date(2026, 2, 10),
                resume_on=date(2026, 3, 1),
                scheduled_plan_id="crm-biz",
                scheduled_addons=(SubscriptionAddon("seats", 7),),
                scheduled_coupons=("cpn_2", "cpn_1"),
            )
            uow.subscriptions.add(scheduled)
        with backend.unit_of_work() as uow:
            found = uow.subscriptions.get("sub_1", for_update=True)
            assert found == scheduled and found.has_scheduled_change
            cleared = attrs.evolve(
                found,
                pause_on=None,
                resume_on=None,
                scheduled_plan_id=None,
                scheduled_addons=(),
                scheduled_coupons=(),
            )
            updated = uow.subscriptions.update(cleared)
        with backend.unit_of_work() as uow:
            assert uow.subscriptions.get("sub_1") == updated
            assert not updated.has_scheduled_change and updated.pause_schedule is None

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


class CouponsContract(ContractBase):
    """A coupon's redemptions are counted on it, under its lock, and a rolled-back transaction
    takes its count back with it; coupons read many at once by id."""

    def test_redemptions_are_counted_on_the_coupon(self, backend: Backend[Store]) -> None:
        self._program(backend)
        with backend.unit_of_work() as uow:
            uow.coupons.add(_COUPON, product="crm")
        with backend.unit_of_work() as uow:
            assert uow.coupons.get("cpn_1", for_update=True) == _COUPON
            assert uow.coupons.redemptions("cpn_1") == 0
            assert uow.coupons.redeem("cpn_1") == 1
        with pytest.raises(RuntimeError), backend.unit_of_work() as uow:
            uow.coupons.get("cpn_1", for_update=True)
            uow.coupons.redeem("cpn_1")
            raise RuntimeError("roll back")
        with backend.unit_of_work() as uow:
            assert uow.coupons.redemptions("cpn_1") == 1
            assert uow.coupons.redeem("cpn_1") == 2
            assert uow.coupons.redemptions("cpn_404") == 0
            assert uow.coupons.get("cpn_1") == _COUPON  # the count is not the coupon's value

    def test_coupons_are_read_many_at_once_by_id(self, backend: Backend[Store]) -> None:
        self._program(backend)
        other = attrs.evolve(_COUPON, id="cpn_2", code="TENOFF", name="Ten off")
        with backend.unit_of_work() as uow:
            uow.coupons.add(_COUPON, product="crm")
            uow.coupons.add(other, product="books")
            uow.coupons.get("cpn_1", for_update=True)
            uow.coupons.redeem("cpn_1")
        with backend.unit_of_work(readonly=True) as uow:
            assert uow.coupons.get_many(["cpn_2", "cpn_404", "cpn_1", "cpn_2"]) == {
                "cpn_1": _COUPON,  # as `get` gives it: the count is not the coupon's value
                "cpn_2": other,
            }
            assert uow.coupons.get_many(["cpn_404"]) == {}
            assert uow.coupons.get_many([]) == {}


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
            assert uow.subscription_periods.get("sub_1", date(2026, 2, 28)) == second
            assert uow.subscription_periods.get("sub_1", date(2026, 2, 27)) is None
            assert uow.subscription_periods.billed_since("sub_1", T0) == [first, second]
            later = T0 + timedelta(seconds=1)
            assert uow.subscription_periods.billed_since("sub_1", later) == []

    def test_a_released_period_may_be_billed_again(self, backend: Backend[Store]) -> None:
        self._program(backend)
        voided = BilledPeriod("sub_1", date(2026, 1, 31), date(2026, 2, 28), "inv_1", T0)
        with backend.unit_of_work() as uow:
            uow.plans.add(_PLAN)
            uow.subscriptions.add(_subscription("sub_1"))
            uow.invoices.add(_invoice("inv_1", 1))
            uow.invoices.add(_invoice("inv_2", 2))
            uow.subscription_periods.add(voided)
        with backend.unit_of_work() as uow:
            uow.subscription_periods.release("sub_1", date(2026, 1, 31))
            uow.subscription_periods.release("sub_1", date(2026, 3, 31))  # none: no error
            assert uow.subscription_periods.get("sub_1", date(2026, 1, 31)) is None
            again = attrs.evolve(voided, invoice_id="inv_2")
            uow.subscription_periods.add(again)
        with backend.unit_of_work(readonly=True) as uow:
            assert uow.subscription_periods.for_subscription("sub_1") == [again]
