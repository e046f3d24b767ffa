"""Customer accounts through kit.customers: users and admins, contacts, product plans."""

from __future__ import annotations

from datetime import date

import pytest

import partnerkit as pk
from partnerkit.catalog.errors import ProductNotFoundError
from partnerkit.customers.errors import (
    CustomerNotFoundError,
    EmailTakenError,
    LastAdminError,
    UserNotFoundError,
)
from partnerkit.errors import InvalidInputError

#: The partner team: sets up the catalog, partners and accounts the tests act on.
STAFF = pk.Principal.staff("team@vendor.example")


@pytest.fixture
def kit(pk_kit: pk.Kit) -> pk.Kit:
    pk_kit.catalog.add_product("crm", name="CRM", actor=STAFF)
    return pk_kit


@pytest.fixture
def acme(kit: pk.Kit) -> pk.Customer:
    return kit.customers.create(
        name="Acme",
        domain="Acme.example",
        admin_email="IT@acme.example",
        admin_name="Ana",
        actor=STAFF,
    )


def test_create_makes_the_first_user_admin_and_primary_contact(acme: pk.Customer) -> None:
    assert acme.domains == ("acme.example",)
    assert acme.users == (pk.CustomerUser("it@acme.example", "Ana", is_admin=True),)
    assert acme.primary_contact == pk.ContactPerson("Ana", "it@acme.example", primary=True)
    assert acme.is_admin("it@acme.example")


def test_an_email_belongs_to_one_user(kit: pk.Kit, acme: pk.Customer) -> None:
    with pytest.raises(EmailTakenError) as info:
        kit.customers.create(name="Other", admin_email="it@acme.example", actor=STAFF)
    assert info.value.details["field"] == "admin_email"
    with pytest.raises(EmailTakenError):
        kit.customers.add_user(acme.id, "IT@ACME.example", actor=STAFF)
    assert [c.name for c in kit.customers.customers(actor=STAFF)] == ["Acme"]


def test_admins_can_be_granted_but_the_last_one_stays(kit: pk.Kit, acme: pk.Customer) -> None:
    bob = kit.customers.add_user(acme.id, "bob@acme.example", name="Bob", actor=STAFF)
    assert bob == pk.CustomerUser("bob@acme.example", "Bob", is_admin=False)
    acme = kit.customers.get(acme.id, actor=STAFF)
    assert not acme.is_admin("bob@acme.example")
    with pytest.raises(LastAdminError):
        kit.customers.set_admin(acme.id, "it@acme.example", False, actor=STAFF)
    with pytest.raises(LastAdminError):
        kit.customers.remove_user(acme.id, "it@acme.example", actor=STAFF)
    acme = kit.customers.set_admin(acme.id, "bob@acme.example", True, actor=STAFF)
    acme = kit.customers.set_admin(acme.id, "it@acme.example", False, actor=STAFF)
    assert [u.email for u in acme.admins] == ["bob@acme.example"]
    acme = kit.customers.remove_user(acme.id, "it@acme.example", actor=STAFF)
    assert kit.customers.find_by_user_email("it@acme.example", actor=STAFF) is None
    with pytest.raises(UserNotFoundError):
        kit.customers.set_admin(acme.id, "ghost@acme.example", True, actor=STAFF)


def test_one_primary_contact(kit: pk.Kit, acme: pk.Customer) -> None:
    acme = kit.customers.add_contact(
        acme.id, name="Cleo", email="cleo@acme.example", primary=True, actor=STAFF
    )
    assert acme.primary_contact is not None and acme.primary_contact.email == "cleo@acme.example"
    assert sum(c.primary for c in acme.contacts) == 1
    acme = kit.customers.set_primary_contact(acme.id, "it@acme.example", actor=STAFF)
    assert acme.primary_contact is not None and acme.primary_contact.name == "Ana"
    with pytest.raises(InvalidInputError):
        kit.customers.set_primary_contact(acme.id, "nobody@acme.example", actor=STAFF)
    with pytest.raises(InvalidInputError):
        kit.customers.add_contact(acme.id, name="Again", email="cleo@acme.example", actor=STAFF)


def test_plans_record_free_or_paid_since_when(kit: pk.Kit, acme: pk.Customer) -> None:
    acme = kit.customers.set_plan(
        acme.id, "crm", pk.Edition.FREE, since=date(2025, 11, 1), actor=STAFF
    )
    acme = kit.customers.set_plan(acme.id, "crm", "paid", since=date(2025, 12, 15), actor=STAFF)
    assert acme.plan("crm") == pk.ProductPlan("crm", pk.Edition.PAID, date(2025, 12, 15))
    # Saving the same edition again must not move "paid since": the 30-day rule counts from it.
    again = kit.customers.set_plan(acme.id, "crm", "paid", since=date(2026, 1, 5), actor=STAFF)
    assert again.plan("crm") == acme.plan("crm")
    with pytest.raises(ProductNotFoundError):
        kit.customers.set_plan(acme.id, "desk", "paid", actor=STAFF)
    with pytest.raises(InvalidInputError) as info:
        kit.customers.set_plan(acme.id, "crm", "gold", actor=STAFF)
    assert info.value.details["field"] == "edition"


def test_unknown_customers_are_not_found(kit: pk.Kit) -> None:
    with pytest.raises(CustomerNotFoundError):
        kit.customers.get("cus_missing", actor=STAFF)
