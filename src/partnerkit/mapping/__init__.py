"""Partners, partner codes, mapping customers to partners, transfers, tracking and commissions.
Domain rules here are pure; services load, decide and save through the ports."""

from __future__ import annotations

from collections.abc import Iterable
from typing import cast

import attrs

from partnerkit import validate
from partnerkit.access import Evidence, EvidenceKind, Tie
from partnerkit.billing.events import PaymentRecorded, PaymentRefunded
from partnerkit.customers.events import PlanChanged
from partnerkit.mapping.commissions import CommissionsService
from partnerkit.mapping.events import PartnerDeactivated
from partnerkit.mapping.history import RecordKeeper
from partnerkit.mapping.leads import LeadPolicy, LeadsService, lead_evidence
from partnerkit.mapping.partners import PartnersService
from partnerkit.mapping.policy import MappingPolicy
from partnerkit.mapping.ports import MappingStore
from partnerkit.mapping.records import MappingInterval
from partnerkit.mapping.service import MappingService
from partnerkit.ports import UnitOfWork
from partnerkit.wiring import Wiring

__all__ = ["PartnerProgram", "install"]


@attrs.frozen
class PartnerProgram:
    """The partner program's services: `kit.partners`, `kit.mapping`, `kit.commissions`,
    `kit.leads`."""

    partners: PartnersService
    mapping: MappingService
    commissions: CommissionsService
    leads: LeadsService


def install(wiring: Wiring[MappingStore]) -> PartnerProgram:
    """Wire the partner program into a kit: its services, its `MappingPolicy`, its time-driven
    rules, its reaction to plan changes (a free customer's upgrade, 000 case 3), and the ties
    between partners and customers the guard decides with.

    The flows open accounts with the step `kit.customers.create` uses
    (`customers.accounts.open_account`), inside their own unit of work and after their own
    check of who may, so the package needs no customers service.
    """
    policy = wiring.policy(MappingPolicy)
    runtime = wiring.runtime
    partners = PartnersService(
        runtime, inactivity_months=policy.inactivity_months, activity=policy.activity
    )
    mapping = MappingService(runtime, policy)
    commissions = CommissionsService(runtime, activity=policy.activity)
    leads = LeadsService(runtime, wiring.policy(LeadPolicy), RecordKeeper(runtime, policy))
    wiring.on(PlanChanged, mapping.on_plan_changed)
    wiring.on(PartnerDeactivated, mapping.on_partner_deactivated)
    # Commission from real money: billing announces what it collected and gave back.
    wiring.on(PaymentRecorded, commissions.on_payment_recorded)
    wiring.on(PaymentRefunded, commissions.on_payment_refunded)

    # A partner sees a customer it is of record for (any product; a free customer's mapping
    # whose 3 months are over no longer counts) or that has a request pending with it on
    # either side; a tracking entry is the partner's own note, made without the customer, so
    # it is evidence only.
    def of_record(uow: UnitOfWork, partner_id: str, customer_id: str) -> bool:
        now = runtime.now()
        return any(
            i.partner_id == partner_id and i.in_force(now)
            for i in _store(uow).records.for_customer(customer_id)
        )

    def customers_of_record(uow: UnitOfWork, partner_id: str) -> Iterable[str]:
        now = runtime.now()
        return {
            i.customer_id
            for i in _store(uow).records.open_for_partner(partner_id)
            if i.in_force(now)
        }

    wiring.add_association("partner_of_record", Tie(of_record, customers_of=customers_of_record))
    wiring.add_association(
        "pending_request", Tie(_pending_request, customers_of=_customers_pending)
    )
    wiring.add_association("tracking", Tie(_tracking, grants_sight=False))
    # The 002 seed's places to look for an association, in its order (the lead sharing
    # module adds the first: a shared lead).
    wiring.identify_partners(_partners_of)
    wiring.add_evidence("leads", _lead_shared)
    wiring.add_evidence("subscription", _tagged)
    wiring.add_evidence("payments", _reseller_price)
    wiring.add_evidence("customer_listing", _listed)
    # Within one instant consents lapse and provisional mappings end before inactive partners
    # are deactivated (the outbox, which the kit adds, delivers what they all wrote).
    wiring.add_job("consent_expiry", mapping.next_consent_due, mapping.expire_consents, order=100)
    wiring.add_job(
        "provisional_mappings",
        mapping.next_provisional_due,
        mapping.expire_provisional,
        order=200,
    )
    wiring.add_job(
        "partner_inactivity",
        partners.next_inactivity_due,
        partners.deactivate_inactive,
        order=300,
    )
    return PartnerProgram(partners, mapping, commissions, leads)


