"""partnerkit.access: principals, and the guard's decisions (the matrix over the whole public
API lives in tests/unit/test_access_matrix.py)."""

from __future__ import annotations

from typing import Any

import pytest

from partnerkit.access import Guard, InvalidActorError, Principal, Role, StaffOnlyError
from partnerkit.errors import ValidationError

ALPHA_USER = Principal.partner_user("ptr_alpha", "ops@alpha.example")
BETA_USER = Principal.partner_user("ptr_beta", "ops@beta.example")
ACME_ADMIN = Principal.customer_user("cus_acme", "it@acme.example")
GLOBEX_USER = Principal.customer_user("cus_globex", "it@globex.example")
STAFF = Principal.staff("team@vendor.example")
SYSTEM = Principal.system()


def _guard() -> Guard:
    guard = Guard()
    # Alpha is tied to Acme; nobody else is tied to anybody.
    guard.add_association(
        "partner_of_record", lambda uow, pid, cid: (pid, cid) == ("ptr_alpha", "cus_acme")
    )
    return guard


UOW: Any = object()


def test_principals_are_built_by_role_and_validated() -> None:
    assert ACME_ADMIN.role is Role.CUSTOMER_USER and ACME_ADMIN.customer_id == "cus_acme"
    assert Principal.staff("Team@Vendor.Example").name == "team@vendor.example"
    assert SYSTEM.label == "partnerkit" and SYSTEM.is_staff_or_system
    with pytest.raises(ValidationError):
        Principal.customer_user("cus_acme", "not an email")


@pytest.mark.parametrize(
    ("actor", "customer_id", "sees"),
    [
        (STAFF, "cus_acme", True),
        (SYSTEM, "cus_globex", True),
        (ACME_ADMIN, "cus_acme", True),
        (ACME_ADMIN, "cus_globex", False),
        (ALPHA_USER, "cus_acme", True),
        (ALPHA_USER, "cus_globex", False),
        (BETA_USER, "cus_acme", False),
        (Principal.reseller_user("res_1", "a@res.example"), "cus_acme", False),
    ],
)
def test_who_sees_which_customer(actor: Principal, customer_id: str, sees: bool) -> None:
    assert _guard().sees_customer(UOW, actor, customer_id) is sees


def test_associations_are_named_as_evidence() -> None:
    guard = _guard()
    assert guard.associations(UOW, "ptr_alpha", "cus_acme") == ["partner_of_record"]
    assert guard.associations(UOW, "ptr_beta", "cus_acme") == []


def test_a_partner_user_acts_only_for_its_own_partner() -> None:
    assert Guard.acts_for_partner(ALPHA_USER, "ptr_alpha")
    assert not Guard.acts_for_partner(ALPHA_USER, "ptr_beta")
    assert Guard.acts_for_partner(STAFF, "ptr_beta")
    assert not Guard.acts_for_partner(ACME_ADMIN, "ptr_alpha")


def test_operator_actions_need_staff() -> None:
    assert Guard.require_staff(STAFF, "unmap a customer") is STAFF
    with pytest.raises(StaffOnlyError) as info:
        Guard.require_staff(ALPHA_USER, "unmap a customer")
    assert info.value.code == "access.staff_only"
    assert info.value.details == {"by": "ops@alpha.example", "role": "partner_user"}


@pytest.mark.parametrize("actor", [None, "it@acme.example", {"role": "staff"}])
def test_an_actor_must_be_a_principal(actor: object) -> None:
    with pytest.raises(InvalidActorError) as info:
        _guard().sees_customer(UOW, actor, "cus_acme")
    assert info.value.details["field"] == "actor"
