"""What customer accounts announce. `PlanChanged` is how other packages learn that a product
became paid (the partner program's 3-month rule reacts to it in the same transaction)."""

from __future__ import annotations

from datetime import date
from typing import ClassVar

import attrs

from partnerkit.customers.plans import Edition
from partnerkit.events import Event

__all__ = ["CustomerCreated", "PlanChanged"]


@attrs.frozen
class CustomerCreated(Event):
    TOPIC: ClassVar[str] = "customer.created"
    customer_id: str
    name: str


@attrs.frozen
class PlanChanged(Event):
    TOPIC: ClassVar[str] = "customer.plan_changed"
    customer_id: str
    product: str
    edition: Edition
    since: date
