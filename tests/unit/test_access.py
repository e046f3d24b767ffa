"""partnerkit.access: principals, and the guard's decisions (the matrix over the whole public
API lives in tests/unit/test_access_matrix.py)."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest

from partnerkit.access import (
    Guard,
    InvalidActorError,
    NotCustomerAdminError,
    Principal,
    Role,
    StaffOnlyError,
    Tie,
)
from partnerkit.access.guard import admin_domains
from partnerkit.errors import (
    ConfigurationError,
    NotFoundError,
    PartnerkitError,
    PermissionDeniedError,
    ValidationError,
)

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


# --- ties, listings and the require_* checks -------------------------------------------------


class _Account:
    """The little of an account the guard reads."""

    def __init__(self, id: str, name: str, admins: set[str]) -> None:
        self.id, self.name, self._admins = id, name, admins

    def is_admin(self, email: str) -> bool:
        return email in self._admins


ACME = _Account("cus_acme", "Acme", {"it@acme.example"})
BOB = Principal.customer_user("cus_acme", "bob@acme.example")


def _outcome(call: Callable[[], object]) -> str:
    """'allowed', the code of a refusal, or 'not_found'."""
    try:
        call()
    except PermissionDeniedError as denied:
        return denied.code
    except NotFoundError:
        return "not_found"
    return "allowed"


def _missing() -> PartnerkitError:
    return NotFoundError("no such thing", details={"id": "x"})


def _listing_guard() -> Guard:
    guard = Guard()
    guard.add_association(
        "partner_of_record",
        Tie(
            lambda uow, pid, cid: (pid, cid) == ("ptr_alpha", "cus_acme"),
            customers_of=lambda uow, pid: ["cus_acme"] if pid == "ptr_alpha" else [],
        ),
    )
    # Beta tracks an Acme user: evidence of interest, not a reason to see the account.
    guard.add_association(
        "tracking",
        Tie(lambda uow, pid, cid: (pid, cid) == ("ptr_beta", "cus_acme"), grants_sight=False),
    )
    return guard


def test_an_evidence_tie_is_named_but_grants_no_sight() -> None:
    guard = _listing_guard()
    assert guard.associations(UOW, "ptr_beta", "cus_acme") == ["tracking"]
    assert not guard.sees_customer(UOW, BETA_USER, "cus_acme")
    assert guard.sees_customer(UOW, ALPHA_USER, "cus_acme")


@pytest.mark.parametrize(
    ("actor", "visible"),
    [
        (STAFF, None),
        (SYSTEM, None),
        (ACME_ADMIN, ["cus_acme"]),
        (ALPHA_USER, ["cus_acme"]),
        (BETA_USER, []),
        (Principal.reseller_user("res_1", "a@res.example"), []),
    ],
)
def test_visible_customers_lists_through_the_ties(
    actor: Principal, visible: list[str] | None
) -> None:
    def every() -> list[str]:
        raise AssertionError("every tie that grants sight can list: no scan")

    assert _listing_guard().visible_customers(UOW, actor, every) == visible


def test_visible_customers_scans_when_a_tie_cannot_list() -> None:
    # _guard()'s tie is a plain callable: exact, by asking it about every account.
    assert _guard().visible_customers(UOW, ALPHA_USER, lambda: ["cus_acme", "cus_globex"]) == [
        "cus_acme"
    ]


def test_require_partner_and_sight_raise_the_callers_not_found() -> None:
    guard = _guard()
    assert guard.require_partner(ALPHA_USER, "ptr_alpha", _missing) is ALPHA_USER
    with pytest.raises(NotFoundError) as info:
        guard.require_partner(BETA_USER, "ptr_alpha", _missing)
    assert info.value.details == {"id": "x"}
    assert guard.require_sight(UOW, ALPHA_USER, "cus_acme", _missing) is ALPHA_USER
    with pytest.raises(NotFoundError):
        guard.require_sight(UOW, GLOBEX_USER, "cus_acme", _missing)


@pytest.mark.parametrize(
    ("actor", "staff", "outcome"),
    [
        (ACME_ADMIN, True, "allowed"),
        (ACME_ADMIN, False, "allowed"),
        (STAFF, True, "allowed"),
        (SYSTEM, True, "allowed"),
        (STAFF, False, "mapping.admin_only"),
        (BOB, True, "mapping.admin_only"),
        (ALPHA_USER, True, "mapping.admin_only"),
        (BETA_USER, True, "not_found"),
        (GLOBEX_USER, True, "not_found"),
    ],
)
def test_require_customer_admin(actor: Principal, staff: bool, outcome: str) -> None:
    guard = _guard()
    assert (
        _outcome(
            lambda: guard.require_customer_admin(
                UOW, actor, ACME, action="tag a partner", not_found=_missing, staff=staff
            )
        )
        == outcome
    )


def test_a_refused_admin_action_names_the_account_and_who() -> None:
    with pytest.raises(NotCustomerAdminError) as info:
        _guard().require_customer_admin(UOW, BOB, ACME, action="tag a partner", not_found=_missing)
    assert info.value.message == "only the admin users of Acme can tag a partner"
    assert info.value.details == {"customer_id": "cus_acme", "by": "bob@acme.example"}


@pytest.mark.parametrize(
    ("actor", "outcome"),
    [
        (ACME_ADMIN, "allowed"),
        (Principal.partner_user("ptr_gamma", "ops@gamma.example"), "allowed"),
        (STAFF, "allowed"),
        (BOB, "mapping.admin_only"),
        (ALPHA_USER, "access.not_a_party"),
        (BETA_USER, "not_found"),
        (GLOBEX_USER, "not_found"),
    ],
)
def test_require_party(actor: Principal, outcome: str) -> None:
    # A request between Acme and Gamma; Alpha, of record, sees Acme but is no party.
    guard = _guard()
    assert (
        _outcome(
            lambda: guard.require_party(
                UOW, actor, ACME, ("ptr_gamma",), action="cancel it", not_found=_missing
            )
        )
        == outcome
    )


def test_evidence_is_for_staff_and_the_system() -> None:
    assert Guard.may_see_evidence(STAFF) and Guard.may_see_evidence(SYSTEM)
    assert not Guard.may_see_evidence(ALPHA_USER)
    assert not Guard.may_see_evidence(ACME_ADMIN)


# --- pinned by the mutation run --------------------------------------------------------------


def _uow_checking_guard() -> Guard:
    """Ties that answer only for the unit of work they are given: the guard must pass its own."""

    def tied(uow: object, pid: str, cid: str) -> bool:
        assert uow is UOW, "the guard passed another unit of work"
        return (pid, cid) == ("ptr_alpha", "cus_acme")

    guard = Guard()
    guard.add_association("partner_of_record", tied)
    guard.add_association("tracking", Tie(tied, grants_sight=False))
    return guard


def test_the_ties_are_asked_in_the_callers_unit_of_work() -> None:
    guard = _uow_checking_guard()
    assert guard.associations(UOW, "ptr_alpha", "cus_acme") == ["partner_of_record", "tracking"]
    assert guard.visible_customers(UOW, ALPHA_USER, lambda: ["cus_acme", "cus_globex"]) == [
        "cus_acme"
    ]


def test_only_a_partner_users_partner_id_opens_its_partners_customers() -> None:
    # Principals are built with the class methods; one assembled by hand with the ids of
    # another role gets nothing from them.
    odd_reseller = Principal(Role.RESELLER_USER, "a@res.example", partner_id="ptr_alpha")
    odd_customer = Principal(Role.RESELLER_USER, "a@res.example", customer_id="cus_acme")
    no_partner = Principal(Role.PARTNER_USER, "a@alpha.example")
    guard = _listing_guard()
    for principal in (odd_reseller, odd_customer, no_partner):
        assert not guard.sees_customer(UOW, principal, "cus_acme")
        assert guard.visible_customers(UOW, principal, lambda: ["cus_acme"]) == []


def test_is_customer_user_answers_for_that_customer_only() -> None:
    assert Guard.is_customer_user(ACME_ADMIN, "cus_acme") is ACME_ADMIN
    assert Guard.is_customer_user(ACME_ADMIN, "cus_globex") is None
    assert Guard.is_customer_user(ALPHA_USER, "cus_acme") is None
    assert (
        Guard.is_customer_user(
            Principal(Role.PARTNER_USER, "x@y.example", customer_id="cus_acme"), "cus_acme"
        )
        is None
    )
    with pytest.raises(ValidationError):
        Guard.is_customer_user("it@acme.example", "cus_acme")


# --- pinned by the mutation run of access/guard.py -------------------------------------------


def test_a_guard_without_accounts_says_so_as_a_configuration_error() -> None:
    """Asking about accounts before any package provides them is the host's configuration
    error, not a crash. Kills Guard.__init____mutmut_4 and _5 (the missing loader made "")."""
    guard = Guard()
    with pytest.raises(ConfigurationError):
        guard.account(None, "cus_acme")  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError):
        guard.account_not_found("cus_acme")


def test_an_admin_without_an_address_gives_no_domain() -> None:
    """002: "check the domain of the account": an account with no registered domains has its
    admins' address domains; an admin the account reads without an address gives none.
    Kills admin_domains__mutmut_8 (getattr without its default)."""
    account = SimpleNamespace(
        domains=(), admins=[SimpleNamespace(email="it@acme.example"), SimpleNamespace()]
    )
    assert admin_domains(account) == {"acme.example"}  # type: ignore[arg-type]
