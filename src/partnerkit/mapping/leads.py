"""Lead sharing (002 seed, "Lead Sharing"): `kit.leads`: share, explain, accept, decline, and
the customer's rejection of a partner after the lead was shared, with the host's `LeadPolicy`.
The lead, its offers and the pure ranking of the partners it may go to (`decide_sharing`,
`region_hops`) are in `partnerkit.mapping.lead_rules`, kept apart so that mutation testing
covers the rule without the service around it; every name of it is importable from here too.

"Make sure you distribute the leads to the partners based on partner's registered addresses
and areas of expertise." "Never share just one partner with a customer; always share at least
three options. Sometimes it's not possible to have at least 3 partners from the same location,
so we can exchange partners from surrounding regions based on their experience." "Never share
leads to affiliate partners because they are only referral partners and cannot offer
consultation services." (002_9d5c5a443de74ac1.txt)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import attrs

from partnerkit import validate
from partnerkit.access import AuditKind, Evidence, EvidenceKind, Principal
from partnerkit.access.audit import refusal
from partnerkit.access.principal import Role, require_principal
from partnerkit.catalog.errors import ProductNotFoundError
from partnerkit.errors import ConfigurationError, InvalidInputError
from partnerkit.events import Email
from partnerkit.mapping.errors import (
    LeadClosedError,
    LeadNotFoundError,
    LeadNotOfferedError,
    NotEnoughPartnersError,
)
from partnerkit.mapping.events import MappingEnded
from partnerkit.mapping.history import RecordKeeper
from partnerkit.mapping.lead_rules import (
    SEED_MINIMUM_PARTNERS,
    Exclusion,
    Lead,
    LeadCandidate,
    LeadOffer,
    LeadStatus,
    OfferStatus,
    SharingDecision,
    decide_sharing,
    region_hops,
)
from partnerkit.mapping.partners import PartnerKind, load_partner
from partnerkit.mapping.ports import MappingStore
from partnerkit.runtime import Runtime

__all__ = [
    "SEED_MINIMUM_PARTNERS",
    "Exclusion",
    "Lead",
    "LeadCandidate",
    "LeadOffer",
    "LeadPolicy",
    "LeadStatus",
    "LeadsService",
    "OfferStatus",
    "SharingDecision",
    "decide_sharing",
    "lead_evidence",
    "lead_not_found",
    "region_hops",
]


def _graph(value: Mapping[str, Iterable[str]]) -> Mapping[str, tuple[str, ...]]:
    if not isinstance(value, Mapping):
        raise ConfigurationError(
            "the region graph must map each region to its neighbouring regions",
            hint="LeadPolicy(region_graph={'IN': ['LK', 'NP'], ...})",
        )
    return {
        validate.region(region, "region_graph"): validate.texts(
            neighbours, f"region_graph.{region}", validate.region
        )
        for region, neighbours in value.items()
    }


def _minimum(instance: object, attribute: object, value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < SEED_MINIMUM_PARTNERS:
        raise ConfigurationError(
            f"a lead goes to at least {SEED_MINIMUM_PARTNERS} partners, not {value!r}",
            hint=f"LeadPolicy(minimum_partners=...) takes a whole number of at least "
            f"{SEED_MINIMUM_PARTNERS}",
        )


@attrs.frozen
class LeadPolicy:
    """The host's lead-sharing settings: the region graph, the minimum, the Central IT box."""

    #: How many partners a lead is offered to: never fewer than the seed's three.
    minimum_partners: int = attrs.field(default=SEED_MINIMUM_PARTNERS, validator=_minimum)
    #: Each region's neighbouring regions (ISO 3166-1 alpha-2); read both ways, widened hop by
    #: hop when a region has too few partners.
    region_graph: Mapping[str, tuple[str, ...]] = attrs.field(
        factory=dict, converter=_graph, hash=False
    )
    #: 002: the Central IT Team's mailbox, which removes a rejected partner's service.
    central_it: str | None = None


