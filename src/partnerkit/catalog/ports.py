"""What the catalog needs from storage."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from partnerkit.catalog.products import Product

__all__ = ["Products"]


class Products(Protocol):
    def add(self, product: Product) -> None:
        """Store a new product; raises ProductTakenError when the key exists."""

    def get(self, key: str) -> Product | None: ...

    def all(self) -> list[Product]:
        """Every product, ordered by key."""
