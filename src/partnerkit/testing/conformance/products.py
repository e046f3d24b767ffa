"""The `Products` port: products by key, unique keys."""

from __future__ import annotations

import pytest

from partnerkit.catalog.errors import ProductTakenError
from partnerkit.catalog.products import Product
from partnerkit.ports import Backend
from partnerkit.stores import Store
from partnerkit.testing.conformance._base import (
    T0,
    ContractBase,
)

__all__ = ["ProductsContract"]


class ProductsContract(ContractBase):
    """The `Products` port: products by key, unique keys."""

    def test_products_round_trip_in_key_order(self, backend: Backend[Store]) -> None:
        with backend.unit_of_work() as uow:
            uow.products.add(Product("zeta", "Zeta", T0))
            uow.products.add(Product("alpha", "Alpha", T0))
        with backend.unit_of_work(readonly=True) as uow:
            assert uow.products.get("alpha") == Product("alpha", "Alpha", T0)
            assert uow.products.get("missing") is None
            assert [p.key for p in uow.products.all()] == ["alpha", "zeta"]

    def test_product_key_is_unique(self, backend: Backend[Store]) -> None:
        with backend.unit_of_work() as uow:
            uow.products.add(Product("crm", "CRM", T0))
        with pytest.raises(ProductTakenError), backend.unit_of_work() as uow:
            uow.products.add(Product("crm", "Other", T0))
        with backend.unit_of_work(readonly=True) as uow:
            assert [p.name for p in uow.products.all()] == ["CRM"]
