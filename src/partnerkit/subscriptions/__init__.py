"""Subscriptions: plans, addons and coupons, the lifecycle, trials, cancellation, auto-charge,
edits, pause and resume, reactivation, renewals and dunning (`kit.subscriptions`).

`install()` wires the service, its policy and the due job that starts, renews, charges and
retries into a kit.
"""

from __future__ import annotations

from partnerkit.billing.service import BillingService
from partnerkit.customers.accounts import CustomersService
from partnerkit.subscriptions.catalog import Addon, AddonKind, Plan
from partnerkit.subscriptions.changes import ChangePreview
from partnerkit.subscriptions.charges import ChargesSummary
from partnerkit.subscriptions.lifecycle import (
    TRANSITIONS,
    SubscriptionAction,
    SubscriptionStatus,
    allowed_actions,
    transition,
    transition_table,
)
from partnerkit.subscriptions.policy import SubscriptionPolicy
from partnerkit.subscriptions.ports import BilledPeriod, SubscriptionsStore
from partnerkit.subscriptions.service import SubscriptionsService
from partnerkit.subscriptions.subscription import (
    Subscription,
    SubscriptionAddon,
    SubscriptionCoupon,
)
from partnerkit.wiring import Wiring

__all__ = [
    "TRANSITIONS",
    "Addon",
    "AddonKind",
    "BilledPeriod",
    "ChangePreview",
    "ChargesSummary",
    "Plan",
    "Subscription",
    "SubscriptionAction",
    "SubscriptionAddon",
    "SubscriptionCoupon",
    "SubscriptionPolicy",
    "SubscriptionStatus",
    "SubscriptionsService",
    "allowed_actions",
    "install",
    "transition",
    "transition_table",
]


def install(
    wiring: Wiring[SubscriptionsStore],
    *,
    billing: BillingService,
    customers: CustomersService,
) -> SubscriptionsService:
    """Wire subscriptions into a kit: `kit.subscriptions` and the due job that starts future
    subscriptions, ends trials, renews terms, charges and retries.

    Args:
        wiring: The kit's wiring.
        billing: The billing service every invoice and charge goes through.
        customers: The customers service that records the paid and free facts.

    Returns:
        The service.

    Raises nothing.
    """
    service = SubscriptionsService(
        wiring.runtime,
        wiring.policy(SubscriptionPolicy),
        billing=billing,
        customers=customers,
    )
    # After consent expiry, before the provisional mappings: a trial that goes live today makes
    # the customer paid before the 3-month rule looks (000 seed), and before billing's jobs.
    wiring.add_job("subscriptions", service.next_due, service.run_due, order=150)
    return service
