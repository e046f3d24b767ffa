"""Subscriptions in memory: plans, addons, coupons, subscriptions and billed periods, each with
the indexes its queries read; the due index orders subscriptions by `due_at`, and the billed
periods' unique index is the "one invoice per subscription and period" rule.

Units of work run one at a time in memory: every read is as good as locked.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import attrs

from partnerkit.backends.memory._table import ALL, Index, Table, UndoLog, Unique
from partnerkit.subscriptions.catalog import Addon, Plan
from partnerkit.subscriptions.coupons import Coupon
from partnerkit.subscriptions.errors import (
    AddonTakenError,
    CouponTakenError,
    PeriodAlreadyBilledError,
    PlanTakenError,
)
from partnerkit.subscriptions.ports import BilledPeriod
from partnerkit.subscriptions.subscription import Subscription

__all__ = [
    "MemoryAddons",
    "MemoryCoupons",
    "MemoryPlans",
    "MemorySubscriptionPeriods",
    "MemorySubscriptions",
]


_BY_PRODUCT: dict[str, Index[Any]] = {
    "by_product": Index(key=lambda r: r.product, order=lambda r: (r.id,))
}


class MemoryPlans:
    def __init__(self, log: UndoLog) -> None:
        self._t: Table[Plan] = Table(
            log,
            "plan",
            key=lambda p: p.id,
            taken=lambda p: PlanTakenError(
                f"a plan with the code {p.id!r} exists already", details={"plan": p.id}
            ),
            indexes=_BY_PRODUCT,
        )

    def add(self, plan: Plan) -> None:
        self._t.insert(plan)

    def get(self, plan_id: str) -> Plan | None:
        return self._t.get(plan_id)

    def for_product(self, product: str) -> list[Plan]:
        return self._t.index("by_product").rows(product)


class MemoryAddons:
    def __init__(self, log: UndoLog) -> None:
        self._t: Table[Addon] = Table(
            log,
            "addon",
            key=lambda a: a.id,
            taken=lambda a: AddonTakenError(
                f"an addon with the code {a.id!r} exists already", details={"addon": a.id}
            ),
            indexes=_BY_PRODUCT,
        )

    def add(self, addon: Addon) -> None:
        self._t.insert(addon)

    def get(self, addon_id: str) -> Addon | None:
        return self._t.get(addon_id)

    def get_many(self, addon_ids: Sequence[str]) -> dict[str, Addon]:
        found = ((i, self._t.get(i)) for i in addon_ids)
        return {i: a for i, a in found if a is not None}

    def for_product(self, product: str) -> list[Addon]:
        return self._t.index("by_product").rows(product)


@attrs.frozen
class _ProductCoupon:
    id: str
    code: str
    product: str
    coupon: Coupon
    redemptions: int = 0


def _coupon_taken(row: _ProductCoupon, _: Any) -> CouponTakenError:
    return CouponTakenError(
        f"a coupon with the code {row.code!r} exists already", details={"coupon": row.code}
    )


class MemoryCoupons:
    def __init__(self, log: UndoLog) -> None:
        self._t: Table[_ProductCoupon] = Table(
            log,
            "coupon",
            key=lambda c: c.id,
            taken=lambda c: _coupon_taken(c, None),
            unique={"code": Unique(key=lambda c: c.code, taken=_coupon_taken)},
            indexes={
                "by_product": Index(key=lambda c: c.product, order=lambda c: (c.code,)),
            },
        )

    def add(self, coupon: Coupon, *, product: str) -> None:
        self._t.insert(_ProductCoupon(coupon.id, coupon.code, product, coupon))

    def get(self, coupon_id: str, *, for_update: bool = False) -> Coupon | None:
        found = self._t.get(coupon_id)
        return None if found is None else found.coupon

    def get_many(self, coupon_ids: Sequence[str]) -> dict[str, Coupon]:
        found = ((i, self._t.get(i)) for i in coupon_ids)
        return {i: c.coupon for i, c in found if c is not None}

    def redemptions(self, coupon_id: str) -> int:
        found = self._t.get(coupon_id)
        return 0 if found is None else found.redemptions

    def redeem(self, coupon_id: str) -> int:
        found = self._t.get(coupon_id)
        if found is None:
            return 0
        self._t.put(attrs.evolve(found, redemptions=found.redemptions + 1))
        return found.redemptions + 1

    def by_code(self, code: str) -> Coupon | None:
        found = self._t.get_unique("code", code)
        return None if found is None else found.coupon

    def product_of(self, coupon_id: str) -> str | None:
        found = self._t.get(coupon_id)
        return None if found is None else found.product

    def for_product(self, product: str) -> list[Coupon]:
        return [c.coupon for c in self._t.index("by_product").rows(product)]


class MemorySubscriptions:
    def __init__(self, log: UndoLog) -> None:
        self._t: Table[Subscription] = Table(
            log,
            "subscription",
            key=lambda s: s.id,
            indexes={
                "by_customer": Index(
                    key=lambda s: s.customer_id, order=lambda s: (s.created_at, s.id)
                ),
                "due": Index(
                    order=lambda s: (s.due_at, s.id), where=lambda s: s.due_at is not None
                ),
            },
        )

    def add(self, subscription: Subscription) -> None:
        self._t.insert(subscription)

    def get(self, subscription_id: str, *, for_update: bool = False) -> Subscription | None:
        return self._t.get(subscription_id)

    def update(self, subscription: Subscription) -> Subscription:
        return self._t.update(subscription)

    def for_customer(self, customer_id: str) -> list[Subscription]:
        return self._t.index("by_customer").rows(customer_id)

    def claim_due(self, now: datetime, limit: int) -> list[Subscription]:
        found: list[Subscription] = []
        for subscription in self._t.index("due").ascending(ALL):
            assert subscription.due_at is not None
            if subscription.due_at > now or len(found) >= limit:
                break
            found.append(subscription)
        return found

    def next_due(self) -> datetime | None:
        first = self._t.index("due").first(ALL)
        return None if first is None else first.due_at


def _period_billed(period: BilledPeriod, _: Any) -> PeriodAlreadyBilledError:
    return PeriodAlreadyBilledError(
        f"the period from {period.period_start.isoformat()} is invoiced already",
        details={
            "subscription_id": period.subscription_id,
            "period_start": period.period_start.isoformat(),
        },
    )


class MemorySubscriptionPeriods:
    def __init__(self, log: UndoLog) -> None:
        self._t: Table[BilledPeriod] = Table(
            log,
            "subscription period",
            # The key is the rule: one invoice per subscription and period.
            key=lambda p: (p.subscription_id, p.period_start),
            taken=lambda p: _period_billed(p, None),
            indexes={
                "by_subscription": Index(
                    key=lambda p: p.subscription_id, order=lambda p: (p.period_start,)
                )
            },
        )

    def add(self, period: BilledPeriod) -> None:
        self._t.insert(period)

    def for_subscription(self, subscription_id: str) -> list[BilledPeriod]:
        return self._t.index("by_subscription").rows(subscription_id)

    def get(self, subscription_id: str, period_start: date) -> BilledPeriod | None:
        return self._t.get((subscription_id, period_start))

    def billed_since(self, subscription_id: str, at: datetime) -> list[BilledPeriod]:
        return [
            p for p in self._t.index("by_subscription").rows(subscription_id) if p.billed_at >= at
        ]

    def release(self, subscription_id: str, period_start: date) -> None:
        if self._t.get((subscription_id, period_start)) is not None:
            self._t.delete((subscription_id, period_start))
