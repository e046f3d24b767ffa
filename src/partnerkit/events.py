"""Domain events, outgoing emails and the outbox record that carries both.

A change writes its events and emails as outbox messages in its own transaction; delivery
happens after commit, with retry, so a rolled-back change sends nothing and nothing is lost.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import attrs

__all__ = [
    "DomainEvent",
    "Email",
    "MessageKind",
    "MessageStatus",
    "OutboxMessage",
    "RetryPolicy",
]


def _frozen_mapping(value: Mapping[str, Any]) -> Mapping[str, Any]:
    return dict(value)


@attrs.frozen
class DomainEvent:
    """Something that happened, named in the past tense: `partner.registered`."""

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
    def for_event(cls, id: str, event: DomainEvent, now: datetime) -> OutboxMessage:
        return cls(id, MessageKind.EVENT, event.name, dict(event.payload), now, now)

    @classmethod
    def for_email(cls, id: str, email: Email, now: datetime) -> OutboxMessage:
        payload = {
            "to": email.to,
            "subject": email.subject,
            "body": email.body,
            "context": dict(email.context),
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
