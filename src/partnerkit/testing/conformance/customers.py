"""The `Customers` port: accounts with users, contacts and plans; one email, one user."""

from __future__ import annotations

from datetime import date

import attrs
import pytest

from partnerkit.customers.accounts import (
    CustomerUser,
    Edition,
    ProductPlan,
)
from partnerkit.customers.errors import EmailTakenError
from partnerkit.errors import (
    ConcurrencyError,
)
from partnerkit.ports import Backend
from partnerkit.stores import Store
from partnerkit.testing.conformance._base import (
    ContractBase,
    _customer,
)

__all__ = ["CustomersContract"]


class CustomersContract(ContractBase):
    """The `Customers` port: accounts with users, contacts and plans; one email, one user."""

    def test_customer_round_trips_with_users_contacts_and_plans(
        self, backend: Backend[Store]
    ) -> None:
        self._with_products(backend)
        customer = _customer("cus_1", "it@acme.example", "bob@acme.example")
        with backend.unit_of_work() as uow:
            uow.customers.add(customer)
        with backend.unit_of_work(readonly=True) as uow:
            assert uow.customers.get("cus_1") == customer
            assert uow.customers.get_by_user_email("bob@acme.example") == customer
            assert uow.customers.get_by_user_email("nobody@acme.example") is None

    def test_customer_update_replaces_children(self, backend: Backend[Store]) -> None:
        self._with_products(backend)
        with backend.unit_of_work() as uow:
            uow.customers.add(_customer("cus_1", "it@acme.example", "bob@acme.example"))
        with backend.unit_of_work() as uow:
            stored = uow.customers.get("cus_1")
            assert stored is not None
            changed = attrs.evolve(
                stored,
                users=(stored.users[0], CustomerUser("eve@acme.example", "Eve")),
                products=(ProductPlan("books", Edition.FREE, date(2026, 1, 5)),),
            )
            saved = uow.customers.update(changed)
        assert saved.version == 2
        with backend.unit_of_work(readonly=True) as uow:
            assert uow.customers.get("cus_1") == saved
            assert uow.customers.get_by_user_email("bob@acme.example") is None
            assert uow.customers.get_by_user_email("eve@acme.example") == saved
        with pytest.raises(ConcurrencyError), backend.unit_of_work() as uow:
            uow.customers.update(changed)

    def test_customers_get_many_in_name_order(self, backend: Backend[Store]) -> None:
        self._with_products(backend)
        with backend.unit_of_work() as uow:
            uow.customers.add(attrs.evolve(_customer("cus_2", "b@acme.example"), name="Beta"))
            uow.customers.add(attrs.evolve(_customer("cus_1", "a@acme.example"), name="Zeta"))
            uow.customers.add(attrs.evolve(_customer("cus_3", "c@acme.example"), name="Alpha"))
        with backend.unit_of_work(readonly=True) as uow:
            found = uow.customers.get_many(["cus_1", "cus_2", "cus_missing"])
            assert [c.id for c in found] == ["cus_2", "cus_1"]
            assert found[0].users == (CustomerUser("b@acme.example", "b", is_admin=True),)
            assert uow.customers.get_many([]) == []

    def test_user_email_belongs_to_one_account(self, backend: Backend[Store]) -> None:
        self._with_products(backend)
        with backend.unit_of_work() as uow:
            uow.customers.add(_customer("cus_1", "it@acme.example"))
        with pytest.raises(EmailTakenError), backend.unit_of_work() as uow:
            uow.customers.add(_customer("cus_2", "it@acme.example"))
        with backend.unit_of_work(readonly=True) as uow:
            assert [c.id for c in uow.customers.all()] == ["cus_1"]

    def test_names_read_only_the_names_of_existing_accounts(self, backend: Backend[Store]) -> None:
        self._with_products(backend)
        with backend.unit_of_work() as uow:
            uow.customers.add(attrs.evolve(_customer("cus_1", "a@acme.example"), name="Zeta"))
            uow.customers.add(attrs.evolve(_customer("cus_2", "b@acme.example"), name="Beta"))
        with backend.unit_of_work(readonly=True) as uow:
            assert uow.customers.names(["cus_2", "cus_1", "cus_missing"]) == {
                "cus_1": "Zeta",
                "cus_2": "Beta",
            }
            assert uow.customers.names([]) == {}
