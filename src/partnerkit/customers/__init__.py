"""Customer accounts: the organisation, its users and admins, contacts and product plans."""

from __future__ import annotations

from partnerkit.customers.accounts import CustomersService
from partnerkit.customers.ports import CustomersStore
from partnerkit.wiring import Wiring

__all__ = ["install"]


def install(wiring: Wiring[CustomersStore], *, time_zone: str = "UTC") -> CustomersService:
    """Wire customer accounts into a kit: `kit.customers`. Other packages learn of plan
    changes through the `PlanChanged` event. `time_zone` is the organisation's, the calendar
    of every account without one of its own (the kit passes `MappingPolicy.time_zone`)."""
    return CustomersService(wiring.runtime, time_zone=time_zone)
