"""The outbox never lies: nothing is marked delivered that was not, each message is delivered
in its own transaction, a poison message goes dead without blocking, and delivery problems
after a commit never fail the call that committed. Emails carry link secrets that no table,
outbox payload or repr ever holds."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import partnerkit as pk
from partnerkit.errors import ConfigurationError
from partnerkit.events import Email, MessageStatus, RetryPolicy
from partnerkit.secrets import Secret, SecretKey

#: The partner team: sets up the catalog, partners and accounts the tests act on.
STAFF = pk.Principal.staff("team@vendor.example")

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def _sqlite_kit(tmp_path: Path, **kw: object) -> pk.Kit:
    kit = pk.connect(f"sqlite:///{tmp_path / 'outbox.db'}", clock=pk.SimulatedClock(T0), **kw)  # type: ignore[arg-type]
    kit.migrate()
    return kit


def _queue_email(kit: pk.Kit, to: str = "it@acme.example") -> None:
    with kit.transaction(), kit._runtime.uow() as uow:
        kit._runtime.send(uow, Email(to, "Hello", "Body", "greeting"))


def test_a_sql_kit_without_a_mailer_keeps_emails_pending_and_says_so_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    kit = _sqlite_kit(tmp_path)
    assert kit.mailer is None
    with caplog.at_level(logging.WARNING, logger="partnerkit"):
        _queue_email(kit)
        _queue_email(kit, "bob@acme.example")
        kit.run_due()
    emails = kit.outbox(topic="greeting")
    assert [m.status for m in emails] == [MessageStatus.PENDING, MessageStatus.PENDING]
    assert [m.attempts for m in emails] == [0, 0]
    assert sum("no mailer" in r.getMessage() for r in caplog.records) == 1
    # Events still flow without a mailer.
    seen: list[str] = []
    kit.subscribe("product.added", lambda event: seen.append(event.payload["key"]))
    kit.catalog.add_product("crm", name="CRM", actor=STAFF)
    assert seen == ["crm"]
    kit.close()


def test_each_message_is_delivered_in_its_own_transaction(tmp_path: Path) -> None:
    class CrashesOnSecond(pk.InMemoryMailer):
        def send(self, email: Email) -> None:
            if len(self.sent) == 1:
                raise KeyboardInterrupt  # the worker dies mid-run
            super().send(email)

    mailer = CrashesOnSecond()
    kit = _sqlite_kit(tmp_path, mailer=mailer, deliver_on_commit=False)
    _queue_email(kit, "a@acme.example")
    _queue_email(kit, "b@acme.example")
    with pytest.raises(KeyboardInterrupt):
        kit.deliver_outbox()
    # The first one stays delivered: a restart re-sends only the one that was in flight.
    assert [m.status for m in kit.outbox(topic="greeting")] == [
        MessageStatus.DELIVERED,
        MessageStatus.PENDING,
    ]
    kit.close()


def test_a_poison_message_goes_dead_and_does_not_block_the_queue(
    caplog: pytest.LogCaptureFixture,
) -> None:
    class RefusesBob(pk.InMemoryMailer):
        def send(self, email: Email) -> None:
            if email.to.startswith("bob"):
                raise ValueError("mailbox\x00unavailable " + "x" * 5000)
            super().send(email)

    clock = pk.SimulatedClock(T0)
    kit = pk.connect(
        "memory://", clock=clock, mailer=RefusesBob(), retry_policy=RetryPolicy(max_attempts=2)
    )
    _queue_email(kit, "bob@acme.example")
    _queue_email(kit, "ann@acme.example")
    with caplog.at_level(logging.WARNING, logger="partnerkit"):
        kit.advance_to(T0 + timedelta(hours=1))
    bob, ann = kit.outbox(topic="greeting")
    assert ann.status is MessageStatus.DELIVERED
    assert bob.status is MessageStatus.DEAD and bob.attempts == 2
    # Stored safely: no NUL byte, bounded length.
    assert bob.last_error is not None and "\x00" not in bob.last_error
    assert len(bob.last_error) <= 1000
    assert any("is dead after 2 attempts" in r.getMessage() for r in caplog.records)


def test_a_delivery_failure_after_commit_never_fails_the_call(
    caplog: pytest.LogCaptureFixture,
) -> None:
    kit = pk.connect("memory://", clock=pk.SimulatedClock(T0))

    def broken(limit: int = 500) -> int:
        raise RuntimeError("storage went away during delivery")

    kit.deliver_outbox = broken  # type: ignore[method-assign]
    kit.subscribe("product.added", lambda event: None)
    with caplog.at_level(logging.ERROR, logger="partnerkit"):
        product = kit.catalog.add_product("crm", name="CRM", actor=STAFF)
    assert product.key == "crm"
    assert kit.catalog.get_product("crm") == product
    assert any("after a commit failed" in r.getMessage() for r in caplog.records)


# --- link secrets -------------------------------------------------------------------------


def test_a_secret_key_derives_the_same_token_and_refuses_what_it_did_not_issue() -> None:
    key = SecretKey("k" * 32)
    ref = key.issue("consent", "cns_1")
    token = key.reveal(ref.as_data())
    assert token == SecretKey(b"k" * 32).token("consent", "cns_1")
    assert isinstance(token, Secret) and repr(token) == "Secret('…')"
    assert token not in repr(ref.as_data()) and "k" * 32 not in repr(key)
    with pytest.raises(ConfigurationError):
        SecretKey("k" * 32 + "other").reveal(ref.as_data())
    with pytest.raises(ConfigurationError):
        SecretKey("too short")


def test_dead_letters_are_listed_and_redriven_by_staff() -> None:
    class Down(pk.InMemoryMailer):
        up = False

        def send(self, email: Email) -> None:
            if not self.up:
                raise ConnectionError("smtp down")
            super().send(email)

    mailer = Down()
    clock = pk.SimulatedClock(T0)
    kit = pk.connect(
        "memory://", clock=clock, mailer=mailer, retry_policy=RetryPolicy(max_attempts=2)
    )
    staff = pk.Principal.staff("ops@vendor.example")
    _queue_email(kit, "a@acme.example")
    _queue_email(kit, "b@acme.example")
    kit.advance_to(T0 + timedelta(hours=1))
    dead = kit.dead_letters(actor=staff)
    assert [m.payload["to"] for m in dead] == ["a@acme.example", "b@acme.example"]
    with pytest.raises(pk.PermissionDeniedError):
        kit.dead_letters(actor=pk.Principal.partner_user("ptr_1", "o@z.example"))
    with pytest.raises(pk.ValidationError):
        kit.redrive(["msg_not_there"], actor=staff)
    assert len(kit.dead_letters(actor=staff)) == 2  # a refused redrive changed nothing
    mailer.up = True
    assert kit.redrive([dead[0].id], actor=staff) == 1
    assert [e.to for e in mailer.sent] == ["a@acme.example"]  # delivered on commit
    assert kit.redrive(actor=staff) == 1
    assert [e.to for e in mailer.sent] == ["a@acme.example", "b@acme.example"]
    assert kit.dead_letters(actor=staff) == []
