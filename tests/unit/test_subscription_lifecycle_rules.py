"""The subscription lifecycle's pure rules (issue 11), pinned without a kit: the table of moves,
`transition`, the buttons `allowed_actions` offers for each status, and the subscription value's
due times in its calendar (`due_at`, `start_of`, `day_of`) and coupon terms
(`SubscriptionCoupon.cycle`).

The rules come from 003_9950710e2377ac79.txt, "Manage Subscriptions": "Manage Trials" (Convert
Trials to Live, Extend Trials, Cancel Trials), "Change Auto-charge Status", "Pause & Resume
Subscriptions", "Cancel Subscriptions", "Edit Subscriptions" and "Reactivate Subscriptions".
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import attrs
import pytest

from partnerkit.subscriptions.errors import InvalidSubscriptionTransitionError
from partnerkit.subscriptions.lifecycle import (
    TRANSITIONS,
    SubscriptionAction,
    SubscriptionStatus,
    allowed_actions,
    transition,
    transition_table,
)
from partnerkit.subscriptions.subscription import (
    Subscription,
    SubscriptionCoupon,
    due_at,
    start_of,
)

S, A = SubscriptionStatus, SubscriptionAction

#: A live subscription in its April term, with nothing scheduled.
LIVE = Subscription(
    id="sub_1",
    customer_id="cus_1",
    product="crm",
    plan_id="crm-pro",
    status=S.LIVE,
    start_date=date(2026, 1, 1),
    term_start=date(2026, 4, 1),
    term_end=date(2026, 5, 1),
    created_at=datetime(2026, 1, 1, 9, tzinfo=UTC),
    created_by="billing@vendor.example",
    anchor=date(2026, 1, 1),
    term_index=4,
    auto_charge=True,
    payment_method_id="pm_1",
)
MAY_1 = datetime(2026, 5, 1, tzinfo=UTC)
TOKYO, NEW_YORK = ZoneInfo("Asia/Tokyo"), ZoneInfo("America/New_York")


def sub(**changes: object) -> Subscription:
    return attrs.evolve(LIVE, **changes)  # type: ignore[arg-type]


# --- the table --------------------------------------------------------------------------------


def test_the_lifecycle_table_in_full() -> None:
    """Every move and only those, as the docs' table prints them: in the order of the statuses,
    then of the actions."""
    assert transition_table() == [
        ("future", "start", "live"),
        ("future", "start_trial", "trial"),
        ("future", "cancel", "cancelled"),
        ("future", "change", "future"),
        # "Convert Trials to Live": "immediately convert the subscription to the Live status".
        ("trial", "activate", "live"),
        ("trial", "end_trial", "live"),
        # "Expired status when the trial period ends ... cannot be charged".
        ("trial", "expire", "expired"),
        # "Trial subscriptions can be cancelled either immediately, or scheduled to be
        # cancelled at the end of the current term".
        ("trial", "cancel", "cancelled"),
        ("trial", "schedule_cancellation", "non_renewing"),
        ("trial", "change", "trial"),
        ("live", "renew", "live"),
        ("live", "charge_failed", "dunning"),
        ("live", "charge_succeeded", "live"),
        ("live", "cancel", "cancelled"),
        ("live", "schedule_cancellation", "non_renewing"),
        # "apply their changes to reflect immediately, or at the end of the current term".
        ("live", "change", "live"),
        ("live", "schedule_change", "live"),
        ("live", "remove_scheduled_change", "live"),
        ("live", "schedule_pause", "live"),
        ("live", "remove_scheduled_pause", "live"),
        ("live", "pause", "paused"),
        ("non_renewing", "charge_succeeded", "non_renewing"),
        ("non_renewing", "cancel", "cancelled"),
        # "clicking Remove Scheduled Cancellation" prevents it: back to what it was.
        ("non_renewing", "remove_scheduled_cancellation", "the status before"),
        ("non_renewing", "end_term", "cancelled"),
        ("non_renewing", "change", "non_renewing"),
        ("non_renewing", "remove_scheduled_change", "non_renewing"),
        ("dunning", "renew", "dunning"),
        ("dunning", "charge_failed", "dunning"),
        ("dunning", "charge_succeeded", "live"),
        ("dunning", "dunning_cancel", "cancelled"),
        ("dunning", "dunning_give_up", "live"),
        # "disable Auto-charge for a Dunning subscription, the subscription's status will
        # change from Dunning to Live".
        ("dunning", "disable_auto_charge", "live"),
        ("dunning", "cancel", "cancelled"),
        ("dunning", "remove_scheduled_change", "dunning"),
        ("paused", "cancel", "cancelled"),
        ("paused", "schedule_resume", "paused"),
        # "If a subscription is already paused ... select Resume Subscription".
        ("paused", "resume", "live"),
        # "reactivate subscriptions that are in the Cancelled or Expired status".
        ("cancelled", "reactivate", "live"),
        # "Extend Trials": only from expired.
        ("expired", "extend_trial", "trial"),
        ("expired", "reactivate", "live"),
    ]


def test_transition_makes_the_tables_moves_and_refuses_every_other() -> None:
    for status in S:
        for action in A:
            after = TRANSITIONS.get((status, action))
            if after is None:
                with pytest.raises(InvalidSubscriptionTransitionError) as raised:
                    transition(status, action)
                assert raised.value.code == "subscription.invalid_transition"
                assert raised.value.details == {"status": status.value, "action": action.value}
            elif action is not A.REMOVE_SCHEDULED_CANCELLATION:
                assert transition(status, action, previous=S.TRIAL) is after
    # Two refusals a person meets, in words.
    with pytest.raises(InvalidSubscriptionTransitionError) as raised:
        transition(S.LIVE, A.ACTIVATE)
    assert raised.value.message == "The subscription is live and cannot be activated."
    with pytest.raises(InvalidSubscriptionTransitionError) as raised:
        transition(S.CANCELLED, A.EXTEND_TRIAL)
    assert raised.value.message == (
        "The subscription is cancelled and cannot be given a longer trial."
    )


def test_003_seed_removing_a_scheduled_cancellation_restores_the_status_before() -> None:
    """003 seed, "Cancel Subscriptions": "If a subscription has been scheduled to be cancelled
    at the end of the current term, your customers can prevent this from happening ... Remove
    Scheduled Cancellation": a trial scheduled to cancel is a trial again, a live one live;
    live when the status before is not known."""
    remove = A.REMOVE_SCHEDULED_CANCELLATION
    assert transition(S.NON_RENEWING, remove, previous=S.TRIAL) is S.TRIAL
    assert transition(S.NON_RENEWING, remove, previous=S.LIVE) is S.LIVE
    assert transition(S.NON_RENEWING, remove) is S.LIVE
    assert transition(S.NON_RENEWING, remove, previous=None) is S.LIVE
    # `previous` matters only for that move.
    assert transition(S.TRIAL, A.SCHEDULE_CANCELLATION, previous=S.TRIAL) is S.NON_RENEWING
    assert transition(S.NON_RENEWING, A.END_TERM, previous=S.TRIAL) is S.CANCELLED


# --- the buttons --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("subscription", "buttons"),
    [
        pytest.param(
            sub(status=S.FUTURE, start_date=date(2026, 6, 1)),
            (A.CHANGE, A.CANCEL),
            id="future",
        ),
        # "Convert Trials to Live" (Activate Subscription), "Cancel Trials" now or at term end.
        pytest.param(
            sub(status=S.TRIAL, anchor=None),
            (A.ACTIVATE, A.CHANGE, A.SCHEDULE_CANCELLATION, A.CANCEL),
            id="trial",
        ),
        pytest.param(
            LIVE,
            (A.CHANGE, A.SCHEDULE_CHANGE, A.SCHEDULE_PAUSE, A.SCHEDULE_CANCELLATION, A.CANCEL),
            id="live",
        ),
        pytest.param(
            sub(status=S.NON_RENEWING, previous_status=S.LIVE),
            (A.CHANGE, A.REMOVE_SCHEDULED_CANCELLATION, A.CANCEL),
            id="non-renewing",
        ),
        # Auto-charge is a setting of its own, not a button of the lifecycle.
        pytest.param(sub(status=S.DUNNING), (A.CANCEL,), id="dunning"),
        pytest.param(
            sub(status=S.PAUSED, pause_on=date(2026, 4, 10)),
            (A.SCHEDULE_RESUME, A.RESUME, A.CANCEL),
            id="paused",
        ),
        pytest.param(sub(status=S.CANCELLED), (A.REACTIVATE,), id="cancelled"),
        # "Extend Trials": "applicable only to subscriptions that go into the Expired status
        # when the trial period ends", and once.
        pytest.param(
            sub(status=S.EXPIRED, expired_at_trial_end=True),
            (A.EXTEND_TRIAL, A.REACTIVATE),
            id="expired-at-trial-end",
        ),
        pytest.param(
            sub(status=S.EXPIRED, expired_at_trial_end=True, trial_extended=True),
            (A.REACTIVATE,),
            id="expired-after-its-extension",
        ),
        pytest.param(sub(status=S.EXPIRED), (A.REACTIVATE,), id="expired-otherwise"),
    ],
)
def test_003_seed_the_buttons_of_each_status(
    subscription: Subscription, buttons: tuple[SubscriptionAction, ...]
) -> None:
    assert allowed_actions(subscription) == buttons


def test_003_seed_a_scheduled_change_or_pause_can_be_removed_only_when_there_is_one() -> None:
    """003 seed, "Pause & Resume Subscriptions": "Clicking Delete Schedule will remove the
    currently applied Pause and Resume schedules"; a change waiting for the term's end can be
    taken back."""
    changing = sub(scheduled_plan_id="crm-biz")
    assert allowed_actions(changing) == (
        A.CHANGE,
        A.SCHEDULE_CHANGE,
        A.REMOVE_SCHEDULED_CHANGE,
        A.SCHEDULE_PAUSE,
        A.SCHEDULE_CANCELLATION,
        A.CANCEL,
    )
    pausing = sub(pause_on=date(2026, 4, 20), resume_on=date(2026, 5, 20))
    assert allowed_actions(pausing) == (
        A.CHANGE,
        A.SCHEDULE_CHANGE,
        A.SCHEDULE_PAUSE,
        A.REMOVE_SCHEDULED_PAUSE,
        A.SCHEDULE_CANCELLATION,
        A.CANCEL,
    )
    # A change scheduled while live still waits in dunning, and can be taken back there.
    assert allowed_actions(sub(status=S.DUNNING, scheduled_plan_id="crm-biz")) == (
        A.REMOVE_SCHEDULED_CHANGE,
        A.CANCEL,
    )


def test_a_trial_waiting_on_its_end_charge_offers_only_what_the_answer_does_not_decide() -> None:
    """The gateway's answer moves the trial to live or expired: activating, cancelling and
    scheduling a cancellation wait for it (tests/unit/test_subscription_pending.py)."""
    waiting = sub(status=S.TRIAL, anchor=None, unpaid_invoice_id="inv_1")
    assert waiting.trial_charge_pending
    assert allowed_actions(waiting) == (A.CHANGE,)
    # The same invoice on a live subscription is a renewal in dunning: nothing waits.
    assert allowed_actions(sub(unpaid_invoice_id="inv_1")) == allowed_actions(LIVE)


# --- due times ------------------------------------------------------------------------------


def test_what_falls_due_on_a_day_is_due_at_its_first_instant_in_utc_unless_told() -> None:
    assert start_of(date(2026, 4, 1)) == datetime(2026, 4, 1, 0, 0, tzinfo=UTC)
    assert start_of(date(2026, 4, 1)).tzinfo is UTC
    assert start_of(date(2028, 2, 29)) == datetime(2028, 2, 29, tzinfo=UTC)


def test_a_day_starts_at_midnight_in_the_subscriptions_calendar() -> None:
    """The customer's days (tests/unit/test_subscription_calendars.py through the service):
    1 May starts at 15:00 UTC the day before in Tokyo, at 04:00 UTC in New York's summer and
    05:00 in its winter; where clocks skip midnight (Santiago on 6 September 2026) the day
    starts at 01:00 there. Always told in UTC."""
    assert start_of(date(2026, 5, 1), TOKYO) == datetime(2026, 4, 30, 15, tzinfo=UTC)
    assert start_of(date(2026, 7, 1), NEW_YORK) == datetime(2026, 7, 1, 4, tzinfo=UTC)
    assert start_of(date(2026, 1, 1), NEW_YORK) == datetime(2026, 1, 1, 5, tzinfo=UTC)
    skipped = start_of(date(2026, 9, 6), ZoneInfo("America/Santiago"))
    assert skipped == datetime(2026, 9, 6, 4, tzinfo=UTC)
    assert skipped.astimezone(ZoneInfo("America/Santiago")).hour == 1
    assert start_of(date(2026, 5, 1), TOKYO).tzinfo is UTC


def test_an_instant_falls_on_the_day_of_the_subscriptions_calendar() -> None:
    # 20:00 UTC on 31 January is already 1 February in Tokyo, still 31 January in New York.
    evening = datetime(2026, 1, 31, 20, tzinfo=UTC)
    assert sub(time_zone="Asia/Tokyo").day_of(evening) == date(2026, 2, 1)
    assert sub(time_zone="America/New_York").day_of(evening) == date(2026, 1, 31)
    assert LIVE.day_of(evening) == date(2026, 1, 31)


def test_a_coupons_own_terms_count_from_the_term_it_was_applied_on() -> None:
    """A coupon added by an edit on the third billed term lasts as long as one applied at the
    start: the third term is its first."""
    added = SubscriptionCoupon("cpn_1", first_cycle=3)
    assert [added.cycle(n) for n in (1, 2, 3, 4, 7)] == [-1, 0, 1, 2, 5]
    assert [SubscriptionCoupon("cpn_2").cycle(n) for n in (1, 2, 12)] == [1, 2, 12]


def test_a_live_subscription_is_due_at_its_terms_end() -> None:
    assert due_at(LIVE) == MAY_1
    assert due_at(sub(status=S.NON_RENEWING)) == MAY_1  # the cancellation at term end


def test_a_trial_is_due_at_its_end() -> None:
    trial = sub(
        status=S.TRIAL,
        anchor=None,
        term_start=date(2026, 3, 1),
        term_end=date(2026, 3, 15),
        trial_end=date(2026, 3, 15),
    )
    assert due_at(trial) == datetime(2026, 3, 15, tzinfo=UTC)


def test_a_trial_whose_end_charge_is_unanswered_is_due_when_it_is_asked_again() -> None:
    """Its term end has passed, and a renewal does not come first: only the charge is due."""
    asked = datetime(2026, 5, 2, 9, tzinfo=UTC)
    waiting = sub(status=S.TRIAL, anchor=None, unpaid_invoice_id="inv_1", charge_at=asked)
    assert due_at(waiting) == asked
    assert due_at(attrs.evolve(waiting, charge_at=None)) is None


def test_a_future_subscription_is_due_on_its_start_day() -> None:
    later = sub(status=S.FUTURE, start_date=date(2026, 6, 15), anchor=None)
    assert due_at(later) == datetime(2026, 6, 15, tzinfo=UTC)


@pytest.mark.parametrize("status", [S.CANCELLED, S.EXPIRED])
def test_an_ended_subscription_is_never_due(status: SubscriptionStatus) -> None:
    assert due_at(sub(status=status, charge_at=MAY_1, pause_on=date(2026, 4, 20))) is None


def test_003_seed_a_paused_subscription_is_due_only_on_its_resume_day() -> None:
    """003 seed, "Pause & Resume Subscriptions": nothing is billed while paused; the resume day is
    optional, and without one nothing is due until a person resumes it."""
    paused = sub(status=S.PAUSED, pause_on=date(2026, 4, 10), resume_on=date(2026, 6, 1))
    assert due_at(paused) == datetime(2026, 6, 1, tzinfo=UTC)
    assert due_at(attrs.evolve(paused, resume_on=None)) is None


def test_a_scheduled_pause_in_the_term_comes_before_its_end() -> None:
    assert due_at(sub(pause_on=date(2026, 4, 20))) == datetime(2026, 4, 20, tzinfo=UTC)
    # A pause from the next term's first day on is due with the renewal; one later, after it.
    assert due_at(sub(pause_on=date(2026, 5, 1))) == MAY_1
    assert due_at(sub(pause_on=date(2026, 5, 20))) == MAY_1


def test_a_retry_in_dunning_is_due_unless_the_terms_end_comes_first() -> None:
    retry = datetime(2026, 4, 8, 9, tzinfo=UTC)
    dunning = sub(status=S.DUNNING, unpaid_invoice_id="inv_1", charge_at=retry)
    assert due_at(dunning) == retry
    late = retry + timedelta(days=30)
    assert due_at(attrs.evolve(dunning, charge_at=late)) == MAY_1
    # A pause before the retry comes first too.
    assert due_at(attrs.evolve(dunning, pause_on=date(2026, 4, 5))) == datetime(
        2026, 4, 5, tzinfo=UTC
    )


def test_every_due_time_is_midnight_in_the_subscriptions_calendar() -> None:
    tokyo = sub(time_zone="Asia/Tokyo")
    assert due_at(tokyo) == datetime(2026, 4, 30, 15, tzinfo=UTC)  # 1 May in Tokyo
    assert due_at(attrs.evolve(tokyo, pause_on=date(2026, 4, 20))) == datetime(
        2026, 4, 19, 15, tzinfo=UTC
    )
    paused = attrs.evolve(tokyo, status=S.PAUSED, pause_on=date(2026, 4, 10))
    assert due_at(attrs.evolve(paused, resume_on=date(2026, 6, 1))) == datetime(
        2026, 5, 31, 15, tzinfo=UTC
    )
    later = attrs.evolve(tokyo, status=S.FUTURE, start_date=date(2026, 6, 15), anchor=None)
    assert due_at(later) == datetime(2026, 6, 14, 15, tzinfo=UTC)
    # A retry is an instant already: the calendar does not move it.
    retry = datetime(2026, 4, 8, 9, tzinfo=UTC)
    assert due_at(attrs.evolve(tokyo, status=S.DUNNING, charge_at=retry)) == retry


def test_scheduled_recomputes_due_at_from_the_fields() -> None:
    stale = sub(due_at=datetime(2026, 1, 1, tzinfo=UTC))
    assert stale.scheduled() == attrs.evolve(stale, due_at=MAY_1)
    assert sub(status=S.CANCELLED, due_at=MAY_1).scheduled().due_at is None
