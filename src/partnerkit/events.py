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
    """Base of the typed domain events: one frozen subclass per fact, named by its topic.

    A change publishes events in its own transaction: the handlers other packages registered for the
    type run first, inside it, then the event is written to the outbox and delivered to subscribers
    (`kit.subscribe`) after commit. A rolled-back change publishes nothing.
    """

    #: The topic subscribers and `kit.outbox(topic=...)` know the event by.
    TOPIC: ClassVar[str] = "event"

    @property
    def topic(self) -> str:
        """The topic subscribers and `kit.outbox(topic=...)` know the event by: a past tense."""
        return self.TOPIC

    def payload(self) -> dict[str, Any]:
        """The event as JSON data: what the outbox stores and subscribers receive.

        Returns:
            The event's fields, JSON-ready.

        Raises nothing.
        """
        data = unstructure(self)
        assert isinstance(data, dict)
        return data


@attrs.frozen
class AccessDenied(Event):
    """A refused action (`access.denied`): kept even though the change it belonged to rolled back.

    Attributes:
        code: The refusal's error code, such as `access.staff_only`.
        message: The refusal's message.
        details: Its details, such as who was refused.
    """

    TOPIC: ClassVar[str] = "access.denied"
    code: str
    message: str
    details: Mapping[str, str]


@attrs.frozen
class DomainEvent:
    """An event as a subscriber receives it: its topic and its JSON payload.

    Attributes:
        name: The topic, such as `"mapping.started"`.
        payload: The event's fields as JSON data.
    """

    name: str
    payload: Mapping[str, Any] = attrs.field(factory=dict, converter=_frozen_mapping)


@attrs.frozen
class Email:
    """An email partnerkit sends through the outbox and the kit's mailer.

    Attributes:
        to: The recipient.
        subject: The subject line.
        body: A plain-text body.
        template: What the email is (`"mapping.transfer_requested"`), for a host that renders its
            own.
        context: The data a host's template needs (ids, names, the link when delivered).
    """

    to: str
    subject: str
    body: str
    template: str
    context: Mapping[str, Any] = attrs.field(factory=dict, converter=_frozen_mapping)


class MessageKind(enum.StrEnum):
    """What an outbox message carries: an event or an email."""

    EVENT = "event"
    EMAIL = "email"


class MessageStatus(enum.StrEnum):
    """Where an outbox message is: waiting, delivered, or dead after its retries."""

    PENDING = "pending"
    DELIVERED = "delivered"
    #: Gave up after the retry policy's attempts; kept for an operator to inspect.
    DEAD = "dead"


@attrs.frozen
class OutboxMessage:
    """An email or an event in the outbox: waiting for delivery, delivered, or dead.

    Attributes:
        id: The message's id; messages are delivered in id order within an instant.
        kind: Event or email.
        topic: The event's topic, or the email's template.
        payload: The event's fields, or the email's address, subject, body and context.
        created_at: When it was queued.
        next_attempt_at: When it is next due.
        status: Pending, delivered or dead.
        attempts: Delivery attempts so far.
        delivered_at: When it was delivered; None until then.
        last_error: Why the last attempt failed; None if none did.
    """

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
    def for_event(
        cls, id: str, event: Event | DomainEvent, now: datetime, *, delivered: bool = False
    ) -> OutboxMessage:
        """A pending message for an event, due now; or, with `delivered`, one delivered now,
        as `delivered(now)` makes it (an event no one listens for).

        Args:
            id: The message's id.
            event: A typed event, or an event as delivered.
            now: When it is queued.
            delivered: Whether it is delivered at once.

        Returns:
            The message.

        Raises nothing.
        """
        payload: Mapping[str, Any]
        if isinstance(event, Event):
            topic, payload = event.topic, event.payload()
        else:
            topic, payload = event.name, _json_data(event.payload)
        if delivered:
            return cls(
                id, MessageKind.EVENT, topic, payload, now, now, MessageStatus.DELIVERED, 1, now
            )
        return cls(id, MessageKind.EVENT, topic, payload, now, now)

    @classmethod
    def for_email(cls, id: str, email: Email, now: datetime) -> OutboxMessage:
        """A pending message for an email, due now.

        Args:
            id: The message's id.
            email: The email.
            now: When it is queued.

        Returns:
            The message.

        Raises nothing.
        """
        payload = {
            "to": email.to,
            "subject": email.subject,
            "body": email.body,
            "context": _json_data(email.context),
        }
        return cls(id, MessageKind.EMAIL, email.template, payload, now, now)

    def email(self) -> Email:
        """The email an email message carries.

        Returns:
            The email.

        Raises:
            KeyError: The message is not an email (check `kind` first).
        """
        p = self.payload
        return Email(p["to"], p["subject"], p["body"], self.topic, p.get("context", {}))

    def event(self) -> DomainEvent:
        """The event an event message carries, as subscribers receive it.

        Returns:
            The event.

        Raises nothing.
        """
        return DomainEvent(self.topic, self.payload)

    def delivered(self, now: datetime) -> OutboxMessage:
        """The message delivered at an instant.

        Args:
            now: When.

        Returns:
            The message, delivered, its attempts counted.

        Raises nothing.
        """
        return attrs.evolve(
            self, status=MessageStatus.DELIVERED, delivered_at=now, attempts=self.attempts + 1
        )

    def redriven(self, now: datetime) -> OutboxMessage:
        """A dead message given a new start: pending now, its retries counted afresh.

        The last error is kept until the next attempt replaces it.

        Args:
            now: When it is re-driven.

        Returns:
            The message, pending.

        Raises nothing.
        """
        return attrs.evolve(self, status=MessageStatus.PENDING, attempts=0, next_attempt_at=now)

    def failed(self, error: str, now: datetime, policy: RetryPolicy) -> OutboxMessage:
        """The message after a failed attempt: due again after the policy's delay, or dead.

        Args:
            error: Why it failed.
            now: When.
            policy: The retry policy.

        Returns:
            The message, pending with a later `next_attempt_at`, or dead after the last attempt.

        Raises nothing.
        """
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
    """How often a failing delivery is retried: exponential back-off, capped, then dead.

    With the defaults: after 1 min, 2 min, 4 min, ... up to 6 hours between attempts, and dead after
    8 attempts. Pass one to `connect(..., retry_policy=...)`.

    Attributes:
        max_attempts: Attempts before a message is dead.
        first_delay: The wait after the first failure.
        max_delay: The longest wait between attempts.
    """

    max_attempts: int = 8
    first_delay: timedelta = timedelta(minutes=1)
    max_delay: timedelta = timedelta(hours=6)

    def delay(self, attempts: int) -> timedelta:
        """The wait after a number of failed attempts.

        Args:
            attempts: Failed attempts so far, 1 or more.

        Returns:
            `first_delay * 2 ** (attempts - 1)`, at most `max_delay`.

        Raises nothing.
        """
        delay: timedelta = self.first_delay * (2 ** (attempts - 1))
        return min(delay, self.max_delay)
