"""Pause schedules (003 seed, "Pause & Resume Subscriptions": a pause day and an optional resume
day): which days of a term are paused, and the day renewals count from after a resume (issue
11: "nothing is billed while paused; renewals resume from the resume date").

Days are billing days (UTC), as in `partnerkit.subscriptions.periods`.
"""

from __future__ import annotations

from datetime import date

import attrs

from partnerkit import validate
from partnerkit.subscriptions.errors import (
    NoResumeDayError,
    PauseInPastError,
    ResumeNotAfterPauseError,
)
from partnerkit.subscriptions.periods import Term

__all__ = ["PauseSchedule", "paused_days", "resumed_term_anchor"]


@attrs.frozen
class PauseSchedule:
    """When a subscription pauses, and when it resumes (optional: until resumed by hand).

    Build one with `PauseSchedule.create`, which checks the days against today; the
    constructor trusts its input (it is how a stored schedule is read back).

    Attributes:
        pause_on: The first paused day.
        resume_on: The first day billed again; None to stay paused until resumed.
    """

    pause_on: date
    resume_on: date | None = None

    @classmethod
    def create(cls, pause_on: date, resume_on: date | None = None, *, today: date) -> PauseSchedule:
        """A pause schedule, its days checked.

        Args:
            pause_on: The first paused day: today or later.
            resume_on: The first day billed again, after `pause_on`; None for none.
            today: The billing day the schedule is set on (the kit's).

        Returns:
            The schedule.

        Raises:
            InvalidInputError: A day is not a day (`validation.invalid`).
            PauseInPastError: `pause_on` is before today (`subscription.pause_in_past`).
            ResumeNotAfterPauseError: `resume_on` is not after `pause_on`
                (`subscription.resume_not_after_pause`).
        """
        today = validate.as_date(today, "today")
        pause_on = validate.as_date(pause_on, "pause_on")
        if pause_on < today:
            raise PauseInPastError(
                f"the pause cannot start on {pause_on}: that day has passed (today is {today})",
                field="pause_on",
                details={"pause_on": pause_on.isoformat(), "today": today.isoformat()},
            )
        if resume_on is not None:
            resume_on = validate.as_date(resume_on, "resume_on")
            if resume_on <= pause_on:
                raise ResumeNotAfterPauseError(
                    f"the subscription cannot resume on {resume_on}: the pause starts on "
                    f"{pause_on}",
                    field="resume_on",
                    details={
                        "pause_on": pause_on.isoformat(),
                        "resume_on": resume_on.isoformat(),
                    },
                )
        return cls(pause_on, resume_on)

    def covers(self, day: date) -> bool:
        """Whether a day is paused.

        Args:
            day: The day.

        Returns:
            True from `pause_on` up to, not including, `resume_on` (for ever without one).

        Raises nothing.
        """
        return self.pause_on <= day and (self.resume_on is None or day < self.resume_on)


def paused_days(schedule: PauseSchedule, term: Term) -> int:
    """How many of a term's days the schedule pauses: days that are not billed.

    Args:
        schedule: The pause schedule.
        term: The term.

    Returns:
        The days of the term from `pause_on` up to `resume_on` (or the term's end), 0 when they
        do not meet.

    Raises:
        InvalidInputError: `schedule` or `term` is missing (`validation.invalid`).
    """
    schedule = validate.instance(schedule, PauseSchedule, "schedule", "the pause schedule")
    term = validate.instance(term, Term, "term", "the term")
    start = max(schedule.pause_on, term.start)
    end = term.end if schedule.resume_on is None else min(schedule.resume_on, term.end)
    return max((end - start).days, 0)


def resumed_term_anchor(schedule: PauseSchedule, resumed_on: date | None = None) -> date:
    """The day renewals count from after a pause: the resume day, as the first day of a new term.

    Args:
        schedule: The pause schedule.
        resumed_on: The day the subscription was resumed by hand ("resume now"), on or after
            `pause_on`; None for the schedule's `resume_on`.

    Returns:
        The new anchor: `resumed_on` when given, else the schedule's resume day.

    Raises:
        InvalidInputError: `schedule` is missing, or `resumed_on` is not a day
            (`validation.invalid`).
        ResumeNotAfterPauseError: `resumed_on` is before the pause starts
            (`subscription.resume_not_after_pause`).
        NoResumeDayError: Neither `resumed_on` nor a resume day on the schedule
            (`subscription.no_resume_day`).
    """
    schedule = validate.instance(schedule, PauseSchedule, "schedule", "the pause schedule")
    if resumed_on is None:
        if schedule.resume_on is None:
            raise NoResumeDayError(
                f"the pause from {schedule.pause_on} has no resume day",
                field="resumed_on",
                details={"pause_on": schedule.pause_on.isoformat()},
            )
        return schedule.resume_on
    resumed_on = validate.as_date(resumed_on, "resumed_on")
    if resumed_on < schedule.pause_on:
        raise ResumeNotAfterPauseError(
            f"the subscription cannot resume on {resumed_on}: the pause starts on "
            f"{schedule.pause_on}",
            field="resumed_on",
            details={
                "pause_on": schedule.pause_on.isoformat(),
                "resume_on": resumed_on.isoformat(),
            },
        )
    return resumed_on
