"""What every service shares: the backend, the clock, id generation, the unit-of-work scope and
the in-transaction event handlers.

Services take a Runtime instead of the Kit so they never see wiring, only these few powers. A
Runtime is generic in its store: a package's service asks for `Runtime[MappingStore]` and sees
only its own slice, whatever composition the backend implements.
"""

from __future__ import annotations

import contextvars
import os
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any, Generic, TypeVar

from partnerkit import validate
from partnerkit.access.audit import AuditEntry, AuditKind, is_refusal
from partnerkit.access.guard import Guard
from partnerkit.clock import Clock, ensure_aware_utc
from partnerkit.errors import ConcurrencyError, PartnerkitError, PermissionDeniedError
from partnerkit.events import AccessDenied, Email, Event, OutboxMessage
from partnerkit.ports import Backend, S_co, UnitOfWork
from partnerkit.secrets import SecretKey

T = TypeVar("T")

__all__ = ["Runtime"]

E = TypeVar("E", bound=Event)


class Runtime(Generic[S_co]):
    def __init__(
        self,
        backend: Backend[S_co],
        clock: Clock,
        *,
        after_commit: Callable[[], None] | None = None,
        unheard: Callable[[str], bool] | None = None,
        secrets: SecretKey | None = None,
    ) -> None:
        self.backend = backend
        #: Derives link tokens for emails (never stored in clear; see partnerkit.secrets).
        self.secrets = secrets if secrets is not None else SecretKey()
        self.clock = clock
        self._after_commit = after_commit
        self._unheard = unheard
        # Handlers other packages registered (through their install()) by event type; they run
        # inside the publishing change's transaction, so their writes commit or roll back with it.
        self._handlers: dict[type[Event], list[Callable[[Any], None]]] = {}
        #: Who may see and change what; packages register their associations on it.
        self.guard = Guard()
        # The unit of work open in this thread/task; nested calls join it through a savepoint.
        self._current: contextvars.ContextVar[S_co | None] = contextvars.ContextVar(
            f"partnerkit_uow_{id(self)}", default=None
        )
        self._wrote_outbox: contextvars.ContextVar[bool] = contextvars.ContextVar(
            f"partnerkit_outbox_{id(self)}", default=False
        )

    def now(self) -> datetime:
        return ensure_aware_utc(self.clock.now(), "clock.now()")

    def today(self) -> date:
        return self.now().date()

    @staticmethod
    def new_id(prefix: str) -> str:
        # 122 random bits: unguessable, so a foreign id cannot be enumerated.
        return f"{prefix}_{uuid.uuid4().hex}"

    @staticmethod
    def new_sequential_id(prefix: str) -> str:
        # Outbox messages and mapping intervals are ordered by id within an instant, so the
        # id starts with a monotonic counter (nanoseconds, not the business clock).
        # The first 12 hex digits of a uuid4 are 48 random bits: os.urandom gives them
        # without building the UUID (four ids per renewal).
        return f"{prefix}_{time.monotonic_ns():016x}{os.urandom(6).hex()}"

    @property
    def in_transaction(self) -> bool:
        return self._current.get() is not None

    def retrying(self, call: Callable[[], T], *, attempts: int = 3) -> T:
        """Run `call`, a whole service call that touches only the database, again when the
        database gave up on it for a concurrent writer (`ConcurrencyError`: a deadlock victim,
        a serialization failure, a version that moved). The engine rolled it all back, so
        running it again is safe, and a call that is idempotent by its own key (a booked
        transaction id) then finds what the other writer stored. Inside an open unit of work it
        runs once: the enclosing call is the one to run again.
        """
        if self.in_transaction:
            return call()
        for attempt in range(1, attempts + 1):
            try:
                return call()
            except ConcurrencyError:
                if attempt == attempts:
                    raise
        raise AssertionError("attempts is at least 1")  # pragma: no cover

    @contextmanager
    def uow(self, *, readonly: bool = False) -> Iterator[S_co]:
        """The unit of work for one service call, joining an open one when there is one.

        `readonly=True` is a promise that the call writes nothing: on its own it opens a read
        transaction (no write lock on SQLite); inside an open one it joins without a savepoint.
        """
        current = self._current.get()
        if current is not None:
            try:
                if readonly:
                    yield current
                else:
                    with current.savepoint():
                        yield current
            except PartnerkitError as denial:
                # Kept if the caller catches the denial and the enclosing transaction commits.
                if is_refusal(denial):
                    self._audit(current, denial)
                raise
            return
        outbox_token = self._wrote_outbox.set(False)
        try:
            try:
                with self.backend.unit_of_work(readonly=readonly) as uow:
                    token = self._current.set(uow)
                    try:
                        yield uow
                    finally:
                        self._current.reset(token)
            except PartnerkitError as denial:
                # The change rolled back; the record that it was refused must not.
                if is_refusal(denial):
                    with self.backend.unit_of_work() as audit:
                        self._audit(audit, denial)
                raise
            wrote = self._wrote_outbox.get()
        finally:
            self._wrote_outbox.reset(outbox_token)
        if wrote and self._after_commit is not None:
            self._after_commit()

    def _audit(self, uow: UnitOfWork, denial: PartnerkitError) -> None:
        """Denials are audited: an entry in the audit trail with the rule and who was refused,
        and an `access.denied` event for subscribers."""
        details = {key: str(value) for key, value in denial.details.items()}

        def ref(key: str) -> str | None:
            value = denial.details.get(key)
            return value if validate.is_ref(value, max_length=254) else None

        self.audit(
            uow,
            AuditKind.DENIED,
            allowed=False,
            reason=denial.code,
            by=details.get("by", "unknown"),
            customer_id=ref("customer_id"),
            partner_id=ref("partner_id"),
            product=ref("product"),
            subject=ref("subject"),
            details={"message": denial.message, **details},
        )
        if isinstance(denial, PermissionDeniedError):
            self.publish(uow, AccessDenied(denial.code, denial.message, details))

    def audit(
        self,
        uow: UnitOfWork,
        kind: AuditKind,
        *,
        allowed: bool,
        reason: str,
        by: str,
        customer_id: str | None = None,
        partner_id: str | None = None,
        product: str | None = None,
        subject: str | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> AuditEntry:
        """Append an entry to the audit trail in `uow`: it commits or rolls back with the
        decision it records.

        Args:
            uow: The unit of work of the decision.
            kind: What the entry records.
            allowed: The decision.
            reason: Its stable reason code.
            by: The label of the principal the decision was taken for.
            customer_id: The account it was about, if any.
            partner_id: The partner it was about, if any.
            product: The product it was about, if any.
            subject: The enquirer, the user or the lead it was about, if any.
            details: The facts it rested on (JSON data).

        Returns:
            The entry as stored.
        """
        entry = AuditEntry(
            id=self.new_sequential_id("aud"),
            at=self.now(),
            kind=kind,
            allowed=allowed,
            reason=reason,
            by=by[:254],
            customer_id=customer_id,
            partner_id=partner_id,
            product=product,
            subject=None if subject is None else subject[:254],
            details=details or {},
        )
        uow.audit.add(entry)
        return entry

    def on(self, event_type: type[E], handler: Callable[[E], None]) -> None:
        """Run `handler` inside the transaction of every change that publishes `event_type`.

        The handler opens its own `uow()`, which joins the publisher's through a savepoint; an
        exception it raises undoes the whole change.
        """
        self._handlers.setdefault(event_type, []).append(handler)

    def publish(self, uow: UnitOfWork, event: Event) -> None:
        """Record a domain event in the same transaction as the change it describes, after the
        in-transaction handlers registered for its type have run."""
        for handler in self._handlers.get(type(event), ()):
            handler(event)
        now = self.now()
        # No one here listens and this process is the deliverer: settle it now rather than
        # pay a second transaction after commit to mark it delivered to no one.
        unheard = self._unheard is not None and self._unheard(event.topic)
        uow.outbox.add(
            OutboxMessage.for_event(self.new_sequential_id("msg"), event, now, delivered=unheard)
        )
        if not unheard:
            self._wrote_outbox.set(True)

    def mark_outbox_written(self) -> None:
        """Deliver after this unit of work commits, as if it had queued a message itself."""
        self._wrote_outbox.set(True)

    def send(self, uow: UnitOfWork, email: Email) -> None:
        """Queue an email in the same transaction: a rolled-back change sends nothing."""
        uow.outbox.add(OutboxMessage.for_email(self.new_sequential_id("msg"), email, self.now()))
        self._wrote_outbox.set(True)
