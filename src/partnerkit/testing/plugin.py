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
    """A SimulatedClock at 2026-01-05 09:00 UTC."""
    return SimulatedClock(START)


@pytest.fixture
def pk_mailer() -> InMemoryMailer:
    return InMemoryMailer()


@pytest.fixture
def pk_staff() -> Principal:
    """The vendor's partner team, the actor of a test's set-up steps (products, partners,
    accounts, plans)."""
    return Principal.staff("partner-team@vendor.example")


@pytest.fixture
def pk_kit(pk_clock: SimulatedClock, pk_mailer: InMemoryMailer) -> Iterator[Kit]:
    """A Kit on a fresh in-memory backend, driven by `pk_clock`, mailing to `pk_mailer`."""
    kit = Kit(MemoryBackend(), clock=pk_clock, mailer=pk_mailer)
    yield kit
    kit.close()
