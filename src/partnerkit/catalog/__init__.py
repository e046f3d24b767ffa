"""The product catalog: the products partners work on and customers use; plans join it later."""

from __future__ import annotations

from partnerkit.catalog.ports import CatalogStore
from partnerkit.catalog.products import CatalogService
from partnerkit.wiring import Wiring

__all__ = ["install"]


def install(wiring: Wiring[CatalogStore]) -> CatalogService:
    """Wire the catalog into a kit: `kit.catalog`."""
    return CatalogService(wiring.runtime)
