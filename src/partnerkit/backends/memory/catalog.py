"""The catalog's tables in memory: products by key."""

from __future__ import annotations

from partnerkit.backends.memory._table import Index, Table, UndoLog
from partnerkit.catalog.errors import ProductTakenError
from partnerkit.catalog.products import Product

__all__ = ["MemoryProducts"]


def _taken(product: Product) -> ProductTakenError:
    return ProductTakenError(
        f"a product with key {product.key!r} already exists", details={"key": product.key}
    )


class MemoryProducts:
    def __init__(self, log: UndoLog) -> None:
        self._t: Table[Product] = Table(
            log,
            "product",
            key=lambda p: p.key,
            taken=_taken,
            # The primary key already orders the catalog; the index only keeps it sorted.
            indexes={"by_key": Index(order=lambda p: ())},
        )

    def add(self, product: Product) -> None:
        self._t.insert(product)

    def get(self, key: str) -> Product | None:
        return self._t.get(key)

    def all(self) -> list[Product]:
        return self._t.index("by_key").rows()
