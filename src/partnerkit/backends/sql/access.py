"""The audit trail on SQL: one insert per entry, and one statement per combination of
filters (built on first use), each served by the index of its leading filter."""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from partnerkit.access.audit import AuditEntry, AuditKind
from partnerkit.backends.sql import schema as t
from partnerkit.backends.sql.base import SqlRepository
from partnerkit.backends.sql.codec import RowCodec
from partnerkit.backends.sql.prepared import prepared

__all__ = ["SqlAuditEntries"]

ENTRIES = RowCodec(AuditEntry, t.audit_entries)

_audit = t.audit_entries
_FILTERS = {
    "customer_id": _audit.c.customer_id == sa.bindparam("customer_id"),
    "partner_id": _audit.c.partner_id == sa.bindparam("partner_id"),
    "by": _audit.c.by == sa.bindparam("by"),
    "kind": _audit.c.kind == sa.bindparam("kind"),
    "start": _audit.c.at >= sa.bindparam("start"),
    "end": _audit.c.at < sa.bindparam("end"),
}


@functools.cache
def _query(filters: frozenset[str]) -> sa.Select[Any]:
    where = [_FILTERS[name] for name in sorted(filters)]
    return prepared(
        sa.select(_audit)
        .where(*where)
        .order_by(_audit.c.at, _audit.c.id)
        .limit(sa.bindparam("limit"))
    )


class SqlAuditEntries(SqlRepository):
    def add(self, entry: AuditEntry) -> None:
        self._tx.execute(ENTRIES.insert, ENTRIES.row(entry))

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
        params: dict[str, Any] = {
            name: value
            for name, value in (
                ("customer_id", customer_id),
                ("partner_id", partner_id),
                ("by", by),
                ("kind", None if kind is None else kind.value),
                ("start", start),
                ("end", end),
            )
            if value is not None
        }
        statement = _query(frozenset(params))
        params["limit"] = max(limit, 0)
        return ENTRIES.many(self._tx.execute(statement, params))