# The guard is shared by every package and hands each association the kit's unit of work; these
# read the partner program's slice of it.


def _store(uow: UnitOfWork) -> MappingStore:
    return cast(MappingStore, uow)


def _pending_request(uow: UnitOfWork, partner_id: str, customer_id: str) -> bool:
    return bool(_store(uow).consents.pending(customer_id=customer_id, partner_id=partner_id))


def _customers_pending(uow: UnitOfWork, partner_id: str) -> Iterable[str]:
    return {r.customer_id for r in _store(uow).consents.pending(partner_id=partner_id)}


def _tracking(uow: UnitOfWork, partner_id: str, customer_id: str) -> bool:
    return any(e.partner_id == partner_id for e in _store(uow).tracking.for_customer(customer_id))


def _partners_of(uow: UnitOfWork, email: str) -> Iterable[str]:
    """002: "check the domain": the partners whose contact email this is, or that registered
    its domain (exactly, in the stored form: a look-alike is another domain)."""
    store = _store(uow)
    found = {p.id for p in store.partners.with_domain(validate.domain_of(email))}
    contact = store.partners.get_by_email(email)
    if contact is not None:
        found.add(contact.id)
    return found


def _lead_shared(uow: UnitOfWork, partner_id: str, customer_id: str) -> Iterable[Evidence]:
    return lead_evidence(_store(uow), partner_id, customer_id)


def _open_records(uow: UnitOfWork, partner_id: str, customer_id: str) -> list[MappingInterval]:
    return [
        i
        for i in _store(uow).records.for_customer(customer_id)
        if i.is_open and i.partner_id == partner_id
    ]


def _tagged(uow: UnitOfWork, partner_id: str, customer_id: str) -> Iterable[Evidence]:
    """002: "Subscription Module - we can see if the account is tagged to the partner"."""
    return [
        Evidence(
            EvidenceKind.TAGGED,
            partner_id,
            i.product,
            i.valid_from,
            f"partner of record for {i.product} ({i.channel.value})",
        )
        for i in _open_records(uow, partner_id, customer_id)
    ]


def _reseller_price(uow: UnitOfWork, partner_id: str, customer_id: str) -> Iterable[Evidence]:
    """002: "Payments Tool - ... When the partner is tagged, the Reseller Price will be
    available": commission booked to the partner on the account's payments, per product."""
    store = _store(uow)
    products = sorted({i.product for i in store.records.for_customer(customer_id)})
    found = []
    for product in products:
        entries = [
            e
            for e in store.commissions.for_customer(customer_id, product)
            if e.partner_id == partner_id
        ]
        if entries:
            first = min(entries, key=lambda e: (e.occurred_at, e.id))
            found.append(
                Evidence(
                    EvidenceKind.RESELLER_PRICE,
                    partner_id,
                    product,
                    first.occurred_at,
                    f"reseller price on {len(entries)} payment(s) for {product}",
                )
            )
    return found


def _listed(uow: UnitOfWork, partner_id: str, customer_id: str) -> Iterable[Evidence]:
    """002: "Store - From the Customer Listing Tab": the partner's customer listing is its
    open mappings, a row per product."""
    return [
        Evidence(
            EvidenceKind.CUSTOMER_LISTING,
            partner_id,
            i.product,
            i.valid_from,
            f"in the partner's customer listing for {i.product}",
        )
        for i in _open_records(uow, partner_id, customer_id)
    ]
