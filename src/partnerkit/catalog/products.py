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
    """A product of the catalog.

    Attributes:
        key: The stable key every call names it by, such as `"crm"`.
        name: The name people read.
        created_at: When it was added.
        version: Increases with each change.
    """

    key: str
    name: str
    created_at: datetime
    version: int = 1


class CatalogService:
    """`kit.catalog`: the products the vendor sells and partners work on, each under a stable key.

    Products are what mappings, plans and partners' expertise refer to (`"crm"`, `"books"`). Adding
    one is the partner team's act; reading the catalog takes no actor: what is sold is public.
    """

    def __init__(self, runtime: Runtime[CatalogStore]) -> None:
        self._rt = runtime

    def add_product(self, key: str, *, name: str, actor: Principal) -> Product:
        """Add a product to the catalog, under the key every other call will name it by.

        Args:
            key: The stable key: a lower-case letter, then lower-case letters, digits, `-` or `_`
                (at most 40), such as `"crm"`.
            name: The name people read, such as `"CRM"`.
            actor: Who acts: staff or the system only.

        Returns:
            The new product.

        Raises:
            InvalidActorError: `actor` is not a `Principal` (`access.invalid_actor`).
            StaffOnlyError: The actor is not staff or the system (`access.staff_only`).
            ProductTakenError: A product with that key exists (`catalog.product_taken`).
            InvalidInputError: `key` or `name` is empty or malformed (`validation.invalid`).
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
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
        """The product with this key.

        Args:
            key: The product's key, such as `"crm"`.

        Returns:
            The product.

        Raises:
            ProductNotFoundError: No product with that key (`catalog.product_not_found`).
            InvalidInputError: `key` is empty or too long (`validation.invalid`).
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
        key = validate.text(key, "key")
        with self._rt.uow(readonly=True) as uow:
            product = uow.products.get(key)
        if product is None:
            raise ProductNotFoundError(f"no product with key {key!r}", details={"key": key})
        return product

    def products(self) -> list[Product]:
        """Every product of the catalog.

        Returns:
            The products, ordered by key.

        Raises:
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
        with self._rt.uow(readonly=True) as uow:
            return uow.products.all()
