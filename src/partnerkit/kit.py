"""The Kit: wires a backend, a clock and a mailer to the services, and drives time.

`partnerkit.connect()` builds one; `kit.run_due()` and `kit.advance_to()` run every
time-driven rule that later chapters register.
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any, cast

import attrs

from partnerkit import access, catalog, customers, mapping, validate
from partnerkit.access import Principal
from partnerkit.access.service import AccessService
from partnerkit.clock import Clock, SimulatedClock, SystemClock, ensure_aware_utc
from partnerkit.errors import ConfigurationError, InvalidInputError, MissingExtraError
from partnerkit.events import DomainEvent, MessageKind, MessageStatus, OutboxMessage, RetryPolicy
from partnerkit.gateways.mailer import InMemoryMailer
from partnerkit.ports import Backend, Mailer
from partnerkit.runtime import Runtime
from partnerkit.secrets import SecretKey, render_secrets
from partnerkit.stores import Store
from partnerkit.wiring import DueJob, ScheduledJob, Wiring, policies_by_type

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from partnerkit.backends.sql import SqlBackend

__all__ = ["DueJob", "DueReport", "Kit", "connect"]

EventHandler = Callable[[DomainEvent], None]

log = logging.getLogger("partnerkit")

#: The longest delivery error kept on a message: enough to diagnose, never megabytes.
MAX_ERROR_CHARS = 1000

#: Where `connect()` puts its data when given no URL: a file in the working directory.
DEFAULT_URL = "sqlite:///partnerkit.db"


@attrs.frozen
class DueReport:
    """What one `run_due()` did: items handled per job, at which instant."""

    at: datetime
    handled: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.handled.values())


class Kit:
    """partnerkit, wired: `kit.catalog`, `kit.partners`, `kit.customers`, `kit.mapping`,
    `kit.access`, and time."""

    def __init__(
        self,
        backend: Backend[Store],
        *,
        clock: Clock | None = None,
        mailer: Mailer | None = None,
        retry_policy: RetryPolicy | None = None,
        deliver_on_commit: bool = True,
        policies: Iterable[object] = (),
        secret_key: bytes | str | None = None,
    ) -> None:
        self.backend = backend
        self.clock: Clock = clock if clock is not None else SystemClock()
        # In memory, a kit keeps its emails where a test can read them; on SQL, emails wait in
        # the outbox until a mailer is configured: nothing is marked sent that was not.
        if mailer is None and backend.name == "memory":
            mailer = InMemoryMailer()
        self.mailer: Mailer | None = mailer
        self._warned_no_mailer = False
        self.retry_policy = retry_policy or RetryPolicy()
        self._subscribers: dict[str, list[EventHandler]] = defaultdict(list)
        self._delivering = threading.local()
        self._runtime = Runtime(
            backend,
            self.clock,
            after_commit=self._deliver_after_commit if deliver_on_commit else None,
            unheard=self._unheard if deliver_on_commit else None,
            secrets=SecretKey(secret_key),
        )
        # Each package wires itself: its services, policy, due jobs and event handlers.
        wiring: Wiring[Store] = Wiring(self._runtime, policies_by_type(policies))
        self.access: AccessService = access.install(wiring)
        self.catalog = catalog.install(wiring)
        self.customers = customers.install(wiring)
        program = mapping.install(wiring)
        self.partners = program.partners
        self.mapping = program.mapping
        self.commissions = program.commissions
        self.leads = program.leads
        unused = wiring.unused_policies()
        if unused:
            names = ", ".join(kind.__name__ for kind in unused)
            raise ConfigurationError(f"no installed package uses the policies {names}")
        #: The policies in force, by type: the host's, or each package's defaults.
        self.policies: dict[type[Any], object] = dict(wiring.policies())
        # The outbox goes last, so that what the other jobs wrote is delivered in the same run.
        self._jobs: list[DueJob] = [
            *wiring.jobs(),
            ScheduledJob(
                "outbox", self._outbox_next_due, lambda now: self.deliver_outbox(), order=10**6
            ),
        ]

    # --- lifecycle ----------------------------------------------------------------------------

    def migrate(self) -> None:
        """Create or upgrade the schema (Alembic on SQL; nothing in memory)."""
        self.backend.migrate()

    def close(self) -> None:
        self.backend.close()

    def __enter__(self) -> Kit:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Kit(backend={self.backend.name!r}, clock={self.clock!r})"

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Group several service calls into one unit of work: all of them or none.

        Each call inside runs in a savepoint, so an error you catch inside the block undoes
        only that call; an exception leaving the block undoes everything, outbox included.
        """
        with self._runtime.uow():
            yield

    def now(self) -> datetime:
        return self._runtime.now()

    def today(self) -> date:
        return self._runtime.today()

    # --- events and the outbox ----------------------------------------------------------------

    def subscribe(self, event_name: str, handler: EventHandler) -> None:
        """Call `handler` for each delivered event named `event_name` ('*' for all).

        Delivery is at least once: a handler that raises is retried with the whole message.
        """
        name = validate.text(event_name, "event_name", max_length=100)
        if not callable(handler):
            raise InvalidInputError("handler must be callable", field="handler")
        self._subscribers[name].append(handler)

    def outbox(self, *, topic: str | None = None) -> list[OutboxMessage]:
        """Every outbox message, oldest first: what was (or will be) sent and published."""
        wanted = None if topic is None else validate.text(topic, "topic", max_length=100)
        with self._runtime.uow(readonly=True) as uow:
            return uow.outbox.all(topic=wanted)

    def dead_letters(self, *, actor: Principal, limit: int = 100) -> list[OutboxMessage]:
        """Messages that gave up after their retries, oldest first (staff and the system)."""
        with self._runtime.uow(readonly=True) as uow:
            self._runtime.guard.require_staff(actor, "read the outbox's dead letters")
            return uow.outbox.dead(limit)

    def redrive(self, message_ids: Iterable[str] | None = None, *, actor: Principal) -> int:
        """Give dead messages a new start (all of them, or those named): pending now, retries
        counted afresh, delivered by the next `run_due` (or right away, on commit). Returns how
        many were re-driven; an id that is not a dead message is refused, and nothing changes."""
        with self._runtime.uow() as uow:
            self._runtime.guard.require_staff(actor, "re-drive dead outbox messages")
            if message_ids is None:
                chosen = uow.outbox.dead(10_000)
            else:
                chosen = []
                for message_id in message_ids:
                    found = uow.outbox.get(message_id) if validate.is_ref(message_id) else None
                    if found is None or found.status is not MessageStatus.DEAD:
                        raise InvalidInputError(
                            f"{message_id!r} is not a dead outbox message", field="message_ids"
                        )
                    chosen.append(found)
            now = self._runtime.now()
            for message in chosen:
                uow.outbox.save(message.redriven(now))
            if chosen:
                log.info("re-drove %d dead outbox messages", len(chosen))
                self._runtime.mark_outbox_written()
        return len(chosen)

    def deliver_outbox(self, *, limit: int = 500) -> int:
        """Send due emails and publish due events, each message in its own transaction (a
        crash re-sends at most the one in flight); failures are retried by the policy, and a
        message that keeps failing goes dead without holding up the others.

        Emails wait, pending, while no mailer is configured. Returns how many were delivered.
        """
        delivered = 0
        # Without a mailer, emails stay pending (the next run with one sends them): only
        # events are taken from the queue, and the log says once that emails wait.
        kind = MessageKind.EVENT if self.mailer is None else None
        if kind is not None and not self._warned_no_mailer:
            with self._runtime.uow(readonly=True) as uow:
                if uow.outbox.due(self._runtime.now(), 1, kind=MessageKind.EMAIL):
                    self._say_no_mailer()
        for _ in range(limit):
            with self._runtime.uow() as uow:
                now = self._runtime.now()
                message = next(iter(uow.outbox.due(now, 1, kind=kind)), None)
                if message is None:
                    break
                try:
                    self._deliver(message)
                except Exception as exc:
                    error = _error_text(exc)
                    failed = message.failed(error, now, self.retry_policy)
                    uow.outbox.save(failed)
                    if failed.status is MessageStatus.DEAD:
                        log.error(
                            "outbox message %s (%s) is dead after %d attempts: %s",
                            message.id,
                            message.topic,
                            failed.attempts,
                            error,
                        )
                    else:
                        log.warning(
                            "outbox message %s (%s) failed, attempt %d, retry at %s: %s",
                            message.id,
                            message.topic,
                            failed.attempts,
                            failed.next_attempt_at.isoformat(),
                            error,
                        )
                else:
                    uow.outbox.save(message.delivered(now))
                    delivered += 1
        return delivered

    def _deliver(self, message: OutboxMessage) -> None:
        if message.kind is MessageKind.EMAIL:
            assert self.mailer is not None
            email = message.email()
            context = render_secrets(email.context, self._runtime.secrets)
            self.mailer.send(attrs.evolve(email, context=context))
            return
        event = message.event()
        for handler in (*self._subscribers.get(event.name, ()), *self._subscribers.get("*", ())):
            handler(event)

    def _say_no_mailer(self) -> None:
        if not self._warned_no_mailer:
            self._warned_no_mailer = True
            log.warning(
                "emails are waiting in the outbox: this kit has no mailer "
                "(connect(..., mailer=...) to send them)"
            )

    def _unheard(self, event_name: str) -> bool:
        return not self._subscribers.get(event_name) and not self._subscribers.get("*")

    def _deliver_after_commit(self) -> None:
        # Delivery writes to the outbox itself; guard against delivering from inside delivery.
        if getattr(self._delivering, "active", False):
            return
        self._delivering.active = True
        try:
            self.deliver_outbox()
        except Exception:
            # The caller's change is committed; a delivery problem must not look like its
            # failure. What was not delivered stays pending for the next run.
            log.exception("delivering the outbox after a commit failed")
        finally:
            self._delivering.active = False

    # --- time ---------------------------------------------------------------------------------

    def register_due(self, job: DueJob) -> None:
        """Add a time-driven rule to `run_due`, before the outbox delivery."""
        self._jobs.insert(len(self._jobs) - 1, job)

    def run_due(self) -> DueReport:
        """Process everything due at the clock's now, job by job, in registration order."""
        now = self._runtime.now()
        handled = {job.name: job.run(now) for job in self._jobs}
        return DueReport(at=now, handled=handled)

    def advance_to(self, when: datetime | date) -> list[DueReport]:
        """Move a SimulatedClock to `when`, stopping at each instant where work is due and
        running it there, so rules fire in the order and at the time they would have."""
        if not isinstance(self.clock, SimulatedClock):
            raise ConfigurationError(
                "moving time forward needs a simulated clock; this kit reads the real time",
                hint="connect(..., clock=SimulatedClock()) gives advance_to a clock to move",
            )
        target = _instant(when)
        if target < self.clock.now():
            raise InvalidInputError("time cannot move back to the past", field="when")
        reports: list[DueReport] = []
        while True:
            due = self._next_due()
            if due is None or due > target:
                break
            self.clock.set(max(due, self.clock.now()))
            report = self.run_due()
            reports.append(report)
            if report.total == 0 and self._next_due() == due:
                # A job says it is due but does nothing: step past it rather than spin.
                break
        self.clock.set(target)
        reports.append(self.run_due())
        return reports

    def _next_due(self) -> datetime | None:
        # One read transaction for every job's question (each joins it).
        with self._runtime.uow(readonly=True):
            times = [t for job in self._jobs if (t := job.next_due()) is not None]
        return min(times, default=None)

    def _outbox_next_due(self) -> datetime | None:
        with self._runtime.uow(readonly=True) as uow:
            return uow.outbox.next_due()


