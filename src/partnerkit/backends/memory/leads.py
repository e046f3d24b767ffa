"""Leads in memory: by id, and by the prospect's account (the association evidence reads
them)."""

from __future__ import annotations

from partnerkit.backends.memory._table import Index, Table, UndoLog
from partnerkit.mapping.leads import Lead

__all__ = ["MemoryLeads"]


class MemoryLeads:
    def __init__(self, log: UndoLog) -> None:
        self._t: Table[Lead] = Table(
            log,
            "lead",
            key=lambda lead: lead.id,
            indexes={
                "by_customer": Index(
                    key=lambda lead: lead.customer_id,
                    order=lambda lead: (lead.created_at,),
                    where=lambda lead: lead.customer_id is not None,
                )
            },
        )

    def add(self, lead: Lead) -> None:
        self._t.insert(lead)

    def get(self, lead_id: str) -> Lead | None:
        return self._t.get(lead_id)

    def update(self, lead: Lead) -> Lead:
        return self._t.update(lead)

    def for_customer(self, customer_id: str) -> list[Lead]:
        return self._t.index("by_customer").rows(customer_id)
