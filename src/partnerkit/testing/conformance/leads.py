"""The `Leads` port: leads with their products and offers, optimistic, by account."""

from __future__ import annotations

from datetime import timedelta

import attrs
import pytest

from partnerkit.errors import ConcurrencyError
from partnerkit.mapping.leads import Lead, LeadOffer, LeadStatus, OfferStatus
from partnerkit.ports import Backend
from partnerkit.stores import Store
from partnerkit.testing.conformance._base import T0, ContractBase

__all__ = ["LeadsContract"]


def _lead(lid: str, **kw: object) -> Lead:
    values: dict[str, object] = {
        "id": lid,
        "prospect_name": "Acme",
        "prospect_email": "it@acme.example",
        "region": "IN",
        "products": ("crm", "books"),
        "pam": "pam@vendor.example",
        "created_at": T0,
        "created_by": "pam@vendor.example",
        "customer_id": "cus_1",
    }
    values.update(kw)
    return Lead(**values)  # type: ignore[arg-type]


class LeadsContract(ContractBase):
    """The `Leads` port: leads with their products and offers, optimistic, by account."""

    def test_leads_round_trip_with_products_and_offers(self, backend: Backend[Store]) -> None:
        self._program(backend)
        offers = (
            LeadOffer("ptr_2", 1, 0, T0 + timedelta(microseconds=7)),
            LeadOffer("ptr_1", 2, 1, T0, OfferStatus.DECLINED, T0 + timedelta(hours=1), "busy"),
        )
        lead = _lead("lead_1", status=LeadStatus.SHARED, offers=offers)
        later = _lead(
            "lead_2", created_at=T0 + timedelta(days=1), products=("books",), customer_id="cus_1"
        )
        nobody = _lead("lead_3", customer_id=None, prospect_email="new@initech.example")
        with backend.unit_of_work() as uow:
            uow.leads.add(later)
            uow.leads.add(lead)
            uow.leads.add(nobody)
        with backend.unit_of_work(readonly=True) as uow:
            assert uow.leads.get("lead_1") == lead
            assert uow.leads.get("lead_3") == nobody
            assert uow.leads.get("lead_9") is None
            assert uow.leads.for_customer("cus_1") == [lead, later]
            assert uow.leads.for_customer("cus_2") == []

    def test_lead_update_changes_offers_and_is_optimistic(self, backend: Backend[Store]) -> None:
        self._program(backend)
        lead = _lead("lead_1", offers=(LeadOffer("ptr_1", 1, 0, T0),))
        with backend.unit_of_work() as uow:
            uow.leads.add(lead)
        changed = attrs.evolve(
            lead,
            status=LeadStatus.ACCEPTED,
            accepted_partner_id="ptr_3",
            offers=(
                attrs.evolve(lead.offers[0], status=OfferStatus.REJECTED, reason="no"),
                LeadOffer("ptr_3", 2, 2, T0, OfferStatus.ACCEPTED, T0 + timedelta(days=2)),
            ),
        )
        with backend.unit_of_work() as uow:
            stored = uow.leads.update(changed)
            assert stored.version == 2
        with backend.unit_of_work(readonly=True) as uow:
            assert uow.leads.get("lead_1") == stored
        with pytest.raises(ConcurrencyError), backend.unit_of_work() as uow:
            uow.leads.update(attrs.evolve(changed, offers=()))
        with backend.unit_of_work(readonly=True) as uow:
            assert uow.leads.get("lead_1") == stored
