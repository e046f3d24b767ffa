"""The catalog's errors: products that do not exist or exist already."""

from __future__ import annotations

from partnerkit.errors import Audience, ConflictError, NotFoundError

__all__ = [
    "ProductNotFoundError",
    "ProductTakenError",
]


# --- catalog ----------------------------------------------------------------------------------


class ProductNotFoundError(NotFoundError):
    code = "catalog.product_not_found"
    audience = (Audience.PARTNER, Audience.CUSTOMER, Audience.STAFF)
    summary = "No such product."


class ProductTakenError(ConflictError):
    code = "catalog.product_taken"
    audience = (Audience.STAFF,)
    summary = "A product with that key already exists."
    default_remedy = "Choose another key for the new product."
