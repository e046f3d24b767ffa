"""What subscriptions need from storage: the catalog's plans, addons and coupons, the
subscriptions, and the periods billed; and its slice of the unit of work.

A coupon's redemptions are counted on its row, under its lock (`get(..., for_update=True)`), so
two customers cannot both take its last one.

"One invoice per subscription and period" is a storage fact: `SubscriptionPeriods.add` refuses
a second row for the same (subscription, period start), written in the transaction of the
invoice. The renewal run claims due subscriptions with `claim_due`, which locks them and, on
PostgreSQL, skips the ones another worker holds.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Protocol

import attrs

from partnerkit.billing.ports import BillingStore

if TYPE_CHECKING:
    from partnerkit.subscriptions.catalog import Addon, Plan
    from partnerkit.subscriptions.coupons import Coupon
    from partnerkit.subscriptions.subscription import Subscription

__all__ = [
    "Addons",
    "BilledPeriod",
    "Coupons",
    "Plans",
    "SubscriptionPeriods",
    "Subscriptions",
    "SubscriptionsStore",
]


@attrs.frozen
class BilledPeriod:
    """One period of a subscription and the invoice that billed it.

    Attributes:
        subscription_id: The subscription.
        period_start: The period's first day.
        period_end: The day after its last.
        invoice_id: The invoice that billed it.
        billed_at: When.
    """

    subscription_id: str
    period_start: date
    period_end: date
    invoice_id: str
    billed_at: datetime


class Plans(Protocol):
    def add(self, plan: Plan) -> None:
        """Store a new plan; raises PlanTakenError when its code is taken."""

    def get(self, plan_id: str) -> Plan | None: ...

    def for_product(self, product: str) -> list[Plan]:
        """The product's plans, by code."""


class Addons(Protocol):
    def add(self, addon: Addon) -> None:
        """Store a new addon; raises AddonTakenError when its code is taken."""

    def get(self, addon_id: str) -> Addon | None: ...

    def get_many(self, addon_ids: Sequence[str]) -> dict[str, Addon]:
        """The addons with these codes, by code (a missing one is left out)."""

    def for_product(self, product: str) -> list[Addon]:
        """The product's addons, by code."""


class Coupons(Protocol):
    def add(self, coupon: Coupon, *, product: str) -> None:
        """Store a new coupon of a product; raises CouponTakenError when its id or its code
        is taken."""

    def get(self, coupon_id: str, *, for_update: bool = False) -> Coupon | None:
        """The coupon; `for_update=True` locks it (and its redemption count) for the rest of
        the transaction."""

    def get_many(self, coupon_ids: Sequence[str]) -> dict[str, Coupon]:
        """The coupons with these ids, by id (a missing one is left out), unlocked."""

    def redemptions(self, coupon_id: str) -> int:
        """How many times the coupon was applied (0 for an unknown coupon)."""

    def redeem(self, coupon_id: str) -> int:
        """Count one more application of the coupon; the count afterwards. The caller holds
        the coupon's lock and has checked its limit."""

    def by_code(self, code: str) -> Coupon | None:
        """The coupon customers know by `code`."""

    def product_of(self, coupon_id: str) -> str | None:
        """The product the coupon is for."""

    def for_product(self, product: str) -> list[Coupon]:
        """The product's coupons, by code."""


class Subscriptions(Protocol):
    def add(self, subscription: Subscription) -> None:
        """Store a new subscription with its addons and coupons."""

    def get(self, subscription_id: str, *, for_update: bool = False) -> Subscription | None:
        """The subscription; `for_update=True` locks it for the rest of the transaction."""

    def update(self, subscription: Subscription) -> Subscription:
        """Store it if the stored version is `subscription.version`; return it at + 1.
        Raises ConcurrencyError on a stale version."""

    def for_customer(self, customer_id: str) -> list[Subscription]:
        """The customer's subscriptions, oldest first."""

    def claim_due(self, now: datetime, limit: int) -> list[Subscription]:
        """At most `limit` subscriptions due at or before `now`, earliest due first, locked
        for the rest of the transaction; on PostgreSQL, rows another transaction holds are
        skipped (`FOR UPDATE SKIP LOCKED`), so several workers share the run."""

    def next_due(self) -> datetime | None:
        """The earliest `due_at` of any subscription; None when none is due ever."""


class SubscriptionPeriods(Protocol):
    def add(self, period: BilledPeriod) -> None:
        """Record a billed period; raises PeriodAlreadyBilledError when the subscription's
        period with that start was billed already (a unique key, not a read)."""

    def for_subscription(self, subscription_id: str) -> list[BilledPeriod]:
        """The subscription's billed periods, by start."""

    def get(self, subscription_id: str, period_start: date) -> BilledPeriod | None:
        """The subscription's billed period that starts on `period_start`."""

    def billed_since(self, subscription_id: str, at: datetime) -> list[BilledPeriod]:
        """The subscription's periods billed at or after an instant, by start."""

    def release(self, subscription_id: str, period_start: date) -> None:
        """Free a period none of whose days stays billed: its invoice voided before anything
        was delivered (a trial that expired because its end could not be charged), or every
        day of it credited (a term paused or reactivated on its first day). It may be billed
        again."""


class SubscriptionsStore(BillingStore, Protocol):
    """Subscriptions' repositories, and the billing, accounts and catalog they bill through."""

    @property
    def plans(self) -> Plans: ...

    @property
    def addons(self) -> Addons: ...

    @property
    def coupons(self) -> Coupons: ...

    @property
    def subscriptions(self) -> Subscriptions: ...

    @property
    def subscription_periods(self) -> SubscriptionPeriods: ...
