"""The catalog's repository on SQL: products."""

from __future__ import annotations

import sqlalchemy as sa

from partnerkit.backends.sql import schema as t
from partnerkit.backends.sql.base import SqlRepository
from partnerkit.backends.sql.codec import RowCodec
from partnerkit.backends.sql.prepared import prepare
from partnerkit.catalog.errors import ProductTakenError
from partnerkit.catalog.products import Product

__all__ = ["SqlProducts"]

PRODUCTS = RowCodec(Product, t.products)

_PRODUCT_BY_KEY = sa.select(t.products).where(t.products.c.key == sa.bindparam("v"))
_ALL_PRODUCTS = sa.select(t.products).order_by(t.products.c.key)
# Built once, run on the driver's cursor (see prepared.py).
prepare(_PRODUCT_BY_KEY, _ALL_PRODUCTS)


class SqlProducts(SqlRepository):
    def add(self, product: Product) -> None:
        with self._unique(
            lambda: ProductTakenError(
                f"a product with key {product.key!r} already exists", details={"key": product.key}
            ),
            single=True,
        ):
            self._tx.execute(PRODUCTS.insert, PRODUCTS.row(product))

    def get(self, key: str) -> Product | None:
        return PRODUCTS.one(self._tx.execute(_PRODUCT_BY_KEY, {"v": key}).first())

    def all(self) -> list[Product]:
        return PRODUCTS.many(self._tx.execute(_ALL_PRODUCTS))
