"""The ports every backend and gateway implements: unit of work, backend, outbox, mailer.

Repository protocols live beside their domain (`subscriptions.ports`, `mapping.ports`,
`customers.ports`); this module gathers them into the unit of work a service sees.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from partnerkit.catalog.ports import Products
    from partnerkit.customers.ports import Customers
    from partnerkit.events import Email, OutboxMessage
    from partnerkit.mapping.ports import (
        CommissionEntries,
        CommissionPlans,
        ConsentRequests,
        PartnerCodes,
        PartnerRecords,
        Partners,
        SignupLinks,
        TrackingEntries,
    )

__all__ = ["Backend", "Mailer", "Outbox", "UnitOfWork"]


class Outbox(Protocol):
    def add(self, message: OutboxMessage) -> None: ...

    def due(self, now: datetime, limit: int) -> list[OutboxMessage]:
        """Pending messages whose next attempt is at or before `now`, oldest first.

        On PostgreSQL the rows are locked (SKIP LOCKED) so several workers share the queue.
        """

    def next_due(self) -> datetime | None:
        """The earliest next attempt among pending messages."""

    def save(self, message: OutboxMessage) -> None:
        """Store the new status, attempts and error of a message taken from `due`."""

    def all(self, *, topic: str | None = None) -> list[OutboxMessage]:
        """Every message, oldest first (for tests, operators and the tour)."""


class UnitOfWork(Protocol):
    """One transaction: the repositories it exposes all read and write inside it."""

    @property
    def products(self) -> Products: ...

    @property
    def partners(self) -> Partners: ...

    @property
    def codes(self) -> PartnerCodes: ...

    @property
    def customers(self) -> Customers: ...

    @property
    def outbox(self) -> Outbox: ...

    @property
    def records(self) -> PartnerRecords: ...

    @property
    def consents(self) -> ConsentRequests: ...

    @property
    def signup_links(self) -> SignupLinks: ...

    @property
    def tracking(self) -> TrackingEntries: ...

    @property
    def commission_plans(self) -> CommissionPlans: ...

    @property
    def commissions(self) -> CommissionEntries: ...

    def savepoint(self) -> AbstractContextManager[None]:
        """A nested scope: an exception inside undoes only what the scope wrote."""


class Backend(Protocol):
    """Storage: hands out units of work and owns the schema."""

    @property
    def name(self) -> str:
        """'memory', 'sqlite', 'postgresql' or 'mysql'."""

    def unit_of_work(self, *, readonly: bool = False) -> AbstractContextManager[UnitOfWork]:
        """Begin a transaction; commit when the block ends cleanly, roll back on an exception."""

    def migrate(self) -> None:
        """Bring the schema to the version this partnerkit needs (a no-op in memory)."""

    def close(self) -> None: ...


class Mailer(Protocol):
    """Sends one email; raising means 'not sent', and the outbox will retry."""

    def send(self, email: Email) -> None: ...
