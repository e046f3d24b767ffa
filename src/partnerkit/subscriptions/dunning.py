"""Dunning: when a failed renewal charge is tried again, and what happens when the retries run out
(issue 11: "retries on a configurable schedule (default three retries, e.g. after 1, 3 and 7
days), then a configurable final action (cancel, or leave unpaid)").

One `DunningPolicy` per kit (`connect(..., policies=[DunningPolicy(...)])`); `decide_retry` is
the pure decision the renewal job acts on.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any

import attrs

from partnerkit.clock import ensure_aware_utc
from partnerkit.errors import InvalidInputError
from partnerkit.subscriptions.errors import DunningScheduleError

__all__ = [
    "MAX_RETRIES",
    "MAX_RETRY_DAY",
    "DunningAction",
    "DunningDecision",
    "DunningPolicy",
    "DunningStep",
    "FinalAction",
    "decide_retry",
    "next_attempt",
]

#: The most retries a schedule may hold.
MAX_RETRIES = 10
#: The latest day after the failed charge a retry may be set for.
MAX_RETRY_DAY = 90


class FinalAction(enum.StrEnum):
    """What happens to a subscription in dunning when its last retry fails."""

    #: The subscription is cancelled.
    CANCEL = "cancel"
    #: The subscription goes on (live) and the invoice stays unpaid, for the customer to pay.
    LEAVE_UNPAID = "leave_unpaid"


def _schedule(value: object) -> tuple[int, ...]:
    if not isinstance(value, Sequence) or isinstance(value, str | bytes):
        raise DunningScheduleError(field="retry_after_days")
    days = tuple(value)
    if (
        len(days) > MAX_RETRIES
        or any(
            isinstance(day, bool) or not isinstance(day, int) or not 1 <= day <= MAX_RETRY_DAY
            for day in days
        )
        or any(later <= earlier for earlier, later in pairwise(days))
    ):
        raise DunningScheduleError(
            field="retry_after_days", details={"value": [str(day) for day in days]}
        )
    return days


def _final_action(value: Any) -> FinalAction:
    try:
        return FinalAction(value)
    except ValueError:
        raise InvalidInputError(
            "the final action is to cancel the subscription or to leave the invoice unpaid",
            field="final_action",
            hint="final_action takes FinalAction.CANCEL or FinalAction.LEAVE_UNPAID",
        ) from None


@attrs.frozen
class DunningStep:
    """One retry of a failed charge.

    Attributes:
        number: Which retry, 1 for the first.
        after_days: Days after the failed charge.
        at: The instant it is due.
    """

    number: int
    after_days: int
    at: datetime


@attrs.frozen
class DunningPolicy:
    """How a failed renewal charge is retried, and what follows the last failure.

    Attributes:
        retry_after_days: The days after the first failed charge on which it is tried again,
            each later than the one before: up to 10, from 1 to 90. (1, 3, 7) by default;
            empty for no retry (the final action follows the first failure).
        final_action: What the last failure leads to: cancel (the default), or leave the
            invoice unpaid and the subscription live.

    Raises:
        DunningScheduleError: The days are not up to 10 whole numbers from 1 to 90, each larger
            than the one before (`subscription.dunning_schedule`).
        InvalidInputError: `final_action` is not a final action (`validation.invalid`).
    """

    retry_after_days: tuple[int, ...] = attrs.field(default=(1, 3, 7), converter=_schedule)
    final_action: FinalAction = attrs.field(default=FinalAction.CANCEL, converter=_final_action)

    def schedule(self, first_failure: datetime) -> tuple[DunningStep, ...]:
        """Every retry of a charge that failed at an instant.

        Args:
            first_failure: When the renewal charge failed.

        Returns:
            The retries in order, each with its instant.

        Raises:
            InvalidInputError: `first_failure` is not an aware instant, or a retry falls
                past the last instant partnerkit handles (`validation.invalid`).
        """
        failed = ensure_aware_utc(first_failure, "first_failure")
        return tuple(
            DunningStep(number, days, _after(failed, days))
            for number, days in enumerate(self.retry_after_days, start=1)
        )


def _after(failed: datetime, days: int) -> datetime:
    try:
        return failed + timedelta(days=days)
    except OverflowError:
        raise InvalidInputError(
            "the retry falls after the last moment partnerkit handles",
            field="first_failure",
        ) from None


def _attempts(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidInputError(
            "the number of retries made is a whole number of 0 or more",
            field="attempts_made",
            hint="attempts_made takes an int: the retries made, not counting the first charge",
        )
    return value


def _policy(value: object) -> DunningPolicy:
    if not isinstance(value, DunningPolicy):
        raise InvalidInputError(
            "the dunning policy is missing",
            field="policy",
            hint=f"policy takes a DunningPolicy, not {type(value).__name__}",
        )
    return value


def next_attempt(
    policy: DunningPolicy, first_failure: datetime, attempts_made: int
) -> datetime | None:
    """When a failed charge is next tried again.

    Args:
        policy: The retry days.
        first_failure: When the renewal charge first failed.
        attempts_made: The retries made so far, not counting the first charge.

    Returns:
        The instant of the next retry; None when the retries are used up, and the final
        action is due.

    Raises:
        InvalidInputError: `first_failure` is not an aware instant, or `attempts_made` not a
            whole number of 0 or more (`validation.invalid`).
    """
    days = _policy(policy).retry_after_days
    failed = ensure_aware_utc(first_failure, "first_failure")
    made = _attempts(attempts_made)
    return _after(failed, days[made]) if made < len(days) else None


class DunningAction(enum.StrEnum):
    """What the renewal job does with a subscription in dunning now."""

    #: Nothing yet: the next retry is later.
    WAIT = "wait"
    #: Charge again now.
    RETRY = "retry"
    #: The retries are used up: apply the policy's final action.
    FINAL_ACTION = "final_action"


@attrs.frozen
class DunningDecision:
    """What to do with a failed charge now, and why.

    Attributes:
        action: Wait, retry now, or apply the final action.
        attempt: The number of the retry waited for or made now; None for the final action.
        due_at: When that retry is due; None for the final action.
        final_action: The policy's final action when it is due now, else None.
        reasons: The decision in plain words.
    """

    action: DunningAction
    attempt: int | None
    due_at: datetime | None
    final_action: FinalAction | None
    reasons: tuple[str, ...]


def decide_retry(
    policy: DunningPolicy, first_failure: datetime, attempts_made: int, now: datetime
) -> DunningDecision:
    """Whether to try a failed charge again now, wait, or apply the final action.

    Args:
        policy: The retry days and the final action.
        first_failure: When the renewal charge first failed.
        attempts_made: The retries made so far (each failed), not counting the first charge.
        now: The kit's time.

    Returns:
        The action, the retry it concerns and the reasons.

    Raises:
        InvalidInputError: An instant is not aware, or `attempts_made` not a whole number of 0
            or more (`validation.invalid`).
    """
    policy = _policy(policy)
    now = ensure_aware_utc(now, "now")
    due = next_attempt(policy, first_failure, attempts_made)
    days = policy.retry_after_days
    made = f"{attempts_made} of {len(days)} retries made"
    if due is None:
        return DunningDecision(
            action=DunningAction.FINAL_ACTION,
            attempt=None,
            due_at=None,
            final_action=policy.final_action,
            reasons=(
                f"the charge failed and {made}: none is left",
                "the subscription is cancelled"
                if policy.final_action is FinalAction.CANCEL
                else "the invoice is left unpaid and the subscription goes on",
            ),
        )
    number = attempts_made + 1
    after = days[attempts_made]
    when = (
        f"retry {number} is due {after} day{'' if after == 1 else 's'} after the failed charge, "
        f"at {due.isoformat()}"
    )
    if now < due:
        return DunningDecision(DunningAction.WAIT, number, due, None, (made, when, "not yet"))
    return DunningDecision(DunningAction.RETRY, number, due, None, (made, when, "charge again now"))
