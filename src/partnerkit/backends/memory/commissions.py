"""Commission plans and the commission ledger in memory: one booking per transaction, entries
indexed by partner, by customer and product, by the accrual they reverse and by interval."""

from __future__ import annotations

from datetime import datetime

from partnerkit.backends.memory._table import Index, Table, UndoLog, Unique
from partnerkit.mapping.commission_values import CommissionEntry, CommissionPlan
from partnerkit.mapping.errors import CommissionConflictError

__all__ = ["MemoryCommissionEntries", "MemoryCommissionPlans"]


def _booked(entry: CommissionEntry, transaction_id: str) -> CommissionConflictError:
    return CommissionConflictError(
        f"transaction {transaction_id!r} is already booked",
        details={"transaction_id": transaction_id},
    )


def _occurred(entry: CommissionEntry) -> tuple[datetime]:
    return (entry.occurred_at,)


class MemoryCommissionPlans:
    def __init__(self, log: UndoLog) -> None:
        self._t: Table[CommissionPlan] = Table(log, "commission plan", key=lambda p: p.partner_id)

    def put(self, plan: CommissionPlan) -> None:
        self._t.put(plan)

    def get(self, partner_id: str) -> CommissionPlan | None:
        return self._t.get(partner_id)


class MemoryCommissionEntries:
    def __init__(self, log: UndoLog) -> None:
        self._t: Table[CommissionEntry] = Table(
            log,
            "commission entry",
            key=lambda e: e.id,
            unique={"transaction": Unique(key=lambda e: e.transaction_id, taken=_booked)},
            # Every list of entries is in occurred_at, then id order.
            indexes={
                "by_partner": Index(key=lambda e: e.partner_id, order=_occurred),
                "by_customer": Index(key=lambda e: (e.customer_id, e.product), order=_occurred),
                "by_reversed": Index(
                    key=lambda e: e.reverses,
                    order=_occurred,
                    where=lambda e: e.reverses is not None,
                ),
                "by_interval": Index(key=lambda e: e.interval_id, order=_occurred),
            },
        )
        self._by_partner = self._t.index("by_partner")

    def add(self, entry: CommissionEntry) -> None:
        self._t.insert(entry)

    def get_by_transaction(
        self, transaction_id: str, *, for_update: bool = False
    ) -> CommissionEntry | None:
        # Units of work run one at a time in memory: every read is as good as locked.
        return self._t.get_unique("transaction", transaction_id)

    def reversals_of(self, transaction_id: str) -> list[CommissionEntry]:
        return self._t.index("by_reversed").rows(transaction_id)

    def last_occurred_at(self, interval_id: str) -> datetime | None:
        last = self._t.index("by_interval").last(interval_id)
        return None if last is None else last.occurred_at

    def for_partner(
        self, partner_id: str, start: datetime | None = None, end: datetime | None = None
    ) -> list[CommissionEntry]:
        return self._by_partner.between(
            partner_id,
            start=None if start is None else (start,),
            stop=None if end is None else (end,),
        )

    def for_customer(self, customer_id: str, product: str) -> list[CommissionEntry]:
        return self._t.index("by_customer").rows((customer_id, product))
