"""The subscription as a value: its plan, addons and coupons, its current term, auto-charge and
the renewal charge it waits on; and `due_at`, the one instant `run_due` looks at it next."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import attrs

from partnerkit.subscriptions.lifecycle import ENDED, SubscriptionStatus

__all__ = ["Subscription", "SubscriptionAddon", "due_at", "start_of"]


def start_of(day: date) -> datetime:
    """The first instant of a business day (UTC): when what falls due on that day is due.

    Args:
        day: The day.

    Returns:
        Midnight UTC at its start.

    Raises nothing.
    """
    return datetime.combine(day, time(0), tzinfo=UTC)


@attrs.frozen
class SubscriptionAddon:
    """An addon on a subscription, and how many of it.

    Attributes:
        addon_id: The addon's code.
        quantity: How many, 1 or more.
    """

    addon_id: str
    quantity: int = 1


@attrs.frozen
class Subscription:
    """A customer's subscription to a plan of a product.

    Terms run from `term_start` to `term_end` (exclusive); paid terms step from `anchor` by the
    plan's period, so a term that starts on 31 January ends on 28 (or 29) February.

    Attributes:
        id: The subscription's id.
        customer_id: The customer subscribed.
        product: The catalog key of the plan's product.
        plan_id: The plan's code.
        status: Where it stands (`SubscriptionStatus`).
        start_date: The day it starts (or started).
        term_start: The first day of the current term (or of the trial).
        term_end: The day after the current term (or the trial) ends.
        anchor: The first day of the first paid term; None before it goes live.
        term_index: Which paid term is current, from 0 at `anchor`.
        trial_end: The day the trial ends (the day after its last), or None without one.
        trial_extended: Whether the trial was extended already (only once).
        expired_at_trial_end: Whether it expired because the trial end could not be charged.
        auto_charge: Whether renewals are charged to `payment_method_id`.
        payment_method_id: The saved payment method auto-charge uses, or None.
        previous_status: The status before a scheduled cancellation (what removing it restores).
        addons: The addons on it.
        coupons: The codes of the coupons applied.
        cycles_billed: How many terms were invoiced (coupon durations count them).
        unpaid_invoice_id: The renewal invoice auto-charge still tries to collect, or None.
        charge_at: When the next charge of that invoice is due, or None.
        charge_attempts: Charges of that invoice that failed so far.
        first_failure_at: When the first of them failed.
        due_at: When `run_due` next has something to do with it (None: nothing, ever).
        created_at: When it was created.
        created_by: Who created it (the principal's label).
        cancelled_at: When it was cancelled, or None.
        expired_at: When it expired, or None.
        version: Increases with each change.
    """

    id: str
    customer_id: str
    product: str
    plan_id: str
    status: SubscriptionStatus
    start_date: date
    term_start: date
    term_end: date
    created_at: datetime
    created_by: str
    anchor: date | None = None
    term_index: int = 0
    trial_end: date | None = None
    trial_extended: bool = False
    expired_at_trial_end: bool = False
    auto_charge: bool = False
    payment_method_id: str | None = None
    previous_status: SubscriptionStatus | None = None
    addons: tuple[SubscriptionAddon, ...] = ()
    coupons: tuple[str, ...] = ()
    cycles_billed: int = 0
    unpaid_invoice_id: str | None = None
    charge_at: datetime | None = None
    charge_attempts: int = 0
    first_failure_at: datetime | None = None
    due_at: datetime | None = None
    cancelled_at: datetime | None = None
    expired_at: datetime | None = None
    version: int = 1

    @property
    def trial_extendable(self) -> bool:
        """Whether the trial may be extended: it expired at its end because it could not be
        charged, and was not extended before (003 seed, "Extend Trials")."""
        return (
            self.status is SubscriptionStatus.EXPIRED
            and self.expired_at_trial_end
            and not self.trial_extended
        )

    @property
    def is_ended(self) -> bool:
        """Whether it is cancelled or expired."""
        return self.status in ENDED

    def scheduled(self) -> Subscription:
        """The same subscription with `due_at` recomputed from its fields.

        Returns:
            The subscription, `due_at` set.

        Raises nothing.
        """
        return attrs.evolve(self, due_at=due_at(self))


def due_at(subscription: Subscription) -> datetime | None:
    """When `run_due` next has something to do with the subscription: its start, the end of
    its term or trial, or a charge to retry, whichever is first; None once it has ended.

    Args:
        subscription: The subscription.

    Returns:
        The instant, or None.

    Raises nothing.
    """
    status = subscription.status
    if status in ENDED or status is SubscriptionStatus.PAUSED:
        return None
    if status is SubscriptionStatus.FUTURE:
        return start_of(subscription.start_date)
    charge = subscription.charge_at
    if status is SubscriptionStatus.TRIAL and subscription.unpaid_invoice_id is not None:
        return charge  # the trial's end waits on its charge
    end = start_of(subscription.term_end)
    return end if charge is None or end <= charge else charge
