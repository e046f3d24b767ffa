"""A customer's move to a reseller portal of its own, as a value (004 seed, "Migrating
customers to reseller"): who did it and when, where from and where to. The reseller it left
keeps this record as its read-only trace of the customer.
"""

from __future__ import annotations

from datetime import datetime

import attrs

__all__ = ["CustomerMigration"]


@attrs.frozen
class CustomerMigration:
    """The record of a customer moved to its own reseller portal.

    Attributes:
        id: The record's id.
        customer_id: The customer that moved.
        from_reseller_id: The reseller it left; it keeps a read-only trace.
        to_reseller_id: The customer's own reseller portal.
        migrated_at: When.
        migrated_by: Who did it.
        consent_id: The consent request the customer confirmed it with, once migrations go
            through the consent workflow; None for a move the reseller made.
    """

    id: str
    customer_id: str
    from_reseller_id: str
    to_reseller_id: str
    migrated_at: datetime
    migrated_by: str
    consent_id: str | None = None
