"""What subscriptions announce: every move of a subscription's status and every period
invoiced. Other packages and subscribers react to these without importing subscriptions."""

from __future__ import annotations

from datetime import date, datetime
from typing import ClassVar

import attrs

from partnerkit.events import Event

__all__ = ["SubscriptionChanged", "SubscriptionCreated", "SubscriptionInvoiced"]


@attrs.frozen
class SubscriptionCreated(Event):
    TOPIC: ClassVar[str] = "subscription.created"
    subscription_id: str
    customer_id: str
    product: str
    plan_id: str
    status: str


@attrs.frozen
class SubscriptionChanged(Event):
    """A subscription moved by the lifecycle table: from `previous` to `status` by `action`."""

    TOPIC: ClassVar[str] = "subscription.changed"
    subscription_id: str
    customer_id: str
    product: str
    action: str
    previous: str
    status: str
    at: datetime


@attrs.frozen
class SubscriptionInvoiced(Event):
    """A period of a subscription was invoiced (its first term, a renewal)."""

    TOPIC: ClassVar[str] = "subscription.invoiced"
    subscription_id: str
    customer_id: str
    invoice_id: str
    period_start: date
    period_end: date
