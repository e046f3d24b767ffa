"""The outbox in memory: every message, and the pending ones in the order they fall due."""

from __future__ import annotations

from datetime import datetime
from itertools import islice, takewhile

from partnerkit.backends.memory._table import ALL, Index, Table, UndoLog
from partnerkit.events import MessageKind, MessageStatus, OutboxMessage

__all__ = ["MemoryOutbox"]


class MemoryOutbox:
    def __init__(self, log: UndoLog) -> None:
        self._t: Table[OutboxMessage] = Table(
            log,
            "message",
            key=lambda m: m.id,
            indexes={
                # Every commit that queues a message asks what is due: only pending messages
                # are in this index, so that stays independent of how many were delivered.
                "due": Index(
                    order=lambda m: (m.next_attempt_at,),
                    where=lambda m: m.status is MessageStatus.PENDING,
                ),
                "created": Index(keys=lambda m: (ALL, m.topic), order=lambda m: (m.created_at,)),
                "dead": Index(
                    order=lambda m: (m.created_at,), where=lambda m: m.status is MessageStatus.DEAD
                ),
            },
        )
        self._due = self._t.index("due")

    def add(self, message: OutboxMessage) -> None:
        self._t.insert(message)

    def due(
        self, now: datetime, limit: int, *, kind: MessageKind | None = None
    ) -> list[OutboxMessage]:
        pending = takewhile(lambda m: m.next_attempt_at <= now, self._due.ascending())
        wanted = pending if kind is None else (m for m in pending if m.kind is kind)
        return list(islice(wanted, max(limit, 0)))

    def next_due(self) -> datetime | None:
        first = self._due.first()
        return None if first is None else first.next_attempt_at

    def save(self, message: OutboxMessage) -> None:
        self._t.put(message)

    def get(self, message_id: str) -> OutboxMessage | None:
        return self._t.get(message_id)

    def dead(self, limit: int) -> list[OutboxMessage]:
        return list(islice(self._t.index("dead").ascending(), max(limit, 0)))

    def all(self, *, topic: str | None = None) -> list[OutboxMessage]:
        return self._t.index("created").rows(ALL if topic is None else topic)
