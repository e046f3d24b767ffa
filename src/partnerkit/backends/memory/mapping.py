"""The partner program's tables in memory: the partner-of-record history, consent requests,
sign-up links and tracking entries, each with the indexes its queries read."""

from __future__ import annotations

from collections.abc import Hashable
from datetime import UTC, datetime, timedelta

import attrs

from partnerkit.backends.memory._table import ALL, Index, Table, UndoLog, Unique
from partnerkit.consent import ConsentKind, ConsentRequest
from partnerkit.errors import IntegrityViolationError
from partnerkit.mapping.errors import PartnerOfRecordTakenError
from partnerkit.mapping.records import MappingInterval, MappingStatus
from partnerkit.mapping.signup import SignupLink
from partnerkit.mapping.tracking import TrackingEntry

__all__ = [
    "MemoryConsentRequests",
    "MemoryPartnerRecords",
    "MemorySignupLinks",
    "MemoryTrackingEntries",
]

#: Where an open interval ends, for ordering: after every real instant.
_OPEN_END = datetime.max.replace(tzinfo=UTC)
_TICK = timedelta(microseconds=1)


def _slot_taken(interval: MappingInterval, slot: tuple[str, str]) -> PartnerOfRecordTakenError:
    return PartnerOfRecordTakenError(details={"customer_id": slot[0], "product": slot[1]})


def _open_slot(interval: MappingInterval) -> tuple[str, str] | None:
    return (interval.customer_id, interval.product) if interval.valid_to is None else None


def _slot(interval: MappingInterval) -> tuple[str, str]:
    return (interval.customer_id, interval.product)


def _is_provisional(interval: MappingInterval) -> bool:
    return (
        interval.valid_to is None
        and interval.status is MappingStatus.PROVISIONAL
        and interval.provisional_ends_at is not None
    )


def _by_time(rows: list[MappingInterval]) -> list[MappingInterval]:
    rows.sort(key=lambda r: (r.valid_from, r.id))
    return rows


class MemoryPartnerRecords:
    """Intervals of one slot (customer, product) never overlap: each opens at or after the
    previous one ends (the services open at max(now, last end)). The point queries below rely
    on it to stop after the one or two intervals next to the instant, not walk the history."""

    def __init__(self, log: UndoLog) -> None:
        self._t: Table[MappingInterval] = Table(
            log,
            "mapping",
            key=lambda i: i.id,
            unique={"open": Unique(key=_open_slot, taken=_slot_taken)},
            indexes={
                "by_slot": Index(key=_slot, order=lambda i: (i.valid_from,)),
                "by_customer": Index(key=lambda i: i.customer_id, order=lambda i: (i.valid_from,)),
                # Ordered by end (open last): commission windows and the last end.
                "by_slot_end": Index(key=_slot, order=lambda i: (i.valid_to or _OPEN_END,)),
                "open_by_partner": Index(
                    key=lambda i: i.partner_id,
                    order=lambda i: (i.valid_from,),
                    where=lambda i: i.valid_to is None,
                ),
                "provisional": Index(
                    order=lambda i: (i.provisional_ends_at,), where=_is_provisional
                ),
            },
        )
        self._by_slot = self._t.index("by_slot")
        self._by_end = self._t.index("by_slot_end")
        self._provisional = self._t.index("provisional")

    def add(self, interval: MappingInterval) -> None:
        self._t.insert(interval)

    def update(self, interval: MappingInterval) -> MappingInterval:
        # Closing an interval (valid_to set) leaves the "open" unique index: the slot is free.
        return self._t.update(interval)

    def current(self, customer_id: str, product: str) -> MappingInterval | None:
        return self._t.get_unique("open", (customer_id, product))

    def history(self, customer_id: str, product: str) -> list[MappingInterval]:
        return self._by_slot.rows((customer_id, product))

    def for_customer(self, customer_id: str) -> list[MappingInterval]:
        return self._t.index("by_customer").rows(customer_id)

    def last_end(self, customer_id: str, product: str) -> datetime | None:
        # Latest end first; at most one interval of a slot is open, and it sorts last.
        for interval in self._by_end.descending((customer_id, product)):
            if interval.valid_to is not None:
                return interval.valid_to
        return None

    def covering(self, customer_id: str, product: str, instant: datetime) -> MappingInterval | None:
        # The latest intervals that began by `instant` first. Without overlaps, the first one
        # that covers it is the only one; one that ended by then, and was not empty, means
        # every earlier one ended by then too.
        for interval in self._by_slot.descending((customer_id, product), through=(instant,)):
            if interval.covers(instant):
                return interval
            if interval.valid_to is not None and interval.valid_from < interval.valid_to:
                return None
        return None

    def earning_at(
        self, customer_id: str, product: str, instant: datetime
    ) -> list[MappingInterval]:
        # Windows [commission_from, valid_to) of a slot do not overlap either. Walk those that
        # end after `instant`, soonest end first: once a non-empty window starts after it,
        # every later window starts later still.
        found: list[MappingInterval] = []
        after = (instant + _TICK,)  # ends are exclusive: valid_to > instant
        for interval in self._by_end.ascending((customer_id, product), start=after):
            start = interval.commission_from
            if start is None or start <= instant:
                found.append(interval)
            elif interval.valid_to is None or start < interval.valid_to:
                break
        return _by_time(found)

    def open_for_partner(self, partner_id: str) -> list[MappingInterval]:
        return self._t.index("open_by_partner").rows(partner_id)

    def provisional_ended_by(self, instant: datetime) -> list[MappingInterval]:
        return _by_time(self._provisional.between(through=(instant,)))

    def next_provisional_end(self) -> datetime | None:
        first = self._provisional.first()
        return None if first is None else first.provisional_ends_at


