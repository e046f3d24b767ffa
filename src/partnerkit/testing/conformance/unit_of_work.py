"""The unit of work: rollback and savepoints."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import attrs
import pytest

from partnerkit.customers.errors import EmailTakenError
from partnerkit.events import DomainEvent, OutboxMessage
from partnerkit.mapping.commission_values import EntryKind
from partnerkit.mapping.errors import (
    UsernameTakenError,
)
from partnerkit.mapping.partners import (
    PartnerCode,
    PartnerStatus,
)
from partnerkit.money import Money
from partnerkit.ports import Backend
from partnerkit.stores import Store
from partnerkit.testing.conformance._base import (
    T0,
    ContractBase,
    _consent,
    _customer,
    _entry,
    _interval,
    _partner,
)

__all__ = ["UnitOfWorkContract"]


class UnitOfWorkContract(ContractBase):
    """The unit of work: rollback and savepoints."""

    def test_exception_rolls_back_the_whole_unit_of_work(self, backend: Backend[Store]) -> None:
        self._with_products(backend)
        with pytest.raises(RuntimeError), backend.unit_of_work() as uow:
            uow.partners.add(_partner("ptr_1", "Zillium"))
            uow.codes.add(PartnerCode("zllllumcorp", "ZILLIUMCorp", "ptr_1", T0))
            uow.outbox.add(OutboxMessage.for_event("msg_1", DomainEvent("x"), T0))
            raise RuntimeError("boom")
        with backend.unit_of_work(readonly=True) as uow:
            assert uow.partners.all() == []
            assert uow.codes.get("zllllumcorp") is None
            assert uow.outbox.all() == []

    def test_savepoint_undoes_only_its_own_writes(self, backend: Backend[Store]) -> None:
        self._with_products(backend)
        with backend.unit_of_work() as uow:
            uow.partners.add(_partner("ptr_1", "Kept"))
            with pytest.raises(UsernameTakenError), uow.savepoint():
                uow.partners.add(_partner("ptr_2", "Undone", username="fresh"))
                uow.partners.add(_partner("ptr_3", "Clash", username="ptr1"))
            uow.partners.add(_partner("ptr_4", "Also kept"))
        with backend.unit_of_work(readonly=True) as uow:
            assert [p.id for p in uow.partners.all()] == ["ptr_4", "ptr_1"]
            assert uow.partners.get_by_username("fresh") is None

    @staticmethod
    def _lookups(backend: Backend[Store]) -> dict[str, Any]:
        """Every way the rows below can be found, read in one transaction."""
        with backend.unit_of_work(readonly=True) as uow:
            r, c = uow.records, uow.commissions
            return {
                "current": r.current("cus_1", "crm"),
                "history": r.history("cus_1", "crm"),
                "for_customer": r.for_customer("cus_1"),
                "last_end": r.last_end("cus_1", "crm"),
                "covering": r.covering("cus_1", "crm", T0 + timedelta(days=2)),
                "earning": r.earning_at("cus_1", "crm", T0 + timedelta(days=2)),
                "open_1": r.open_for_partner("ptr_1"),
                "open_2": r.open_for_partner("ptr_2"),
                "provisional": r.next_provisional_end(),
                "by_email_old": uow.customers.get_by_user_email("it@acme.example"),
                "by_email_new": uow.customers.get_by_user_email("new@acme.example"),
                "customers": uow.customers.all(),
                "username_old": uow.partners.get_by_username("ptr1"),
                "username_new": uow.partners.get_by_username("renamed"),
                "partners": uow.partners.all(),
                "active": uow.partners.all(status=PartnerStatus.ACTIVE),
                "oldest": uow.partners.oldest_activity(),
                "pending": uow.consents.pending(),
                "pending_2": uow.consents.pending(partner_id="ptr_2"),
                "expiry": uow.consents.next_expiry(),
                "token": uow.consents.get_by_token_hash("a" * 64),
                "booked": c.get_by_transaction("txn_2"),
                "reversals": c.reversals_of("txn_1"),
                "last_booked": c.last_occurred_at("map_1"),
                "ledger": c.for_partner("ptr_1"),
                "outbox": uow.outbox.all(),
                "due": uow.outbox.next_due(),
            }

    def _changes(self, uow: Store) -> None:
        """Writes that move a row in every index it is in."""
        current = uow.records.current("cus_1", "crm")
        assert current is not None
        uow.records.update(current.close(T0 + timedelta(days=1), "transferred", "it@acme.example"))
        uow.records.add(
            _interval("map_2", "cus_1", "crm", "ptr_2", valid_from=T0 + timedelta(days=1))
        )
        customer = uow.customers.get("cus_1")
        assert customer is not None
        user = attrs.evolve(customer.users[0], email="new@acme.example")
        uow.customers.update(attrs.evolve(customer, name="Renamed", users=(user,)))
        partner = uow.partners.get("ptr_1")
        assert partner is not None
        uow.partners.update(attrs.evolve(partner, username="renamed", name="Aaa"))
        uow.partners.touch("ptr_2", T0 + timedelta(days=9))
        request = uow.consents.get("cns_1")
        assert request is not None
        uow.consents.update(request.cancel(T0))
        usd = Money.of("-5", "USD")
        uow.commissions.add(
            _entry("com_2", "txn_2", usd, reverses="txn_1", kind=EntryKind.REVERSAL)
        )
        uow.outbox.add(OutboxMessage.for_event("msg_2", DomainEvent("x"), T0 - timedelta(1)))

    def _rows_in_every_index(self, backend: Backend[Store]) -> None:
        self._program(backend)
        with backend.unit_of_work() as uow:
            uow.records.add(_interval("map_1", "cus_1", "crm", "ptr_1"))
            uow.consents.add(_consent("cns_1", "a" * 64, from_partner_id="ptr_2"))
            uow.commissions.add(_entry("com_1", "txn_1", Money.of("50", "USD")))
            uow.outbox.add(OutboxMessage.for_event("msg_1", DomainEvent("x"), T0))

    def test_a_rollback_restores_every_lookup(self, backend: Backend[Store]) -> None:
        self._rows_in_every_index(backend)
        before = self._lookups(backend)
        with pytest.raises(RuntimeError), backend.unit_of_work() as uow:
            self._changes(uow)
            raise RuntimeError("boom")
        assert self._lookups(backend) == before
        # The keys the undone writes released or claimed are where they were.
        with pytest.raises(EmailTakenError), backend.unit_of_work() as uow:
            uow.customers.add(_customer("cus_3", "it@acme.example"))
        with backend.unit_of_work() as uow:
            uow.customers.add(_customer("cus_3", "new@acme.example"))
            uow.partners.add(_partner("ptr_4", "Fourth", username="renamed"))

    def test_a_savepoint_restores_every_lookup_and_the_rest_commits(
        self, backend: Backend[Store]
    ) -> None:
        self._rows_in_every_index(backend)
        before = self._lookups(backend)
        with backend.unit_of_work() as uow:
            with pytest.raises(RuntimeError), uow.savepoint():
                self._changes(uow)
                raise RuntimeError("boom")
            uow.outbox.add(OutboxMessage.for_event("msg_3", DomainEvent("y"), T0))
        after = self._lookups(backend)
        assert [m.id for m in after.pop("outbox")] == ["msg_1", "msg_3"]
        before.pop("outbox")
        assert after == before
        with backend.unit_of_work() as uow:
            # Committed after the undone scope: the same changes go through now.
            self._changes(uow)
        changed = self._lookups(backend)
        assert [i.id for i in changed["history"]] == ["map_1", "map_2"]
        assert changed["by_email_old"] is None
        assert changed["username_new"] is not None and changed["username_old"] is None
        assert changed["pending"] == [] and changed["expiry"] is None
        assert [e.id for e in changed["reversals"]] == ["com_2"]
