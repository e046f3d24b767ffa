"""The reseller portal's settings a host may change: how long an invitation works."""

from __future__ import annotations

from datetime import timedelta

import attrs

__all__ = ["ResellerPolicy"]


@attrs.frozen
class ResellerPolicy:
    """The reseller portal's settings (`connect(..., policies=[ResellerPolicy(...)])`).

    Attributes:
        invitation_valid_for: How long an invitation to the portal works.
    """

    invitation_valid_for: timedelta = timedelta(days=7)
