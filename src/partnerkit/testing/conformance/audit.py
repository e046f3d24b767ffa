"""The audit trail's port: append-only, read by account, partner, actor, kind and time."""

from __future__ import annotations

from datetime import timedelta

import pytest

from partnerkit.access.audit import AuditEntry, AuditKind
from partnerkit.errors import PartnerkitError
from partnerkit.ports import Backend
from partnerkit.stores import Store
from partnerkit.testing.conformance._base import T0, ContractBase

__all__ = ["AuditEntriesContract"]


def _entry(eid: str, minutes: int, **kw: object) -> AuditEntry:
    values: dict[str, object] = {
        "id": eid,
        "at": T0 + timedelta(minutes=minutes, microseconds=minutes),
        "kind": AuditKind.DISCLOSURE,
        "allowed": False,
        "reason": "not_associated",
        "by": "support@vendor.example",
        "customer_id": "cus_1",
        "partner_id": "ptr_1",
    }
    values.update(kw)
    return AuditEntry(**values)  # type: ignore[arg-type]


class AuditEntriesContract(ContractBase):
    """The audit trail's port: append-only, read by account, partner, actor, kind and time."""

    def _trail(self, backend: Backend[Store]) -> list[AuditEntry]:
        entries = [
            _entry(
                "aud_1",
                0,
                allowed=True,
                reason="domain_match",
                subject="bob@acme.example",
                product="crm",
                details={"evidence": [{"kind": "domain", "product": None}], "n": 1},
            ),
            _entry("aud_2", 1, customer_id="cus_2", partner_id=None),
            _entry("aud_3", 2, kind=AuditKind.DENIED, by="o@z.example", reason="access.x"),
            _entry("aud_4", 3, partner_id="ptr_2", customer_id=None),
            # The same instant as aud_4: ties fall to the id.
            _entry("aud_0", 3, kind=AuditKind.ADMIN_GRANTED, allowed=True, reason="granted"),
        ]
        with backend.unit_of_work() as uow:
            for entry in entries:
                uow.audit.add(entry)
        return entries

    def test_audit_entries_round_trip_and_read_in_time_order(self, backend: Backend[Store]) -> None:
        one, two, three, four, zero = self._trail(backend)
        with backend.unit_of_work(readonly=True) as uow:
            assert uow.audit.query() == [one, two, three, zero, four]
            assert uow.audit.query(customer_id="cus_1") == [one, three, zero]
            assert uow.audit.query(partner_id="ptr_2") == [four]
            assert uow.audit.query(by="o@z.example") == [three]
            assert uow.audit.query(kind=AuditKind.DISCLOSURE) == [one, two, four]
            assert uow.audit.query(customer_id="cus_1", kind=AuditKind.DENIED) == [three]
            assert uow.audit.query(customer_id="cus_9") == []
            assert uow.audit.query(limit=2) == [one, two]
            assert uow.audit.query(limit=0) == []
            assert uow.audit.query(start=two.at, end=four.at) == [two, three]
            assert uow.audit.query(customer_id="cus_1", start=three.at) == [three, zero]
            assert uow.audit.query(partner_id="ptr_1", end=three.at) == [one]
            assert uow.audit.query(partner_id="ptr_1", end=zero.at) == [one, three]
        assert one.details == {"evidence": [{"kind": "domain", "product": None}], "n": 1}

    def test_audit_entries_are_append_only(self, backend: Backend[Store]) -> None:
        one, *_ = self._trail(backend)
        with backend.unit_of_work() as uow:
            assert not hasattr(uow.audit, "update") and not hasattr(uow.audit, "delete")
        with pytest.raises(PartnerkitError), backend.unit_of_work() as uow:
            uow.audit.add(_entry("aud_1", 9, reason="rewritten"))
        with backend.unit_of_work(readonly=True) as uow:
            assert uow.audit.query(customer_id="cus_1")[0] == one

    def test_a_rolled_back_unit_of_work_leaves_no_audit_entry(
        self, backend: Backend[Store]
    ) -> None:
        with pytest.raises(RuntimeError), backend.unit_of_work() as uow:
            uow.audit.add(_entry("aud_1", 0))
            raise RuntimeError("the decision's change failed")
        with backend.unit_of_work() as uow:
            with pytest.raises(RuntimeError), uow.savepoint():
                uow.audit.add(_entry("aud_2", 1))
                raise RuntimeError("undone")
            uow.audit.add(_entry("aud_3", 2))
        with backend.unit_of_work(readonly=True) as uow:
            assert [e.id for e in uow.audit.query()] == ["aud_3"]
