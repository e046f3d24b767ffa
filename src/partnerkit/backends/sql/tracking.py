"""Partners' tracking lists on SQL: one row per partner and email."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from partnerkit.backends.sql import schema as t
from partnerkit.backends.sql.base import SqlRepository
from partnerkit.backends.sql.codec import RowCodec
from partnerkit.backends.sql.prepared import prepare
from partnerkit.mapping.tracking import TrackingEntry

__all__ = ["SqlTrackingEntries"]

ENTRIES = RowCodec(TrackingEntry, t.tracking_entries)

_tracking = t.tracking_entries
_entry = (
    _tracking.c.partner_id == sa.bindparam("partner_id"),
    _tracking.c.email == sa.bindparam("email"),
)
_EXISTS = sa.select(sa.literal(1)).where(*_entry)
_REMOVE = _tracking.delete().where(*_entry)
_REMOVE_CUSTOMER = _tracking.delete().where(
    _tracking.c.partner_id == sa.bindparam("partner_id"),
    _tracking.c.customer_id == sa.bindparam("customer_id"),
)
_in_order = (_tracking.c.added_at, _tracking.c.email, _tracking.c.partner_id)
_OF_PARTNER = (
    sa.select(_tracking).where(_tracking.c.partner_id == sa.bindparam("v")).order_by(*_in_order)
)
_OF_CUSTOMER = (
    sa.select(_tracking).where(_tracking.c.customer_id == sa.bindparam("v")).order_by(*_in_order)
)
# Built once, run on the driver's cursor (see prepared.py).
prepare(_EXISTS, _REMOVE, _REMOVE_CUSTOMER, _OF_PARTNER, _OF_CUSTOMER)


class SqlTrackingEntries(SqlRepository):
    def add(self, entry: TrackingEntry) -> None:
        # Insert first and look only when refused: adding an entry again changes nothing, and
        # the usual case costs one statement.
        try:
            with self._recoverable(single=True):
                self._tx.execute(ENTRIES.insert, ENTRIES.row(entry))
        except IntegrityError:
            # Already there (perhaps a concurrent writer's): fine. Anything else, such as a bad
            # foreign key, is still an error.
            key = {"partner_id": entry.partner_id, "email": entry.email}
            if self._tx.execute(_EXISTS, key).first() is None:
                raise

    def remove(self, partner_id: str, email: str) -> None:
        self._tx.execute(_REMOVE, {"partner_id": partner_id, "email": email})

    def remove_customer(self, partner_id: str, customer_id: str) -> None:
        self._tx.execute(_REMOVE_CUSTOMER, {"partner_id": partner_id, "customer_id": customer_id})

    def for_partner(self, partner_id: str) -> list[TrackingEntry]:
        return ENTRIES.many(self._tx.execute(_OF_PARTNER, {"v": partner_id}))

    def for_customer(self, customer_id: str) -> list[TrackingEntry]:
        return ENTRIES.many(self._tx.execute(_OF_CUSTOMER, {"v": customer_id}))
