"""Who may be told what (002_9d5c5a443de74ac1.txt): the disclosure decision, the association
evidence, account-admin protection, and the audit entry every decision leaves."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

import partnerkit as pk
from partnerkit import validate
from partnerkit.access import (
    AdminOutsideDomainsError,
    AuditKind,
    DisclosureReason,
    EvidenceKind,
    NotCustomerAdminError,
    PartnerAdminError,
    StaffOnlyError,
)
from partnerkit.access.disclosure import Evidence, decide_disclosure
from partnerkit.customers.errors import CustomerNotFoundError, UserNotFoundError
from partnerkit.errors import InvalidInputError

STAFF = pk.Principal.staff("support@vendor.example")
SYSTEM = pk.Principal.system()
ADMIN = "it@acme.example"


@pytest.fixture
def kit(pk_kit: pk.Kit) -> pk.Kit:
    pk_kit.catalog.add_product("crm", name="CRM", actor=STAFF)
    pk_kit.catalog.add_product("books", name="Books", actor=STAFF)
    return pk_kit


@pytest.fixture
def zillium(kit: pk.Kit) -> pk.Partner:
    partner = kit.partners.register(
        name="Zillium",
        username="zillium",
        email="ops@zillium.example",
        email_domains=["zillium.example", "zillium-partners.example"],
        expertise=["crm", "books"],
        actor=STAFF,
    )
    kit.partners.issue_code(partner.id, "ZILLIUMCorp", actor=STAFF)
    return partner


@pytest.fixture
def acme(kit: pk.Kit) -> pk.Customer:
    customer = kit.customers.create(
        name="Acme", admin_email=ADMIN, domains=["acme.example", "bücher.example"], actor=STAFF
    )
    kit.customers.add_user(customer.id, "bob@acme.example", actor=STAFF)
    return customer


def admin_of(customer: pk.Customer) -> pk.Principal:
    return pk.Principal.customer_user(customer.id, ADMIN)


def trail(kit: pk.Kit, **filters: object) -> list[pk.AuditEntry]:
    return kit.access.audit_trail(actor=STAFF, **filters)  # type: ignore[arg-type]


# --- the disclosure decision ------------------------------------------------------------------


@pytest.mark.parametrize(
    "enquirer", ["bob@acme.example", "Someone@ACME.Example", "ana@bücher.example"]
)
def test_an_enquirer_from_the_accounts_own_domain_may_be_told(
    kit: pk.Kit, acme: pk.Customer, enquirer: str
) -> None:
    # 002, Chat support: "see if the user who started the discussion has the same domain as
    # the one they are asking about".
    decision = kit.access.can_disclose(enquirer, acme.id, actor=STAFF)
    assert decision.allowed and decision.reason is DisclosureReason.DOMAIN_MATCH
    assert decision.enquirer == validate.email(enquirer)


def test_the_a_label_of_an_accounts_domain_is_the_same_domain(
    kit: pk.Kit, acme: pk.Customer
) -> None:
    decision = kit.access.can_disclose("ana@xn--bcher-kva.example", acme.id, actor=STAFF)
    assert decision.allowed and decision.reason is DisclosureReason.DOMAIN_MATCH


@pytest.mark.parametrize(
    "enquirer",
    [
        "bob@acme.example.attacker.net",
        "bob@acme-example.net",
        "bob@sub.acme.example",
        # Cyrillic "а" and "е": a look-alike of acme.example, another domain.
        "bob@\u0430cm\u0435.example",
        "bob@bucher.example",
    ],
)
def test_look_alike_domains_are_not_the_accounts(
    kit: pk.Kit, acme: pk.Customer, enquirer: str
) -> None:
    decision = kit.access.can_disclose(enquirer, acme.id, actor=STAFF)
    assert not decision.allowed
    assert decision.reason is DisclosureReason.UNKNOWN_ENQUIRER


@pytest.mark.parametrize("enquirer", ["bob@acme.example.attacker.test", "bob@acme-example.test"])
def test_the_issues_look_alikes_on_a_reserved_name_are_no_address_at_all(
    kit: pk.Kit, acme: pk.Customer, enquirer: str
) -> None:
    # `.test` is a special-use name: no enquiry comes from it, and nothing is decided.
    with pytest.raises(InvalidInputError):
        kit.access.can_disclose(enquirer, acme.id, actor=STAFF)
    assert trail(kit) == []


def test_a_partner_of_record_may_be_told_for_its_product_only(
    kit: pk.Kit, acme: pk.Customer, zillium: pk.Partner
) -> None:
    # 002, Emails: "If the enquirer domain does not match the enquired domain, please check if
    # the respective account is tagged to the partner. Only if the account is tagged should
    # we proceed with the response."
    before = kit.access.can_disclose("ops@zillium.example", acme.id, actor=STAFF)
    assert not before.allowed and before.reason is DisclosureReason.NOT_ASSOCIATED
    kit.mapping.tag_partner(acme.id, "crm", "ZILLIUMCorp", actor=admin_of(acme))
    for enquirer in ("ops@zillium.example", "lee@zillium-partners.example"):
        whole = kit.access.can_disclose(enquirer, acme.id, actor=STAFF)
        assert whole.allowed and whole.reason is DisclosureReason.PARTNER_OF_RECORD
        assert whole.partner_ids == (zillium.id,)
        crm = kit.access.can_disclose(enquirer, acme.id, "crm", actor=STAFF)
        assert crm.allowed and crm.reason is DisclosureReason.PARTNER_OF_RECORD
        assert {e.kind for e in crm.evidence} == {
            EvidenceKind.TAGGED,
            EvidenceKind.CUSTOMER_LISTING,
        }
        # Tagged for another product only: nothing about books.
        books = kit.access.can_disclose(enquirer, acme.id, "books", actor=STAFF)
        assert not books.allowed and books.reason is DisclosureReason.OTHER_PRODUCT_ONLY


def test_a_partner_whose_domain_looks_alike_is_not_the_partner(
    kit: pk.Kit, acme: pk.Customer, zillium: pk.Partner
) -> None:
    kit.mapping.tag_partner(acme.id, "crm", "ZILLIUMCorp", actor=admin_of(acme))
    for enquirer in ("ops@zillium.example.attacker.net", "ops@zi11ium.example"):
        decision = kit.access.can_disclose(enquirer, acme.id, "crm", actor=STAFF)
        assert not decision.allowed and decision.partner_ids == ()


def test_a_payment_without_a_tag_is_evidence_but_not_enough(
    kit: pk.Kit, acme: pk.Customer, zillium: pk.Partner, pk_clock: pk.SimulatedClock
) -> None:
    kit.mapping.tag_partner(acme.id, "crm", "ZILLIUMCorp", actor=admin_of(acme))
    kit.commissions.set_plan(zillium.id, rate=Decimal("20"), actor=STAFF)
    kit.commissions.accrue(
        acme.id,
        "crm",
        transaction_id="t1",
        amount=pk.Money.of("100.00", "USD"),
        occurred_at=pk_clock.now(),
        actor=SYSTEM,
    )
    pk_clock.advance(minutes=1)
    kit.mapping.unmap(acme.id, "crm", reason="customer left the partner", actor=STAFF)
    evidence = kit.access.associations(zillium.id, acme.id, actor=STAFF)
    assert [(e.kind, e.product) for e in evidence] == [(EvidenceKind.RESELLER_PRICE, "crm")]
    decision = kit.access.can_disclose("ops@zillium.example", acme.id, "crm", actor=STAFF)
    assert not decision.allowed and decision.reason is DisclosureReason.NOT_TAGGED


def test_every_decision_leaves_exactly_one_audit_entry(
    kit: pk.Kit, acme: pk.Customer, zillium: pk.Partner, pk_clock: pk.SimulatedClock
) -> None:
    allowed = kit.access.can_disclose("bob@acme.example", acme.id, actor=STAFF)
    pk_clock.advance(timedelta(seconds=1))
    denied = kit.access.can_disclose("ops@zillium.example", acme.id, "crm", actor=STAFF)
    entries = trail(kit, kind=AuditKind.DISCLOSURE)
    assert [e.id for e in entries] == [allowed.audit_id, denied.audit_id]
    first, second = entries
    assert (first.allowed, first.reason, first.subject) == (
        True,
        "domain_match",
        "bob@acme.example",
    )
    assert (second.allowed, second.reason, second.partner_id, second.product) == (
        False,
        "not_associated",
        zillium.id,
        "crm",
    )
    assert second.by == STAFF.label and second.customer_id == acme.id
    assert trail(kit, partner=zillium.id) == [second]
    assert trail(kit, account=acme.id, kind="disclosure", start=second.at) == [second]
    assert trail(kit, by="nobody@vendor.example") == []


def test_a_rolled_back_decision_leaves_no_audit_entry(kit: pk.Kit, acme: pk.Customer) -> None:
    with pytest.raises(RuntimeError), kit.transaction():
        kit.access.can_disclose("bob@acme.example", acme.id, actor=STAFF)
        raise RuntimeError("the host's reply failed")
    assert trail(kit, kind=AuditKind.DISCLOSURE) == []


@pytest.mark.parametrize("enquirer", ["not an email", "bob@", "@acme.example", "", 42])
def test_a_malformed_enquirer_is_refused_and_nothing_is_stored(
    kit: pk.Kit, acme: pk.Customer, enquirer: object
) -> None:
    with pytest.raises(InvalidInputError) as info:
        kit.access.can_disclose(enquirer, acme.id, actor=STAFF)  # type: ignore[arg-type]
    assert info.value.field == "enquirer_email"
    assert trail(kit) == []


def test_disclosure_is_for_the_partner_team(
    kit: pk.Kit, acme: pk.Customer, zillium: pk.Partner
) -> None:
    partner = pk.Principal.partner_user(zillium.id, zillium.email)
    with pytest.raises(StaffOnlyError):
        kit.access.can_disclose("bob@acme.example", acme.id, actor=partner)
    with pytest.raises(CustomerNotFoundError):
        kit.access.can_disclose("bob@acme.example", "cus_missing", actor=STAFF)
    (refused,) = trail(kit)
    assert (refused.kind, refused.reason, refused.by) == (
        AuditKind.DENIED,
        "access.staff_only",
        zillium.email,
    )


# --- account-admin protection (002, "Partner as an Admin") -----------------------------------


def test_a_partner_asking_to_be_made_admin_is_refused_with_the_seeds_remedy(
    kit: pk.Kit, acme: pk.Customer, zillium: pk.Partner
) -> None:
    kit.mapping.tag_partner(acme.id, "crm", "ZILLIUMCorp", actor=admin_of(acme))
    partner = pk.Principal.partner_user(zillium.id, zillium.email)
    with pytest.raises(PartnerAdminError) as asked:
        kit.customers.add_user(acme.id, zillium.email, admin=True, actor=partner)
    assert "user licence" in (asked.value.remedy or "")
    # "Zoho will not change the admin of the account from the customer to the partner."
    for email in (zillium.email, "lee@zillium-partners.example"):
        with pytest.raises(PartnerAdminError):
            kit.customers.add_user(acme.id, email, admin=True, actor=STAFF)
    assert [e.reason for e in trail(kit, kind=AuditKind.DENIED)] == ["access.partner_admin"] * 3
    assert kit.customers.get(acme.id, actor=STAFF).user(zillium.email) is None


def test_staff_never_set_an_admin_outside_the_accounts_domains(
    kit: pk.Kit, acme: pk.Customer
) -> None:
    # 002: "Kindly check the domain of the account if you are making any changes in the admin
    # manually from your side."
    kit.customers.add_user(acme.id, "consultant@freelance.example", actor=admin_of(acme))
    for actor in (STAFF, SYSTEM):
        with pytest.raises(AdminOutsideDomainsError):
            kit.customers.set_admin(acme.id, "consultant@freelance.example", True, actor=actor)
        with pytest.raises(AdminOutsideDomainsError):
            kit.customers.add_user(acme.id, "x@acme.example.attacker.net", admin=True, actor=actor)
    assert not kit.customers.get(acme.id, actor=STAFF).is_admin("consultant@freelance.example")
    denied = trail(kit, kind=AuditKind.DENIED)
    assert [e.reason for e in denied] == ["access.admin_outside_domains"] * 4
    assert denied[0].subject == "consultant@freelance.example"
    # Within the domains, staff may.
    kit.customers.set_admin(acme.id, "bob@acme.example", True, actor=STAFF)
    (granted,) = trail(kit, kind=AuditKind.ADMIN_GRANTED)
    assert (granted.subject, granted.by, granted.customer_id) == (
        "bob@acme.example",
        STAFF.label,
        acme.id,
    )


def test_an_admin_grants_admin_to_a_licensed_user_even_a_partners(
    kit: pk.Kit, acme: pk.Customer, zillium: pk.Partner
) -> None:
    # 002: "the customer will have to purchase a user license and provide them admin access".
    admin = admin_of(acme)
    with pytest.raises(UserNotFoundError):
        kit.customers.set_admin(acme.id, zillium.email, True, actor=admin)
    kit.customers.add_user(acme.id, zillium.email, actor=admin)
    updated = kit.customers.set_admin(acme.id, zillium.email, True, actor=admin)
    assert updated.is_admin(zillium.email)
    # A user who is not an admin may not grant it.
    bob = pk.Principal.customer_user(acme.id, "bob@acme.example")
    with pytest.raises(NotCustomerAdminError):
        kit.customers.set_admin(acme.id, "bob@acme.example", True, actor=bob)
    kit.customers.set_admin(acme.id, zillium.email, False, actor=admin)
    kinds = [(e.kind, e.reason) for e in trail(kit, account=acme.id)]
    assert kinds == [
        (AuditKind.DENIED, "customer.user_not_found"),
        (AuditKind.ADMIN_GRANTED, "admin_granted"),
        (AuditKind.DENIED, "mapping.admin_only"),
        (AuditKind.ADMIN_REVOKED, "admin_revoked"),
    ]


def test_a_refused_admin_change_inside_a_rolled_back_transaction_leaves_no_grant(
    kit: pk.Kit, acme: pk.Customer, pk_clock: pk.SimulatedClock
) -> None:
    with pytest.raises(RuntimeError), kit.transaction():
        kit.customers.set_admin(acme.id, "bob@acme.example", True, actor=STAFF)
        raise RuntimeError("rolled back")
    assert trail(kit) == []
    assert not kit.customers.get(acme.id, actor=STAFF).is_admin("bob@acme.example")
    pk_clock.advance(timedelta(seconds=1))


# --- partner-facing reads through the policy -----------------------------------------------


def test_a_partners_reads_show_only_what_the_decision_allows(
    kit: pk.Kit, acme: pk.Customer, zillium: pk.Partner
) -> None:
    nimbus = kit.partners.register(
        name="Nimbus", username="nimbus", email="o@nimbus.example", expertise=["books"], actor=STAFF
    )
    kit.partners.issue_code(nimbus.id, "NIMBUSHQ", actor=STAFF)
    kit.mapping.tag_partner(acme.id, "crm", "ZILLIUMCorp", actor=admin_of(acme))
    kit.mapping.tag_partner(acme.id, "books", "NIMBUSHQ", actor=admin_of(acme))
    as_zillium = pk.Principal.partner_user(zillium.id, zillium.email)
    listing = kit.mapping.customers_of(zillium.id, actor=as_zillium)
    summary = kit.access.account_summary(zillium.id, acme.id, actor=as_zillium)
    assert [(r.customer_id, r.product) for r in listing] == [(acme.id, "crm")]
    assert summary.products == ("crm",)
    for row in listing:
        decision = kit.access.can_disclose(zillium.email, row.customer_id, row.product, actor=STAFF)
        assert decision.allowed
    # Books is Nimbus's: not a word of it to Zillium.
    assert not kit.access.can_disclose(zillium.email, acme.id, "books", actor=STAFF).allowed


def test_an_unassociated_partner_hears_the_missing_accounts_answer(
    kit: pk.Kit, acme: pk.Customer, zillium: pk.Partner
) -> None:
    as_zillium = pk.Principal.partner_user(zillium.id, zillium.email)
    with pytest.raises(CustomerNotFoundError) as real:
        kit.access.account_summary(zillium.id, acme.id, actor=as_zillium)
    with pytest.raises(CustomerNotFoundError) as missing:
        kit.access.account_summary(zillium.id, "cus_missing", actor=as_zillium)
    assert real.value.message.replace(acme.id, "<id>") == missing.value.message.replace(
        "cus_missing", "<id>"
    )
    assert real.value.details.keys() == missing.value.details.keys()
    # Nor may a partner ask in another partner's name.
    kit.mapping.tag_partner(acme.id, "crm", "ZILLIUMCorp", actor=admin_of(acme))
    other = pk.Principal.partner_user("ptr_other", "o@other.example")
    with pytest.raises(CustomerNotFoundError):
        kit.access.account_summary(zillium.id, acme.id, actor=other)


def test_the_decision_names_the_account_and_the_product_it_was_asked_about() -> None:
    """The decision (and so its audit entry) names the account and the product the enquirer
    asked about, whatever the answer. Kills decide_disclosure__mutmut_24 and _25 (customer_id
    or product set to None)."""
    decision = decide_disclosure(
        enquirer="ops@zillium.example",
        enquirer_domain="zillium.example",
        customer_id="cust-1",
        account_domains=["acme.example"],
        partner_ids=["p-1"],
        evidence=[Evidence(EvidenceKind.TAGGED, "p-1", "crm")],
        product="books",
    )
    assert (decision.allowed, decision.reason) == (False, DisclosureReason.OTHER_PRODUCT_ONLY)
    assert (decision.customer_id, decision.product) == ("cust-1", "books")
