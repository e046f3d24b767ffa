"""What the catalog needs from storage: its repository and its slice of the unit of work."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from partnerkit.ports import UnitOfWork

if TYPE_CHECKING:
    from partnerkit.catalog.products import Product

__all__ = ["CatalogStore", "Products"]


class Products(Protocol):
    def add(self, product: Product) -> None:
        """Store a new product; raises ProductTakenError when the key exists."""

    def get(self, key: str) -> Product | None: ...

    def all(self) -> list[Product]:
        """Every product, ordered by key."""


class CatalogStore(UnitOfWork, Protocol):
    @property
    def products(self) -> Products: ...
