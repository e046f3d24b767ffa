"""Partners, partner codes, mapping customers to partners, transfers, tracking and commissions.
Domain rules here are pure; services load, decide and save through the ports."""

from __future__ import annotations

import attrs

from partnerkit.customers.accounts import CustomersService
from partnerkit.customers.events import PlanChanged
from partnerkit.mapping.commissions import CommissionsService
from partnerkit.mapping.partners import PartnersService
from partnerkit.mapping.policy import MappingPolicy
from partnerkit.mapping.ports import MappingStore
from partnerkit.mapping.service import MappingService
from partnerkit.wiring import Wiring

__all__ = ["PartnerProgram", "install"]


@attrs.frozen
class PartnerProgram:
    """The partner program's services: `kit.partners`, `kit.mapping`, `kit.commissions`."""

    partners: PartnersService
    mapping: MappingService
    commissions: CommissionsService


def install(wiring: Wiring[MappingStore], *, customers: CustomersService) -> PartnerProgram:
    """Wire the partner program into a kit: its services, its `MappingPolicy`, its time-driven
    rules, and its reaction to plan changes (a free customer's upgrade, 000 case 3)."""
    policy = wiring.policy(MappingPolicy)
    runtime = wiring.runtime
    partners = PartnersService(runtime, inactivity_months=policy.inactivity_months)
    mapping = MappingService(runtime, policy, customers)
    commissions = CommissionsService(runtime)
    wiring.on(PlanChanged, mapping.on_plan_changed)
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
    return PartnerProgram(partners, mapping, commissions)
