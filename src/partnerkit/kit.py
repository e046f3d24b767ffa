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

from partnerkit import (
    access,
    billing,
    catalog,
    customers,
    mapping,
    resellers,
    subscriptions,
    validate,
)
from partnerkit.access import Principal
from partnerkit.access.service import AccessService
from partnerkit.billing.gateway import PaymentGateway
from partnerkit.clock import Clock, SimulatedClock, SystemClock, ensure_aware_utc
from partnerkit.errors import ConfigurationError, InvalidInputError, MissingExtraError
from partnerkit.events import DomainEvent, MessageKind, MessageStatus, OutboxMessage, RetryPolicy
from partnerkit.gateways.mailer import InMemoryMailer
from partnerkit.gateways.payments import FakePaymentGateway
from partnerkit.mapping.policy import MappingPolicy
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
    """What one `kit.run_due()` did: how many items each time-driven rule handled, and when.

    Attributes:
        at: The instant the run processed (the clock's now when it started).
        handled: Items handled per job name, in the order the jobs ran: `consent_expiry`,
            `subscriptions`, `provisional_mappings`, `partner_inactivity`,
            `payments_reconciled`, `invoices_overdue`, then `outbox` (messages delivered).
    """

    at: datetime
    handled: dict[str, int]

    @property
    def total(self) -> int:
        """Items handled by all jobs together; 0 means nothing was due."""
        return sum(self.handled.values())


