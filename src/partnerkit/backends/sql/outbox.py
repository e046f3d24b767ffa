"""The kernel's outbox on SQL: messages written with the change, taken by due time."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from partnerkit.backends.sql import schema as t
from partnerkit.backends.sql.base import SqlRepository
from partnerkit.backends.sql.codec import RowCodec
from partnerkit.backends.sql.prepared import prepare
from partnerkit.events import MessageKind, MessageStatus, OutboxMessage

__all__ = ["SqlOutbox"]

# Payloads are JSON data already (events.py converts them on every backend).
MESSAGES = RowCodec(OutboxMessage, t.outbox)

_outbox = t.outbox
_PENDING = _outbox.c.status == MessageStatus.PENDING.value
# SKIP LOCKED lets several workers drain the queue without delivering a row twice; SQLite
# serialises writers and drops the clause.
_DUE = (
    sa.select(_outbox)
    .where(_PENDING, _outbox.c.next_attempt_at <= sa.bindparam("now"))
    .order_by(_outbox.c.next_attempt_at, _outbox.c.id)
    .limit(sa.bindparam("limit"))
    .with_for_update(skip_locked=True)
)
_DUE_OF_KIND = _DUE.where(_outbox.c.kind == sa.bindparam("kind"))
_NEXT_DUE = sa.select(sa.func.min(_outbox.c.next_attempt_at, type_=t.UtcDateTime())).where(_PENDING)
_UPDATE_MESSAGE = _outbox.update().where(_outbox.c.id == sa.bindparam("b_id"))
_ALL = sa.select(_outbox).order_by(_outbox.c.created_at, _outbox.c.id)
_BY_TOPIC = _ALL.where(_outbox.c.topic == sa.bindparam("topic"))
_BY_ID = sa.select(_outbox).where(_outbox.c.id == sa.bindparam("v"))
# Served by the (status, next_attempt_at) index: dead messages are few, pending ones are not.
_DEAD = (
    sa.select(_outbox)
    .where(_outbox.c.status == MessageStatus.DEAD.value)
    .order_by(_outbox.c.created_at, _outbox.c.id)
    .limit(sa.bindparam("limit"))
)
# Built once, run on the driver's cursor (see prepared.py).
prepare(_DUE, _DUE_OF_KIND, _NEXT_DUE, _UPDATE_MESSAGE, _ALL, _BY_TOPIC, _BY_ID, _DEAD)


class SqlOutbox(SqlRepository):
    """Messages added are written together before the unit of work commits (`Tx.defer`):
    nothing in it waits for them but a read of the outbox, which writes them first."""

    def add(self, message: OutboxMessage) -> None:
        self._tx.defer(MESSAGES.insert, MESSAGES.row(message))

    def due(
        self, now: datetime, limit: int, *, kind: MessageKind | None = None
    ) -> list[OutboxMessage]:
        self._tx.flush()
        if kind is None:
            return MESSAGES.many(self._tx.execute(_DUE, {"now": now, "limit": limit}))
        params = {"now": now, "limit": limit, "kind": kind.value}
        return MESSAGES.many(self._tx.execute(_DUE_OF_KIND, params))

    def next_due(self) -> datetime | None:
        self._tx.flush()
        value: datetime | None = self._tx.execute(_NEXT_DUE).scalar()
        return value

    def save(self, message: OutboxMessage) -> None:
        self._tx.flush()
        row = MESSAGES.row(message)
        row["b_id"] = row.pop("id")
        self._tx.execute(_UPDATE_MESSAGE, row)

    def get(self, message_id: str) -> OutboxMessage | None:
        self._tx.flush()
        return MESSAGES.one(self._tx.execute(_BY_ID, {"v": message_id}).first())

    def dead(self, limit: int) -> list[OutboxMessage]:
        self._tx.flush()
        return MESSAGES.many(self._tx.execute(_DEAD, {"limit": limit}))

    def all(self, *, topic: str | None = None) -> list[OutboxMessage]:
        self._tx.flush()
        if topic is None:
            return MESSAGES.many(self._tx.execute(_ALL))
        return MESSAGES.many(self._tx.execute(_BY_TOPIC, {"topic": topic}))
