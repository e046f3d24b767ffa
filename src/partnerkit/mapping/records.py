"""The partner of record per (customer, product) as an append-only history of intervals: the
`MappingInterval` value, its channel and status, and the start and end of a UTC day.

Every mapping, transfer and unmapping is an interval [valid_from, valid_to) with its channel,
reason and actor; at most one is open per customer and product (a database constraint). A
provisional interval (000 case 3) ends at `provisional_ends_at` unless made permanent first,
whether or not the expiry job has recorded it yet: every read goes by `ends_at`.
"""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime, time, timedelta

import attrs
from dateutil.relativedelta import relativedelta

__all__ = [
    "CUSTOMER_CHANNELS",
    "Channel",
    "MappingInterval",
    "MappingStatus",
    "end_of_day",
    "start_of_day",
]


class Channel(enum.StrEnum):
    #: 001 seed: the customer signed up through the partner's website link.
    """How a customer came to a partner: a 001 channel, a 000 add, a transfer or consent."""

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


#: The channels that are the customer's own act, and so its consent: a partner's add is not.
CUSTOMER_CHANNELS = frozenset({Channel.TAG, Channel.SIGNUP_LINK})


class MappingStatus(enum.StrEnum):
    #: 000 seed, case 3: a free customer's mapping, removed unless they upgrade in time.
    """Whether a mapping stays (permanent) or ends unless the customer upgrades (provisional)."""

    PROVISIONAL = "provisional"
    PERMANENT = "permanent"


def start_of_day(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


def end_of_day(day: date) -> datetime:
    """The last instant of `day`: 'who was the partner on Jan 5' means at the end of Jan 5."""
    return start_of_day(day + timedelta(days=1)) - timedelta(microseconds=1)


@attrs.frozen
class MappingInterval:
    """One stretch of time during which a partner was the customer's partner for a product.

    Intervals are append-only: a change ends one (`valid_to`) and opens the next. At most one is
    open per customer and product. A provisional interval (000 use case 3) is over at
    `provisional_ends_at` unless made permanent first, whether or not the expiry job has
    recorded it yet: `ends_at`, `covers` and `in_force` say so.

    Attributes:
        id: The interval's id.
        customer_id: The customer account.
        product: The product.
        partner_id: The partner of record.
        channel: How the customer came to the partner.
        valid_from: When it began.
        reason: Why, in words.
        by: Who made it (an email, or "partnerkit" for a rule).
        status: Permanent, or provisional (000 use case 3).
        provisional_until: The last day, on the customer's calendar, a free customer may
            upgrade to keep it; None if permanent.
        provisional_ends_at: The instant that last day ends there: from then on the mapping is
            over; None if permanent.
        commission_from: Where the commission window starts: a month before the mapping day
            for 000 use case 1 (the last month's transactions), the day the customer became
            paid for use case 2 (all transactions since), the mapping day for a free
            customer; None for all transactions (as intervals stored before issue 8 may
            say); never inside the previous partner's interval.
        evidence: The customer's written consent, for the partner team only; None else.
        valid_to: When it ended; None while open.
        ended_reason: Why it ended.
        ended_by: Who ended it.
        version: Increases with each change (optimistic concurrency).
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
    provisional_ends_at: datetime | None = None
    commission_from: datetime | None = None
    evidence: str | None = None
    valid_to: datetime | None = None
    ended_reason: str | None = None
    ended_by: str | None = None
    version: int = 1

    @property
    def is_open(self) -> bool:
        """Whether the interval is still in force (it has not ended)."""
        return self.valid_to is None

    @property
    def ends_at(self) -> datetime | None:
        """Where the interval ends: its `valid_to`, or for an open provisional one the end of
        its 3 months (000 case 3), recorded or not; None while it lasts."""
        if self.valid_to is not None:
            return self.valid_to
        if self.status is MappingStatus.PROVISIONAL:
            return self.provisional_ends_at
        return None

    def in_force(self, at: datetime) -> bool:
        """Whether the interval is the mapping in force at an instant: open, and not a
        provisional one whose 3 months ran out by then.

        Args:
            at: An aware instant.

        Returns:
            True when in force.

        Raises nothing.
        """
        end = self.ends_at
        return self.valid_to is None and (end is None or at < end)

    def lapsed(self, at: datetime) -> bool:
        """Whether this is an open provisional interval whose 3 months ended by an instant, an
        end the expiry job has not recorded yet.

        Args:
            at: An aware instant.

        Returns:
            True when lapsed.

        Raises nothing.
        """
        return self.valid_to is None and not self.in_force(at)

    def covers(self, instant: datetime) -> bool:
        """Whether the partner was of record at an instant: `valid_from <= instant < ends_at`.

        Args:
            instant: An aware instant.

        Returns:
            True when the interval covers it (a provisional one not past its 3 months).

        Raises nothing.
        """
        end = self.ends_at
        return self.valid_from <= instant and (end is None or instant < end)

    def commission_window(
        self, limit_months: int | None = None
    ) -> tuple[datetime | None, datetime | None]:
        """The span of transactions this interval earns commission on, as `[start, end)`.

        Args:
            limit_months: The partner's plan limit: the window ends this many months after
                `valid_from` at the latest; None for no limit.

        Returns:
            `(start, end)`; None for an open side. A provisional interval's window ends with
            its 3 months.

        Raises nothing.
        """
        end = self.ends_at
        if limit_months is not None:
            limit_end = self.valid_from + relativedelta(months=limit_months)
            end = limit_end if end is None else min(end, limit_end)
        return self.commission_from, end

    def earns_on(self, instant: datetime, limit_months: int | None = None) -> bool:
        """Whether a transaction at an instant earns commission through this interval.

        Args:
            instant: When the transaction occurred.
            limit_months: The partner's plan limit; None for no limit.

        Returns:
            True when the instant is inside the commission window.

        Raises nothing.
        """
        start, end = self.commission_window(limit_months)
        return (start is None or start <= instant) and (end is None or instant < end)

    def close(self, at: datetime, reason: str, by: str) -> MappingInterval:
        """The interval ended at an instant.

        Args:
            at: When it ends.
            reason: Why.
            by: Who ends it.

        Returns:
            The ended interval (to be stored).

        Raises nothing.
        """
        return attrs.evolve(self, valid_to=at, ended_reason=reason, ended_by=by)

    def expired(self, reason: str) -> MappingInterval:
        """The interval as the expiry job stores it once its 3 months ended: closed at their
        end, by partnerkit, one version on. Reads show a lapsed interval this way, so what
        they answer does not depend on whether the job has run.

        Args:
            reason: Why it ended, as the job records it.

        Returns:
            The ended interval.

        Raises nothing.
        """
        assert self.provisional_ends_at is not None
        closed = self.close(max(self.provisional_ends_at, self.valid_from), reason, "partnerkit")
        return attrs.evolve(closed, version=self.version + 1)
