"""Subscriptions on SQL: plans, addons, coupons, subscriptions with their addons and coupons,
and billed periods. The renewal run claims due rows `FOR UPDATE SKIP LOCKED` (PostgreSQL and
MariaDB), so workers share the queue; the billed periods' primary key refuses a second invoice
for a subscription's period.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from partnerkit.backends.sql import schema as t
from partnerkit.backends.sql.base import SqlRepository, versioned_update
from partnerkit.backends.sql.codec import Children, RowCodec
from partnerkit.backends.sql.prepared import prepare
from partnerkit.subscriptions.catalog import Addon, Plan
from partnerkit.subscriptions.coupons import Coupon
from partnerkit.subscriptions.errors import (
    AddonTakenError,
    CouponTakenError,
    PeriodAlreadyBilledError,
    PlanTakenError,
)
from partnerkit.subscriptions.ports import BilledPeriod
from partnerkit.subscriptions.subscription import (
    Subscription,
    SubscriptionAddon,
    SubscriptionCoupon,
)

__all__ = [
    "SqlAddons",
    "SqlCoupons",
    "SqlPlans",
    "SqlSubscriptionPeriods",
    "SqlSubscriptions",
]

PLANS = RowCodec(Plan, t.plans)
ADDONS = RowCodec(Addon, t.addons)
COUPONS = RowCodec(Coupon, t.coupons, filled=("product", "redemptions"))
SUBSCRIPTIONS = RowCodec(
    Subscription,
    t.subscriptions,
    children={
        "addons": Children(t.subscription_addons, "subscription_id", SubscriptionAddon),
        "coupons": Children(t.subscription_coupons, "subscription_id", SubscriptionCoupon),
        "scheduled_addons": Children(
            t.subscription_scheduled_addons, "subscription_id", SubscriptionAddon
        ),
        "scheduled_coupons": Children(
            t.subscription_scheduled_coupons, "subscription_id", "coupon_id"
        ),
    },
)
PERIODS = RowCodec(BilledPeriod, t.subscription_periods)

# --- the catalog ------------------------------------------------------------------------------

_PLAN_BY_ID = sa.select(t.plans).where(t.plans.c.id == sa.bindparam("v"))
_PLANS_OF = sa.select(t.plans).where(t.plans.c.product == sa.bindparam("v")).order_by(t.plans.c.id)
_ADDON_BY_ID = sa.select(t.addons).where(t.addons.c.id == sa.bindparam("v"))
_ADDONS_BY_IDS = sa.select(t.addons).where(t.addons.c.id.in_(sa.bindparam("ids", expanding=True)))
_ADDONS_OF = (
    sa.select(t.addons).where(t.addons.c.product == sa.bindparam("v")).order_by(t.addons.c.id)
)
_COUPON_BY_ID = sa.select(t.coupons).where(t.coupons.c.id == sa.bindparam("v"))
_COUPONS_BY_IDS = sa.select(t.coupons).where(
    t.coupons.c.id.in_(sa.bindparam("ids", expanding=True))
)
_LOCK_COUPON = (
    sa.select(t.coupons.c.id).where(t.coupons.c.id == sa.bindparam("v")).with_for_update()
)
_REDEMPTIONS = sa.select(t.coupons.c.redemptions).where(t.coupons.c.id == sa.bindparam("v"))
_REDEEM = (
    t.coupons.update()
    .where(t.coupons.c.id == sa.bindparam("v"))
    .values(redemptions=t.coupons.c.redemptions + 1)
)
_COUPON_BY_CODE = sa.select(t.coupons).where(t.coupons.c.code == sa.bindparam("v"))
_COUPON_PRODUCT = sa.select(t.coupons.c.product).where(t.coupons.c.id == sa.bindparam("v"))
_COUPONS_OF = (
    sa.select(t.coupons).where(t.coupons.c.product == sa.bindparam("v")).order_by(t.coupons.c.code)
)

# Built once, run on the driver's cursor (see prepared.py).
prepare(
    _PLAN_BY_ID,
    _PLANS_OF,
    _ADDON_BY_ID,
    _ADDONS_OF,
    _COUPON_BY_ID,
    _LOCK_COUPON,
    _REDEMPTIONS,
    _COUPON_BY_CODE,
    _COUPON_PRODUCT,
    _COUPONS_OF,
)


class SqlPlans(SqlRepository):
    def add(self, plan: Plan) -> None:
        with self._unique(
            lambda: PlanTakenError(
                f"a plan with the code {plan.id!r} exists already", details={"plan": plan.id}
            ),
            taken=lambda: self.get(plan.id) is not None,
            single=True,
        ):
            self._tx.execute(PLANS.insert, PLANS.row(plan))

    def get(self, plan_id: str) -> Plan | None:
        return PLANS.one(self._tx.execute(_PLAN_BY_ID, {"v": plan_id}).first())

    def for_product(self, product: str) -> list[Plan]:
        return PLANS.many(self._tx.execute(_PLANS_OF, {"v": product}))


class SqlAddons(SqlRepository):
    def add(self, addon: Addon) -> None:
        with self._unique(
            lambda: AddonTakenError(
                f"an addon with the code {addon.id!r} exists already",
                details={"addon": addon.id},
            ),
            taken=lambda: self.get(addon.id) is not None,
            single=True,
        ):
            self._tx.execute(ADDONS.insert, ADDONS.row(addon))

    def get(self, addon_id: str) -> Addon | None:
        return ADDONS.one(self._tx.execute(_ADDON_BY_ID, {"v": addon_id}).first())

    def get_many(self, addon_ids: Sequence[str]) -> dict[str, Addon]:
        if not addon_ids:
            return {}
        rows = self._tx.execute(_ADDONS_BY_IDS, {"ids": sorted(set(addon_ids))})
        return {a.id: a for a in ADDONS.many(rows)}

    def for_product(self, product: str) -> list[Addon]:
        return ADDONS.many(self._tx.execute(_ADDONS_OF, {"v": product}))


class SqlCoupons(SqlRepository):
    def add(self, coupon: Coupon, *, product: str) -> None:
        def taken() -> bool:
            return self.get(coupon.id) is not None or self.by_code(coupon.code) is not None

        with self._unique(
            lambda: CouponTakenError(
                f"a coupon with the code {coupon.code!r} exists already",
                details={"coupon": coupon.code},
            ),
            taken=taken,
            single=True,
        ):
            self._tx.execute(COUPONS.insert, COUPONS.row(coupon, product=product, redemptions=0))

    def get(self, coupon_id: str, *, for_update: bool = False) -> Coupon | None:
        if for_update:
            self._tx.execute(_LOCK_COUPON, {"v": coupon_id})
        return COUPONS.one(self._tx.execute(_COUPON_BY_ID, {"v": coupon_id}).first())

    def get_many(self, coupon_ids: Sequence[str]) -> dict[str, Coupon]:
        if not coupon_ids:
            return {}
        rows = self._tx.execute(_COUPONS_BY_IDS, {"ids": sorted(set(coupon_ids))})
        return {c.id: c for c in COUPONS.many(rows)}

    def redemptions(self, coupon_id: str) -> int:
        found: int | None = self._tx.execute(_REDEMPTIONS, {"v": coupon_id}).scalar()
        return 0 if found is None else found

    def redeem(self, coupon_id: str) -> int:
        self._tx.execute(_REDEEM, {"v": coupon_id})
        return self.redemptions(coupon_id)

    def by_code(self, code: str) -> Coupon | None:
        return COUPONS.one(self._tx.execute(_COUPON_BY_CODE, {"v": code}).first())

    def product_of(self, coupon_id: str) -> str | None:
        found: str | None = self._tx.execute(_COUPON_PRODUCT, {"v": coupon_id}).scalar()
        return found

    def for_product(self, product: str) -> list[Coupon]:
        return COUPONS.many(self._tx.execute(_COUPONS_OF, {"v": product}))


# --- subscriptions ----------------------------------------------------------------------------

_sub = t.subscriptions
_SUBSCRIPTION_BY_ID = SUBSCRIPTIONS.aggregate.select(by_id="v")
_LOCK_SUBSCRIPTION = sa.select(_sub.c.id).where(_sub.c.id == sa.bindparam("v")).with_for_update()
_UPDATE_SUBSCRIPTION = versioned_update(_sub)
_SUBSCRIPTIONS_OF = SUBSCRIPTIONS.aggregate.select(
    _sub.c.customer_id == sa.bindparam("v"), order_by=(_sub.c.created_at,)
)
_SUBSCRIPTIONS_BY_IDS = SUBSCRIPTIONS.aggregate.select(
    _sub.c.id.in_(sa.bindparam("ids", expanding=True))
)
# The run's queue: earliest due first; a row another worker holds is skipped, not waited for
# (SQLite, which has one writer at a time, renders no locking clause).
_CLAIM_DUE = (
    sa.select(_sub.c.id)
    .where(_sub.c.due_at <= sa.bindparam("now", type_=t.UtcDateTime()))
    .order_by(_sub.c.due_at, _sub.c.id)
    .limit(sa.bindparam("limit"))
    .with_for_update(skip_locked=True)
)
_NEXT_DUE = sa.select(sa.func.min(_sub.c.due_at))

prepare(_SUBSCRIPTION_BY_ID, _LOCK_SUBSCRIPTION)


class SqlSubscriptions(SqlRepository):
    def add(self, subscription: Subscription) -> None:
        self._tx.execute(SUBSCRIPTIONS.insert, SUBSCRIPTIONS.row(subscription))
        self._insert_aggregate(SUBSCRIPTIONS, subscription)

    def get(self, subscription_id: str, *, for_update: bool = False) -> Subscription | None:
        if for_update:
            self._tx.execute(_LOCK_SUBSCRIPTION, {"v": subscription_id})
        found = self._load(SUBSCRIPTIONS, _SUBSCRIPTION_BY_ID, {"v": subscription_id})
        return found[0] if found else None

    def update(self, subscription: Subscription) -> Subscription:
        return self._update_aggregate(
            SUBSCRIPTIONS, _UPDATE_SUBSCRIPTION, subscription, "subscription"
        )

    def for_customer(self, customer_id: str) -> list[Subscription]:
        return self._load(SUBSCRIPTIONS, _SUBSCRIPTIONS_OF, {"v": customer_id})

    def _by_ids(self, ids: Sequence[str]) -> list[Subscription]:
        if not ids:
            return []
        found = {
            s.id: s for s in self._load(SUBSCRIPTIONS, _SUBSCRIPTIONS_BY_IDS, {"ids": list(ids)})
        }
        return [found[i] for i in ids if i in found]

    def claim_due(self, now: datetime, limit: int) -> list[Subscription]:
        rows = self._tx.execute(_CLAIM_DUE, {"now": now, "limit": limit})
        return self._by_ids([row[0] for row in rows])

    def next_due(self) -> datetime | None:
        value: datetime | None = self._tx.execute(_NEXT_DUE).scalar()
        return value


# --- billed periods ---------------------------------------------------------------------------

_per = t.subscription_periods
_PERIODS_OF = (
    sa.select(_per).where(_per.c.subscription_id == sa.bindparam("v")).order_by(_per.c.period_start)
)
_PERIOD = sa.select(_per.c.invoice_id).where(
    _per.c.subscription_id == sa.bindparam("subscription_id"),
    _per.c.period_start == sa.bindparam("period_start"),
)
_PERIODS_SINCE = (
    sa.select(_per)
    .where(
        _per.c.subscription_id == sa.bindparam("v"),
        _per.c.billed_at >= sa.bindparam("at", type_=t.UtcDateTime()),
    )
    .order_by(_per.c.period_start)
)
_PERIOD_ROW = sa.select(_per).where(
    _per.c.subscription_id == sa.bindparam("subscription_id"),
    _per.c.period_start == sa.bindparam("period_start"),
)
_RELEASE_PERIOD = _per.delete().where(
    _per.c.subscription_id == sa.bindparam("subscription_id"),
    _per.c.period_start == sa.bindparam("period_start"),
)
# PostgreSQL aborts the transaction on a unique violation, so a plain insert would need a
# savepoint around it (two more statements per renewal); a period billed already is skipped
# instead, and the skip (no row inserted) is the refusal.
_ADD_PERIOD_ONCE = (
    postgresql.insert(_per)
    .on_conflict_do_nothing(index_elements=[_per.c.subscription_id, _per.c.period_start])
    .execution_options(preserve_rowcount=True)  # SQLAlchemy's own path keeps an insert's count
)
prepare(_PERIODS_OF, _PERIOD_ROW, _RELEASE_PERIOD)
prepare(_ADD_PERIOD_ONCE, only="postgresql")


class SqlSubscriptionPeriods(SqlRepository):
    def add(self, period: BilledPeriod) -> None:
        def billed() -> PeriodAlreadyBilledError:
            return PeriodAlreadyBilledError(
                f"the period from {period.period_start.isoformat()} is invoiced already",
                details={
                    "subscription_id": period.subscription_id,
                    "period_start": period.period_start.isoformat(),
                },
            )

        if self._c.dialect.name == "postgresql":
            if self._tx.execute(_ADD_PERIOD_ONCE, PERIODS.row(period)).rowcount != 1:
                raise billed()
            return

        def taken() -> bool:
            params = {
                "subscription_id": period.subscription_id,
                "period_start": period.period_start,
            }
            return self._tx.execute(_PERIOD, params).first() is not None

        with self._unique(billed, taken=taken, single=True):
            self._tx.execute(PERIODS.insert, PERIODS.row(period))

    def for_subscription(self, subscription_id: str) -> list[BilledPeriod]:
        return PERIODS.many(self._tx.execute(_PERIODS_OF, {"v": subscription_id}))

    def get(self, subscription_id: str, period_start: date) -> BilledPeriod | None:
        params = {"subscription_id": subscription_id, "period_start": period_start}
        return PERIODS.one(self._tx.execute(_PERIOD_ROW, params).first())

    def billed_since(self, subscription_id: str, at: datetime) -> list[BilledPeriod]:
        return PERIODS.many(self._tx.execute(_PERIODS_SINCE, {"v": subscription_id, "at": at}))

    def release(self, subscription_id: str, period_start: date) -> None:
        params = {"subscription_id": subscription_id, "period_start": period_start}
        self._tx.execute(_RELEASE_PERIOD, params)
