"""Customer accounts: the organisation, its users and admins, contacts and product plans."""

from __future__ import annotations

from typing import cast

from partnerkit.customers.accounts import (
    Customer,
    CustomersService,
    customer_not_found,
    load_customer,
)
from partnerkit.customers.ports import CustomersStore
from partnerkit.ports import UnitOfWork
from partnerkit.wiring import Wiring

__all__ = ["install"]


def install(wiring: Wiring[CustomersStore], *, time_zone: str = "UTC") -> CustomersService:
    """Wire customer accounts into a kit: `kit.customers`. Other packages learn of plan
    changes through the `PlanChanged` event; access reads accounts (their domains and users)
    through the loader registered here. `time_zone` is the organisation's, the calendar of
    every account without one of its own (the kit passes `MappingPolicy.time_zone`)."""
    wiring.provide_accounts(_load, customer_not_found)
    return CustomersService(wiring.runtime, time_zone=time_zone)


def _load(uow: UnitOfWork, customer_id: str) -> Customer:
    return load_customer(cast(CustomersStore, uow), customer_id)
