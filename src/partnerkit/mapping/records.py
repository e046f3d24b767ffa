"""The partner of record per (customer, product) as an append-only history of intervals: the
`MappingInterval` value, its channel and status, and the start and end of a UTC day.

Every mapping, transfer and unmapping is an interval [valid_from, valid_to) with its channel,
reason and actor; at most one is open per customer and product (a database constraint).
"""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime, time, timedelta

import attrs
from dateutil.relativedelta import relativedelta

__all__ = [
    "Channel",
    "MappingInterval",
    "MappingStatus",
    "end_of_day",
    "start_of_day",
]


class Channel(enum.StrEnum):
    #: 001 seed: the customer signed up through the partner's website link.
    SIGNUP_LINK = "signup_link"
    #: 001 seed: the partner set up a new account for a non-user.
    NEW_ACCOUNT = "new_account"
    #: 001 seed: an admin of the customer entered the partner's code.
    TAG = "tag"
    #: 000 seed: the partner added an existing customer (cases 1 to 3).
    PARTNER_ADDED = "partner_added"
    #: 001 seed: the customer moved the product to another partner and confirmed.
    TRANSFER = "transfer"
    #: 000 seed: the partner team moved the customer on the customer's written consent.
    WRITTEN_CONSENT = "written_consent"


class MappingStatus(enum.StrEnum):
    #: 000 seed, case 3: a free customer's mapping, removed unless they upgrade in time.
    PROVISIONAL = "provisional"
    PERMANENT = "permanent"


def start_of_day(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


def end_of_day(day: date) -> datetime:
    """The last instant of `day`: 'who was the partner on Jan 5' means at the end of Jan 5."""
    return start_of_day(day + timedelta(days=1)) - timedelta(microseconds=1)


@attrs.frozen
class MappingInterval:
    """One stretch of time during which `partner_id` was the customer's partner for `product`.

    `commission_from` is where the partner's commission window starts: it may precede
    `valid_from` (000 case 1: the last month's transactions) or be None (000 case 2: all
    transactions); it never reaches back into the previous partner's interval.
    """

    id: str
    customer_id: str
    product: str
    partner_id: str
    channel: Channel
    valid_from: datetime
    reason: str
    by: str
    status: MappingStatus = MappingStatus.PERMANENT
    provisional_until: date | None = None
    commission_from: datetime | None = None
    evidence: str | None = None
    valid_to: datetime | None = None
    ended_reason: str | None = None
    ended_by: str | None = None
    version: int = 1

    @property
    def is_open(self) -> bool:
        return self.valid_to is None

    def covers(self, instant: datetime) -> bool:
        return self.valid_from <= instant and (self.valid_to is None or instant < self.valid_to)

    def commission_window(
        self, limit_months: int | None = None
    ) -> tuple[datetime | None, datetime | None]:
        """[start, end) of the transactions this interval earns commission on; None is open."""
        end = self.valid_to
        if limit_months is not None:
            limit_end = self.valid_from + relativedelta(months=limit_months)
            end = limit_end if end is None else min(end, limit_end)
        return self.commission_from, end

    def earns_on(self, instant: datetime, limit_months: int | None = None) -> bool:
        start, end = self.commission_window(limit_months)
        return (start is None or start <= instant) and (end is None or instant < end)

    def close(self, at: datetime, reason: str, by: str) -> MappingInterval:
        return attrs.evolve(self, valid_to=at, ended_reason=reason, ended_by=by)
