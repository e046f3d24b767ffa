"""`kit.access` end to end on a backend: the 002 seed's disclosure rule, the admin protection,
and the audit entry each decision leaves (none for a rolled-back one)."""

from __future__ import annotations

import pytest

from partnerkit.access import (
    AdminOutsideDomainsError,
    AuditKind,
    DisclosureReason,
    PartnerAdminError,
    Principal,
)
from partnerkit.kit import Kit
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
