"""The pure rules of 000_91620a113ccdeac1.txt, called with dates: no kit, no storage."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from partnerkit.customers.accounts import Edition, ProductPlan
from partnerkit.mapping.adding import AddCase, decide_add
from partnerkit.mapping.policy import MappingPolicy

TODAY = date(2026, 3, 31)
POLICY = MappingPolicy()


def paid(days_ago: int) -> ProductPlan:
    return ProductPlan("crm", Edition.PAID, TODAY - timedelta(days=days_ago))


@pytest.mark.parametrize(
    ("days", "case"),
    [
        (29, AddCase.PAID_RECENTLY),
        (30, AddCase.PAID_RECENTLY),  # "within 30 days from the date of mapping"
        (31, AddCase.PAID_NEEDS_APPROVAL),  # "more than a month before"
    ],
)
def test_the_30_day_line(days: int, case: AddCase) -> None:
    decision = decide_add(paid(days), TODAY, POLICY)
    assert decision.case is case
    assert decision.days_paid == days
    assert decision.needs_confirmation is (case is AddCase.PAID_NEEDS_APPROVAL)
    assert not decision.provisional


def test_case_1_looks_back_one_calendar_month() -> None:
    decision = decide_add(paid(200), TODAY, POLICY)
    # March 31 minus one month is February 28 (2026 is not a leap year).
    assert decision.commission_from == datetime(2026, 2, 28, tzinfo=UTC)


def test_case_2_earns_on_all_transactions() -> None:
    assert decide_add(paid(3), TODAY, POLICY).commission_from is None


@pytest.mark.parametrize(
    ("mapped", "deadline"),
    [
        (date(2026, 1, 5), date(2026, 4, 5)),
        (date(2026, 11, 30), date(2027, 2, 28)),
        (date(2027, 11, 30), date(2028, 2, 29)),
        (date(2026, 3, 31), date(2026, 6, 30)),
    ],
)
def test_free_customers_get_3_calendar_months(mapped: date, deadline: date) -> None:
    for plan in (None, ProductPlan("crm", Edition.FREE, mapped)):
        decision = decide_add(plan, mapped, POLICY)
        assert decision.case is AddCase.FREE
        assert decision.provisional
        assert decision.provisional_until == deadline


def test_the_numbers_are_policy() -> None:
    strict = MappingPolicy(confirmation_after_days=7, provisional_months=1)
    assert decide_add(paid(8), TODAY, strict).case is AddCase.PAID_NEEDS_APPROVAL
    assert decide_add(None, TODAY, strict).provisional_until == date(2026, 4, 30)
