"""The partner-of-record history on SQL: one row per mapping interval, and one slot row per
customer and product whose primary key allows a single open interval."""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from partnerkit.backends.sql import schema as t
from partnerkit.backends.sql.base import SqlRepository, versioned_update
from partnerkit.backends.sql.codec import RowCodec
from partnerkit.backends.sql.prepared import prepare
from partnerkit.mapping.errors import PartnerOfRecordTakenError
from partnerkit.mapping.records import MappingInterval, MappingStatus

__all__ = ["SqlPartnerRecords"]

INTERVALS = RowCodec(MappingInterval, t.partner_records)

_records = t.partner_records
_slots = t.partner_of_record_open
_of_product = (
    _records.c.customer_id == sa.bindparam("customer_id"),
    _records.c.product == sa.bindparam("product"),
)
_in_order = (_records.c.valid_from, _records.c.id)
_OPEN_PROVISIONAL = (
    _records.c.valid_to.is_(None),
    _records.c.status == MappingStatus.PROVISIONAL.value,
    _records.c.provisional_ends_at.is_not(None),
)

# FOR UPDATE locks the slot and the interval on PostgreSQL and MariaDB, so writers of one
# customer's product serialise; SQLite serialises writers anyway and drops the clause.
_CURRENT = (
    sa.select(_records)
    .select_from(_slots.join(_records, _slots.c.record_id == _records.c.id))
    .where(
        _slots.c.customer_id == sa.bindparam("customer_id"),
        _slots.c.product == sa.bindparam("product"),
    )
    .with_for_update()
)
# Taken when the slot is empty: there is no slot row to lock yet, and writers racing to
# insert one would otherwise deadlock on InnoDB's duplicate-key locks; on the customer's row
# they queue instead, and each reads what the one before it committed.
_LOCK_CUSTOMER = (
    sa.select(t.customers.c.id)
    .where(t.customers.c.id == sa.bindparam("customer_id"))
    .with_for_update()
)
_HISTORY = sa.select(_records).where(*_of_product).order_by(*_in_order)
_OF_CUSTOMER = (
    sa.select(_records)
    .where(_records.c.customer_id == sa.bindparam("customer_id"))
    .order_by(*_in_order)
)
_LAST_END = sa.select(sa.func.max(_records.c.valid_to, type_=t.UtcDateTime())).where(*_of_product)
# Intervals of one product never overlap, so the one covering an instant is the last to start
# at or before it, if it is still open then: one index step, not a scan of the history. An
# interval that ended the instant it began covers nothing and is stepped over.
_COVERING = (
    sa.select(_records)
    .where(
        *_of_product,
        _records.c.valid_from <= sa.bindparam("at"),
        sa.or_(_records.c.valid_to.is_(None), _records.c.valid_to > _records.c.valid_from),
    )
    .order_by(_records.c.valid_from.desc(), _records.c.id.desc())
    .limit(1)
)
# Still earning at an instant: open, or ended after it. Two index ranges on the end (the
# ended-before part of a long history is never read), in one statement.
_earns_from = sa.or_(
    _records.c.commission_from.is_(None), _records.c.commission_from <= sa.bindparam("at")
)
_EARNING = sa.union_all(
    sa.select(_records).where(*_of_product, _records.c.valid_to.is_(None), _earns_from),
    sa.select(_records).where(*_of_product, _records.c.valid_to > sa.bindparam("at"), _earns_from),
)
_OPEN_FOR_PARTNER = (
    sa.select(_records)
    .where(_records.c.partner_id == sa.bindparam("partner_id"), _records.c.valid_to.is_(None))
    .order_by(*_in_order)
)
_PROVISIONAL_ENDED = (
    sa.select(_records)
    .where(*_OPEN_PROVISIONAL, _records.c.provisional_ends_at <= sa.bindparam("at"))
    .order_by(*_in_order)
)
_NEXT_PROVISIONAL = sa.select(
    sa.func.min(_records.c.provisional_ends_at, type_=t.UtcDateTime())
).where(*_OPEN_PROVISIONAL)
_UPDATE_RECORD = versioned_update(_records)
_INSERT_SLOT = _slots.insert()
_RELEASE_SLOT = _slots.delete().where(_slots.c.record_id == sa.bindparam("b_id"))
_DROP_RECORD = _records.delete().where(_records.c.id == sa.bindparam("b_id"))
# Built once, run on the driver's cursor (see prepared.py).
prepare(
    _CURRENT,
    _LOCK_CUSTOMER,
    _HISTORY,
    _OF_CUSTOMER,
    _LAST_END,
    _COVERING,
    _EARNING,
    _OPEN_FOR_PARTNER,
    _PROVISIONAL_ENDED,
    _NEXT_PROVISIONAL,
    _INSERT_SLOT,
    _RELEASE_SLOT,
    _DROP_RECORD,
)