def _pending_groups(request: ConsentRequest) -> dict[Hashable, None]:
    # One index answers every filter of `pending`: the whole queue, per customer, per
    # partner on either side, per product. A dict drops a partner named on both sides.
    groups: dict[Hashable, None] = {
        ALL: None,
        ("customer", request.customer_id): None,
        ("partner", request.partner_id): None,
        ("product", request.product): None,
    }
    if request.from_partner_id is not None:
        groups[("partner", request.from_partner_id)] = None
    return groups


def _token_taken(request: ConsentRequest, token_hash: str) -> IntegrityViolationError:
    # SQL has the same unique constraint; a 256-bit token does not collide by chance.
    return IntegrityViolationError(
        "a consent request with this token exists already", details={"id": request.id}
    )


def _by_request(rows: list[ConsentRequest]) -> list[ConsentRequest]:
    rows.sort(key=lambda r: (r.requested_at, r.id))
    return rows


class MemoryConsentRequests:
    def __init__(self, log: UndoLog) -> None:
        self._t: Table[ConsentRequest] = Table(
            log,
            "request",
            key=lambda r: r.id,
            unique={"token": Unique(key=lambda r: r.token_hash, taken=_token_taken)},
            indexes={
                "pending": Index(
                    keys=_pending_groups,
                    order=lambda r: (r.requested_at,),
                    where=lambda r: r.is_pending,
                ),
                "pending_by_expiry": Index(
                    order=lambda r: (r.expires_at,), where=lambda r: r.is_pending
                ),
            },
        )
        self._pending = self._t.index("pending")
        self._expiry = self._t.index("pending_by_expiry")

    def add(self, request: ConsentRequest) -> None:
        self._t.insert(request)

    def get(self, request_id: str) -> ConsentRequest | None:
        return self._t.get(request_id)

    def get_by_token_hash(self, token_hash: str) -> ConsentRequest | None:
        return self._t.get_unique("token", token_hash)

    def update(self, request: ConsentRequest) -> ConsentRequest:
        return self._t.update(request)

    def pending(
        self,
        *,
        customer_id: str | None = None,
        partner_id: str | None = None,
        product: str | None = None,
        kind: ConsentKind | None = None,
    ) -> list[ConsentRequest]:
        given: list[Hashable] = [ALL]
        if customer_id is not None:
            given.append(("customer", customer_id))
        if partner_id is not None:
            given.append(("partner", partner_id))
        if product is not None:
            given.append(("product", product))
        # Read the smallest group the filters name, and check the rest on its rows.
        group = min(given, key=self._pending.count)
        return [
            r
            for r in self._pending.rows(group)
            if (customer_id is None or r.customer_id == customer_id)
            and (partner_id is None or partner_id in (r.partner_id, r.from_partner_id))
            and (product is None or r.product == product)
            and (kind is None or r.kind is kind)
        ]

    def expiring(self, now: datetime) -> list[ConsentRequest]:
        return _by_request(self._expiry.between(through=(now,)))

    def next_expiry(self) -> datetime | None:
        first = self._expiry.first()
        return None if first is None else first.expires_at


class MemorySignupLinks:
    def __init__(self, log: UndoLog) -> None:
        self._t: Table[SignupLink] = Table(log, "sign-up link", key=lambda s: s.token_hash)

    def add(self, link: SignupLink) -> None:
        self._t.insert(link)

    def get_by_token_hash(self, token_hash: str) -> SignupLink | None:
        return self._t.get(token_hash)

    def revoke(self, token_hash: str, at: datetime) -> None:
        link = self._t.get(token_hash)
        if link is not None and link.revoked_at is None:
            self._t.put(attrs.evolve(link, revoked_at=at))


class MemoryTrackingEntries:
    def __init__(self, log: UndoLog) -> None:
        # Ties on (added_at, email) fall to the primary key's partner id, as on SQL.
        self._t: Table[TrackingEntry] = Table(
            log,
            "tracking entry",
            key=lambda e: (e.partner_id, e.email),
            indexes={
                "by_partner": Index(
                    key=lambda e: e.partner_id, order=lambda e: (e.added_at, e.email)
                ),
                "by_customer": Index(
                    key=lambda e: e.customer_id, order=lambda e: (e.added_at, e.email)
                ),
            },
        )

    def add(self, entry: TrackingEntry) -> None:
        if self._t.get((entry.partner_id, entry.email)) is None:
            self._t.insert(entry)

    def remove(self, partner_id: str, email: str) -> None:
        self._t.delete((partner_id, email))

    def remove_customer(self, partner_id: str, customer_id: str) -> None:
        for entry in self._t.index("by_customer").rows(customer_id):
            if entry.partner_id == partner_id:
                self._t.delete((partner_id, entry.email))

    def for_partner(self, partner_id: str) -> list[TrackingEntry]:
        return self._t.index("by_partner").rows(partner_id)

    def for_customer(self, customer_id: str) -> list[TrackingEntry]:
        return self._t.index("by_customer").rows(customer_id)
