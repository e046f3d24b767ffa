"""The product catalog: what a vendor sells and partners work on, addressed by a stable key.

Plans, add-ons and coupons join this module when subscriptions arrive.
"""

from __future__ import annotations

from datetime import datetime

import attrs

from partnerkit import validate
from partnerkit.access import Principal
from partnerkit.catalog.errors import ProductNotFoundError, ProductTakenError
from partnerkit.catalog.events import ProductAdded
from partnerkit.catalog.ports import CatalogStore
from partnerkit.runtime import Runtime

__all__ = ["CatalogService", "Product"]


@attrs.frozen
class Product:
    """A product of the catalog, addressed by its stable key ("crm")."""

    key: str
    name: str
    created_at: datetime
    version: int = 1


class CatalogService:
    """`kit.catalog`: add and read products."""

    def __init__(self, runtime: Runtime[CatalogStore]) -> None:
        self._rt = runtime

    def add_product(self, key: str, *, name: str, actor: Principal) -> Product:
        """Add a product to the catalog (staff or the system). Reading the catalog takes no
        actor: what is sold is public."""
        key = validate.key(key, "key")
        name = validate.text(name, "name")
        with self._rt.uow() as uow:
            self._rt.guard.require_staff(actor, "add a product")
            if uow.products.get(key) is not None:
                raise ProductTakenError(
                    f"a product with key {key!r} already exists", details={"key": key}
                )
            product = Product(key=key, name=name, created_at=self._rt.now())
            uow.products.add(product)
            self._rt.publish(uow, ProductAdded(key, name))
        return product

    def get_product(self, key: str) -> Product:
        key = validate.text(key, "key")
        with self._rt.uow(readonly=True) as uow:
            product = uow.products.get(key)
        if product is None:
            raise ProductNotFoundError(f"no product with key {key!r}", details={"key": key})
        return product

    def products(self) -> list[Product]:
        with self._rt.uow(readonly=True) as uow:
            return uow.products.all()
