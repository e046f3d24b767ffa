"""The subscription catalog as values: plans (a product's price per billing period, with a
trial and a setup fee) and addons (recurring or one-time); coupons are `coupons.Coupon`."""

from __future__ import annotations

import enum
from datetime import datetime

import attrs

from partnerkit.money import Money
from partnerkit.subscriptions.periods import BillingPeriod, IntervalUnit

__all__ = ["Addon", "AddonKind", "Plan"]


@attrs.frozen
class Plan:
    """A plan of a product: what a subscription to it costs per billing period.

    Attributes:
        id: The plan's code, unique, such as "crm-pro-monthly".
        product: The catalog key of its product.
        name: Its name as customers read it.
        price: The price of one billing period.
        period_unit: The unit of the billing period.
        period_count: How many units one billing period is, 1 or more.
        setup_fee: Charged once, on the first invoice (zero for none).
        trial_unit: The unit of the trial period, or None for no trial.
        trial_count: How many units the trial is (0 without a trial).
        created_at: When it was created.
        version: Increases with each change.
    """

    id: str
    product: str
    name: str
    price: Money
    period_unit: IntervalUnit
    period_count: int
    setup_fee: Money
    created_at: datetime
    trial_unit: IntervalUnit | None = None
    trial_count: int = 0
    version: int = 1

    @property
    def period(self) -> BillingPeriod:
        """The billing period: every how long a term renews."""
        return BillingPeriod(self.period_unit, self.period_count)

    @property
    def trial(self) -> BillingPeriod | None:
        """The trial period, or None when the plan has no trial."""
        if self.trial_unit is None or not self.trial_count:
            return None
        return BillingPeriod(self.trial_unit, self.trial_count)

    @property
    def currency(self) -> str:
        """The plan's currency: its price's."""
        return self.price.currency


class AddonKind(enum.StrEnum):
    """How an addon is billed."""

    #: With every term, at the plan's billing period.
    RECURRING = "recurring"
    #: Once, on the first invoice it is on.
    ONE_TIME = "one_time"


@attrs.frozen
class Addon:
    """Something sold with a plan of the same product: extra seats, onboarding.

    Attributes:
        id: The addon's code, unique.
        product: The catalog key of its product.
        name: Its name as customers read it.
        price: The price of one, per term when recurring.
        kind: Recurring or one-time.
        created_at: When it was created.
        version: Increases with each change.
    """

    id: str
    product: str
    name: str
    price: Money
    kind: AddonKind
    created_at: datetime
    version: int = 1
