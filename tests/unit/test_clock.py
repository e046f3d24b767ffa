from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from partnerkit import SimulatedClock, SystemClock
from partnerkit.errors import InvalidClockMoveError, InvalidInputError


def test_system_clock_is_aware_utc() -> None:
    assert SystemClock().now().utcoffset() == timedelta(0)


def test_simulated_clock_starts_where_told_and_moves_only_forward() -> None:
    clock = SimulatedClock(date(2026, 1, 31))
    assert clock.now() == datetime(2026, 1, 31, tzinfo=UTC)
    # Months step from the calendar: Jan 31 -> Feb 28 -> Mar 28 (from Feb 28).
    assert clock.advance(months=1).date() == date(2026, 2, 28)
    assert clock.advance(days=30).date() == date(2026, 3, 30)
    with pytest.raises(InvalidClockMoveError) as info:
        clock.set(datetime(2026, 1, 1, tzinfo=UTC))
    assert info.value.code == "clock.backwards"
    assert clock.today() == date(2026, 3, 30)


def test_simulated_clock_refuses_naive_and_normalises_offsets() -> None:
    clock = SimulatedClock(datetime(2026, 1, 1, tzinfo=UTC))
    with pytest.raises(InvalidInputError):
        clock.set(datetime(2026, 2, 1))  # noqa: DTZ001 - the point of the test
    ist = timezone(timedelta(hours=5, minutes=30))
    assert clock.set(datetime(2026, 2, 1, 5, 30, tzinfo=ist)) == datetime(2026, 2, 1, tzinfo=UTC)
