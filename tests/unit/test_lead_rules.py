"""The lead-sharing ranking as a pure function (`decide_sharing`, `region_hops`), one named test
per rule the mutation run found loose (`nox -s mutate -- src/partnerkit/mapping/lead_rules.py`).
Each docstring names the mutant it kills.

002_9d5c5a443de74ac1.txt: "distribute the leads to the partners based on partner's registered
addresses and areas of expertise"; "we can exchange partners from surrounding regions based on
their experience".
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from partnerkit.mapping.lead_rules import (
    Exclusion,
    Lead,
    LeadOffer,
    OfferStatus,
    decide_sharing,
    region_hops,
)
from partnerkit.mapping.partners import Partner, PartnerKind

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def partner(
    pid: str, regions: tuple[str, ...] = ("IN",), *, days: int = 0, expertise: tuple[str, ...] = ()
) -> Partner:
    """A service partner registered `days` after T0, with expertise in the lead's crm."""
    return Partner(
        id=pid,
        name=pid.title(),
        email=f"ops@{pid}.example",
        kind=PartnerKind.SERVICE_PARTNER,
        created_at=T0 + timedelta(days=days),
        last_active_at=T0,
        regions=regions,
        expertise=expertise or ("crm", "books"),
    )


def lead(*offers: LeadOffer, products: tuple[str, ...] = ("crm",)) -> Lead:
    return Lead(
        id="lead-1",
        prospect_name="Acme",
        prospect_email="it@acme.example",
        region="IN",
        products=products,
        pam="pam@vendor.example",
        created_at=T0,
        created_by="pam@vendor.example",
        offers=offers,
    )


def test_a_region_named_only_as_a_neighbour_leads_back() -> None:
    """The graph is read both ways: a region that lists the lead's region as its neighbour is
    one hop away, though the lead's region lists nothing. Kills region_hops__mutmut_8
    (`setdefault(None, ...)` for the reverse edge)."""
    assert region_hops("IN", {"LK": ["IN"]}) == {"IN": 0, "LK": 1}
    assert region_hops("IN", {"MV": ["LK"], "LK": ["IN"]}) == {"IN": 0, "LK": 1, "MV": 2}


def test_a_partner_missing_from_the_experience_has_none() -> None:
    """A partner the experience does not name has served no one: one customer of record
    outranks it, though it has been a partner longer. Kills decide_sharing__mutmut_18, _20, _21
    and _97 to _102 (the default experience 0 changed or dropped)."""
    veteran, newcomer = partner("veteran"), partner("newcomer", days=30)
    decision = decide_sharing(
        lead(), [veteran, newcomer], {"newcomer": 1}, region_graph={}, minimum=1
    )
    assert [(c.partner_id, c.experience, c.offered) for c in decision.candidates] == [
        ("newcomer", 1, True),
        ("veteran", 0, False),
    ]


def test_an_excluded_partner_still_shows_its_region_distance_and_experience() -> None:
    """The ranking explains an exclusion with the facts it read: a partner that declined the
    lead shows the region it was measured from, its hops and its customers of record. Kills
    decide_sharing__mutmut_37, _38 and _56 (the excluded candidate's region or experience
    set to None)."""
    declined = LeadOffer("near", 1, 1, T0, status=OfferStatus.DECLINED)
    near = partner("near", ("LK",))
    decision = decide_sharing(
        lead(declined), [near], {"near": 4}, region_graph={"IN": ["LK"]}, minimum=3
    )
    (candidate,) = decision.candidates
    assert candidate.excluded is Exclusion.DECLINED
    assert (candidate.hops, candidate.region, candidate.experience) == (1, "LK", 4)
    assert (candidate.rank, candidate.offered) == (None, False)


def test_a_ranked_partner_shows_the_region_it_was_measured_from_and_its_experience() -> None:
    """A partner registered in several regions is measured from the nearest, and the
    candidate says which, with its customers of record. Kills decide_sharing__mutmut_109 and
    _110 (the ranked candidate's region or experience set to None)."""
    both = partner("both", ("MV", "LK"))
    decision = decide_sharing(
        lead(), [both], {"both": 2}, region_graph={"IN": ["LK"], "LK": ["MV"]}, minimum=3
    )
    (candidate,) = decision.candidates
    assert (candidate.rank, candidate.hops, candidate.region, candidate.experience) == (
        1,
        1,
        "LK",
        2,
    )


def test_a_lead_filled_in_its_own_region_is_not_widened() -> None:
    """Three partners in the lead's region: the search does not widen (widened_to 0), and a
    neighbour's partner is ranked but not offered. Kills decide_sharing__mutmut_73 (the
    search starting one hop out)."""
    here = [partner(p) for p in ("a", "b", "c")]
    decision = decide_sharing(
        lead(), [*here, partner("d", ("LK",))], {}, region_graph={"IN": ["LK"]}, minimum=3
    )
    assert decision.widened_to == 0
    assert [c.partner_id for c in decision.offered] == ["a", "b", "c"]
    assert decision.enough


def test_expertise_in_exactly_the_leads_products_is_enough() -> None:
    """002: "based on ... areas of expertise": a partner whose expertise is exactly the lead's
    products is eligible (every product of the lead, nothing more needed). Kills
    _exclusion__mutmut_11 (`<=` to `<`)."""
    exact = partner("exact", expertise=("crm",))
    narrow = partner("narrow", expertise=("books",))
    decision = decide_sharing(lead(), [exact, narrow], {}, region_graph={}, minimum=3)
    assert [(c.partner_id, c.excluded) for c in decision.candidates] == [
        ("exact", None),
        ("narrow", Exclusion.NO_EXPERTISE),
    ]
