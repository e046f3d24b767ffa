"""The Kit's wiring: connect(), transactions, the outbox's retry policy, run_due/advance_to."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

import partnerkit as pk
from partnerkit.errors import ConfigurationError, InvalidInputError
from partnerkit.events import DomainEvent, Email, MessageStatus, OutboxMessage, RetryPolicy
from partnerkit.kit import DueReport

#: The partner team: sets up the catalog, partners and accounts the tests act on.
STAFF = pk.Principal.staff("team@vendor.example")

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def test_connect_memory_and_bad_targets() -> None:
    kit = pk.connect("memory://")
    assert kit.backend.name == "memory"
    with pytest.raises(InvalidInputError) as info:
        pk.connect(42)  # type: ignore[arg-type]
    assert info.value.details["field"] == "target"


def test_connect_to_a_sqlite_file_creates_its_folder(tmp_path: object) -> None:
    kit = pk.connect(f"sqlite:///{tmp_path}/nested/dir/pk.db")
    kit.migrate()
    kit.catalog.add_product("crm", name="CRM", actor=STAFF)
    assert [p.key for p in kit.catalog.products()] == ["crm"]
    kit.close()


def test_advance_to_needs_a_simulated_clock() -> None:
    kit = pk.connect("memory://")
    with pytest.raises(ConfigurationError):
        kit.advance_to(date(2030, 1, 1))


def test_advance_to_refuses_the_past() -> None:
    kit = pk.connect("memory://", clock=pk.SimulatedClock(T0))
    with pytest.raises(InvalidInputError):
        kit.advance_to(T0 - timedelta(days=1))


def test_retry_policy_backs_off_then_gives_up() -> None:
    policy = RetryPolicy(max_attempts=3)
    assert [policy.delay(n) for n in (1, 2, 3)] == [
        timedelta(minutes=1),
        timedelta(minutes=2),
        timedelta(minutes=4),
    ]
    assert RetryPolicy().delay(30) == timedelta(hours=6)
    msg = OutboxMessage.for_email("m", Email("a@b.example", "s", "b", "t"), T0)
    msg = msg.failed("down", T0, policy)
    assert (msg.status, msg.attempts, msg.next_attempt_at) == (
        MessageStatus.PENDING,
        1,
        T0 + timedelta(minutes=1),
    )
    msg = msg.failed("down", T0, policy).failed("down", T0, policy)
    assert (msg.status, msg.attempts, msg.last_error) == (MessageStatus.DEAD, 3, "down")


def test_a_failing_subscriber_is_retried_at_its_time_by_advance_to() -> None:
    clock = pk.SimulatedClock(T0)
    kit = pk.connect("memory://", clock=clock)
    calls: list[datetime] = []

    def flaky(event: DomainEvent) -> None:
        calls.append(clock.now())
        if len(calls) < 3:
            raise RuntimeError("subscriber down")

    kit.subscribe("product.added", flaky)
    kit.catalog.add_product("crm", name="CRM", actor=STAFF)
    reports = kit.advance_to(T0 + timedelta(hours=1))
    # Delivered on commit (fails), then at +1 min (fails), then at +1+2 min (succeeds).
    assert calls == [T0, T0 + timedelta(minutes=1), T0 + timedelta(minutes=3)]
    assert clock.now() == T0 + timedelta(hours=1)
    assert all(isinstance(r, DueReport) for r in reports)
    assert reports[-1].at == T0 + timedelta(hours=1)
    (message,) = kit.outbox(topic="product.added")
    assert message.status is MessageStatus.DELIVERED


def test_an_event_no_one_listens_for_is_stored_delivered_as_delivery_would_mark_it() -> None:
    clock = pk.SimulatedClock(T0)
    kit = pk.connect("memory://", clock=clock)
    kit.catalog.add_product("crm", name="CRM", actor=STAFF)
    (unheard,) = kit.outbox(topic="product.added")
    assert unheard == OutboxMessage.for_event(unheard.id, unheard.event(), T0).delivered(T0)
    assert (unheard.status, unheard.attempts, unheard.delivered_at) == (
        MessageStatus.DELIVERED,
        1,
        T0,
    )
    kit.subscribe("product.added", lambda event: None)
    clock.advance(timedelta(minutes=1))
    kit.catalog.add_product("books", name="Books", actor=STAFF)
    heard = kit.outbox(topic="product.added")[1]
    # Delivered after commit, by the delivery run, in a transaction of its own.
    assert (heard.status, heard.attempts, heard.delivered_at) == (
        MessageStatus.DELIVERED,
        1,
        T0 + timedelta(minutes=1),
    )


def test_run_due_runs_registered_jobs_in_order() -> None:
    kit = pk.connect("memory://", clock=pk.SimulatedClock(T0))
    ran: list[str] = []

    class Job:
        def __init__(self, name: str) -> None:
            self.name = name

        def next_due(self) -> datetime | None:
            return None

        def run(self, now: datetime) -> int:
            ran.append(self.name)
            return 2

    kit.register_due(Job("first"))
    kit.register_due(Job("second"))
    report = kit.run_due()
    assert ran == ["first", "second"]
    assert report.handled == {
        "consent_expiry": 0,
        "subscriptions": 0,
        "provisional_mappings": 0,
        "partner_inactivity": 0,
        "payments_reconciled": 0,
        "invoices_overdue": 0,
        "first": 2,
        "second": 2,
        "outbox": 0,
    }
    assert report.total == 4


def test_deliver_on_commit_can_be_turned_off_for_worker_setups() -> None:
    mailer = pk.InMemoryMailer()
    kit = pk.connect("memory://", mailer=mailer, deliver_on_commit=False)
    kit.catalog.add_product("crm", name="CRM", actor=STAFF)
    (message,) = kit.outbox()
    assert message.status is MessageStatus.PENDING
    assert kit.run_due().handled["outbox"] == 1
    assert kit.outbox()[0].status is MessageStatus.DELIVERED
