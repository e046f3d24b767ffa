"""The partner's tag-tracking list (001 seed): existing users a partner is waiting on to tag it.

Adding someone sends nothing and asks nothing of the customer; the record leaves the list
when the customer tags the partner.
"""

from __future__ import annotations

from datetime import datetime

import attrs

__all__ = ["TrackingEntry"]


@attrs.frozen
class TrackingEntry:
    partner_id: str
    email: str
    customer_id: str
    added_at: datetime
