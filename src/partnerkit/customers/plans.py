"""Which edition of each product an account uses, and since when: the facts the partner
program's mapping rules count from."""

from __future__ import annotations

import enum
from datetime import date

import attrs

__all__ = ["Edition", "ProductPlan"]


class Edition(enum.StrEnum):
    FREE = "free"
    PAID = "paid"


@attrs.frozen
class ProductPlan:
    """Which edition of a product the account uses, and since which day (the mapping rules
    of the 000 seed count from the day it became paid)."""

    product: str
    edition: Edition
    since: date
