"""The subscription lifecycle as one table: the statuses, the actions, every allowed move
(`TRANSITIONS`), what a screen may offer (`allowed_actions`), and the one `transition` every
change goes through. Pure: no clock, no storage."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import TYPE_CHECKING, Final

from partnerkit.subscriptions.errors import InvalidSubscriptionTransitionError

if TYPE_CHECKING:
    from partnerkit.subscriptions.subscription import Subscription

__all__ = [
    "CUSTOMER_ACTIONS",
    "ENDED",
    "PREVIOUS",
    "TRANSITIONS",
    "SubscriptionAction",
    "SubscriptionStatus",
    "allowed_actions",
    "transition",
    "transition_table",
]


class SubscriptionStatus(enum.StrEnum):
    """Where a subscription stands (003 seed, "Manage Subscriptions")."""

    #: Starts on a later day.
    FUTURE = "future"
    #: In its trial period: nothing charged yet.
    TRIAL = "trial"
    #: Paid terms, renewed at each term's end.
    LIVE = "live"
    #: Cancels at the end of the current term (a scheduled cancellation).
    NON_RENEWING = "non_renewing"
    #: A renewal charge failed; retries are scheduled.
    DUNNING = "dunning"
    #: Paused: nothing is billed.
    PAUSED = "paused"
    #: Cancelled: no more terms.
    CANCELLED = "cancelled"
    #: Ended at the end of its trial without being charged.
    EXPIRED = "expired"


class SubscriptionAction(enum.StrEnum):
    """What can happen to a subscription: a person's actions and the clock's."""

    #: The start day came (the clock): into the trial, or live with its first invoice.
    START = "start"
    START_TRIAL = "start_trial"
    #: Convert a trial to live now, with an invoice (003 seed, "Convert Trials to Live").
    ACTIVATE = "activate"
    #: The trial ended and was charged or invoiced (the clock).
    END_TRIAL = "end_trial"
    #: The trial ended and could not be charged (the clock).
    EXPIRE = "expire"
    #: Extend an expired trial by the plan's trial period (003 seed, "Extend Trials").
    EXTEND_TRIAL = "extend_trial"
    #: A term ended and the next one was invoiced (the clock).
    RENEW = "renew"
    #: A renewal charge failed.
    CHARGE_FAILED = "charge_failed"
    #: The unpaid renewal got paid (a retry, or the customer).
    CHARGE_SUCCEEDED = "charge_succeeded"
    #: The retries ran out and the policy cancels.
    DUNNING_CANCEL = "dunning_cancel"
    #: The retries ran out and the policy leaves the invoice unpaid.
    DUNNING_GIVE_UP = "dunning_give_up"
    #: Auto-charge turned off: no retry is possible any more (003 seed, auto-charge).
    DISABLE_AUTO_CHARGE = "disable_auto_charge"
    CANCEL = "cancel"
    SCHEDULE_CANCELLATION = "schedule_cancellation"
    REMOVE_SCHEDULED_CANCELLATION = "remove_scheduled_cancellation"
    #: The term of a non-renewing subscription ended (the clock).
    END_TERM = "end_term"
    #: Change the plan, addons or coupons now, prorated by day (003 seed, "Edit Subscriptions").
    CHANGE = "change"
    #: Change them at the end of the current term: the renewal applies the change.
    SCHEDULE_CHANGE = "schedule_change"
    REMOVE_SCHEDULED_CHANGE = "remove_scheduled_change"
    #: Set (or change) the day a live subscription pauses, and the day it resumes (003 seed,
    #: "Pause & Resume Subscriptions").
    SCHEDULE_PAUSE = "schedule_pause"
    #: Delete the pause schedule before the pause starts.
    REMOVE_SCHEDULED_PAUSE = "remove_scheduled_pause"
    #: The pause day came (the clock): nothing is billed until it resumes.
    PAUSE = "pause"
    #: Set, change or clear the day a paused subscription resumes.
    SCHEDULE_RESUME = "schedule_resume"
    #: Resume now, or on the resume day (the clock): a new term starts, with its invoice.
    RESUME = "resume"
    #: Start a cancelled or expired subscription again, with a new term from today (003 seed,
    #: "Reactivate Subscriptions").
    REACTIVATE = "reactivate"


#: In `TRANSITIONS`, the move back to the status the subscription had before.
PREVIOUS: Final = "previous"

_S, _A = SubscriptionStatus, SubscriptionAction

#: Every allowed move, and only those: (status, action) -> the status after it, or `PREVIOUS`.
TRANSITIONS: Mapping[tuple[SubscriptionStatus, SubscriptionAction], SubscriptionStatus | str] = {
    (_S.FUTURE, _A.START): _S.LIVE,
    (_S.FUTURE, _A.START_TRIAL): _S.TRIAL,
    (_S.FUTURE, _A.CANCEL): _S.CANCELLED,
    (_S.FUTURE, _A.CHANGE): _S.FUTURE,
    (_S.TRIAL, _A.ACTIVATE): _S.LIVE,
    (_S.TRIAL, _A.END_TRIAL): _S.LIVE,
    (_S.TRIAL, _A.EXPIRE): _S.EXPIRED,
    (_S.TRIAL, _A.CANCEL): _S.CANCELLED,
    (_S.TRIAL, _A.SCHEDULE_CANCELLATION): _S.NON_RENEWING,
    (_S.TRIAL, _A.CHANGE): _S.TRIAL,
    (_S.EXPIRED, _A.EXTEND_TRIAL): _S.TRIAL,
    (_S.EXPIRED, _A.REACTIVATE): _S.LIVE,
    (_S.LIVE, _A.RENEW): _S.LIVE,
    (_S.LIVE, _A.CHARGE_FAILED): _S.DUNNING,
    (_S.LIVE, _A.CHARGE_SUCCEEDED): _S.LIVE,
    (_S.LIVE, _A.CANCEL): _S.CANCELLED,
    (_S.LIVE, _A.SCHEDULE_CANCELLATION): _S.NON_RENEWING,
    (_S.LIVE, _A.CHANGE): _S.LIVE,
    (_S.LIVE, _A.SCHEDULE_CHANGE): _S.LIVE,
    (_S.LIVE, _A.REMOVE_SCHEDULED_CHANGE): _S.LIVE,
    (_S.LIVE, _A.SCHEDULE_PAUSE): _S.LIVE,
    (_S.LIVE, _A.REMOVE_SCHEDULED_PAUSE): _S.LIVE,
    (_S.LIVE, _A.PAUSE): _S.PAUSED,
    (_S.DUNNING, _A.RENEW): _S.DUNNING,
    (_S.DUNNING, _A.CHARGE_FAILED): _S.DUNNING,
    (_S.DUNNING, _A.CHARGE_SUCCEEDED): _S.LIVE,
    (_S.DUNNING, _A.DUNNING_CANCEL): _S.CANCELLED,
    (_S.DUNNING, _A.DUNNING_GIVE_UP): _S.LIVE,
    (_S.DUNNING, _A.DISABLE_AUTO_CHARGE): _S.LIVE,
    (_S.DUNNING, _A.CANCEL): _S.CANCELLED,
    # A change scheduled while live still applies at a renewal in dunning; removing it is
    # always possible.
    (_S.DUNNING, _A.REMOVE_SCHEDULED_CHANGE): _S.DUNNING,
    (_S.NON_RENEWING, _A.REMOVE_SCHEDULED_CANCELLATION): PREVIOUS,
    (_S.NON_RENEWING, _A.END_TERM): _S.CANCELLED,
    (_S.NON_RENEWING, _A.CHARGE_SUCCEEDED): _S.NON_RENEWING,
    (_S.NON_RENEWING, _A.CANCEL): _S.CANCELLED,
    (_S.NON_RENEWING, _A.CHANGE): _S.NON_RENEWING,
    (_S.NON_RENEWING, _A.REMOVE_SCHEDULED_CHANGE): _S.NON_RENEWING,
    (_S.PAUSED, _A.SCHEDULE_RESUME): _S.PAUSED,
    (_S.PAUSED, _A.RESUME): _S.LIVE,
    (_S.PAUSED, _A.CANCEL): _S.CANCELLED,
    (_S.CANCELLED, _A.REACTIVATE): _S.LIVE,
}

#: The statuses a subscription never leaves by the clock: it is over.
ENDED: frozenset[SubscriptionStatus] = frozenset({_S.CANCELLED, _S.EXPIRED})

#: The actions a person takes (the buttons of a subscription's screen), in the order shown.
CUSTOMER_ACTIONS: tuple[SubscriptionAction, ...] = (
    _A.ACTIVATE,
    _A.EXTEND_TRIAL,
    _A.REACTIVATE,
    _A.CHANGE,
    _A.SCHEDULE_CHANGE,
    _A.REMOVE_SCHEDULED_CHANGE,
    _A.SCHEDULE_PAUSE,
    _A.REMOVE_SCHEDULED_PAUSE,
    _A.SCHEDULE_RESUME,
    _A.RESUME,
    _A.SCHEDULE_CANCELLATION,
    _A.REMOVE_SCHEDULED_CANCELLATION,
    _A.CANCEL,
)

_STATUS_WORDS = {
    _S.FUTURE: "not started yet",
    _S.TRIAL: "in its trial",
    _S.LIVE: "live",
    _S.NON_RENEWING: "scheduled to be cancelled",
    _S.DUNNING: "waiting for an overdue payment",
    _S.PAUSED: "paused",
    _S.CANCELLED: "cancelled",
    _S.EXPIRED: "expired",
}

_ACTION_WORDS = {
    _A.START: "started",
    _A.START_TRIAL: "started",
    _A.ACTIVATE: "activated",
    _A.END_TRIAL: "taken out of its trial",
    _A.EXPIRE: "expired",
    _A.EXTEND_TRIAL: "given a longer trial",
    _A.RENEW: "renewed",
    _A.CHARGE_FAILED: "charged",
    _A.CHARGE_SUCCEEDED: "settled",
    _A.DUNNING_CANCEL: "cancelled for an unpaid renewal",
    _A.DUNNING_GIVE_UP: "left unpaid",
    _A.DISABLE_AUTO_CHARGE: "taken out of its payment retries",
    _A.CANCEL: "cancelled",
    _A.SCHEDULE_CANCELLATION: "scheduled to be cancelled",
    _A.REMOVE_SCHEDULED_CANCELLATION: "kept from its scheduled cancellation",
    _A.END_TERM: "ended",
    _A.CHANGE: "changed",
    _A.SCHEDULE_CHANGE: "given a change at the end of its term",
    _A.REMOVE_SCHEDULED_CHANGE: "kept from its scheduled change",
    _A.SCHEDULE_PAUSE: "scheduled to pause",
    _A.REMOVE_SCHEDULED_PAUSE: "kept from its scheduled pause",
    _A.PAUSE: "paused",
    _A.SCHEDULE_RESUME: "given a resume day",
    _A.RESUME: "resumed",
    _A.REACTIVATE: "reactivated",
}


def transition(
    status: SubscriptionStatus,
    action: SubscriptionAction,
    *,
    previous: SubscriptionStatus | None = None,
) -> SubscriptionStatus:
    """The status after `action`, by `TRANSITIONS`; any other move is refused.

    Args:
        status: The subscription's status now.
        action: What is to happen.
        previous: The status it had before a scheduled cancellation (for
            `REMOVE_SCHEDULED_CANCELLATION`); live when not known.

    Returns:
        The new status.

    Raises:
        InvalidSubscriptionTransitionError: The table has no such move
            (`subscription.invalid_transition`), with the status and the action in its details.
    """
    found = TRANSITIONS.get((status, action))
    if found is None:
        raise InvalidSubscriptionTransitionError(
            f"The subscription is {_STATUS_WORDS[status]} and cannot be {_ACTION_WORDS[action]}.",
            details={"status": status.value, "action": action.value},
        )
    if found == PREVIOUS:
        return previous if previous is not None else SubscriptionStatus.LIVE
    return SubscriptionStatus(found)


def allowed_actions(subscription: Subscription) -> tuple[SubscriptionAction, ...]:
    """The actions a person may take on the subscription now: what a screen shows as buttons.

    Only the table's moves from its status, and of those an extension only for a trial that
    expired at its end and was not extended before (003 seed, "Extend Trials"); removing a
    scheduled change or pause only when one is scheduled; scheduling a change at term end only
    for a live subscription with a term (and no cancellation scheduled).

    Args:
        subscription: The subscription.

    Returns:
        The actions, in the order of `CUSTOMER_ACTIONS`.

    Raises nothing.
    """
    found = []
    for action in CUSTOMER_ACTIONS:
        if (subscription.status, action) not in TRANSITIONS:
            continue
        if action is _A.EXTEND_TRIAL and not subscription.trial_extendable:
            continue
        if action is _A.REMOVE_SCHEDULED_CHANGE and not subscription.has_scheduled_change:
            continue
        if action is _A.REMOVE_SCHEDULED_PAUSE and subscription.pause_on is None:
            continue
        found.append(action)
    return tuple(found)


def transition_table() -> list[tuple[str, str, str]]:
    """The table as rows (status, action, status after), in the order of the statuses and then
    the actions: what the docs print.

    Returns:
        The rows; "the status before" where a move goes back.

    Raises nothing.
    """
    rows = []
    for status in SubscriptionStatus:
        for action in SubscriptionAction:
            after = TRANSITIONS.get((status, action))
            if after is not None:
                shown = "the status before" if after == PREVIOUS else str(after)
                rows.append((status.value, action.value, shown))
    return rows
