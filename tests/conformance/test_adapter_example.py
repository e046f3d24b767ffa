"""A host's own adapter for one port, checked by that port's contract alone.

docs/how-to/adapters.md includes this file as it is: the example in the docs is this test.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from partnerkit.catalog.errors import ProductTakenError
from partnerkit.catalog.products import Product
from partnerkit.testing.conformance import ProductsContract


class HostProducts:
    """The `Products` port over the host's own storage (a dict here; your ORM in real life)."""

    def __init__(self, rows: dict[str, Product]) -> None:
        self._rows = rows

    def add(self, product: Product) -> None:
        if product.key in self._rows:
            raise ProductTakenError(
                f"a product with key {product.key!r} already exists", details={"key": product.key}
            )
        self._rows[product.key] = product

    def get(self, key: str) -> Product | None:
        return self._rows.get(key)

    def all(self) -> list[Product]:
        return sorted(self._rows.values(), key=lambda p: p.key)


class HostUnitOfWork:
    def __init__(self, rows: dict[str, Product]) -> None:
        self.products = HostProducts(rows)


class HostBackend:
    """Just enough of a backend for the products contract: units of work over one dict."""

    def __init__(self) -> None:
        self._rows: dict[str, Product] = {}

    @contextmanager
    def unit_of_work(self, *, readonly: bool = False) -> Iterator[HostUnitOfWork]:
        snapshot = dict(self._rows)
        try:
            yield HostUnitOfWork(self._rows)
        except BaseException:
            # Roll back: the contract checks that a refused change leaves nothing behind.
            self._rows.clear()
            self._rows.update(snapshot)
            raise


class TestHostProducts(ProductsContract):
    @pytest.fixture
    def backend(self) -> HostBackend:
        return HostBackend()
