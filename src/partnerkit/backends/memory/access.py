"""The audit trail in memory: entries by id, with an index per filter a query may lead with
(account, partner, actor, kind) and one over the whole trail, each in time order."""

from __future__ import annotations

from collections.abc import Hashable
from datetime import datetime
from itertools import islice

from partnerkit.access.audit import AuditEntry, AuditKind
from partnerkit.backends.memory._table import ALL, Index, Table, UndoLog

__all__ = ["MemoryAuditEntries"]


def _in_time(entry: AuditEntry) -> tuple[datetime]:
    return (entry.at,)


class MemoryAuditEntries:
    def __init__(self, log: UndoLog) -> None:
        self._t: Table[AuditEntry] = Table(
            log,
            "audit entry",
            key=lambda e: e.id,
            indexes={
                "customer": Index(
                    key=lambda e: e.customer_id,
                    order=_in_time,
                    where=lambda e: e.customer_id is not None,
                ),
                "partner": Index(
                    key=lambda e: e.partner_id,
                    order=_in_time,
                    where=lambda e: e.partner_id is not None,
                ),
                "by": Index(key=lambda e: e.by, order=_in_time),
                "kind": Index(key=lambda e: e.kind, order=_in_time),
                "time": Index(order=_in_time),
            },
        )

    def add(self, entry: AuditEntry) -> None:
        self._t.insert(entry)

    def query(
        self,
        *,
        customer_id: str | None = None,
        partner_id: str | None = None,
        by: str | None = None,
        kind: AuditKind | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        limit: int = 100,
    ) -> list[AuditEntry]:
        # Lead with the first filter given (the narrowest, as a rule: an account's entries are
        # fewer than a kind's), and check the others on the rows it yields.
        filters = (
            ("customer", customer_id),
            ("partner", partner_id),
            ("by", by),
            ("kind", kind),
        )
        index, group = next(
            ((name, value) for name, value in filters if value is not None), ("time", ALL)
        )
        key: Hashable = group
        rows = self._t.index(index).between(
            key,
            start=None if start is None else (start,),
            stop=None if end is None else (end,),
        )
        wanted = (
            e
            for e in rows
            if (customer_id is None or e.customer_id == customer_id)
            and (partner_id is None or e.partner_id == partner_id)
            and (by is None or e.by == by)
            and (kind is None or e.kind is kind)
        )
        return list(islice(wanted, max(limit, 0)))
