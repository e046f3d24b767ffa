"""Which edition of each product an account uses, and since when: the facts the partner
program's mapping rules count from."""

from __future__ import annotations

import enum
from datetime import date

import attrs

__all__ = ["Edition", "ProductPlan"]


class Edition(enum.StrEnum):
    """Which edition of a product an account uses: free or paid."""

    FREE = "free"
    PAID = "paid"


@attrs.frozen
class ProductPlan:
    """Which edition of a product the account uses, and since which day.

    The 000 seed's rules count from the day it became paid.

    Attributes:
        product: The product's catalog key.
        edition: Free or paid.
        since: The first day of that edition.
    """

    product: str
    edition: Edition
    since: date
