"""Leads on SQL: the lead row with its products and offers (child tables), read in one
statement and written by difference."""

from __future__ import annotations

import sqlalchemy as sa

from partnerkit.backends.sql import schema as t
from partnerkit.backends.sql.base import SqlRepository, versioned_update
from partnerkit.backends.sql.codec import Children, RowCodec
from partnerkit.backends.sql.prepared import prepare
from partnerkit.mapping.leads import Lead, LeadOffer

__all__ = ["SqlLeads"]

LEADS = RowCodec(
    Lead,
    t.leads,
    children={
        "products": Children(t.lead_products, "lead_id", "product"),
        "offers": Children(t.lead_offers, "lead_id", LeadOffer),
    },
)

_leads = t.leads
_LEAD_BY_ID = LEADS.aggregate.select(by_id="v")
_LEADS_OF_CUSTOMER = LEADS.aggregate.select(
    _leads.c.customer_id == sa.bindparam("v"), order_by=(_leads.c.created_at,)
)
_UPDATE_LEAD = versioned_update(_leads)
# Built once, run on the driver's cursor (see prepared.py).
prepare(_LEAD_BY_ID, _LEADS_OF_CUSTOMER)


class SqlLeads(SqlRepository):
    def add(self, lead: Lead) -> None:
        self._tx.execute(LEADS.insert, LEADS.row(lead))
        self._insert_aggregate(LEADS, lead)

    def get(self, lead_id: str) -> Lead | None:
        found = self._load(LEADS, _LEAD_BY_ID, {"v": lead_id})
        return found[0] if found else None

    def update(self, lead: Lead) -> Lead:
        return self._update_aggregate(LEADS, _UPDATE_LEAD, lead, "lead")

    def for_customer(self, customer_id: str) -> list[Lead]:
        return self._load(LEADS, _LEADS_OF_CUSTOMER, {"v": customer_id})
