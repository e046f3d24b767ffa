"""The kernel's ports: the unit of work every package's store extends, the backend, the
outbox and the mailer. This module knows no domain package.

Each package declares its repositories and its slice of the unit of work in its own
`ports.py` (`catalog.ports.CatalogStore`, `customers.ports.CustomersStore`,
`mapping.ports.MappingStore`); `partnerkit.stores.Store` composes them, and a backend
implements that composition.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import datetime
from typing import TYPE_CHECKING, Protocol, TypeVar

if TYPE_CHECKING:
    from partnerkit.access.ports import AuditEntries
    from partnerkit.events import Email, MessageKind, OutboxMessage

__all__ = ["Backend", "Mailer", "Outbox", "S_co", "UnitOfWork"]


class Outbox(Protocol):
    def add(self, message: OutboxMessage) -> None: ...

    def due(
        self, now: datetime, limit: int, *, kind: MessageKind | None = None
    ) -> list[OutboxMessage]:
        """Pending messages whose next attempt is at or before `now`, oldest first; only those
        of `kind` when given (a kit without a mailer delivers events and leaves emails waiting).

        On PostgreSQL the rows are locked (SKIP LOCKED) so several workers share the queue.
        """

    def next_due(self) -> datetime | None:
        """The earliest next attempt among pending messages."""

    def save(self, message: OutboxMessage) -> None:
        """Store the new status, attempts and error of a message taken from `due`."""

    def all(self, *, topic: str | None = None) -> list[OutboxMessage]:
        """Every message, oldest first (for tests, operators and the tour)."""

    def get(self, message_id: str) -> OutboxMessage | None: ...

    def dead(self, limit: int) -> list[OutboxMessage]:
        """Messages that gave up after their retries, oldest first: an operator's queue."""


class UnitOfWork(Protocol):
    """One transaction. The kernel's slice is the outbox, the audit trail and savepoints; each
    package's store protocol adds its repositories, which all read and write inside the same
    transaction."""

    @property
    def outbox(self) -> Outbox: ...

    @property
    def audit(self) -> AuditEntries:
        """The audit trail (`partnerkit.access`): every package records its access decisions
        in the transaction of the change they belong to."""

    def savepoint(self) -> AbstractContextManager[None]:
        """A nested scope: an exception inside undoes only what the scope wrote."""


#: The store a backend hands out: the kernel's UnitOfWork or a composition extending it.
S_co = TypeVar("S_co", bound=UnitOfWork, covariant=True)


class Backend(Protocol[S_co]):
    """Storage: hands out units of work (of store type `S_co`) and owns the schema."""

    @property
    def name(self) -> str:
        """'memory', 'sqlite', 'postgresql' or 'mysql'."""

    def unit_of_work(self, *, readonly: bool = False) -> AbstractContextManager[S_co]:
        """Begin a transaction; commit when the block ends cleanly, roll back on an exception.

        `readonly=True` promises that the block writes nothing (SQLite then begins a deferred
        transaction, which does not take the write lock)."""

    def migrate(self) -> None:
        """Bring the schema to the version this partnerkit needs (a no-op in memory)."""

    def close(self) -> None: ...


class Mailer(Protocol):
    """Sends one email; raising means 'not sent', and the outbox will retry."""

    def send(self, email: Email) -> None: ...
