"""Partner registration, sign-in rules (000 seed) and partner codes (001 seed) through kit.partners.

Rules that depend on storage are in the backend contract; these pin the service's decisions.
"""

from __future__ import annotations

import pytest

import partnerkit as pk
from partnerkit.catalog.errors import ProductNotFoundError
from partnerkit.errors import InvalidInputError
from partnerkit.mapping.errors import (
    CodeTakenError,
    PartnerNotFoundError,
    ReservedCodeError,
    UnknownCodeError,
    UsernameRequiredError,
    UsernameTakenError,
)

#: The partner team: sets up the catalog, partners and accounts the tests act on.
STAFF = pk.Principal.staff("team@vendor.example")


@pytest.fixture
def kit(pk_kit: pk.Kit) -> pk.Kit:
    pk_kit.catalog.add_product("crm", name="CRM", actor=STAFF)
    return pk_kit


def register(kit: pk.Kit, **overrides: object) -> pk.Partner:
    values: dict[str, object] = {
        "name": "Zillium",
        "username": "zillium",
        "email": "Ops@Zillium.example",
        "kind": pk.PartnerKind.RESELLER,
        "regions": ["in"],
        "expertise": ["crm"],
    }
    values.update(overrides)
    return kit.partners.register(**values, actor=STAFF)  # type: ignore[arg-type]


def test_register_normalises_and_defaults(kit: pk.Kit) -> None:
    partner = register(kit)
    assert partner.email == "ops@zillium.example"
    assert partner.email_domains == ("zillium.example",)
    assert partner.regions == ("IN",)
    assert partner.expertise == ("crm",)
    assert partner.status is pk.PartnerStatus.ACTIVE
    assert kit.partners.get(partner.id, actor=STAFF) == partner
    assert [m.topic for m in kit.outbox()][-1] == "partner.registered"


@pytest.mark.parametrize(
    ("field", "value", "path"),
    [
        ("email", "not-an-email", "email"),
        ("email", "a@b", "email"),
        ("name", "   ", "name"),
        ("kind", "distributor", "kind"),
        ("regions", ["IND"], "regions[0]"),
        ("regions", "IN", "regions"),
        ("username", "x!", "username"),
        ("email_domains", ["ok.example", "not a domain"], "email_domains[1]"),
    ],
)
def test_register_refuses_bad_input_naming_the_field(
    kit: pk.Kit, field: str, value: object, path: str
) -> None:
    with pytest.raises(InvalidInputError) as info:
        register(kit, **{field: value})
    assert info.value.details["field"] == path
    assert kit.partners.partners(actor=STAFF) == []


def test_expertise_must_name_known_products(kit: pk.Kit) -> None:
    with pytest.raises(ProductNotFoundError) as info:
        register(kit, expertise=["crm", "desk"])
    assert info.value.details["field"] == "expertise[1]"
    assert kit.partners.partners(actor=STAFF) == []


def test_usernames_are_unique_case_insensitively(kit: pk.Kit) -> None:
    register(kit)
    with pytest.raises(UsernameTakenError):
        register(kit, username="ZILLIUM", email="other@zillium.example")


def test_sign_in_by_username_or_email(kit: pk.Kit) -> None:
    partner = register(kit)
    assert kit.partners.check_sign_in("ZILLIUM") == partner
    assert kit.partners.check_sign_in("ops@zillium.example") == partner
    with pytest.raises(PartnerNotFoundError):
        kit.partners.check_sign_in("nobody")


def test_username_is_mandatory_for_the_partner_portal(kit: pk.Kit) -> None:
    # 000_91620a113ccdeac1.txt: "Username is mandatory in Partner Portal. If you have not
    # provided the username during Sign Up ... you will be shown a clear error message with a
    # link to provide the username".
    partner = register(kit, username=None)
    with pytest.raises(UsernameRequiredError) as info:
        kit.partners.check_sign_in("ops@zillium.example")
    assert info.value.code == "partner.username_required"
    assert info.value.remedy == "Choose a username for your partner account, then sign in with it."
    assert "kit.partners.set_username" in (info.value.hint or "")
    kit.partners.set_username(partner.id, "zillium", actor=STAFF)
    assert kit.partners.check_sign_in("zillium").username == "zillium"


def test_issuing_the_same_code_again_is_idempotent(kit: pk.Kit) -> None:
    partner = register(kit)
    first = kit.partners.issue_code(partner.id, "ZILLIUMCorp", actor=STAFF)
    assert kit.partners.issue_code(partner.id, "zilliumcorp", actor=STAFF) == first
    assert len(kit.outbox(topic="partner_code.issued")) == 1


def test_a_partner_holds_one_active_code(kit: pk.Kit) -> None:
    partner = register(kit)
    kit.partners.issue_code(partner.id, "ZILLIUMCorp", actor=STAFF)
    with pytest.raises(CodeTakenError) as info:
        kit.partners.issue_code(partner.id, "ZILLIUMHQ", actor=STAFF)
    assert "Replace your current code with this one" in (info.value.remedy or "")
    assert "replace=True" in (info.value.hint or "")
    kit.partners.issue_code(partner.id, "ZILLIUMHQ", replace=True, actor=STAFF)
    with pytest.raises(UnknownCodeError):
        kit.partners.find_by_code("ZILLIUMCorp")
    found = kit.partners.find_by_code("zilliumhq")
    assert (found.partner_id, found.name, found.code) == (partner.id, "Zillium", "ZILLIUMHQ")


def test_retired_codes_stop_working(kit: pk.Kit) -> None:
    partner = register(kit)
    kit.partners.issue_code(partner.id, "ZILLIUMCorp", actor=STAFF)
    retired = kit.partners.retire_code("zilliumcorp", actor=STAFF)
    assert retired.status is pk.PartnerCodeStatus.RETIRED
    assert kit.partners.retire_code("ZILLIUMCORP", actor=STAFF) == retired
    with pytest.raises(UnknownCodeError) as info:
        kit.partners.find_by_code("ZILLIUMCorp")
    assert info.value.code == "partner_code.unknown"
    with pytest.raises(UnknownCodeError):
        kit.partners.retire_code("NEVERISSUED", actor=STAFF)


def test_reserved_codes_are_refused(kit: pk.Kit) -> None:
    partner = register(kit)
    with pytest.raises(ReservedCodeError) as info:
        kit.partners.issue_code(partner.id, "Adm1n", actor=STAFF)
    assert info.value.details["field"] == "code"


def test_advice_never_suggests_a_taken_code(kit: pk.Kit) -> None:
    # 001_e5546b4aab26b4b3.txt: "ZILLIUMCorp" is preferred over "Zillium_PremiumPartner123".
    advice = kit.partners.advise_code("Zillium_PremiumPartner123")
    assert "ZILLIUMCorp" in advice.suggestions
    partner = register(kit)
    kit.partners.issue_code(partner.id, "ZILLIUMCorp", actor=STAFF)
    advice = kit.partners.advise_code("Zillium_PremiumPartner123")
    assert advice.suggestions
    assert all(pk.canonical_key(s) != pk.canonical_key("ZILLIUMCorp") for s in advice.suggestions)


def test_unknown_partner_ids_are_not_found(kit: pk.Kit) -> None:
    with pytest.raises(PartnerNotFoundError):
        kit.partners.issue_code("ptr_missing", "ZILLIUMCorp", actor=STAFF)
    with pytest.raises(PartnerNotFoundError):
        kit.partners.get(123, actor=STAFF)  # type: ignore[arg-type]