def _instant(when: datetime | date) -> datetime:
    if isinstance(when, datetime):
        return ensure_aware_utc(when)
    if isinstance(when, date):
        return datetime(when.year, when.month, when.day, tzinfo=UTC)
    raise InvalidInputError(
        "when must be a day or a moment in time",
        field="when",
        hint=f"when takes a date or an aware datetime, not {type(when).__name__}",
    )


def _sql_backend() -> type[SqlBackend]:
    # Imported on demand: `import partnerkit` must not import SQLAlchemy.
    try:
        from partnerkit.backends.sql import SqlBackend
    except ImportError as exc:
        raise MissingExtraError(
            "the SQL backend needs SQLAlchemy and Alembic",
            remedy="pip install 'partnerkit[sql]'",
        ) from exc
    return SqlBackend


def connect(
    target: str | Backend[Store] | Any | None = None,
    *,
    clock: Clock | None = None,
    mailer: Mailer | None = None,
    retry_policy: RetryPolicy | None = None,
    deliver_on_commit: bool = True,
    policies: Iterable[object] = (),
    secret_key: bytes | str | None = None,
) -> Kit:
    """A Kit over `target`: a URL, a SQLAlchemy Engine, or a backend instance.

    - ``"memory://"``: the in-memory backend (tests, prototypes);
    - ``"sqlite:///path.db"``, ``"postgresql+psycopg://…"``, ``"mysql+pymysql://…"``: SQL
      (install ``partnerkit[sql]``); call ``kit.migrate()`` once to create the schema;
    - ``None``: a SQLite file ``partnerkit.db`` in the working directory.

    `policies` takes policy values, one of each kind, such as
    ``[pk.MappingPolicy(provisional_months=6)]``; a kind not given keeps its defaults.

    `secret_key` (32 bytes or more) derives the links in emails, which are never stored; give
    every process that queues or delivers emails the same key. Without one, a random key lasts
    as long as this kit.

    Nothing connects until the first unit of work.
    """
    backend: Backend[Store]
    if target is None:
        target = DEFAULT_URL
    if isinstance(target, str):
        if target.strip() in ("memory://", "memory:"):
            from partnerkit.backends.memory import MemoryBackend

            backend = MemoryBackend()
        else:
            backend = _sql_backend().from_url(target)
    elif hasattr(target, "dialect") and hasattr(target, "connect"):
        backend = _sql_backend()(cast("Engine", target))
    elif hasattr(target, "unit_of_work"):
        backend = target
    else:
        raise InvalidInputError(
            "partnerkit connects to a database URL, a SQLAlchemy engine or a backend",
            field="target",
            hint=f"connect() takes a URL, an Engine or a backend, not {type(target).__name__}",
        )
    return Kit(
        backend,
        clock=clock,
        mailer=mailer,
        retry_policy=retry_policy,
        deliver_on_commit=deliver_on_commit,
        policies=policies,
        secret_key=secret_key,
    )


def _error_text(exc: BaseException) -> str:
    """A delivery error as a database can store it: no NUL bytes, bounded length."""
    text = f"{type(exc).__name__}: {exc}".replace("\x00", "\\0")
    return text if len(text) <= MAX_ERROR_CHARS else text[: MAX_ERROR_CHARS - 1] + "…"
