"""Time as a port: the Clock protocol, the real SystemClock and a SimulatedClock tests drive,
and the calendar of a time zone (which day an instant falls on there, and when a day starts).

Domain rules never read the time themselves; services ask the kit's clock once per call.
"""

from __future__ import annotations

import threading
import zoneinfo
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Protocol, runtime_checkable

from dateutil.relativedelta import relativedelta

from partnerkit.errors import (
    InvalidClockMoveError,
    InvalidInputError,
    InvalidTimeZoneError,
    field_label,
)

__all__ = [
    "MAX_ZONE_LENGTH",
    "Clock",
    "SimulatedClock",
    "SystemClock",
    "ensure_aware_utc",
    "local_day",
    "start_of_local_day",
    "time_zone",
]

#: The longest time zone name accepted (the longest in the tz database has 32 characters).
MAX_ZONE_LENGTH = 64


@runtime_checkable
class Clock(Protocol):
    """Where partnerkit reads the time: anything with a `now()` that returns an aware UTC datetime.

    Pass one to `connect(..., clock=...)`; `SystemClock` and `SimulatedClock` are the two shipped.
    """

    def now(self) -> datetime:
        """The current instant.

        Returns:
            An aware datetime; partnerkit refuses a naive one.

        Raises nothing.
        """


def ensure_aware_utc(when: datetime, field: str = "when") -> datetime:
    """Refuse naive datetimes: a naive instant is ambiguous and money depends on it."""
    if not isinstance(when, datetime):
        raise InvalidInputError(
            f"{field_label(field)} must be a moment in time",
            field=field,
            hint=f"{field} takes an aware datetime, not {type(when).__name__}",
        )
    if when.tzinfo is None or when.utcoffset() is None:
        raise InvalidInputError(
            f"{field_label(field)} must say its time zone",
            field=field,
            hint=f"{field} got a naive datetime; give it a tzinfo",
        )
    try:
        return when.astimezone(UTC)
    except OverflowError:
        # Year 9999 at UTC-14:00 is a valid datetime whose UTC instant does not exist.
        raise InvalidInputError(
            f"{field_label(field)} is outside the range of instants partnerkit can store",
            field=field,
        ) from None


def time_zone(name: object, field: str = "time_zone") -> zoneinfo.ZoneInfo:
    """The time zone called `name` in the tz database.

    Args:
        name: Its name as the tz database spells it: 'Asia/Kolkata', 'Europe/Berlin', 'UTC'.
            Names are exact: 'asia/kolkata' is not one.
        field: The field the name came in, for the error.

    Returns:
        The zone.

    Raises:
        InvalidTimeZoneError: `name` is not a time zone's name (naming `field`).
    """
    label = field_label(field)
    if not isinstance(name, str) or not 0 < len(name) <= MAX_ZONE_LENGTH:
        raise InvalidTimeZoneError(
            f"{label} must be the name of a time zone",
            field=field,
            hint=f"{field} takes a tz database name (a str of at most {MAX_ZONE_LENGTH})",
        )
    if name != name.strip() or any(not ch.isprintable() for ch in name):
        raise InvalidTimeZoneError(f"{name!r} is not a time zone", field=field)
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        # ZoneInfoNotFoundError for an unknown name, ValueError for a path-like one.
        raise InvalidTimeZoneError(
            f"{name!r} is not a time zone", field=field, details={"value": name}
        ) from None


def local_day(instant: datetime, zone: zoneinfo.ZoneInfo) -> date:
    """The day `instant` falls on in `zone`: what a calendar on the wall there says.

    Args:
        instant: An aware instant.
        zone: The time zone.

    Returns:
        The day there.

    Raises:
        InvalidInputError: `instant` is naive or not a datetime.
    """
    return ensure_aware_utc(instant, "instant").astimezone(zone).date()


def start_of_local_day(day: date, zone: tzinfo) -> datetime:
    """The first instant of `day` in `zone`. Where clocks skip midnight (a few zones change
    to summer time at 00:00) the day starts when it does there, at 01:00.

    Args:
        day: The day.
        zone: The time zone.

    Returns:
        The instant, in UTC.

    Raises nothing.
    """
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


class SystemClock:
    """The wall clock, in UTC: the default of `connect()`."""

    def now(self) -> datetime:
        """The current instant, from the operating system.

        Returns:
            An aware UTC datetime.

        Raises nothing.
        """
        return datetime.now(UTC)

    def __repr__(self) -> str:
        return "SystemClock()"


class SimulatedClock:
    """A clock that only moves when told to: drive a year of billing in a test, in milliseconds.

    Use `kit.advance_to(when)` rather than `set` when due work should run on the way: the kit stops
    the clock at each instant where work falls due. Time never moves backwards: history is
    append-only.

    Args:
        start: Where time starts; a date means its 00:00 UTC; 2026-01-01 00:00 UTC when None.

    Raises:
        InvalidInputError: `start` is a naive datetime (`validation.invalid`).
    """

    def __init__(self, start: datetime | date | None = None) -> None:
        if start is None:
            start = datetime(2026, 1, 1, tzinfo=UTC)
        elif not isinstance(start, datetime):
            start = datetime(start.year, start.month, start.day, tzinfo=UTC)
        self._now = ensure_aware_utc(start, "start")
        self._lock = threading.Lock()

    def now(self) -> datetime:
        """The simulated instant.

        Returns:
            An aware UTC datetime.

        Raises nothing.
        """
        return self._now

    def today(self) -> date:
        """The simulated day: the UTC date of `now()`.

        Returns:
            The date.

        Raises nothing.
        """
        return self._now.date()

    def set(self, when: datetime) -> datetime:
        """Move the clock to an instant, without running the work due on the way.

        Args:
            when: The instant; not before the clock's now.

        Returns:
            The new now, in UTC.

        Raises:
            InvalidClockMoveError: `when` is before the clock's now (`clock.backwards`).
            InvalidInputError: `when` is naive or not a datetime (`validation.invalid`).
        """
        when = ensure_aware_utc(when)
        with self._lock:
            if when < self._now:
                raise InvalidClockMoveError(
                    f"cannot move the clock back from {self._now.isoformat()} "
                    f"to {when.isoformat()}",
                    field="when",
                )
            self._now = when
        return when

    def advance(
        self,
        delta: timedelta | relativedelta | None = None,
        *,
        years: int = 0,
        months: int = 0,
        days: int = 0,
        hours: int = 0,
        minutes: int = 0,
        seconds: int = 0,
    ) -> datetime:
        """Move the clock forward: by a timedelta, a relativedelta, or units such as `months=3`.

        Months step from the calendar date, so Jan 31 + 1 month is Feb 28 (or 29). Work due on the
        way does not run; use `kit.advance_to` for that.

        Args:
            delta: The span; when given, the units are ignored.
            years: Years to add.
            months: Months to add.
            days: Days to add.
            hours: Hours to add.
            minutes: Minutes to add.
            seconds: Seconds to add.

        Returns:
            The new now, in UTC.

        Raises:
            InvalidClockMoveError: The span is negative (`clock.backwards`).
        """
        step = (
            delta
            if delta is not None
            else relativedelta(
                years=years, months=months, days=days, hours=hours, minutes=minutes, seconds=seconds
            )
        )
        return self.set(self._now + step)

    def __repr__(self) -> str:
        return f"SimulatedClock({self._now.isoformat()})"
