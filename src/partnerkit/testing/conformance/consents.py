"""The `ConsentRequests` port: requests with confirmations, pending and expiring."""

from __future__ import annotations

from datetime import timedelta

import attrs
import pytest

from partnerkit.consent import Confirmation, ConsentKind, ConsentStatus
from partnerkit.errors import (
    ConcurrencyError,
)
from partnerkit.ports import Backend
from partnerkit.stores import Store
from partnerkit.testing.conformance._base import (
    T0,
    ContractBase,
    _consent,
)

__all__ = ["ConsentRequestsContract"]


class ConsentRequestsContract(ContractBase):
    """The `ConsentRequests` port: requests with confirmations, pending and expiring."""

    def test_consent_request_round_trips_with_confirmations(self, backend: Backend[Store]) -> None:
        self._program(backend)
        request = _consent(
            "cns_1",
            "a" * 64,
            kind=ConsentKind.TRANSFER,
            from_partner_id="ptr_2",
            required_confirmations=2,
            confirmations=(Confirmation("it@acme.example", T0 + timedelta(microseconds=3)),),
            context={"reason": "moving", "nested": {"b": [1, "two", None], "a": True}},
        )
        with backend.unit_of_work() as uow:
            uow.consents.add(request)
            uow.consents.add(_consent("cns_2", "b" * 64))
        with backend.unit_of_work(readonly=True) as uow:
            assert uow.consents.get("cns_1") == request
            assert uow.consents.get_by_token_hash("a" * 64) == request
            assert uow.consents.get_by_token_hash("c" * 64) is None
            assert uow.consents.get("cns_9") is None
            plain = uow.consents.get("cns_2")
            assert plain is not None
            assert plain.context == {} and plain.confirmations == ()

    def test_consent_update_replaces_confirmations_and_is_optimistic(
        self, backend: Backend[Store]
    ) -> None:
        self._program(backend)
        request = _consent(
            "cns_1",
            "a" * 64,
            required_confirmations=2,
            confirmations=(Confirmation("it@acme.example", T0),),
        )
        with backend.unit_of_work() as uow:
            uow.consents.add(request)
        now = T0 + timedelta(hours=5, microseconds=11)
        confirmed = request.confirm("bob@acme.example", now)
        assert confirmed.status is ConsentStatus.EFFECTIVE
        with backend.unit_of_work() as uow:
            saved = uow.consents.update(confirmed)
        assert saved.version == 2
        with pytest.raises(ConcurrencyError), backend.unit_of_work() as uow:
            uow.consents.update(request.cancel(now))
        with backend.unit_of_work() as uow:
            assert uow.consents.get("cns_1") == saved
            assert len(saved.confirmations) == 2
            fewer = uow.consents.update(attrs.evolve(saved, confirmations=()))
        with backend.unit_of_work(readonly=True) as uow:
            assert uow.consents.get_by_token_hash("a" * 64) == fewer
            assert fewer.version == 3 and fewer.confirmations == ()

    def test_pending_consents_filter_order_and_expire(self, backend: Backend[Store]) -> None:
        self._program(backend)
        week = T0 + timedelta(days=7)
        requests = [
            _consent("cns_b", "b" * 64),
            _consent("cns_a", "a" * 64),  # same requested_at: ordered by id
            _consent(
                "cns_c",
                "c" * 64,
                kind=ConsentKind.TRANSFER,
                partner_id="ptr_3",
                from_partner_id="ptr_1",
                requested_at=T0 - timedelta(hours=1),
                expires_at=week - timedelta(microseconds=1),
            ),
            _consent(
                "cns_d",
                "d" * 64,
                customer_id="cus_2",
                product="books",
                partner_id="ptr_2",
                expires_at=week + timedelta(days=1),
            ),
            _consent("cns_e", "e" * 64, status=ConsentStatus.EFFECTIVE, expires_at=T0),
        ]
        with backend.unit_of_work() as uow:
            assert uow.consents.next_expiry() is None
            for request in requests:
                uow.consents.add(request)
        with backend.unit_of_work(readonly=True) as uow:
            ids = [r.id for r in uow.consents.pending()]
            assert ids == ["cns_c", "cns_a", "cns_b", "cns_d"]
            assert [r.id for r in uow.consents.pending(customer_id="cus_2")] == ["cns_d"]
            # partner_id matches the gaining and the losing partner.
            assert [r.id for r in uow.consents.pending(partner_id="ptr_1")] == [
                "cns_c",
                "cns_a",
                "cns_b",
            ]
            assert [r.id for r in uow.consents.pending(partner_id="ptr_3")] == ["cns_c"]
            assert [r.id for r in uow.consents.pending(product="books")] == ["cns_d"]
            transfers = uow.consents.pending(kind=ConsentKind.TRANSFER)
            assert [r.id for r in transfers] == ["cns_c"]
            assert uow.consents.pending(customer_id="cus_2", partner_id="ptr_1") == []
            assert uow.consents.next_expiry() == week - timedelta(microseconds=1)
            assert [r.id for r in uow.consents.expiring(week - timedelta(microseconds=2))] == []
            assert [r.id for r in uow.consents.expiring(week)] == ["cns_c", "cns_a", "cns_b"]
        with backend.unit_of_work() as uow:
            for request in uow.consents.expiring(week):
                uow.consents.update(request.expire(week))
        with backend.unit_of_work(readonly=True) as uow:
            assert [r.id for r in uow.consents.pending()] == ["cns_d"]
            assert uow.consents.next_expiry() == week + timedelta(days=1)
            expired = uow.consents.get("cns_a")
            assert expired is not None and expired.status is ConsentStatus.EXPIRED

    def test_a_settled_request_leaves_every_pending_list(self, backend: Backend[Store]) -> None:
        self._program(backend)
        transfer = _consent(
            "cns_t",
            "t" * 64,
            kind=ConsentKind.TRANSFER,
            partner_id="ptr_2",
            from_partner_id="ptr_1",
            expires_at=T0 + timedelta(days=15),
        )
        approval = _consent("cns_a", "a" * 64, partner_id="ptr_3", product="books")
        with backend.unit_of_work() as uow:
            uow.consents.add(transfer)
            uow.consents.add(approval)
        with backend.unit_of_work() as uow:
            assert [r.id for r in uow.consents.pending(partner_id="ptr_1")] == ["cns_t"]
            assert [r.id for r in uow.consents.pending(partner_id="ptr_2")] == ["cns_t"]
            transfers = uow.consents.pending(
                customer_id="cus_1", product="crm", kind=ConsentKind.TRANSFER
            )
            assert [r.id for r in transfers] == ["cns_t"]
            assert (
                uow.consents.pending(customer_id="cus_1", product="books", partner_id="ptr_1") == []
            )
            assert uow.consents.next_expiry() == approval.expires_at
            uow.consents.update(approval.cancel(T0 + timedelta(hours=1)))
            confirmed = transfer.confirm("it@acme.example", T0 + timedelta(hours=2))
            assert confirmed.status is ConsentStatus.EFFECTIVE
            uow.consents.update(confirmed)
        with backend.unit_of_work(readonly=True) as uow:
            assert uow.consents.pending() == []
            for partner in ("ptr_1", "ptr_2", "ptr_3"):
                assert uow.consents.pending(partner_id=partner) == []
            assert uow.consents.pending(customer_id="cus_1") == []
            assert uow.consents.pending(product="books") == []
            assert uow.consents.expiring(T0 + timedelta(days=365)) == []
            assert uow.consents.next_expiry() is None
            # Still found by id and by token, settled.
            found = uow.consents.get_by_token_hash("t" * 64)
            assert found is not None and found.status is ConsentStatus.EFFECTIVE

    def test_confirmations_added_one_at_a_time_read_back_in_order(
        self, backend: Backend[Store]
    ) -> None:
        self._program(backend)
        request = _consent("cns_1", "a" * 64, required_confirmations=3)
        with backend.unit_of_work() as uow:
            uow.consents.add(request)
        for i, by in enumerate(("ana@acme.example", "bob@acme.example", "cyd@acme.example")):
            with backend.unit_of_work() as uow:
                stored = uow.consents.get("cns_1")
                assert stored == request
                request = uow.consents.update(
                    request.confirm(by, T0 + timedelta(minutes=i, microseconds=i))
                )
            with backend.unit_of_work(readonly=True) as uow:
                assert uow.consents.get_by_token_hash("a" * 64) == request
        assert [c.by for c in request.confirmations] == [
            "ana@acme.example",
            "bob@acme.example",
            "cyd@acme.example",
        ]
        assert request.status is ConsentStatus.EFFECTIVE
        with backend.unit_of_work(readonly=True) as uow:
            assert uow.consents.pending() == []
