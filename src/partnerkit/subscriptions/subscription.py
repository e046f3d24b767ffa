"""The subscription as a value: its plan, addons and coupons, its current term, auto-charge and
the renewal charge it waits on; and `due_at`, the one instant `run_due` looks at it next."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, date, datetime, tzinfo

import attrs

from partnerkit.clock import local_day, start_of_local_day
from partnerkit.subscriptions.lifecycle import ENDED, SubscriptionStatus
from partnerkit.subscriptions.pausing import PauseSchedule

__all__ = ["Subscription", "SubscriptionAddon", "SubscriptionCoupon", "due_at", "start_of"]


def start_of(day: date, zone: tzinfo = UTC) -> datetime:
    """The first instant of a business day: when what falls due on that day is due.

    Args:
        day: The day.
        zone: The calendar the day is in (a subscription's `zone`); UTC unless told.

    Returns:
        Midnight at its start there, in UTC (01:00 where clocks skip midnight).

    Raises nothing.
    """
    return start_of_local_day(day, zone)


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
class SubscriptionCoupon:
    """A coupon applied to a subscription, and the billed term it was applied on: its duration
    (once, some cycles) counts from that term, so a coupon added by an edit lasts as long as
    one applied at the start.

    Attributes:
        coupon_id: The coupon's id.
        first_cycle: The first billed term it applies to, 1 for the subscription's first.
    """

    coupon_id: str
    first_cycle: int = 1

    def cycle(self, billed_cycle: int) -> int:
        """Which of the coupon's own terms a billed term of the subscription is.

        Args:
            billed_cycle: The subscription's billed term, 1 for its first.

        Returns:
            1 on the term it was applied on; 0 or less before it.

        Raises nothing.
        """
        return billed_cycle - self.first_cycle + 1


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
        coupons: The coupons applied, each with the billed term it was applied on.
        cycles_billed: How many terms were invoiced (coupon durations count them).
        pause_on: The first day of a scheduled (or running) pause, or None.
        resume_on: The day the pause ends, or None to stay paused until resumed.
        scheduled_plan_id: The plan a change scheduled for the end of the term moves to; None
            when no change is scheduled.
        scheduled_addons: The addons after that change.
        scheduled_coupons: The ids of the coupons after that change.
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
        time_zone: The calendar its days are in: the customer's time zone when it was
            created (their own, else the organisation's). Its terms start, renew and pause at
            midnight there, and its invoices name those days.
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
    coupons: tuple[SubscriptionCoupon, ...] = ()
    cycles_billed: int = 0
    pause_on: date | None = None
    resume_on: date | None = None
    scheduled_plan_id: str | None = None
    scheduled_addons: tuple[SubscriptionAddon, ...] = ()
    scheduled_coupons: tuple[str, ...] = ()
    unpaid_invoice_id: str | None = None
    charge_at: datetime | None = None
    charge_attempts: int = 0
    first_failure_at: datetime | None = None
    due_at: datetime | None = None
    cancelled_at: datetime | None = None
    expired_at: datetime | None = None
    version: int = 1
    time_zone: str = "UTC"

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        """The calendar its days are in, as a time zone."""
        return zoneinfo.ZoneInfo(self.time_zone)

    def day_of(self, instant: datetime) -> date:
        """The day an instant falls on in the subscription's calendar.

        Args:
            instant: An aware instant.

        Returns:
            The day there.

        Raises:
            InvalidInputError: `instant` is naive or not a datetime (`validation.invalid`).
        """
        return local_day(instant, self.zone)

    @property
    def trial_charge_pending(self) -> bool:
        """Whether the trial's end was charged and the gateway's answer is awaited: the answer
        decides between live and expired, so a person's move on the trial waits for it."""
        return self.status is SubscriptionStatus.TRIAL and self.unpaid_invoice_id is not None

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
    def has_scheduled_change(self) -> bool:
        """Whether a change waits for the end of the current term."""
        return self.scheduled_plan_id is not None

    @property
    def pause_schedule(self) -> PauseSchedule | None:
        """The pause schedule (scheduled or running), or None."""
        return None if self.pause_on is None else PauseSchedule(self.pause_on, self.resume_on)

    @property
    def coupon_ids(self) -> tuple[str, ...]:
        """The ids of the coupons applied, in the order they apply."""
        return tuple(c.coupon_id for c in self.coupons)

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
    its term or trial, a scheduled pause, a resume day, or a charge to retry, whichever is
    first; None once it has ended (or while paused without a resume day).

    Args:
        subscription: The subscription.

    Returns:
        The instant, or None.

    Raises nothing.
    """
    status = subscription.status
    if status in ENDED:
        return None
    zone = subscription.zone
    if status is SubscriptionStatus.PAUSED:
        # Nothing is billed while paused: only the resume day is due.
        resume = subscription.resume_on
        return None if resume is None else start_of(resume, zone)
    if status is SubscriptionStatus.FUTURE:
        return start_of(subscription.start_date, zone)
    charge = subscription.charge_at
    if status is SubscriptionStatus.TRIAL and subscription.unpaid_invoice_id is not None:
        return charge  # the trial's end waits on its charge
    end = start_of(subscription.term_end, zone)
    if subscription.pause_on is not None:
        end = min(end, start_of(subscription.pause_on, zone))
    return end if charge is None or end <= charge else charge
