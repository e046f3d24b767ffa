"""Commission plans and the append-only commission ledger on SQL."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from partnerkit.backends.sql import schema as t
from partnerkit.backends.sql.base import SqlRepository
from partnerkit.backends.sql.codec import RowCodec
from partnerkit.backends.sql.prepared import prepare
from partnerkit.mapping.commission_values import CommissionEntry, CommissionPlan
from partnerkit.mapping.errors import CommissionConflictError

__all__ = ["SqlCommissionEntries", "SqlCommissionPlans"]

PLANS = RowCodec(CommissionPlan, t.commission_plans)
ENTRIES = RowCodec(CommissionEntry, t.commission_entries)

_plans = t.commission_plans
_PLAN_BY_PARTNER = sa.select(_plans).where(_plans.c.partner_id == sa.bindparam("v"))
_UPDATE_PLAN = _plans.update().where(_plans.c.partner_id == sa.bindparam("b_partner_id"))

_entries = t.commission_entries
_in_order = (_entries.c.occurred_at, _entries.c.id)
_ENTRY_BY_TRANSACTION = sa.select(_entries).where(_entries.c.transaction_id == sa.bindparam("v"))
# Refunds lock the accrual they refund: concurrent refunds of one transaction queue on its row,
# and each one counts the refunds committed before it (SQLite serialises writers anyway).
_ENTRY_BY_TRANSACTION_LOCKED = _ENTRY_BY_TRANSACTION.with_for_update()
_REVERSALS = (
    sa.select(_entries).where(_entries.c.reverses == sa.bindparam("v")).order_by(*_in_order)
)
_LAST_OCCURRED = sa.select(sa.func.max(_entries.c.occurred_at, type_=t.UtcDateTime())).where(
    _entries.c.interval_id == sa.bindparam("v")
)
_OF_CUSTOMER = (
    sa.select(_entries)
    .where(
        _entries.c.customer_id == sa.bindparam("customer_id"),
        _entries.c.product == sa.bindparam("product"),
    )
    .order_by(*_in_order)
)
_of_partner = _entries.c.partner_id == sa.bindparam("partner_id")
_from = _entries.c.occurred_at >= sa.bindparam("start")
_until = _entries.c.occurred_at < sa.bindparam("end")
# for_partner with or without each bound of its period.
_OF_PARTNER = {
    (start, end): sa.select(_entries)
    .where(_of_partner, *([_from] if start else []), *([_until] if end else []))
    .order_by(*_in_order)
    for start in (False, True)
    for end in (False, True)
}
# Built once, run on the driver's cursor (see prepared.py).
prepare(
    _PLAN_BY_PARTNER,
    _UPDATE_PLAN,
    _ENTRY_BY_TRANSACTION,
    _ENTRY_BY_TRANSACTION_LOCKED,
    _REVERSALS,
    _LAST_OCCURRED,
    _OF_CUSTOMER,
    *_OF_PARTNER.values(),
)


class SqlCommissionPlans(SqlRepository):
    def put(self, plan: CommissionPlan) -> None:
        row = PLANS.row(plan)
        row["b_partner_id"] = row.pop("partner_id")
        if self._tx.execute(_UPDATE_PLAN, row).rowcount:
            return
        try:
            with self._recoverable(single=True):
                self._tx.execute(PLANS.insert, PLANS.row(plan))
        except IntegrityError:
            # Another writer inserted the plan in between: replace theirs, as put promises.
            if not self._tx.execute(_UPDATE_PLAN, row).rowcount:
                raise

    def get(self, partner_id: str) -> CommissionPlan | None:
        return PLANS.one(self._tx.execute(_PLAN_BY_PARTNER, {"v": partner_id}).first())


class SqlCommissionEntries(SqlRepository):
    def add(self, entry: CommissionEntry) -> None:
        with self._unique(
            lambda: CommissionConflictError(
                f"transaction {entry.transaction_id!r} is already booked",
                details={"transaction_id": entry.transaction_id},
            ),
            taken=lambda: self.get_by_transaction(entry.transaction_id) is not None,
            single=True,
        ):
            self._tx.execute(ENTRIES.insert, ENTRIES.row(entry))

    def get_by_transaction(
        self, transaction_id: str, *, for_update: bool = False
    ) -> CommissionEntry | None:
        query = _ENTRY_BY_TRANSACTION_LOCKED if for_update else _ENTRY_BY_TRANSACTION
        return ENTRIES.one(self._tx.execute(query, {"v": transaction_id}).first())

    def reversals_of(self, transaction_id: str) -> list[CommissionEntry]:
        return ENTRIES.many(self._tx.execute(_REVERSALS, {"v": transaction_id}))

    def last_occurred_at(self, interval_id: str) -> datetime | None:
        value: datetime | None = self._tx.execute(_LAST_OCCURRED, {"v": interval_id}).scalar()
        return value

    def for_partner(
        self, partner_id: str, start: datetime | None = None, end: datetime | None = None
    ) -> list[CommissionEntry]:
        params: dict[str, Any] = {"partner_id": partner_id, "start": start, "end": end}
        query = _OF_PARTNER[(start is not None, end is not None)]
        return ENTRIES.many(self._tx.execute(query, params))

    def for_customer(self, customer_id: str, product: str) -> list[CommissionEntry]:
        return ENTRIES.many(
            self._tx.execute(_OF_CUSTOMER, {"customer_id": customer_id, "product": product})
        )