class SqlPartnerRecords(SqlRepository):
    def add(self, interval: MappingInterval) -> None:
        slot = {
            "customer_id": interval.customer_id,
            "product": interval.product,
            "record_id": interval.id,
        }
        # Both rows or neither. PostgreSQL needs a savepoint for that; SQLite and MariaDB undo
        # a refused statement by themselves, so there the interval of a refused slot is taken
        # back with a DELETE, which costs nothing on the way that succeeds.
        scope: AbstractContextManager[object] = (
            nullcontext() if self._tx.statement_atomic else self._c.begin_nested()
        )
        inserted = False
        try:
            with scope:
                self._tx.execute(INTERVALS.insert, INTERVALS.row(interval))
                inserted = True
                self._tx.execute(_INSERT_SLOT, slot)
        except IntegrityError as exc:
            # Only the slot's violation means "taken"; a bad foreign key on the interval stays
            # what it is.
            if not inserted:
                raise
            if self._tx.statement_atomic:
                self._tx.execute(_DROP_RECORD, {"b_id": interval.id})
            raise PartnerOfRecordTakenError(
                details={"customer_id": interval.customer_id, "product": interval.product}
            ) from exc

    def update(self, interval: MappingInterval) -> MappingInterval:
        updated = self._update_versioned(
            _UPDATE_RECORD, INTERVALS.row(interval), interval, "mapping"
        )
        if not interval.is_open:
            self._tx.execute(_RELEASE_SLOT, {"b_id": interval.id})
        return updated

    def current(self, customer_id: str, product: str) -> MappingInterval | None:
        params = {"customer_id": customer_id, "product": product}
        row = self._tx.execute(_CURRENT, params).first()
        if row is None and self._c.dialect.name != "sqlite":
            # SQLite serialises writers already; elsewhere, lock the customer and look again.
            self._tx.execute(_LOCK_CUSTOMER, params)
            row = self._tx.execute(_CURRENT, params).first()
        return INTERVALS.one(row)

    def history(self, customer_id: str, product: str) -> list[MappingInterval]:
        return self._many(_HISTORY, customer_id=customer_id, product=product)

    def for_customer(self, customer_id: str) -> list[MappingInterval]:
        return self._many(_OF_CUSTOMER, customer_id=customer_id)

    def last_end(self, customer_id: str, product: str) -> datetime | None:
        value: datetime | None = self._tx.execute(
            _LAST_END, {"customer_id": customer_id, "product": product}
        ).scalar()
        return value

    def covering(self, customer_id: str, product: str, instant: datetime) -> MappingInterval | None:
        found = self._many(_COVERING, customer_id=customer_id, product=product, at=instant)
        if not found or (found[0].valid_to is not None and found[0].valid_to <= instant):
            return None
        return found[0]

    def earning_at(
        self, customer_id: str, product: str, instant: datetime
    ) -> list[MappingInterval]:
        found = self._many(_EARNING, customer_id=customer_id, product=product, at=instant)
        return sorted(found, key=lambda i: (i.valid_from, i.id))

    def open_for_partner(self, partner_id: str) -> list[MappingInterval]:
        return self._many(_OPEN_FOR_PARTNER, partner_id=partner_id)

    def provisional_ended_by(self, instant: datetime) -> list[MappingInterval]:
        return self._many(_PROVISIONAL_ENDED, at=instant)

    def next_provisional_end(self) -> datetime | None:
        value: datetime | None = self._tx.execute(_NEXT_PROVISIONAL).scalar()
        return value

    def _many(
        self, query: sa.Select[Any] | sa.CompoundSelect[Any], **params: object
    ) -> list[MappingInterval]:
        return INTERVALS.many(self._tx.execute(query, params))
