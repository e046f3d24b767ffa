"""The root unit of work: every package's store slice composed into the one a backend implements.

A new package adds its `<package>.ports.<Name>Store` to the bases of `Store`, and its
repositories to each backend; services only ever see their own package's slice.
"""

from __future__ import annotations

from typing import Protocol

from partnerkit.billing.ports import BillingStore
from partnerkit.catalog.ports import CatalogStore
from partnerkit.customers.ports import CustomersStore
from partnerkit.mapping.ports import MappingStore, PartnersStore
from partnerkit.resellers.ports import ResellersStore
from partnerkit.subscriptions.ports import SubscriptionsStore

__all__ = ["Store"]


class Store(
    ResellersStore,
    SubscriptionsStore,
    BillingStore,
    MappingStore,
    PartnersStore,
    CustomersStore,
    CatalogStore,
    Protocol,
):
    """Every repository of every package, inside one transaction."""
