"""The unit of work: rollback and savepoints."""

from __future__ import annotations

import pytest

from partnerkit.events import DomainEvent, OutboxMessage
from partnerkit.mapping.errors import (
    UsernameTakenError,
)
from partnerkit.mapping.partners import (
    PartnerCode,
)
from partnerkit.ports import Backend
from partnerkit.stores import Store
from partnerkit.testing.conformance._base import (
    T0,
    ContractBase,
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
