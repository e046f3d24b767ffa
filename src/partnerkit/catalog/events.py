"""What the catalog announces."""

from __future__ import annotations

from typing import ClassVar

import attrs

from partnerkit.events import Event

__all__ = ["ProductAdded"]


@attrs.frozen
class ProductAdded(Event):
    TOPIC: ClassVar[str] = "product.added"
    key: str
    name: str
