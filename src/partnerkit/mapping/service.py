"""`kit.mapping`: how customers come to a partner and move between partners.

The service is assembled from the modules that own each part: `channels` (sign-up link, new
account, Tag a Partner), `adding` (the 000 seed's three cases), `transfers` (transfers, consent
and operator actions), `tracking` (the tracking list) and `history` (the record itself).
"""

from __future__ import annotations

from partnerkit.mapping.adding import AddingMixin, AddResult
from partnerkit.mapping.channels import ChannelsMixin, SignupLinkToken
from partnerkit.mapping.history import PartnerCustomer
from partnerkit.mapping.tracking import TrackingMixin
from partnerkit.mapping.transfers import TransfersMixin

__all__ = ["AddResult", "MappingService", "PartnerCustomer", "SignupLinkToken"]


class MappingService(ChannelsMixin, AddingMixin, TransfersMixin, TrackingMixin):
    """`kit.mapping`: the partner of record per customer and product, and every way it changes."""
