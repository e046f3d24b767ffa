"""Lead sharing (002_9d5c5a443de74ac1.txt, "Lead Sharing"): who a lead goes to, in what order,
how it goes out, and what the customer's answers do."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import partnerkit as pk
from partnerkit.access import AuditKind, DisclosureReason, EvidenceKind, StaffOnlyError
from partnerkit.catalog.errors import ProductNotFoundError
from partnerkit.customers.errors import CustomerNotFoundError
from partnerkit.errors import ConfigurationError, InvalidInputError
from partnerkit.mapping.errors import (
    LeadClosedError,
    LeadNotFoundError,
    LeadNotOfferedError,
    NotEnoughPartnersError,
)

PAM = pk.Principal.staff("pam@vendor.example")
SYSTEM = pk.Principal.system()
CENTRAL_IT = "centralit@vendor.example"
#: India's neighbours, then theirs: the host's region graph.
GRAPH = {"IN": ["LK", "NP"], "LK": ["MV"], "AE": ["OM"]}


@pytest.fixture
def kit(pk_clock: pk.SimulatedClock, pk_mailer: pk.InMemoryMailer) -> Iterator[pk.Kit]:
    kit = pk.Kit(
        pk.MemoryBackend(),
        clock=pk_clock,
        mailer=pk_mailer,
        policies=[pk.LeadPolicy(region_graph=GRAPH, central_it=CENTRAL_IT)],
    )
    kit.catalog.add_product("crm", name="CRM", actor=PAM)
    kit.catalog.add_product("books", name="Books", actor=PAM)
    yield kit
    kit.close()


def partner(
    kit: pk.Kit,
    name: str,
    regions: list[str],
    *,
    kind: pk.PartnerKind = pk.PartnerKind.SERVICE_PARTNER,
    expertise: tuple[str, ...] = ("crm", "books"),
) -> pk.Partner:
    found = kit.partners.register(
        name=name,
        username=name.lower(),
        email=f"ops@{name.lower()}.example",
        kind=kind,
        regions=regions,
        expertise=list(expertise),
        actor=PAM,
    )
    kit.partners.issue_code(found.id, f"{name.upper()}PRO", actor=PAM)
    return found


def customers_for(kit: pk.Kit, who: pk.Partner, count: int) -> None:
    """Give `who` experience: `count` customers that tagged it for crm."""
    for i in range(count):
        email = f"it@{who.username}{i}.example"
        account = kit.customers.create(name=f"C{i}", admin_email=email, actor=PAM)
        admin = pk.Principal.customer_user(account.id, email)
        kit.mapping.tag_partner(
            account.id, "crm", f"{(who.username or '').upper()}PRO", actor=admin
        )


def new_lead(kit: pk.Kit, region: str = "IN", email: str = "it@acme.example") -> pk.Lead:
    return kit.leads.create(
        prospect_name="Acme", prospect_email=email, region=region, products=["crm"], actor=PAM
    )


def test_a_lead_goes_to_three_partners_of_its_region_by_experience(
    kit: pk.Kit, pk_mailer: pk.InMemoryMailer
) -> None:
    # 002: "distribute the leads to the partners based on partner's registered addresses and
    # areas of expertise".
    a, b, c, d = (partner(kit, n, ["IN"]) for n in ("Alpha", "Beta", "Gamma", "Delta"))
    customers_for(kit, c, 2)
    customers_for(kit, b, 1)
    lead = new_lead(kit)
    shared = kit.leads.share(lead.id, actor=PAM)
    assert shared.status is pk.LeadStatus.SHARED
    assert [o.partner_id for o in shared.offers] == [c.id, b.id, a.id]
    assert {o.hops for o in shared.offers} == {0}
    ranking = kit.leads.explain(lead.id, actor=PAM)
    assert [(x.name, x.rank, x.offered) for x in ranking.candidates] == [
        ("Gamma", 1, True),
        ("Beta", 2, True),
        ("Alpha", 3, True),
        ("Delta", 4, False),
    ]
    assert d.id not in {o.partner_id for o in shared.offers}
    (entry,) = kit.access.audit_trail(kind=AuditKind.LEAD_SHARED, actor=PAM)
    assert (entry.subject, entry.details["partners"]) == (lead.id, [c.id, b.id, a.id])


def test_a_rolled_back_share_leaves_no_offer_no_email_and_no_audit_entry(
    kit: pk.Kit, pk_mailer: pk.InMemoryMailer
) -> None:
    for n in ("Alpha", "Beta", "Gamma"):
        partner(kit, n, ["IN"])
    lead = new_lead(kit)
    with pytest.raises(RuntimeError), kit.transaction():
        kit.leads.share(lead.id, actor=PAM)
        raise RuntimeError("the host's step after sharing failed")
    assert kit.leads.get(lead.id, actor=PAM).offers == ()
    assert pk_mailer.to("it@acme.example") == []
    assert kit.access.audit_trail(actor=PAM) == []


def test_the_offer_goes_to_the_customer_with_the_pam_in_copy_and_to_each_partner(
    kit: pk.Kit, pk_mailer: pk.InMemoryMailer
) -> None:
    # 002: "Only official emails should be used for lead sharing and PAMs should always be
    # included in the email thread."
    partners = [partner(kit, n, ["IN"]) for n in ("Alpha", "Beta", "Gamma")]
    kit.leads.share(new_lead(kit).id, actor=PAM)
    (to_customer,) = pk_mailer.to("it@acme.example")
    assert to_customer.template == "lead.shared"
    assert to_customer.context["cc"] == ["pam@vendor.example"]
    assert sorted(to_customer.context["partners"]) == ["Alpha", "Beta", "Gamma"]
    assert [e.template for e in pk_mailer.to("pam@vendor.example")] == ["lead.shared"]
    for each in partners:
        assert [e.template for e in pk_mailer.to(each.email)] == ["lead.offered"]


def test_fewer_than_three_partners_share_nothing(kit: pk.Kit, pk_mailer: pk.InMemoryMailer) -> None:
    # 002: "Never share just one partner with a customer; always share at least three options."
    partner(kit, "Alpha", ["IN"])
    partner(kit, "Beta", ["LK"])
    partner(kit, "Faraway", ["US"])
    lead = new_lead(kit)
    with pytest.raises(NotEnoughPartnersError) as info:
        kit.leads.share(lead.id, actor=PAM)
    assert info.value.details["found"] == 2 and info.value.details["minimum"] == 3
    assert "only 2 partner(s)" in info.value.message
    stored = kit.leads.get(lead.id, actor=PAM)
    assert stored.status is pk.LeadStatus.OPEN and stored.offers == ()
    assert pk_mailer.to("it@acme.example") == []
    (refused,) = kit.access.audit_trail(kind=AuditKind.DENIED, actor=PAM)
    assert refused.reason == "lead.not_enough_partners" and refused.subject is None


def test_affiliates_never_receive_leads(kit: pk.Kit) -> None:
    # 002: "Never share leads to affiliate partners because they are only referral partners
    # and cannot offer consultation services."
    referral = partner(kit, "Referrer", ["IN"], kind=pk.PartnerKind.AFFILIATE)
    customers_for(kit, referral, 3)
    regular = [partner(kit, n, ["IN"]) for n in ("Alpha", "Beta", "Gamma")]
    lead = new_lead(kit)
    shared = kit.leads.share(lead.id, actor=PAM)
    assert referral.id not in {o.partner_id for o in shared.offers}
    assert {o.partner_id for o in shared.offers} == {p.id for p in regular}
    (excluded,) = [c for c in kit.leads.explain(lead.id, actor=PAM).candidates if c.excluded]
    assert excluded.excluded is pk.Exclusion.AFFILIATE and "referral only" in excluded.reason


def test_neighbouring_regions_fill_in_hop_by_hop_ranked_by_experience(kit: pk.Kit) -> None:
    # 002: "Sometimes it's not possible to have at least 3 partners from the same location, so
    # we can exchange partners from surrounding regions based on their experience."
    local = partner(kit, "Local", ["IN"])
    lanka_new = partner(kit, "LankaNew", ["LK"])
    nepal_seasoned = partner(kit, "NepalSeasoned", ["NP"])
    maldives = partner(kit, "Maldives", ["MV"])
    customers_for(kit, nepal_seasoned, 2)
    customers_for(kit, maldives, 5)
    no_crm = partner(kit, "BooksOnly", ["IN"], expertise=("books",))
    gone = partner(kit, "Gone", ["IN"])
    kit.partners.deactivate(gone.id, reason="left the programme", actor=PAM)
    lead = new_lead(kit)
    ranking = kit.leads.explain(lead.id, actor=PAM)
    view = [(c.name, c.rank, c.hops, c.offered, c.excluded) for c in ranking.candidates]
    assert view == [
        ("Local", 1, 0, True, None),
        ("NepalSeasoned", 2, 1, True, None),
        ("LankaNew", 3, 1, True, None),
        # Two hops away, more experienced, but the first hop already made three.
        ("Maldives", 4, 2, False, None),
        ("BooksOnly", None, 0, False, pk.Exclusion.NO_EXPERTISE),
        ("Gone", None, 0, False, pk.Exclusion.DEACTIVATED),
    ]
    assert ranking.widened_to == 1
    assert "1 hop(s) away (NP)" in ranking.candidates[1].reason
    shared = kit.leads.share(lead.id, actor=PAM)
    assert [o.partner_id for o in shared.offers] == [local.id, nepal_seasoned.id, lanka_new.id]
    # The same question, the same answer.
    assert kit.leads.explain(lead.id, actor=PAM).candidates[:4] == ranking.candidates[:4]
    assert no_crm.id not in {o.partner_id for o in shared.offers}


def test_the_widest_search_stops_where_the_graph_ends(kit: pk.Kit) -> None:
    partner(kit, "Local", ["IN"])
    partner(kit, "Maldives", ["MV"])
    partner(kit, "Oman", ["OM"])
    with pytest.raises(NotEnoughPartnersError) as info:
        kit.leads.share(new_lead(kit).id, actor=PAM)
    assert info.value.details["found"] == 2


def test_a_declined_partner_is_never_offered_the_lead_again(kit: pk.Kit) -> None:
    a, b, c, d = (partner(kit, n, ["IN"]) for n in ("Alpha", "Beta", "Gamma", "Delta"))
    lead = new_lead(kit)
    kit.leads.share(lead.id, actor=PAM)
    kit.leads.decline(lead.id, a.id, actor=pk.Principal.partner_user(a.id, a.email))
    again = kit.leads.share(lead.id, actor=PAM)
    assert {o.partner_id: o.status for o in again.offers} == {
        a.id: pk.OfferStatus.DECLINED,
        b.id: pk.OfferStatus.OFFERED,
        c.id: pk.OfferStatus.OFFERED,
        d.id: pk.OfferStatus.OFFERED,
    }
    # A partner the lead was not offered to hears of no such lead.
    outsider = partner(kit, "Outsider", ["US"])
    with pytest.raises(LeadNotFoundError):
        kit.leads.decline(
            lead.id, outsider.id, actor=pk.Principal.partner_user(outsider.id, outsider.email)
        )


def test_the_customer_picks_one_partner(kit: pk.Kit) -> None:
    a, b, _c = (partner(kit, n, ["IN"]) for n in ("Alpha", "Beta", "Gamma"))
    lead = new_lead(kit)
    kit.leads.share(lead.id, actor=PAM)
    accepted = kit.leads.accept(lead.id, b.id, actor=PAM)
    assert accepted.status is pk.LeadStatus.ACCEPTED and accepted.accepted_partner_id == b.id
    with pytest.raises(LeadClosedError):
        kit.leads.accept(lead.id, a.id, actor=PAM)
    with pytest.raises(LeadClosedError):
        kit.leads.share(lead.id, actor=PAM)
    entries = kit.access.audit_trail(kind=AuditKind.LEAD_ACCEPTED, actor=PAM)
    assert [(e.partner_id, e.subject) for e in entries] == [(b.id, lead.id)]


def test_rejecting_a_partner_after_sharing_ends_its_service_and_tells_central_it(
    kit: pk.Kit, pk_mailer: pk.InMemoryMailer
) -> None:
    # 002: "If the client doesn't want to work with the partner after the lead has been
    # provided with them via the lead sharing process, we should move their request to the
    # Central IT Team (centralit@zohocorp.com), who will then remove the partner service from
    # their account."
    acme = kit.customers.create(name="Acme", admin_email="it@acme.example", actor=PAM)
    a, b, _c = (partner(kit, n, ["IN"]) for n in ("Alpha", "Beta", "Gamma"))
    lead = new_lead(kit)
    assert lead.customer_id == acme.id
    kit.leads.share(lead.id, actor=PAM)
    kit.leads.accept(lead.id, a.id, actor=pk.Principal.customer_user(acme.id, "it@acme.example"))
    admin = pk.Principal.customer_user(acme.id, "it@acme.example")
    kit.mapping.tag_partner(acme.id, "crm", "ALPHAPRO", actor=admin)
    rejected = kit.leads.reject_partner(lead.id, a.id, reason="no reply in a week", actor=PAM)
    assert rejected.offer_to(a.id) is not None
    assert rejected.offer_to(a.id).status is pk.OfferStatus.REJECTED  # type: ignore[union-attr]
    assert kit.mapping.partner_of_record(acme.id, "crm", actor=PAM) is None
    (ended,) = kit.mapping.history(acme.id, "crm", actor=PAM)
    assert ended.ended_reason == "no reply in a week"
    (notice,) = pk_mailer.to(CENTRAL_IT)
    assert notice.template == "lead.partner_rejected" and notice.context["products"] == ["crm"]
    (entry,) = kit.access.audit_trail(kind=AuditKind.LEAD_PARTNER_REJECTED, actor=PAM)
    assert (entry.partner_id, entry.customer_id, entry.subject) == (a.id, acme.id, lead.id)
    # Shared again, the rejected partner is left out.
    again = kit.leads.explain(lead.id, actor=PAM)
    assert [c.excluded for c in again.candidates if c.partner_id == a.id] == [pk.Exclusion.REJECTED]
    with pytest.raises(LeadNotOfferedError):
        kit.leads.reject_partner(lead.id, b.id + "x", reason="?", actor=PAM)


def test_a_shared_lead_is_evidence_but_not_enough_to_disclose(kit: pk.Kit) -> None:
    # 002: "Even when a lead is shared with a partner, the account is not always tagged to
    # them."
    acme = kit.customers.create(name="Acme", admin_email="it@acme.example", actor=PAM)
    a, _b, _c = (partner(kit, n, ["IN"]) for n in ("Alpha", "Beta", "Gamma"))
    kit.leads.share(new_lead(kit).id, actor=PAM)
    evidence = kit.access.associations(a.id, acme.id, actor=PAM)
    assert [e.kind for e in evidence] == [EvidenceKind.LEAD_SHARED]
    decision = kit.access.can_disclose(a.email, acme.id, "crm", actor=PAM)
    assert not decision.allowed and decision.reason is DisclosureReason.NOT_TAGGED
    # A shared lead grants no sight of the account either.
    with pytest.raises(CustomerNotFoundError):
        kit.customers.get(acme.id, actor=pk.Principal.partner_user(a.id, a.email))


@pytest.mark.parametrize(
    ("field", "kwargs", "error"),
    [
        ("prospect_email", {"prospect_email": "not an email"}, InvalidInputError),
        ("region", {"region": ""}, InvalidInputError),
        ("region", {"region": "India"}, InvalidInputError),
        ("products", {"products": []}, InvalidInputError),
        ("products[1]", {"products": ["crm", "erp"]}, ProductNotFoundError),
    ],
)
def test_bad_leads_are_refused_and_nothing_is_stored(
    kit: pk.Kit, field: str, kwargs: dict[str, object], error: type[Exception]
) -> None:
    values: dict[str, object] = {
        "prospect_name": "Acme",
        "prospect_email": "it@acme.example",
        "region": "IN",
        "products": ["crm"],
    }
    values.update(kwargs)
    acme = kit.customers.create(name="Acme", admin_email="it@acme.example", actor=PAM)
    with pytest.raises(error) as info:
        kit.leads.create(**values, actor=PAM)  # type: ignore[arg-type]
    assert getattr(info.value, "details", {}).get("field") == field
    with kit.backend.unit_of_work(readonly=True) as uow:
        assert uow.leads.for_customer(acme.id) == []
    assert kit.access.audit_trail(actor=PAM) == []


def test_the_minimum_is_never_below_the_seeds_three() -> None:
    with pytest.raises(ConfigurationError):
        pk.LeadPolicy(minimum_partners=2)
    assert pk.LeadPolicy().minimum_partners == 3
    assert pk.LeadPolicy(minimum_partners=5).minimum_partners == 5


def test_lead_sharing_is_for_the_partner_team(kit: pk.Kit) -> None:
    a = partner(kit, "Alpha", ["IN"])
    lead = new_lead(kit)
    with pytest.raises(StaffOnlyError):
        kit.leads.share(lead.id, actor=pk.Principal.partner_user(a.id, a.email))
    with pytest.raises(LeadNotFoundError):
        kit.leads.get("lead_missing", actor=PAM)
