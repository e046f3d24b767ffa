"""Lead sharing's rule (002 seed, "Lead Sharing"), pure: the lead and its offers as values,
and the ranking of the partners a lead may go to (`decide_sharing`, `region_hops`).
`partnerkit.mapping.leads` holds the service that acts on it, and re-exports every name here.

"Make sure you distribute the leads to the partners based on partner's registered addresses
and areas of expertise." "Never share just one partner with a customer; always share at least
three options. Sometimes it's not possible to have at least 3 partners from the same location,
so we can exchange partners from surrounding regions based on their experience." "Never share
leads to affiliate partners because they are only referral partners and cannot offer
consultation services." (002_9d5c5a443de74ac1.txt)
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

import attrs

from partnerkit.mapping.partners import Partner, PartnerKind

__all__ = [
    "SEED_MINIMUM_PARTNERS",
    "Exclusion",
    "Lead",
    "LeadCandidate",
    "LeadOffer",
    "LeadStatus",
    "OfferStatus",
    "SharingDecision",
    "decide_sharing",
    "region_hops",
]

#: 002: "always share at least three options".
SEED_MINIMUM_PARTNERS = 3


class LeadStatus(enum.StrEnum):
    OPEN = "open"
    #: Offered to partners, waiting for the customer to pick one.
    SHARED = "shared"
    #: The customer picked a partner.
    ACCEPTED = "accepted"


class OfferStatus(enum.StrEnum):
    OFFERED = "offered"
    #: The partner turned the lead down.
    DECLINED = "declined"
    #: The customer picked this partner.
    ACCEPTED = "accepted"
    #: 002: "If the client doesn't want to work with the partner after the lead has been
    #: provided with them".
    REJECTED = "rejected"


@attrs.frozen
class LeadOffer:
    """The lead as offered to one partner: its place in the ranking and what became of it."""

    partner_id: str
    rank: int
    #: 0 in the lead's region, else how many hops of the region graph away.
    hops: int
    offered_at: datetime
    status: OfferStatus = OfferStatus.OFFERED
    closed_at: datetime | None = None
    reason: str | None = None


@attrs.frozen
class Lead:
    """A prospect who needs products in a region, and the partners it was offered to."""

    id: str
    prospect_name: str
    prospect_email: str
    region: str
    products: tuple[str, ...]
    #: 002: "PAMs should always be included in the email thread": the partner account manager.
    pam: str
    created_at: datetime
    created_by: str
    #: The account the prospect is a user of, when they are one already.
    customer_id: str | None = None
    status: LeadStatus = LeadStatus.OPEN
    offers: tuple[LeadOffer, ...] = ()
    accepted_partner_id: str | None = None
    version: int = 1

    def offer_to(self, partner_id: str) -> LeadOffer | None:
        """The lead's offer to a partner.

        Args:
            partner_id: The partner's id.

        Returns:
            The offer, or None when the lead was not offered to that partner.

        Raises nothing.
        """
        return next((o for o in self.offers if o.partner_id == partner_id), None)


class Exclusion(enum.StrEnum):
    """Why a partner is not a candidate for a lead."""

    AFFILIATE = "affiliate"
    DEACTIVATED = "deactivated"
    DECLINED = "declined"
    REJECTED = "rejected"
    NO_EXPERTISE = "no_expertise"
    OUT_OF_REACH = "out_of_reach"


_EXCLUDED_WORDS = {
    Exclusion.AFFILIATE: "an affiliate: referral only, never receives leads",
    Exclusion.DEACTIVATED: "deactivated",
    Exclusion.DECLINED: "declined this lead",
    Exclusion.REJECTED: "rejected by the customer for this lead",
    Exclusion.NO_EXPERTISE: "no expertise in every product of the lead",
    Exclusion.OUT_OF_REACH: "registered in no region the region graph reaches",
}


@attrs.frozen
class LeadCandidate:
    """A partner as the ranking sees it for one lead, with the reason in words."""

    partner_id: str
    name: str
    #: 1 for the first choice; None when excluded.
    rank: int | None
    #: Whether the lead goes (or went) to this partner.
    offered: bool
    hops: int | None
    #: The partner's region the distance was measured from.
    region: str | None
    #: Customers the partner is of record for on the lead's products.
    experience: int
    excluded: Exclusion | None
    reason: str


@attrs.frozen
class SharingDecision:
    """The ranking of every partner for a lead, and whether enough partners were found."""

    candidates: tuple[LeadCandidate, ...]
    minimum: int
    #: How far the search widened (hops from the lead's region).
    widened_to: int

    @property
    def eligible(self) -> tuple[LeadCandidate, ...]:
        """The candidates not excluded and within reach of the region graph, best first."""
        return tuple(c for c in self.candidates if c.excluded is None and c.hops is not None)

    @property
    def offered(self) -> tuple[LeadCandidate, ...]:
        """The candidates the lead goes (or went) to."""
        return tuple(c for c in self.candidates if c.offered)

    @property
    def enough(self) -> bool:
        """Whether at least the minimum number of partners is offered the lead."""
        return len(self.offered) >= self.minimum


def region_hops(start: str, graph: Mapping[str, Sequence[str]]) -> dict[str, int]:
    """How many hops each region is from `start` in the region graph (read both ways).

    Args:
        start: The lead's region.
        graph: Each region's neighbours.

    Returns:
        The distance of every reachable region, `start` at 0.
    """
    neighbours: dict[str, set[str]] = {}
    for region, near in graph.items():
        for other in near:
            neighbours.setdefault(region, set()).add(other)
            neighbours.setdefault(other, set()).add(region)
    hops = {start: 0}
    frontier = [start]
    while frontier:
        following = []
        for region in sorted(frontier):
            for other in sorted(neighbours.get(region, ())):
                if other not in hops:
                    hops[other] = hops[region] + 1
                    following.append(other)
        frontier = following
    return hops


def decide_sharing(
    lead: Lead,
    partners: Iterable[Partner],
    experience: Mapping[str, int],
    *,
    region_graph: Mapping[str, Sequence[str]],
    minimum: int,
) -> SharingDecision:
    """Rank the partners for a lead (002 seed), deterministically.

    Eligible partners are active, not affiliates, hold expertise in every product of the lead,
    and have not declined nor been rejected for it. Those registered in the lead's region
    come first; when they are fewer than `minimum`, the search widens one hop of the region
    graph at a time, until there are enough or the graph is exhausted. Within a distance,
    partners rank by experience (customers of record on the lead's products), then by how
    long they have been partners, then by name and id. The first `minimum` are offered the
    lead; partners it was offered to already stay offered.

    Args:
        lead: The lead.
        partners: Every partner to consider.
        experience: Per partner id, its customers of record on the lead's products.
        region_graph: Each region's neighbours.
        minimum: How many partners the lead goes to.

    Returns:
        Every partner's place or exclusion, and whether enough were found.

    Raises nothing: a pure function of the facts it is given.
    """
    hops = region_hops(lead.region, region_graph)
    ranked: list[tuple[tuple[Any, ...], Partner, int, str]] = []
    excluded: list[LeadCandidate] = []
    for partner in partners:
        offer = lead.offer_to(partner.id)
        reachable = [(hops[r], r) for r in partner.regions if r in hops]
        nearest = min(reachable) if reachable else None
        served = experience.get(partner.id, 0)
        why = _exclusion(partner, lead, offer, nearest)
        if why is not None:
            excluded.append(
                LeadCandidate(
                    partner.id,
                    partner.name,
                    None,
                    False,
                    None if nearest is None else nearest[0],
                    None if nearest is None else nearest[1],
                    served,
                    why,
                    f"excluded: {_EXCLUDED_WORDS[why]}",
                )
            )
            continue
        assert nearest is not None
        order = (nearest[0], -served, partner.created_at, partner.name, partner.id)
        ranked.append((order, partner, nearest[0], nearest[1]))
    ranked.sort(key=lambda item: item[0])
    # Widen hop by hop: take every partner up to the distance where the minimum is reached.
    already = {o.partner_id for o in lead.offers if o.status is OfferStatus.OFFERED}
    widened = 0
    taken: set[str] = set(already)
    for _order, partner, distance, _region in ranked:
        if len(taken) >= minimum:
            break
        taken.add(partner.id)
        widened = max(widened, distance)
    candidates = []
    for rank, (_order, partner, distance, region) in enumerate(ranked, start=1):
        where = "in the lead's region" if distance == 0 else f"{distance} hop(s) away ({region})"
        served = experience.get(partner.id, 0)
        candidates.append(
            LeadCandidate(
                partner.id,
                partner.name,
                rank,
                partner.id in taken,
                distance,
                region,
                served,
                None,
                f"{where}; expertise in {', '.join(lead.products)}; "
                f"{served} customer(s) of record on them",
            )
        )
    excluded.sort(key=lambda c: (c.name, c.partner_id))
    return SharingDecision((*candidates, *excluded), minimum, widened)


def _exclusion(
    partner: Partner, lead: Lead, offer: LeadOffer | None, nearest: tuple[int, str] | None
) -> Exclusion | None:
    if partner.kind is PartnerKind.AFFILIATE:
        return Exclusion.AFFILIATE
    if not partner.is_active:
        return Exclusion.DEACTIVATED
    if offer is not None and offer.status is OfferStatus.DECLINED:
        return Exclusion.DECLINED
    if offer is not None and offer.status is OfferStatus.REJECTED:
        return Exclusion.REJECTED
    if not set(lead.products) <= set(partner.expertise):
        return Exclusion.NO_EXPERTISE
    if nearest is None:
        return Exclusion.OUT_OF_REACH
    return None
