"""The `TrackingEntries` port: idempotent, ordered, removable one by one or per account."""

from __future__ import annotations

from datetime import timedelta

from partnerkit.mapping.tracking import TrackingEntry
from partnerkit.ports import Backend
from partnerkit.stores import Store
from partnerkit.testing.conformance._base import (
    T0,
    ContractBase,
)

__all__ = ["TrackingEntriesContract"]


class TrackingEntriesContract(ContractBase):
    """The `TrackingEntries` port: idempotent, ordered, removable one by one or per account."""

    def test_tracking_entries_are_idempotent_ordered_and_removable(
        self, backend: Backend[Store]
    ) -> None:
        self._program(backend)
        later = T0 + timedelta(minutes=5, microseconds=9)
        bob = TrackingEntry("ptr_1", "bob@acme.example", "cus_1", later)
        ann = TrackingEntry("ptr_1", "ann@acme.example", "cus_1", later)
        eve = TrackingEntry("ptr_1", "eve@globex.example", "cus_2", T0)
        other = TrackingEntry("ptr_2", "bob@acme.example", "cus_1", T0)
        with backend.unit_of_work() as uow:
            for entry in (bob, ann, eve, other):
                uow.tracking.add(entry)
            # Again, even with other facts: nothing changes.
            uow.tracking.add(TrackingEntry("ptr_1", "bob@acme.example", "cus_2", T0))
        with backend.unit_of_work() as uow:
            uow.tracking.add(bob)
        with backend.unit_of_work(readonly=True) as uow:
            assert uow.tracking.for_partner("ptr_1") == [eve, ann, bob]
            assert uow.tracking.for_partner("ptr_3") == []
            assert uow.tracking.for_customer("cus_1") == [other, ann, bob]
        with backend.unit_of_work() as uow:
            uow.tracking.remove("ptr_1", "bob@acme.example")
            uow.tracking.remove("ptr_1", "nobody@acme.example")
        with backend.unit_of_work(readonly=True) as uow:
            assert uow.tracking.for_partner("ptr_1") == [eve, ann]
            assert uow.tracking.for_customer("cus_1") == [other, ann]

    def test_a_partners_entries_for_an_account_go_together(self, backend: Backend[Store]) -> None:
        # Whatever the channel, a customer that becomes the partner's leaves its tracking list:
        # every user of the account that the partner tracked, and nobody else's entries.
        self._program(backend)
        bob = TrackingEntry("ptr_1", "bob@acme.example", "cus_1", T0)
        ann = TrackingEntry("ptr_1", "ann@acme.example", "cus_1", T0 + timedelta(seconds=1))
        eve = TrackingEntry("ptr_1", "eve@globex.example", "cus_2", T0)
        other = TrackingEntry("ptr_2", "bob@acme.example", "cus_1", T0)
        with backend.unit_of_work() as uow:
            for entry in (bob, ann, eve, other):
                uow.tracking.add(entry)
        with backend.unit_of_work() as uow:
            uow.tracking.remove_customer("ptr_1", "cus_1")
            uow.tracking.remove_customer("ptr_3", "cus_1")  # none: nothing to do
        with backend.unit_of_work(readonly=True) as uow:
            assert uow.tracking.for_partner("ptr_1") == [eve]
            assert uow.tracking.for_customer("cus_1") == [other]
        with backend.unit_of_work() as uow:
            uow.tracking.add(bob)  # tracked again later: a fresh entry
        with backend.unit_of_work(readonly=True) as uow:
            assert uow.tracking.for_customer("cus_1") == [bob, other]  # ties: by partner
