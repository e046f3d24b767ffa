"""The `Outbox` port: due messages in order, JSON payloads the same on every backend."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import attrs

from partnerkit.events import (
    DomainEvent,
    Email,
    MessageKind,
    MessageStatus,
    OutboxMessage,
    RetryPolicy,
)
from partnerkit.money import Money
from partnerkit.ports import Backend
from partnerkit.stores import Store
from partnerkit.testing.conformance._base import (
    T0,
    ContractBase,
)

__all__ = ["OutboxContract"]


class OutboxContract(ContractBase):
    """The `Outbox` port: due messages in order, JSON payloads the same on every backend;
    what a transaction adds it reads back, and a rolled-back savepoint takes back."""

    def test_outbox_hands_out_due_messages_in_order(self, backend: Backend[Store]) -> None:
        event = DomainEvent("partner.registered", {"partner_id": "ptr_1", "n": 1})
        first = OutboxMessage.for_event("msg_01", event, T0)
        second = OutboxMessage.for_event("msg_02", event, T0)
        later = attrs.evolve(
            OutboxMessage.for_event("msg_00", event, T0), next_attempt_at=T0 + timedelta(hours=1)
        )
        with backend.unit_of_work() as uow:
            uow.outbox.add(second)
            uow.outbox.add(later)
            uow.outbox.add(first)
            assert uow.outbox.next_due() == T0
        with backend.unit_of_work() as uow:
            assert [m.id for m in uow.outbox.due(T0, 10)] == ["msg_01", "msg_02"]
            assert [m.id for m in uow.outbox.due(T0, 1)] == ["msg_01"]
            uow.outbox.save(first.delivered(T0))
            uow.outbox.save(second.delivered(T0))
        with backend.unit_of_work(readonly=True) as uow:
            assert uow.outbox.next_due() == T0 + timedelta(hours=1)
            assert uow.outbox.due(T0, 10) == []
            stored = {m.id: m for m in uow.outbox.all()}
            assert stored["msg_01"].status is MessageStatus.DELIVERED
            assert stored["msg_01"].payload == {"partner_id": "ptr_1", "n": 1}
            assert len(uow.outbox.all(topic="partner.registered")) == 3
            assert uow.outbox.all(topic="other") == []

    def test_messages_added_are_read_back_in_their_transaction_and_go_with_it(
        self, backend: Backend[Store]
    ) -> None:
        event = DomainEvent("partner.registered", {"partner_id": "ptr_1"})
        read = OutboxMessage.for_event("msg_01", event, T0)
        before = OutboxMessage.for_event("msg_02", event, T0)
        with backend.unit_of_work() as uow:
            uow.outbox.add(read)
            # Read in the transaction that added it (a backend may write it only later).
            assert uow.outbox.get("msg_01") == read
            assert [m.id for m in uow.outbox.all()] == ["msg_01"]
            uow.outbox.add(before)  # not read before the savepoint: it stays all the same
            try:
                with uow.savepoint():
                    uow.outbox.add(OutboxMessage.for_event("msg_03", event, T0))
                    raise RuntimeError("rolled back")
            except RuntimeError:
                pass
            assert uow.outbox.get("msg_03") is None
            with uow.savepoint():
                uow.outbox.add(OutboxMessage.for_event("msg_04", event, T0))
        with backend.unit_of_work(readonly=True) as uow:
            assert [m.id for m in uow.outbox.all()] == ["msg_01", "msg_02", "msg_04"]
        try:
            with backend.unit_of_work() as uow:
                uow.outbox.add(OutboxMessage.for_event("msg_05", event, T0))
                raise RuntimeError("rolled back")
        except RuntimeError:
            pass
        with backend.unit_of_work(readonly=True) as uow:
            assert uow.outbox.get("msg_05") is None
            assert len(uow.outbox.all()) == 3

    def test_payloads_are_the_same_json_data_on_every_backend(
        self, backend: Backend[Store]
    ) -> None:
        # A payload with an instant, a Decimal and Money reads back as the same strings
        # whichever backend stored it: events.py converts through partnerkit.serialization.
        payload = {
            "at": datetime(2026, 1, 5, tzinfo=UTC),
            "rate": Decimal("1.50"),
            "amount": Money.of("2.00", "USD"),
            "nested": {"day": date(2026, 1, 5), "ids": ("a", "b")},
        }
        expected = {
            "at": "2026-01-05T00:00:00+00:00",
            "rate": "1.50",
            "amount": {"amount": "2.00", "currency": "USD"},
            "nested": {"day": "2026-01-05", "ids": ["a", "b"]},
        }
        event = OutboxMessage.for_event("msg_1", DomainEvent("x.happened", payload), T0)
        email = OutboxMessage.for_email(
            "msg_2", Email("a@b.example", "Hi", "Body", "greeting", context=payload), T0
        )
        assert event.payload == expected
        with backend.unit_of_work() as uow:
            uow.outbox.add(event)
            uow.outbox.add(email)
        with backend.unit_of_work(readonly=True) as uow:
            stored = {m.id: m for m in uow.outbox.all()}
        assert stored["msg_1"].payload == expected
        assert stored["msg_2"].email().context == expected

    def test_due_follows_retries_and_settled_messages(self, backend: Backend[Store]) -> None:
        event = DomainEvent("partner.registered", {"partner_id": "ptr_1"})
        messages = [
            attrs.evolve(
                OutboxMessage.for_event(f"msg_{n:02}", event, T0),
                next_attempt_at=T0 + timedelta(minutes=n % 4),
            )
            for n in range(12)
        ]
        with backend.unit_of_work() as uow:
            for message in reversed(messages):
                uow.outbox.add(message)
        later = T0 + timedelta(minutes=10)
        with backend.unit_of_work() as uow:
            due = uow.outbox.due(later, 5)
            assert [m.id for m in due] == ["msg_00", "msg_04", "msg_08", "msg_01", "msg_05"]
            # One delivered, one dead, one retried an hour later.
            uow.outbox.save(due[0].delivered(later))
            uow.outbox.save(attrs.evolve(due[1], status=MessageStatus.DEAD, attempts=8))
            uow.outbox.save(
                attrs.evolve(due[2], attempts=1, next_attempt_at=later + timedelta(hours=1))
            )
        with backend.unit_of_work(readonly=True) as uow:
            assert uow.outbox.next_due() == T0 + timedelta(minutes=1)
            remaining = [m.id for m in uow.outbox.due(later, 100)]
            assert remaining == [
                "msg_01",
                "msg_05",
                "msg_09",
                "msg_02",
                "msg_06",
                "msg_10",
                "msg_03",
                "msg_07",
                "msg_11",
            ]
            assert [m.id for m in uow.outbox.due(later + timedelta(hours=1), 100)][-1] == "msg_08"
            assert uow.outbox.due(T0 - timedelta(microseconds=1), 100) == []
            assert [m.id for m in uow.outbox.all()] == [m.id for m in messages]

    def test_dead_messages_are_listed_and_found_by_id(self, backend: Backend[Store]) -> None:
        policy = RetryPolicy(max_attempts=1)
        event = DomainEvent("partner.registered", {"partner_id": "ptr_1"})
        dead_later = OutboxMessage.for_event("msg_b", event, T0 + timedelta(minutes=1)).failed(
            "down", T0, policy
        )
        dead_first = OutboxMessage.for_event("msg_a", event, T0).failed("down", T0, policy)
        pending = OutboxMessage.for_event("msg_c", event, T0)
        with backend.unit_of_work() as uow:
            for message in (dead_later, pending, dead_first):
                uow.outbox.add(message)
        with backend.unit_of_work() as uow:
            assert [m.id for m in uow.outbox.dead(10)] == ["msg_a", "msg_b"]
            assert [m.id for m in uow.outbox.dead(1)] == ["msg_a"]
            assert uow.outbox.get("msg_c") == pending
            assert uow.outbox.get("msg_missing") is None
            uow.outbox.save(dead_first.redriven(T0 + timedelta(hours=1)))
        with backend.unit_of_work(readonly=True) as uow:
            assert [m.id for m in uow.outbox.dead(10)] == ["msg_b"]
            redriven = uow.outbox.get("msg_a")
            assert redriven is not None and redriven.status is MessageStatus.PENDING
            assert (redriven.attempts, redriven.last_error) == (0, "down")
            assert [m.id for m in uow.outbox.due(T0 + timedelta(hours=1), 10)] == ["msg_c", "msg_a"]

    def test_due_messages_of_one_kind(self, backend: Backend[Store]) -> None:
        event = OutboxMessage.for_event("msg_2", DomainEvent("partner.registered"), T0)
        email = OutboxMessage.for_email("msg_1", Email("a@b.example", "Hi", "Body", "hi"), T0)
        with backend.unit_of_work() as uow:
            uow.outbox.add(email)
            uow.outbox.add(event)
        with backend.unit_of_work() as uow:
            assert [m.id for m in uow.outbox.due(T0, 10)] == ["msg_1", "msg_2"]
            assert [m.id for m in uow.outbox.due(T0, 10, kind=MessageKind.EVENT)] == ["msg_2"]
            assert [m.id for m in uow.outbox.due(T0, 10, kind=MessageKind.EMAIL)] == ["msg_1"]