class Kit:
    """partnerkit wired to one backend: the services a host calls, the outbox, and time.

    Build one with `partnerkit.connect()`; construct it directly only to pass a backend you
    built yourself. Each service call is one unit of work (it commits on return, or leaves
    nothing behind when it raises), and `kit.transaction()` groups several.

    Attributes:
        catalog: The products the vendor sells (`CatalogService`).
        customers: Customer accounts, their users, contacts and plans (`CustomersService`).
        partners: Partner accounts, sign-in checks and partner codes (`PartnersService`).
        mapping: Which partner each customer works with per product, and every way that
            changes (`MappingService`).
        commissions: Commission plans, the commission ledger and statements
            (`CommissionsService`).
        access: Who may be told what about an account, the evidence tying a partner to it,
            and the audit trail (`AccessService`).
        leads: Leads shared with partners (`LeadsService`).
        billing: Invoices, taxes, payments, credits, refunds, statements and receipts
            (`BillingService`).
        resellers: The reseller portal: resellers, their customers, tags, archive, orders
            and migration to a portal of the customer's own (`ResellersService`).
        subscriptions: Plans, addons, coupons, subscriptions and their lifecycle, renewals
            and dunning (`SubscriptionsService`).
        clock: The clock every rule reads the time from.
        mailer: Where emails go when the outbox delivers them; None keeps them pending.
        policies: The policies in force by type, such as `MappingPolicy`: the host's, or
            each package's defaults.
        backend: The storage the kit runs on (`MemoryBackend`, `SqlBackend` or the host's).

    Args:
        backend: The storage to run on.
        clock: The time source; `SystemClock()` when None. Pass a `SimulatedClock` to drive
            time with `advance_to`.
        mailer: Sends the emails the outbox delivers. None means an `InMemoryMailer` on the
            memory backend and, on SQL, no mailer: emails wait in the outbox, pending.
        retry_policy: How often and how long a failing delivery is retried before the message
            goes dead; `RetryPolicy()` when None.
        deliver_on_commit: Deliver the outbox right after each change that wrote to it. False
            leaves delivery to `run_due`/`deliver_outbox` (a separate worker).
        policies: Policy values, at most one of each kind (`[MappingPolicy(...)]`); a kind
            not given keeps its defaults.
        secret_key: 32 bytes or more; derives the links in emails. Give every process that
            queues or delivers emails the same key. None: a random key for this kit's life.
        payment_gateway: Where online payments are charged (`kit.billing.pay`). None means a
            `FakePaymentGateway` on the memory backend and, on SQL, none: online payments
            raise `NoPaymentGatewayError`.

    Raises:
        ConfigurationError: `policies` names a kind twice, holds something that is not a
            policy value, or a policy no installed package uses; or `secret_key` is shorter
            than 32 bytes (`configuration`).
    """

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
        payment_gateway: PaymentGateway | None = None,
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
        # An account without a time zone of its own follows the organisation's, which the
        # partner program's policy names (its rules are the ones that count days).
        zone = wiring.policy(MappingPolicy).time_zone
        self.customers = customers.install(wiring, time_zone=zone)
        program = mapping.install(wiring)
        self.partners = program.partners
        self.mapping = program.mapping
        self.commissions = program.commissions
        self.leads = program.leads
        # In memory, online payments work out of the box against the fake gateway, as the
        # docs' examples do; on SQL only the host's gateway charges anyone.
        if payment_gateway is None and backend.name == "memory":
            payment_gateway = FakePaymentGateway(clock=self.clock)
        #: The payment gateway online payments go through; None: online payments are refused.
        self.payment_gateway: PaymentGateway | None = payment_gateway
        self.billing = billing.install(wiring, payment_gateway=payment_gateway, time_zone=zone)
        self.resellers = resellers.install(wiring, billing=self.billing)
        self.subscriptions = subscriptions.install(
            wiring, billing=self.billing, customers=self.customers
        )
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
        """Create the partnerkit tables, or upgrade them to this release's schema.

        Run it once after `connect()` on a new database and after each upgrade of partnerkit
        (or run `partnerkit db upgrade URL` from a deploy step). On SQL it applies the Alembic
        migrations shipped in the package; in memory there is nothing to do. Running it again
        on an up-to-date schema changes nothing.

        Raises:
            StorageError: The database could not be reached or failed while migrating
                (`storage.unavailable`).
        """
        self.backend.migrate()

    def close(self) -> None:
        """Release the backend's connections (a `with connect(...) as kit:` block does it).

        On SQL the connection pool is disposed; on memory every table is emptied. Use the kit
        no more afterwards.

        Raises:
            StorageError: The database failed while its connections were closed
                (`storage.unavailable`).
        """
        self.backend.close()

    def __enter__(self) -> Kit:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Kit(backend={self.backend.name!r}, clock={self.clock!r})"

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Group several service calls into one unit of work: all of them happen, or none.

        Use it as `with kit.transaction():`. Each call inside runs in a savepoint, so an error
        you catch inside the block undoes only that call; an exception leaving the block undoes
        everything, outbox included, and sends nothing. Emails and events are delivered after
        the block commits.

        Returns:
            A context manager; the block runs inside one database transaction.

        Raises:
            StorageError: The database could not be reached, failed, or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`); nothing is kept.
        """
        with self._runtime.uow():
            yield

    def now(self) -> datetime:
        """The current instant as every rule of this kit sees it (the kit's clock).

        Returns:
            An aware UTC datetime.

        Raises:
            InvalidInputError: The clock returned a naive datetime (`validation.invalid`).
        """
        return self._runtime.now()

    def today(self) -> date:
        """The current business day: the UTC date of `now()`.

        Returns:
            The date in UTC.

        Raises:
            InvalidInputError: The clock returned a naive datetime (`validation.invalid`).
        """
        return self._runtime.today()

    # --- events and the outbox ----------------------------------------------------------------

    def subscribe(self, event_name: str, handler: EventHandler) -> None:
        """Have your code called for each event partnerkit publishes under a topic.

        Events are delivered after the change that published them commits, each message in its
        own transaction. Delivery is at least once: a handler that raises fails the whole
        message, which is retried by the kit's `RetryPolicy` (every handler of that topic runs
        again), so make handlers idempotent.

        Args:
            event_name: The event's topic, such as `"mapping.started"` or
                `"partner.registered"`; `"*"` for every event.
            handler: Called with a `DomainEvent` (the topic as `name`, the JSON `payload`).

        Raises:
            InvalidInputError: `event_name` is empty or longer than 100 characters, or
                `handler` is not callable (`validation.invalid`).
        """
        name = validate.text(event_name, "event_name", max_length=100)
        if not callable(handler):
            raise InvalidInputError("handler must be callable", field="handler")
        self._subscribers[name].append(handler)

    def outbox(self, *, topic: str | None = None) -> list[OutboxMessage]:
        """Every message in the outbox: the emails and events partnerkit sent or will send.

        For tests and operators: what a change queued, whether it was delivered, and why a
        delivery failed. Links in queued emails are references, never the tokens themselves.

        Args:
            topic: Only the messages of this topic: an event's (`"mapping.started"`) or an
                email's template (`"mapping.transfer_requested"`). None for all.

        Returns:
            The messages, oldest first, pending, delivered and dead alike.

        Raises:
            InvalidInputError: `topic` is empty or longer than 100 characters
                (`validation.invalid`).
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
        wanted = None if topic is None else validate.text(topic, "topic", max_length=100)
        with self._runtime.uow(readonly=True) as uow:
            return uow.outbox.all(topic=wanted)

    def dead_letters(self, *, actor: Principal, limit: int = 100) -> list[OutboxMessage]:
        """The messages that could not be delivered after all their retries, for an operator.

        Each keeps its `last_error`; fix the cause, then `redrive` them.

        Args:
            limit: At most this many messages.
            actor: Who asks: staff or the system only.

        Returns:
            The dead messages, oldest first.

        Raises:
            InvalidActorError: `actor` is not a `Principal` (`access.invalid_actor`).
            StaffOnlyError: The actor is not staff or the system (`access.staff_only`).
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
        with self._runtime.uow(readonly=True) as uow:
            self._runtime.guard.require_staff(actor, "read the outbox's dead letters")
            return uow.outbox.dead(limit)

    def redrive(self, message_ids: Iterable[str] | None = None, *, actor: Principal) -> int:
        """Give dead messages a new start once their cause is fixed (an operator action).

        Each message becomes pending now with its retries counted afresh, and is delivered
        right after this call commits (or by the next `run_due` when the kit does not deliver
        on commit). Its last error is kept until the next attempt replaces it.

        Args:
            message_ids: The ids of the dead messages to re-drive; None for every dead message
                (up to 10,000).
            actor: Who re-drives: staff or the system only.

        Returns:
            How many messages were re-driven.

        Raises:
            InvalidActorError: `actor` is not a `Principal` (`access.invalid_actor`).
            StaffOnlyError: The actor is not staff or the system (`access.staff_only`).
            InvalidInputError: An id is not that of a dead message; nothing is re-driven
                (`validation.invalid`, field `message_ids`).
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
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
        """Send the due emails and hand the due events to their subscribers.

        Each message is delivered in its own transaction, so a crash re-sends at most the one
        in flight. A failure (the mailer or a handler raised) is not raised here: the message
        is retried later by the kit's `RetryPolicy`, and one that keeps failing goes dead
        (see `dead_letters`) without holding up the others. While the kit has no mailer,
        emails stay pending and only events are delivered. `run_due` calls this last, and
        a kit that delivers on commit calls it after every change that queued a message.

        Args:
            limit: At most this many messages in this call.

        Returns:
            How many messages were delivered.

        Raises:
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
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
        """Have `run_due` and `advance_to` run a time-driven rule of your own.

        The job runs after partnerkit's own rules and before the outbox delivery, so what it
        writes to the outbox goes out in the same run.

        Args:
            job: An object with a `name`, a `next_due()` method that returns the earliest
                instant it has work (or None) and a `run(now)` method that does the work due
                at `now` and returns how many items it handled.

        Raises nothing: the job is not checked until it runs, so its own errors surface from
        `run_due`.
        """
        self._jobs.insert(len(self._jobs) - 1, job)

    def run_due(self) -> DueReport:
        """Apply every time-driven rule that is due at the clock's now; run it from cron or a
        worker (`partnerkit run-due URL`).

        In order: transfer and approval requests not confirmed in time lapse; free customers'
        provisional mappings end when they were not upgraded to paid within 3 months of the
        mapping date, or become permanent when they were (000 seed, use case 3); partners
        inactive for 12 months are deactivated (000 seed); then the outbox is delivered.
        The numbers come from `MappingPolicy`. Each rule runs in its own transaction.

        Returns:
            How many items each rule handled, and the instant processed.

        Raises:
            ConcurrencyError: Another worker changed a record a rule was handling at the same
                moment (`conflict.stale_version`); that rule's work is undone, the rules
                before it stay done, and the next run picks it up.
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
        now = self._runtime.now()
        handled = {job.name: job.run(now) for job in self._jobs}
        return DueReport(at=now, handled=handled)

    def advance_to(self, when: datetime | date) -> list[DueReport]:
        """Move simulated time forward, running every rule at the instant it falls due.

        For tests and demos: the kit stops its `SimulatedClock` at each instant where a
        time-driven rule has work, runs `run_due` there, and goes on, so three months pass in
        milliseconds and rules fire in the order and at the time they would have in
        production. It ends with a run at `when` itself.

        Args:
            when: Where to move the clock; a date means its start (00:00 UTC).

        Returns:
            One report per stop, the last one at `when`.

        Raises:
            ConfigurationError: The kit's clock is not a `SimulatedClock` (`configuration`).
            InvalidInputError: `when` is before the clock's now, naive, or neither a date nor
                a datetime (`validation.invalid`, field `when`).
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
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
    payment_gateway: PaymentGateway | None = None,
) -> Kit:
    """Open partnerkit on a database and get the `Kit` your application calls.

    Nothing connects until the first call that reads or writes; on a new SQL database run
    `kit.migrate()` once to create the tables.

    Args:
        target: Where the data lives.

            - `"memory://"`: the in-memory backend (tests, prototypes);
            - `"sqlite:///path.db"`, `"postgresql+psycopg://…"`, `"mysql+pymysql://…"`: SQL
              (install `partnerkit[sql]`, plus `[postgres]` or `[mysql]` for their drivers);
            - a SQLAlchemy `Engine`, or a backend object you built (`SqlBackend`, your own);
            - None: a SQLite file `partnerkit.db` in the working directory.
        clock: The time source; `SystemClock()` when None. Pass a `SimulatedClock` to drive
            time in tests with `kit.advance_to`.
        mailer: Sends the emails the outbox delivers (an object with `send(email)`). None
            means an `InMemoryMailer` on memory and, on SQL, no mailer: emails wait in the
            outbox, pending, until a kit with a mailer delivers them.
        retry_policy: How often and how long a failing delivery is retried before the message
            goes dead; `RetryPolicy()` when None.
        deliver_on_commit: Deliver the outbox right after each change that wrote to it. Pass
            False when a separate worker delivers (`kit.run_due()`).
        policies: Policy values, at most one of each kind, such as
            `[pk.MappingPolicy(provisional_months=6)]`; a kind not given keeps its defaults
            (the seeds' numbers).
        secret_key: 32 bytes or more; derives the links in emails, which are never stored.
            Give every process that queues or delivers emails the same key. None: a random key
            that lasts as long as this kit.
        payment_gateway: Where online payments are charged (your adapter of
            `PaymentGateway`); None: a `FakePaymentGateway` on memory, none on SQL.

    Returns:
        A kit over the backend, its services wired and its policies in force.

    Raises:
        InvalidInputError: `target` is neither a URL, an Engine nor a backend, or is not a
            database URL (`validation.invalid`, field `target` or `url`).
        MissingExtraError: A SQL URL without the `sql` extra installed, or without the
            database's driver (`configuration.missing_extra`); the remedy names the extra.
        ConfigurationError: `policies` names a kind twice, holds something that is not a
            policy value, or a policy no installed package uses; or `secret_key` is shorter
            than 32 bytes (`configuration`).
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
        payment_gateway=payment_gateway,
    )


def _error_text(exc: BaseException) -> str:
    """A delivery error as a database can store it: no NUL bytes, bounded length."""
    text = f"{type(exc).__name__}: {exc}".replace("\x00", "\\0")
    return text if len(text) <= MAX_ERROR_CHARS else text[: MAX_ERROR_CHARS - 1] + "…"
