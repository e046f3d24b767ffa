"""The `SignupLinks` port: links by token hash, with the products they offer."""

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
    """The `SignupLinks` port: links by token hash, with the products they offer."""

    def test_signup_links_round_trip_by_token_hash(self, backend: Backend[Store]) -> None:
        self._program(backend)
        # A link stored before links named their products offers none.
        legacy = SignupLink("a" * 64, "ptr_1", T0)
        one = SignupLink("b" * 64, "ptr_1", T0, products=("crm",), revoked_at=T0 + timedelta(1))
        # The partner's order is kept, not the alphabet's.
        two = SignupLink("d" * 64, "ptr_2", T0, products=("crm", "books"))
        with backend.unit_of_work() as uow:
            uow.signup_links.add(legacy)
            uow.signup_links.add(one)
            uow.signup_links.add(two)
        with backend.unit_of_work(readonly=True) as uow:
            assert uow.signup_links.get_by_token_hash("a" * 64) == legacy
            assert uow.signup_links.get_by_token_hash("b" * 64) == one
            found = uow.signup_links.get_by_token_hash("d" * 64)
            assert found == two and found.products == ("crm", "books")
            assert uow.signup_links.get_by_token_hash("c" * 64) is None

    def test_a_link_is_revoked_once_and_the_first_instant_stays(
        self, backend: Backend[Store]
    ) -> None:
        self._program(backend)
        link = SignupLink("a" * 64, "ptr_1", T0, products=("crm", "books"))
        with backend.unit_of_work() as uow:
            uow.signup_links.add(link)
            uow.signup_links.add(SignupLink("b" * 64, "ptr_1", T0))
        with backend.unit_of_work() as uow:
            uow.signup_links.revoke("a" * 64, T0 + timedelta(hours=1))
            uow.signup_links.revoke("a" * 64, T0 + timedelta(hours=2))
            uow.signup_links.revoke("c" * 64, T0)  # no such link: nothing to do
        with backend.unit_of_work(readonly=True) as uow:
            revoked = uow.signup_links.get_by_token_hash("a" * 64)
            assert revoked == SignupLink(
                "a" * 64, "ptr_1", T0, ("crm", "books"), revoked_at=T0 + timedelta(hours=1)
            )
            untouched = uow.signup_links.get_by_token_hash("b" * 64)
            assert untouched is not None and untouched.revoked_at is None
