"""Domain events, outgoing emails and the outbox record that carries both.

A package publishes a typed `Event` (a frozen attrs class with a `topic`); handlers other
packages registered run in the same transaction, then the event is written to the outbox as
plain JSON data (through `partnerkit.serialization`, the same on every backend) and delivered
after commit, with retry, so a rolled-back change sends nothing and nothing is lost.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, ClassVar

import attrs

from partnerkit.serialization import unstructure

__all__ = [
    "AccessDenied",
    "DomainEvent",
    "Email",
    "Event",
    "MessageKind",
    "MessageStatus",
    "OutboxMessage",
    "RetryPolicy",
]


def _frozen_mapping(value: Mapping[str, Any]) -> Mapping[str, Any]:
    return dict(value)


def _json_data(value: Mapping[str, Any]) -> Mapping[str, Any]:
    # Payloads are stored as JSON on SQL: converting here, on every backend, means a reader
    # gets the same strings from memory, SQLite, PostgreSQL and MariaDB.
    data = unstructure(dict(value))
    assert isinstance(data, dict)
    return data


@attrs.frozen
class Event:
    """Base of the typed domain events: a frozen attrs subclass per fact, named by `topic` in
    the past tense (`partner.registered`). `Runtime.publish` runs the handlers registered for
    its type inside the change's transaction, then writes it to the outbox."""

    #: The topic subscribers and `kit.outbox(topic=...)` know the event by.
    TOPIC: ClassVar[str] = "event"

    @property
    def topic(self) -> str:
        return self.TOPIC

    def payload(self) -> dict[str, Any]:
        """The event as JSON data: what the outbox stores and subscribers receive."""
        data = unstructure(self)
        assert isinstance(data, dict)
        return data


@attrs.frozen
class AccessDenied(Event):
    """A refused action: kept even though the change it belonged to rolled back."""

    TOPIC: ClassVar[str] = "access.denied"
    code: str
    message: str
    details: Mapping[str, str]


@attrs.frozen
class DomainEvent:
    """An event as delivered to subscribers: its topic (`name`) and its JSON payload."""

    name: str
    payload: Mapping[str, Any] = attrs.field(factory=dict, converter=_frozen_mapping)


@attrs.frozen
class Email:
    """An email to send; `template` names what it is so hosts can render their own."""

    to: str
    subject: str
    body: str
    template: str
    context: Mapping[str, Any] = attrs.field(factory=dict, converter=_frozen_mapping)


class MessageKind(enum.StrEnum):
    EVENT = "event"
    EMAIL = "email"


class MessageStatus(enum.StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    #: Gave up after the retry policy's attempts; kept for an operator to inspect.
    DEAD = "dead"


@attrs.frozen
class OutboxMessage:
    """An email or an event waiting for delivery, delivered, or dead after its retries."""

    id: str
    kind: MessageKind
    topic: str
    payload: Mapping[str, Any] = attrs.field(converter=_frozen_mapping)
    created_at: datetime
    next_attempt_at: datetime
    status: MessageStatus = MessageStatus.PENDING
    attempts: int = 0
    delivered_at: datetime | None = None
    last_error: str | None = None

    @classmethod
    def for_event(cls, id: str, event: Event | DomainEvent, now: datetime) -> OutboxMessage:
        if isinstance(event, Event):
            return cls(id, MessageKind.EVENT, event.topic, event.payload(), now, now)
        return cls(id, MessageKind.EVENT, event.name, _json_data(event.payload), now, now)

    @classmethod
    def for_email(cls, id: str, email: Email, now: datetime) -> OutboxMessage:
        payload = {
            "to": email.to,
            "subject": email.subject,
            "body": email.body,
            "context": _json_data(email.context),
        }
        return cls(id, MessageKind.EMAIL, email.template, payload, now, now)

    def email(self) -> Email:
        p = self.payload
        return Email(p["to"], p["subject"], p["body"], self.topic, p.get("context", {}))

    def event(self) -> DomainEvent:
        return DomainEvent(self.topic, self.payload)

    def delivered(self, now: datetime) -> OutboxMessage:
        return attrs.evolve(
            self, status=MessageStatus.DELIVERED, delivered_at=now, attempts=self.attempts + 1
        )

    def redriven(self, now: datetime) -> OutboxMessage:
        """A dead message given a new start: pending now, its retries counted afresh; the last
        error is kept until the next attempt replaces it."""
        return attrs.evolve(self, status=MessageStatus.PENDING, attempts=0, next_attempt_at=now)

    def failed(self, error: str, now: datetime, policy: RetryPolicy) -> OutboxMessage:
        attempts = self.attempts + 1
        if attempts >= policy.max_attempts:
            return attrs.evolve(
                self, status=MessageStatus.DEAD, attempts=attempts, last_error=error
            )
        return attrs.evolve(
            self,
            attempts=attempts,
            last_error=error,
            next_attempt_at=now + policy.delay(attempts),
        )


@attrs.frozen
class RetryPolicy:
    """Exponential back-off: 1 min, 2 min, 4 min … capped, then the message is dead."""

    max_attempts: int = 8
    first_delay: timedelta = timedelta(minutes=1)
    max_delay: timedelta = timedelta(hours=6)

    def delay(self, attempts: int) -> timedelta:
        delay: timedelta = self.first_delay * (2 ** (attempts - 1))
        return min(delay, self.max_delay)
