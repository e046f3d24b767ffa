"""`kit.access` and `kit.leads` end to end on a backend: the 002 seed's disclosure rule, the
admin protection, lead sharing, and the audit entry each decision leaves (none for a
rolled-back one)."""

from __future__ import annotations

import pytest

from partnerkit.access import (
    AdminOutsideDomainsError,
    AuditKind,
    DisclosureReason,
    EvidenceKind,
    PartnerAdminError,
    Principal,
)
from partnerkit.clock import SimulatedClock
from partnerkit.gateways.mailer import FakeMailer
from partnerkit.kit import Kit
from partnerkit.mapping.leads import LeadPolicy
from partnerkit.mapping.partners import PartnerKind
from partnerkit.ports import Backend
from partnerkit.stores import Store
from partnerkit.testing.conformance._base import STAFF, ContractBase

__all__ = ["AccessServiceContract"]


class AccessServiceContract(ContractBase):
    """`kit.access` end to end: disclosure, admin protection, the audit trail."""

    def test_disclosure_decisions_are_audited_in_their_transaction(self, kit: Kit) -> None:
        zillium, _nimbus, acme = self._partners_and_acme(kit)
        admin = Principal.customer_user(acme.id, "it@acme.example")
        kit.mapping.tag_partner(acme.id, "crm", "ZILLIUMCorp", actor=admin)
        own = kit.access.can_disclose("bob@acme.example", acme.id, actor=STAFF)
        # Acme registered no domain of its own here: only a tag lets a partner be told.
        assert own.reason is DisclosureReason.UNKNOWN_ENQUIRER
        crm = kit.access.can_disclose("o@z.example", acme.id, "crm", actor=STAFF)
        books = kit.access.can_disclose("o@z.example", acme.id, "books", actor=STAFF)
        assert crm.allowed and crm.reason is DisclosureReason.PARTNER_OF_RECORD
        assert not books.allowed and books.reason is DisclosureReason.OTHER_PRODUCT_ONLY
        with pytest.raises(RuntimeError), kit.transaction():
            kit.access.can_disclose("o@z.example", acme.id, actor=STAFF)
            raise RuntimeError("rolled back")
        entries = kit.access.audit_trail(account=acme.id, actor=STAFF)
        assert [e.id for e in entries] == [own.audit_id, crm.audit_id, books.audit_id]
        assert [e.partner_id for e in entries] == [None, zillium.id, zillium.id]
        assert entries[1].details["evidence"][0]["kind"] == "tagged"

    def test_admin_refusals_are_audited_even_though_the_change_rolls_back(self, kit: Kit) -> None:
        zillium, _nimbus, acme = self._partners_and_acme(kit)
        with pytest.raises(PartnerAdminError):
            kit.customers.add_user(acme.id, zillium.email, admin=True, actor=STAFF)
        with pytest.raises(AdminOutsideDomainsError):
            kit.customers.add_user(acme.id, "pat@elsewhere.example", admin=True, actor=STAFF)
        kit.customers.set_admin(acme.id, "bob@acme.example", True, actor=STAFF)
        entries = kit.access.audit_trail(account=acme.id, actor=STAFF)
        assert [(e.kind, e.reason, e.allowed) for e in entries] == [
            (AuditKind.DENIED, "access.partner_admin", False),
            (AuditKind.DENIED, "access.admin_outside_domains", False),
            (AuditKind.ADMIN_GRANTED, "admin_granted", True),
        ]
        stored = kit.customers.get(acme.id, actor=STAFF)
        assert stored.user(zillium.email) is None and stored.user("pat@elsewhere.example") is None

    def test_a_lead_shared_across_regions_and_a_partner_rejected(
        self, backend: Backend[Store], clock: SimulatedClock, mailer: FakeMailer
    ) -> None:
        policy = LeadPolicy(region_graph={"AE": ["IN"]}, central_it="centralit@vendor.example")
        kit = Kit(backend, clock=clock, mailer=mailer, policies=[policy])
        kit.catalog.add_product("crm", name="CRM", actor=STAFF)
        found = [
            kit.partners.register(
                name=name,
                username=name.lower(),
                email=f"ops@{name.lower()}.example",
                kind=kind,
                regions=[region],
                expertise=["crm"],
                actor=STAFF,
            )
            for name, region, kind in (
                ("Gulf", "AE", PartnerKind.SERVICE_PARTNER),
                ("Indus", "IN", PartnerKind.RESELLER),
                ("Delhi", "IN", PartnerKind.SERVICE_PARTNER),
                ("Referrer", "AE", PartnerKind.AFFILIATE),
            )
        ]
        gulf, indus, delhi, referrer = found
        kit.partners.issue_code(indus.id, "INDUSPRO", actor=STAFF)
        acme = kit.customers.create(name="Acme", admin_email="it@acme.example", actor=STAFF)
        admin = Principal.customer_user(acme.id, "it@acme.example")
        kit.mapping.tag_partner(acme.id, "crm", "INDUSPRO", actor=admin)
        lead = kit.leads.create(
            prospect_name="Acme",
            prospect_email="it@acme.example",
            region="AE",
            products=["crm"],
            actor=STAFF,
        )
        shared = kit.leads.share(lead.id, actor=STAFF)
        # The Gulf first; then India, by experience (Indus has a customer of record).
        assert [o.partner_id for o in shared.offers] == [gulf.id, indus.id, delhi.id]
        assert referrer.id not in {o.partner_id for o in shared.offers}
        assert kit.leads.get(lead.id, actor=STAFF) == shared
        kit.leads.reject_partner(lead.id, indus.id, reason="never called back", actor=STAFF)
        assert kit.mapping.partner_of_record(acme.id, "crm", actor=STAFF) is None
        assert [m.to for m in mailer.sent if m.template == "lead.partner_rejected"] == [
            "centralit@vendor.example"
        ]
        kinds = [e.kind for e in kit.access.audit_trail(account=acme.id, actor=STAFF)]
        assert kinds == [AuditKind.LEAD_SHARED, AuditKind.LEAD_PARTNER_REJECTED]
        evidence = kit.access.associations(delhi.id, acme.id, actor=STAFF)
        assert [e.kind for e in evidence] == [EvidenceKind.LEAD_SHARED]
