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

    def test_update_claims_added_emails_and_releases_removed_ones(
        self, backend: Backend[Store]
    ) -> None:
        self._with_products(backend)
        with backend.unit_of_work() as uow:
            uow.customers.add(_customer("cus_1", "a@acme.example", "b@acme.example"))
            uow.customers.add(_customer("cus_2", "c@globex.example"))
        taken = CustomerUser("c@globex.example", "Clash")
        with pytest.raises(EmailTakenError), backend.unit_of_work() as uow:
            one = uow.customers.get("cus_1")
            assert one is not None
            uow.customers.update(attrs.evolve(one, users=(*one.users, taken)))
        with backend.unit_of_work() as uow:
            # The refused change left the account and every email as they were.
            one = uow.customers.get("cus_1")
            assert one is not None and one.version == 1
            assert uow.customers.get_by_user_email("a@acme.example") == one
            owner = uow.customers.get_by_user_email("c@globex.example")
            assert owner is not None and owner.id == "cus_2"
            # One user added, one removed: the removed email is free for another account.
            users = (one.users[1], CustomerUser("d@acme.example", "Dee"))
            saved = uow.customers.update(attrs.evolve(one, users=users))
            assert uow.customers.get_by_user_email("a@acme.example") is None
            assert uow.customers.get_by_user_email("b@acme.example") == saved
            assert uow.customers.get_by_user_email("d@acme.example") == saved
            two = uow.customers.get("cus_2")
            assert two is not None
            uow.customers.update(
                attrs.evolve(two, users=(*two.users, CustomerUser("a@acme.example", "Ann")))
            )
        with backend.unit_of_work() as uow:
            one = uow.customers.get("cus_1")
            assert one is not None
            # Appending to a large account claims the new emails only, in order.
            many = tuple(CustomerUser(f"user{i}@acme.example", f"User {i}") for i in range(60))
            grown = uow.customers.update(attrs.evolve(one, users=(*one.users, *many)))
            more = (*grown.users, CustomerUser("last@acme.example", "Last"))
            final = uow.customers.update(attrs.evolve(grown, users=more))
            # Only the name changes: the users keep their emails.
            renamed = uow.customers.update(attrs.evolve(final, name="Acme Renamed"))
        with backend.unit_of_work(readonly=True) as uow:
            assert uow.customers.get_by_user_email("user59@acme.example") == renamed
            assert uow.customers.get_by_user_email("last@acme.example") == renamed
            assert uow.customers.get_by_user_email("b@acme.example") == renamed
            owner = uow.customers.get_by_user_email("a@acme.example")
            assert owner is not None and owner.id == "cus_2"
            assert [c.name for c in uow.customers.all()] == ["Acme Renamed", "Customer cus_2"]