def lead_evidence(uow: MappingStore, partner_id: str, customer_id: str) -> list[Evidence]:
    """002: "Potential Module: We can check to see if the lead was shared with the partner.
    Even when a lead is shared with a partner, the account is not always tagged to them."

    Args:
        uow: The unit of work to read in.
        partner_id: The partner.
        customer_id: The account.

    Returns:
        One piece of evidence per lead of the account offered to the partner.
    """
    found = []
    for lead in uow.leads.for_customer(customer_id):
        offer = lead.offer_to(partner_id)
        if offer is not None:
            found.append(
                Evidence(
                    EvidenceKind.LEAD_SHARED,
                    partner_id,
                    None,
                    offer.offered_at,
                    f"lead {lead.id} ({', '.join(lead.products)}) shared, {offer.status.value}",
                )
            )
    return found


def lead_not_found(lead_id: object) -> LeadNotFoundError:
    return LeadNotFoundError(f"no lead {lead_id!r}", details={"lead_id": lead_id})


class LeadsService:
    """`kit.leads`: the partner team shares leads; partners decline; customers pick or
    reject a partner."""

    def __init__(
        self, runtime: Runtime[MappingStore], policy: LeadPolicy, records: RecordKeeper
    ) -> None:
        self._rt = runtime
        self.policy = policy
        self._records = records

    def create(
        self,
        *,
        prospect_name: str,
        prospect_email: str,
        region: str,
        products: Iterable[str],
        pam: str | None = None,
        actor: Principal,
    ) -> Lead:
        """Record a lead: a prospect who needs `products` in `region` (the partner team).

        Args:
            prospect_name: The prospect's name.
            prospect_email: The prospect's official email address.
            region: Where the prospect is (ISO 3166-1 alpha-2).
            products: The products the prospect needs (keys of the catalog).
            pam: The partner account manager kept in copy; the actor's own address if omitted.
            actor: The member of staff (or the system).

        Returns:
            The lead, open.

        Raises:
            InvalidInputError: A malformed address, an empty region or no products
                (`validation.invalid`).
            ProductNotFoundError: A product the catalog does not hold (`catalog.product_not_found`).
            StaffOnlyError: The actor is not the partner team (`access.staff_only`).
        """
        name = validate.text(prospect_name, "prospect_name")
        email = validate.email(prospect_email, "prospect_email")
        where = validate.region(region, "region")
        keys = validate.texts(products, "products", validate.key)
        if not keys:
            raise InvalidInputError("a lead needs at least one product", field="products")
        principal = require_principal(actor)
        manager = validate.email(pam, "pam") if pam is not None else None
        with self._rt.uow() as uow:
            self._rt.guard.require_staff(actor, "record a lead")
            for i, key in enumerate(keys):
                if uow.products.get(key) is None:
                    raise ProductNotFoundError(
                        f"the lead names an unknown product {key!r}",
                        details={"field": f"products[{i}]", "key": key},
                    )
            if manager is None:
                if principal.role is not Role.STAFF:
                    raise InvalidInputError(
                        "a lead needs its partner account manager's address", field="pam"
                    )
                manager = principal.name
            customer = uow.customers.get_by_user_email(email)
            lead = Lead(
                id=self._rt.new_id("lead"),
                prospect_name=name,
                prospect_email=email,
                region=where,
                products=keys,
                pam=manager,
                created_at=self._rt.now(),
                created_by=principal.label,
                customer_id=None if customer is None else customer.id,
            )
            uow.leads.add(lead)
        return lead

    def get(self, lead_id: str, *, actor: Principal) -> Lead:
        """The lead (the partner team).

        Args:
            lead_id: The lead's id.
            actor: The member of staff (or the system).

        Returns:
            The lead with its offers.

        Raises:
            StaffOnlyError: The actor is not the partner team (`access.staff_only`).
            LeadNotFoundError: No such lead (`lead.not_found`).
        """
        with self._rt.uow(readonly=True) as uow:
            self._rt.guard.require_staff(actor, "read a lead")
            return self._load(uow, lead_id)

    def explain(self, lead_id: str, *, actor: Principal) -> SharingDecision:
        """Every partner ranked for the lead, with the reason for each (region or hops away,
        expertise, experience; or excluded as affiliate, deactivated, declined, rejected),
        deterministically: what `share` would do, without doing it.

        Args:
            lead_id: The lead's id.
            actor: The member of staff (or the system).

        Returns:
            The ranking.

        Raises:
            StaffOnlyError: The actor is not the partner team (`access.staff_only`).
            LeadNotFoundError: No such lead (`lead.not_found`).
        """
        with self._rt.uow(readonly=True) as uow:
            self._rt.guard.require_staff(actor, "rank partners for a lead")
            return self._decide(uow, self._load(uow, lead_id))

    def share(self, lead_id: str, *, actor: Principal) -> Lead:
        """Share the lead (002 seed): offer it to the first partners of the ranking, at least
        the policy's minimum (three), by email to the prospect with the partner account
        manager in copy, and notify each partner. If even the widest search finds fewer,
        nothing is shared and the refusal says how many were found (and is audited).

        Args:
            lead_id: The lead's id.
            actor: The member of staff (the account manager) or the system.

        Returns:
            The lead, shared, with its offers.

        Raises:
            NotEnoughPartnersError: Fewer eligible partners than the minimum
                (`lead.not_enough_partners`).
            LeadClosedError: The customer already picked a partner (`lead.closed`).
            StaffOnlyError: The actor is not the partner team (`access.staff_only`).
            LeadNotFoundError: No such lead (`lead.not_found`).
        """
        with self._rt.uow() as uow:
            principal = self._rt.guard.require_staff(actor, "share a lead")
            lead = self._open(uow, lead_id)
            decision = self._decide(uow, lead)
            if not decision.enough:
                found = len(decision.eligible)
                raise refusal(
                    NotEnoughPartnersError(
                        f"only {found} partner(s) can take this lead, and it goes to at least "
                        f"{decision.minimum}",
                        details={
                            "lead_id": lead.id,
                            "found": found,
                            "minimum": decision.minimum,
                            "by": principal.label,
                            "customer_id": lead.customer_id or "",
                        },
                    )
                )
            now = self._rt.now()
            known = {o.partner_id for o in lead.offers}
            fresh = [c for c in decision.offered if c.partner_id not in known]
            offers = (
                *lead.offers,
                *(LeadOffer(c.partner_id, c.rank or 0, c.hops or 0, now) for c in fresh),
            )
            shared = uow.leads.update(attrs.evolve(lead, status=LeadStatus.SHARED, offers=offers))
            self._announce(uow, shared, decision, fresh)
            self._rt.audit(
                uow,
                AuditKind.LEAD_SHARED,
                allowed=True,
                reason="shared",
                by=principal.label,
                customer_id=lead.customer_id,
                subject=lead.id,
                details={
                    "partners": [c.partner_id for c in decision.offered],
                    "hops": [c.hops for c in decision.offered],
                    "widened_to": decision.widened_to,
                },
            )
        return shared

    def accept(self, lead_id: str, partner_id: str, *, actor: Principal) -> Lead:
        """The customer picked `partner_id` among the partners offered: the lead is accepted
        for it (recorded by the partner team, or by an admin of the prospect's account).

        Args:
            lead_id: The lead's id.
            partner_id: The partner the customer picked.
            actor: Staff, the system, or an admin of the prospect's account.

        Returns:
            The lead, accepted.

        Raises:
            LeadNotOfferedError: The lead was not offered to that partner (or it declined)
                (`lead.not_offered`).
            LeadClosedError: The customer already picked a partner (`lead.closed`).
            LeadNotFoundError: No such lead, or one the actor may not see (`lead.not_found`).
        """
        with self._rt.uow() as uow:
            lead = self._load(uow, lead_id)
            principal = self._customer_or_staff(uow, actor, lead)
            lead = self._open(uow, lead_id)
            offer = self._offered(lead, partner_id)
            now = self._rt.now()
            offers = tuple(
                attrs.evolve(o, status=OfferStatus.ACCEPTED, closed_at=now) if o is offer else o
                for o in lead.offers
            )
            accepted = uow.leads.update(
                attrs.evolve(
                    lead, status=LeadStatus.ACCEPTED, offers=offers, accepted_partner_id=partner_id
                )
            )
            self._rt.audit(
                uow,
                AuditKind.LEAD_ACCEPTED,
                allowed=True,
                reason="accepted",
                by=principal.label,
                customer_id=lead.customer_id,
                partner_id=partner_id,
                subject=lead.id,
            )
        return accepted

    def decline(self, lead_id: str, partner_id: str, *, actor: Principal) -> Lead:
        """The partner turns the lead down: it is never offered to it again.

        Args:
            lead_id: The lead's id.
            partner_id: The partner.
            actor: A user of the partner, staff or the system.

        Returns:
            The lead.

        Raises:
            LeadNotOfferedError: The lead is not (or no longer) offered to the partner
                (`lead.not_offered`).
            LeadNotFoundError: No such lead, or one not offered to the acting partner
                (`lead.not_found`).
        """
        principal = require_principal(actor)
        with self._rt.uow() as uow:
            lead = self._load(uow, lead_id)
            # To a partner, a lead not offered to it is missing: a foreign id tells nothing.
            mine = principal.is_staff_or_system or lead.offer_to(partner_id) is not None
            if not self._rt.guard.acts_for_partner(principal, partner_id) or not mine:
                raise lead_not_found(lead_id)
            offer = self._offered(lead, partner_id)
            now = self._rt.now()
            offers = tuple(
                attrs.evolve(o, status=OfferStatus.DECLINED, closed_at=now) if o is offer else o
                for o in lead.offers
            )
            return uow.leads.update(attrs.evolve(lead, offers=offers))

    def reject_partner(
        self, lead_id: str, partner_id: str, *, reason: str, actor: Principal
    ) -> Lead:
        """The customer does not want to work with a partner the lead was shared with (002):
        the partner's service on the account ends (its partner-of-record mappings for the
        lead's products close, with the reason), the Central IT mailbox the host configured is
        told, and it is recorded.

        Args:
            lead_id: The lead's id.
            partner_id: The partner the customer rejects.
            reason: The customer's reason, in their words.
            actor: The member of staff (or the system).

        Returns:
            The lead, with the partner's offer rejected.

        Raises:
            ConfigurationError: No Central IT mailbox is configured (`configuration`).
            LeadNotOfferedError: The lead was never shared with that partner (`lead.not_offered`).
            StaffOnlyError: The actor is not the partner team (`access.staff_only`).
            LeadNotFoundError: No such lead (`lead.not_found`).
        """
        why = validate.text(reason, "reason", max_length=500)
        central = self.policy.central_it
        if central is None:
            raise ConfigurationError(
                "rejecting a partner tells the Central IT Team, and no mailbox is configured",
                hint="connect(..., policies=[LeadPolicy(central_it='centralit@...')])",
            )
        with self._rt.uow() as uow:
            principal = self._rt.guard.require_staff(actor, "reject a partner for a customer")
            lead = self._load(uow, lead_id)
            offer = lead.offer_to(partner_id) if validate.is_ref(partner_id) else None
            if offer is None or offer.status is OfferStatus.REJECTED:
                raise LeadNotOfferedError(
                    "this lead was not shared with that partner",
                    details={"lead_id": lead.id, "partner_id": partner_id},
                )
            partner = load_partner(uow, partner_id)
            now = self._rt.now()
            ended = []
            if lead.customer_id is not None:
                for product in lead.products:
                    current = uow.records.current(lead.customer_id, product)
                    if current is not None and current.partner_id == partner_id:
                        closed = self._records.end(uow, current, now, why, principal.label)
                        self._records.publish_change(uow, closed, MappingEnded)
                        ended.append(product)
            offers = tuple(
                attrs.evolve(o, status=OfferStatus.REJECTED, closed_at=now, reason=why)
                if o is offer
                else o
                for o in lead.offers
            )
            rejected = uow.leads.update(
                attrs.evolve(
                    lead,
                    offers=offers,
                    accepted_partner_id=None
                    if lead.accepted_partner_id == partner_id
                    else lead.accepted_partner_id,
                    status=LeadStatus.SHARED
                    if lead.accepted_partner_id == partner_id
                    else lead.status,
                )
            )
            context = {
                "lead_id": lead.id,
                "customer_id": lead.customer_id,
                "prospect": lead.prospect_email,
                "partner": partner.name,
                "partner_id": partner.id,
                "products": list(ended),
                "reason": why,
                "cc": [lead.pam],
            }
            self._rt.send(
                uow,
                Email(
                    to=central,
                    subject=f"Remove {partner.name}'s service from {lead.prospect_name}'s account",
                    body=f"The customer does not want to work with {partner.name}: {why}",
                    template="lead.partner_rejected",
                    context=context,
                ),
            )
            self._rt.audit(
                uow,
                AuditKind.LEAD_PARTNER_REJECTED,
                allowed=True,
                reason="rejected_by_customer",
                by=principal.label,
                customer_id=lead.customer_id,
                partner_id=partner_id,
                subject=lead.id,
                details={"reason": why, "ended": ended, "central_it": central},
            )
        return rejected

    # --- steps --------------------------------------------------------------------------------

    def _load(self, uow: MappingStore, lead_id: str) -> Lead:
        lead = uow.leads.get(lead_id) if validate.is_ref(lead_id) else None
        if lead is None:
            raise lead_not_found(lead_id)
        return lead

    def _open(self, uow: MappingStore, lead_id: str) -> Lead:
        lead = self._load(uow, lead_id)
        if lead.status is LeadStatus.ACCEPTED:
            raise LeadClosedError(
                "the customer already picked a partner for this lead",
                details={"lead_id": lead.id, "partner_id": lead.accepted_partner_id},
            )
        return lead

    @staticmethod
    def _offered(lead: Lead, partner_id: str) -> LeadOffer:
        offer = lead.offer_to(partner_id) if validate.is_ref(partner_id) else None
        if offer is None or offer.status is not OfferStatus.OFFERED:
            raise LeadNotOfferedError(
                "this lead is not offered to that partner",
                details={"lead_id": lead.id, "partner_id": partner_id},
            )
        return offer

    def _customer_or_staff(self, uow: MappingStore, actor: object, lead: Lead) -> Principal:
        principal = require_principal(actor)
        if principal.is_staff_or_system:
            return principal
        if lead.customer_id is not None and principal.customer_id == lead.customer_id:
            customer = uow.customers.get(lead.customer_id)
            if customer is not None:
                return self._rt.guard.require_customer_admin(
                    uow,
                    principal,
                    customer,
                    action="pick a partner for a lead",
                    not_found=lambda: lead_not_found(lead.id),
                )
        raise lead_not_found(lead.id)

    def _decide(self, uow: MappingStore, lead: Lead) -> SharingDecision:
        partners = uow.partners.all()
        wanted = set(lead.products)
        # Experience is read only for the partners that may take the lead at all.
        experience = {
            p.id: len(
                {
                    (i.customer_id, i.product)
                    for i in uow.records.open_for_partner(p.id)
                    if i.product in wanted
                }
            )
            for p in partners
            if p.is_active and p.kind is not PartnerKind.AFFILIATE and wanted <= set(p.expertise)
        }
        return decide_sharing(
            lead,
            partners,
            experience,
            region_graph=self.policy.region_graph,
            minimum=self.policy.minimum_partners,
        )

    def _announce(
        self,
        uow: MappingStore,
        lead: Lead,
        decision: SharingDecision,
        fresh: Sequence[LeadCandidate],
    ) -> None:
        """002: "Only official emails should be used for lead sharing and PAMs should always be
        included in the email thread": the prospect gets the options with the PAM in copy (and
        the PAM a copy), each newly offered partner its notice."""
        names = [c.name for c in decision.offered]
        context = {
            "lead_id": lead.id,
            "partners": names,
            "products": list(lead.products),
            "region": lead.region,
            "cc": [lead.pam],
        }
        subject = f"{len(names)} partners who can help you with {', '.join(lead.products)}"
        body = "You can work with any of these partners: " + ", ".join(names) + "."
        for to in (lead.prospect_email, lead.pam):
            self._rt.send(
                uow,
                Email(to=to, subject=subject, body=body, template="lead.shared", context=context),
            )
        for candidate in fresh:
            partner = uow.partners.get(candidate.partner_id)
            assert partner is not None
            self._rt.send(
                uow,
                Email(
                    to=partner.email,
                    subject=f"A lead for {', '.join(lead.products)} in {lead.region}",
                    body=f"{lead.prospect_name} needs help with {', '.join(lead.products)}.",
                    template="lead.offered",
                    context={**context, "partner_id": partner.id, "rank": candidate.rank},
                ),
            )
