"""The `SignupLinks` port: links by token hash."""

from __future__ import annotations

from datetime import timedelta

from partnerkit.mapping.signup import SignupLink
from partnerkit.ports import Backend
from partnerkit.stores import Store
from partnerkit.testing.conformance._base import (
    T0,
    ContractBase,
)

__all__ = ["SignupLinksContract"]


class SignupLinksContract(ContractBase):
    """The `SignupLinks` port: links by token hash."""

    def test_signup_links_round_trip_by_token_hash(self, backend: Backend[Store]) -> None:
        self._program(backend)
        every = SignupLink("a" * 64, "ptr_1", T0)
        one = SignupLink("b" * 64, "ptr_1", T0, product="crm", revoked_at=T0 + timedelta(1))
        with backend.unit_of_work() as uow:
            uow.signup_links.add(every)
            uow.signup_links.add(one)
        with backend.unit_of_work(readonly=True) as uow:
            assert uow.signup_links.get_by_token_hash("a" * 64) == every
            assert uow.signup_links.get_by_token_hash("b" * 64) == one
            assert uow.signup_links.get_by_token_hash("c" * 64) is None
