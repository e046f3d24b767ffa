"""What the partner program announces: partners and codes, mappings, consents, commissions."""

from __future__ import annotations

from typing import ClassVar

import attrs

from partnerkit.consent import ConsentKind
from partnerkit.events import Event
from partnerkit.mapping.records import Channel
from partnerkit.money import Money

__all__ = [
    "CommissionBooked",
    "ConsentCancelled",
    "ConsentEffective",
    "ConsentExpired",
    "ConsentRequested",
    "MappingEnded",
    "MappingExpired",
    "MappingStarted",
    "PartnerCodeIssued",
    "PartnerDeactivated",
    "PartnerReactivated",
    "PartnerRegistered",
]


@attrs.frozen
class PartnerRegistered(Event):
    TOPIC: ClassVar[str] = "partner.registered"
    partner_id: str
    name: str


@attrs.frozen
class PartnerDeactivated(Event):
    TOPIC: ClassVar[str] = "partner.deactivated"
    partner_id: str
    reason: str
    by: str


@attrs.frozen
class PartnerReactivated(Event):
    TOPIC: ClassVar[str] = "partner.reactivated"
    partner_id: str
    by: str


@attrs.frozen
class PartnerCodeIssued(Event):
    TOPIC: ClassVar[str] = "partner_code.issued"
    partner_id: str
    code: str


@attrs.frozen
class _MappingChange(Event):
    interval_id: str
    customer_id: str
    product: str
    partner_id: str
    channel: Channel


@attrs.frozen
class MappingStarted(_MappingChange):
    TOPIC: ClassVar[str] = "mapping.started"


@attrs.frozen
class MappingEnded(_MappingChange):
    """Unmapped by the partner team, or ended by a transfer."""

    TOPIC: ClassVar[str] = "mapping.ended"


@attrs.frozen
class MappingExpired(_MappingChange):
    """A provisional mapping whose customer did not upgrade in time (000 seed, case 3)."""

    TOPIC: ClassVar[str] = "mapping.expired"


@attrs.frozen
class _ConsentChange(Event):
    # The topic names the kind, as in `consent.transfer.effective`.
    kind: ConsentKind
    request_id: str
    customer_id: str

    @property
    def topic(self) -> str:
        return f"consent.{self.kind.value}.{self.TOPIC}"


@attrs.frozen
class ConsentRequested(_ConsentChange):
    TOPIC: ClassVar[str] = "requested"
    product: str


@attrs.frozen
class ConsentEffective(_ConsentChange):
    TOPIC: ClassVar[str] = "effective"


@attrs.frozen
class ConsentExpired(_ConsentChange):
    TOPIC: ClassVar[str] = "expired"


@attrs.frozen
class ConsentCancelled(_ConsentChange):
    """Withdrawn by a party of the request or the partner team before it took effect."""

    TOPIC: ClassVar[str] = "cancelled"


@attrs.frozen
class CommissionBooked(Event):
    TOPIC: ClassVar[str] = "commission.booked"
    entry_id: str
    partner_id: str
    transaction_id: str
    commission: Money
