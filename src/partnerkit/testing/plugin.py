"""pytest fixtures for hosts testing their app on partnerkit: a kit on the memory backend with
a simulated clock, a mailer you can read, and a staff principal to set things up with. Loaded
automatically through the pytest11 entry point.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from partnerkit.access import Principal
from partnerkit.backends.memory import MemoryBackend
from partnerkit.clock import SimulatedClock
from partnerkit.gateways.mailer import InMemoryMailer
from partnerkit.kit import Kit

__all__ = ["pk_clock", "pk_kit", "pk_mailer", "pk_staff"]

#: Where simulated time starts in the fixtures: a fixed instant keeps tests repeatable.
START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


@pytest.fixture
def pk_clock() -> SimulatedClock:
    """A `SimulatedClock` at 2026-01-05 09:00 UTC: a fixed start keeps tests repeatable.

    Returns:
        The clock; `pk_kit` runs on it.

    Raises nothing.
    """
    return SimulatedClock(START)


@pytest.fixture
def pk_mailer() -> InMemoryMailer:
    """An `InMemoryMailer`: the emails `pk_kit` delivers, for a test to read.

    Returns:
        The mailer; assert on `pk_mailer.sent` or `pk_mailer.to(address)`.

    Raises nothing.
    """
    return InMemoryMailer()


@pytest.fixture
def pk_staff() -> Principal:
    """A staff principal (the vendor's partner team), the actor of a test's set-up steps.

    Products, partners, accounts and plans are set up by staff.

    Returns:
        `Principal.staff("partner-team@vendor.example")`.

    Raises nothing.
    """
    return Principal.staff("partner-team@vendor.example")


@pytest.fixture
def pk_kit(pk_clock: SimulatedClock, pk_mailer: InMemoryMailer) -> Iterator[Kit]:
    """A `Kit` on a fresh in-memory backend, driven by `pk_clock`, mailing to `pk_mailer`.

    Closed after the test.

    Args:
        pk_clock: The clock fixture; move time with `pk_kit.advance_to(...)`.
        pk_mailer: The mailer fixture.

    Yields:
        The kit.

    Raises nothing.
    """
    kit = Kit(MemoryBackend(), clock=pk_clock, mailer=pk_mailer)
    yield kit
    kit.close()
