"""The catalog's errors: products that do not exist or exist already."""

from __future__ import annotations

from partnerkit.errors import ConflictError, NotFoundError

__all__ = [
    "ProductNotFoundError",
    "ProductTakenError",
]


# --- catalog ----------------------------------------------------------------------------------


class ProductNotFoundError(NotFoundError):
    code = "catalog.product_not_found"
    summary = "No product with that key."


class ProductTakenError(ConflictError):
    code = "catalog.product_taken"
    summary = "A product with that key already exists."
