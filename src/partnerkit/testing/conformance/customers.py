"""The `Customers` port: accounts with users, contacts, plans and a time zone; one email, one
user; accounts by email domain."""

from __future__ import annotations

from datetime import date, timedelta

import attrs
import pytest

from partnerkit.customers.accounts import (
    AccountHead,
    ContactPerson,
    Customer,
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
    T0,
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

    def test_head_reads_the_account_and_one_user_without_its_lists(
        self, backend: Backend[Store]
    ) -> None:
        self._with_products(backend)
        with backend.unit_of_work() as uow:
            uow.customers.add(_customer("cus_1", "it@acme.example", "bob@acme.example"))
            uow.customers.add(_customer("cus_2", "eve@globex.example"))
        it = CustomerUser("it@acme.example", "it", is_admin=True)
        bob = CustomerUser("bob@acme.example", "bob", is_admin=False)
        with backend.unit_of_work(readonly=True) as uow:
            assert uow.customers.head("cus_1") == AccountHead("cus_1", "Customer cus_1", 1)
            assert uow.customers.head("cus_1", user="it@acme.example") == AccountHead(
                "cus_1", "Customer cus_1", 1, it
            )
            head = uow.customers.head("cus_1", user="bob@acme.example")
            assert head is not None and head.user == bob and not head.is_admin(bob.email)
            # Another account's user, or nobody's, is not this account's.
            assert uow.customers.head("cus_1", user="eve@globex.example") == AccountHead(
                "cus_1", "Customer cus_1", 1
            )
            assert uow.customers.head("cus_9", user="it@acme.example") is None

    def test_add_user_appends_one_user_and_moves_the_version(self, backend: Backend[Store]) -> None:
        self._with_products(backend)
        with backend.unit_of_work() as uow:
            uow.customers.add(_customer("cus_1", "it@acme.example", "bob@acme.example"))
            uow.customers.add(_customer("cus_2", "eve@globex.example"))
        dev = CustomerUser("dev@acme.example", "Dev", is_admin=True)
        with backend.unit_of_work() as uow:
            # Read in the same unit of work first: the append must not be lost to what was read.
            before = uow.customers.get("cus_1")
            assert before is not None
            uow.customers.add_user("cus_1", dev, version=1)
            after = uow.customers.get("cus_1")
            assert after is not None and after.version == 2
            assert after.users == (*before.users, dev)
        with backend.unit_of_work(readonly=True) as uow:
            stored = uow.customers.get("cus_1")
            assert stored is not None and stored.users[-1] == dev and stored.version == 2
            assert stored.contacts == before.contacts and stored.products == before.products
            found = uow.customers.get_by_user_email("dev@acme.example")
            assert found is not None and found.id == "cus_1"
        with pytest.raises(ConcurrencyError), backend.unit_of_work() as uow:
            uow.customers.add_user("cus_1", CustomerUser("x@acme.example", "X"), version=1)
        for taken in ("eve@globex.example", "dev@acme.example"):
            with pytest.raises(EmailTakenError) as info, backend.unit_of_work() as uow:
                uow.customers.add_user("cus_1", CustomerUser(taken, "Taken"), version=2)
            assert info.value.details == {"field": "email", "email": taken}
        with backend.unit_of_work(readonly=True) as uow:
            stored = uow.customers.get("cus_1")
            assert stored is not None and stored.version == 2
            assert [u.email for u in stored.users] == [
                "it@acme.example",
                "bob@acme.example",
                "dev@acme.example",
            ]
        with backend.unit_of_work() as uow:
            # Then an update by difference keeps the appended user in its place.
            current = uow.customers.get("cus_1")
            assert current is not None
            uow.customers.update(attrs.evolve(current, users=current.users[1:]))
        with backend.unit_of_work(readonly=True) as uow:
            stored = uow.customers.get("cus_1")
            assert stored is not None
            assert [u.email for u in stored.users] == ["bob@acme.example", "dev@acme.example"]

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

    def _saved(self, backend: Backend[Store], customer: Customer) -> Customer:
        """Store the change in its own unit of work (which reads the customer first, as
        services do) and check that a fresh read gives back exactly the value returned."""
        with backend.unit_of_work() as uow:
            current = uow.customers.get(customer.id)
            assert current is not None and current.version == customer.version
            saved = uow.customers.update(customer)
            assert uow.customers.get(customer.id) == saved
        with backend.unit_of_work(readonly=True) as uow:
            assert uow.customers.get(customer.id) == saved
        return saved

    def test_customer_children_keep_their_order_through_every_kind_of_change(
        self, backend: Backend[Store]
    ) -> None:
        self._with_products(backend)
        emails = [f"{name}@acme.example" for name in ("ana", "bob", "cyd", "dee")]
        customer = _customer("cus_1", *emails)
        with backend.unit_of_work() as uow:
            uow.customers.add(customer)
        users = customer.users
        # Remove one from the middle, then add one at the end: the others keep their order.
        customer = self._saved(backend, attrs.evolve(customer, users=(users[0], *users[2:])))
        eve = CustomerUser("eve@acme.example", "Eve")
        customer = self._saved(backend, attrs.evolve(customer, users=(*customer.users, eve)))
        assert [u.email for u in customer.users] == [
            "ana@acme.example",
            "cyd@acme.example",
            "dee@acme.example",
            "eve@acme.example",
        ]
        # Change one user in place, move the last to the front, insert one in the middle.
        changed = (
            customer.users[0],
            CustomerUser("cyd@acme.example", "Cyd Renamed", is_admin=True),
            *customer.users[2:],
        )
        customer = self._saved(backend, attrs.evolve(customer, users=changed))
        moved = (customer.users[-1], *customer.users[:-1])
        customer = self._saved(backend, attrs.evolve(customer, users=moved))
        fay = CustomerUser("fay@acme.example", "Fay")
        middle = (*customer.users[:2], fay, *customer.users[2:])
        customer = self._saved(backend, attrs.evolve(customer, users=middle))
        assert [u.email for u in customer.users][:3] == [
            "eve@acme.example",
            "ana@acme.example",
            "fay@acme.example",
        ]
        # Domains, contacts and plans: shrink, grow, change, empty.
        customer = self._saved(
            backend,
            attrs.evolve(
                customer,
                domains=("acme.test", "acme.example", "acme.org"),
                contacts=(
                    ContactPerson("Bo", "bo@acme.example"),
                    attrs.evolve(customer.contacts[0], phone=None, primary=False),
                    ContactPerson("Cy", "cy@acme.example", "+1 555", primary=True),
                ),
                products=(
                    ProductPlan("books", Edition.FREE, date(2026, 1, 5)),
                    ProductPlan("crm", Edition.FREE, date(2025, 12, 1)),
                ),
            ),
        )
        customer = self._saved(
            backend,
            attrs.evolve(
                customer,
                domains=("acme.org",),
                contacts=customer.contacts[2:],
                products=customer.products[:1],
            ),
        )
        customer = self._saved(
            backend, attrs.evolve(customer, users=customer.users[-1:], domains=(), products=())
        )
        assert customer.version == 9
        with backend.unit_of_work(readonly=True) as uow:
            assert uow.customers.get_by_user_email("ana@acme.example") is None
            assert uow.customers.get_by_user_email(customer.users[0].email) == customer

    def test_customer_update_without_reading_it_in_the_same_unit_of_work(
        self, backend: Backend[Store]
    ) -> None:
        self._with_products(backend)
        with backend.unit_of_work() as uow:
            uow.customers.add(_customer("cus_1", "it@acme.example", "bob@acme.example"))
        with backend.unit_of_work(readonly=True) as uow:
            read = uow.customers.get("cus_1")
        assert read is not None
        with backend.unit_of_work() as uow:
            once = uow.customers.update(
                attrs.evolve(read, users=(CustomerUser("eve@acme.example", "Eve"), read.users[0]))
            )
            # Twice in one unit of work: the second starts from what the first wrote.
            twice = uow.customers.update(attrs.evolve(once, users=once.users[1:], domains=()))
        with backend.unit_of_work(readonly=True) as uow:
            assert uow.customers.get("cus_1") == twice
            assert [u.email for u in twice.users] == ["it@acme.example"]
            assert uow.customers.get_by_user_email("eve@acme.example") is None

    def test_customer_update_after_a_rolled_back_savepoint(self, backend: Backend[Store]) -> None:
        self._with_products(backend)
        with backend.unit_of_work() as uow:
            uow.customers.add(_customer("cus_1", "it@acme.example"))
        with backend.unit_of_work() as uow:
            read = uow.customers.get("cus_1")
            assert read is not None
            with pytest.raises(RuntimeError), uow.savepoint():
                undone = uow.customers.update(
                    attrs.evolve(read, users=(*read.users, CustomerUser("x@acme.example", "X")))
                )
                raise RuntimeError("undo")
            # The value the undone update returned is stale now: its version was rolled back.
            with pytest.raises(ConcurrencyError), uow.savepoint():
                uow.customers.update(attrs.evolve(undone, name="Stale"))
            kept = uow.customers.update(
                attrs.evolve(read, users=(*read.users, CustomerUser("y@acme.example", "Y")))
            )
        with backend.unit_of_work(readonly=True) as uow:
            assert uow.customers.get("cus_1") == kept
            assert [u.email for u in kept.users] == ["it@acme.example", "y@acme.example"]
            assert uow.customers.get_by_user_email("x@acme.example") is None

    def test_user_email_moves_between_accounts_in_one_unit_of_work(
        self, backend: Backend[Store]
    ) -> None:
        self._with_products(backend)
        with backend.unit_of_work() as uow:
            uow.customers.add(_customer("cus_1", "it@acme.example", "bob@acme.example"))
            uow.customers.add(_customer("cus_2", "it@globex.example"))
        with backend.unit_of_work() as uow:
            one, two = uow.customers.get("cus_1"), uow.customers.get("cus_2")
            assert one is not None and two is not None
            bob = one.users[1]
            with pytest.raises(EmailTakenError), uow.savepoint():
                uow.customers.update(attrs.evolve(two, users=(*two.users, bob)))
            uow.customers.update(attrs.evolve(one, users=one.users[:1]))
            moved = uow.customers.update(attrs.evolve(two, users=(*two.users, bob)))
        with backend.unit_of_work(readonly=True) as uow:
            assert uow.customers.get_by_user_email("bob@acme.example") == moved
            assert [c.id for c in uow.customers.get_many(["cus_2", "cus_1"])] == [
                "cus_1",
                "cus_2",
            ]

    def test_customers_without_children_read_back(self, backend: Backend[Store]) -> None:
        self._with_products(backend)
        bare = Customer(id="cus_0", name="Bare", created_at=T0)
        with backend.unit_of_work() as uow:
            uow.customers.add(bare)
            uow.customers.add(_customer("cus_1", "it@acme.example"))
        with backend.unit_of_work() as uow:
            assert uow.customers.get("cus_0") == bare
            assert [c.id for c in uow.customers.all()] == ["cus_0", "cus_1"]
            assert uow.customers.all()[0] == bare
            grown = uow.customers.update(attrs.evolve(bare, domains=("bare.example",)))
        with backend.unit_of_work(readonly=True) as uow:
            assert uow.customers.get_many(["cus_0"]) == [grown]

    def test_an_account_keeps_its_time_zone(self, backend: Backend[Store]) -> None:
        self._with_products(backend)
        kolkata = attrs.evolve(_customer("cus_1", "it@acme.example"), time_zone="Asia/Kolkata")
        with backend.unit_of_work() as uow:
            uow.customers.add(kolkata)
            uow.customers.add(_customer("cus_2", "it@globex.example"))
        with backend.unit_of_work() as uow:
            assert uow.customers.get("cus_1") == kolkata
            follows = uow.customers.get("cus_2")
            assert follows is not None and follows.time_zone is None
            back = uow.customers.update(attrs.evolve(kolkata, time_zone=None))
        with backend.unit_of_work(readonly=True) as uow:
            assert uow.customers.get("cus_1") == back
            assert back.time_zone is None

    def test_accounts_by_email_domain_the_oldest_first(self, backend: Backend[Store]) -> None:
        self._with_products(backend)
        later = T0 + timedelta(days=1)
        # Created later but with the smaller id: the creation instant decides, then the id.
        young = attrs.evolve(
            _customer("cus_0", "it@young.example"), created_at=later, domains=("shared.example",)
        )
        old = attrs.evolve(
            _customer("cus_2", "it@old.example"), domains=("old.example", "shared.example")
        )
        twin = attrs.evolve(_customer("cus_3", "it@twin.example"), domains=("shared.example",))
        with backend.unit_of_work() as uow:
            for customer in (young, old, twin):
                uow.customers.add(customer)
        with backend.unit_of_work() as uow:
            assert uow.customers.get_by_domain("old.example") == old
            assert uow.customers.get_by_domain("shared.example") == old
            assert uow.customers.get_by_domain("nobody.example") is None
            # A domain given up is no longer the account's.
            uow.customers.update(attrs.evolve(old, domains=("old.example",)))
        with backend.unit_of_work(readonly=True) as uow:
            found = uow.customers.get_by_domain("shared.example")
            assert found is not None and found.id == "cus_3"
