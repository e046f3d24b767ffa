"""The numbers and choices behind the partner program's mapping rules, with the 000 and 001
seeds' values as defaults: one `MappingPolicy` per kit (`connect(..., policies=[...])`)."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from typing import Any

import attrs

from partnerkit.clock import time_zone as _zone
from partnerkit.errors import InvalidInputError

__all__ = ["MappingPolicy", "PartnerActivity"]


class PartnerActivity(enum.StrEnum):
    """What keeps a partner clear of the 000 seed's "inactive for a long time"."""

    #: The partner signs in to the partner portal.
    SIGN_IN = "sign_in"
    #: The partner does something in the program: adds a customer, makes a sign-up link, sets
    #: up an account, tracks an email, issues a code.
    PARTNER_ACTION = "partner_action"
    #: A customer the partner is of record for pays: a collected payment is booked
    #: (`kit.commissions.accrue`) in the partner's window, at the time it was collected.
    CUSTOMER_PAYMENT = "customer_payment"


def _time_zone(instance: Any, attribute: Any, value: object) -> None:
    _zone(value, attribute.name)


def _activity(value: object) -> frozenset[PartnerActivity]:
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise InvalidInputError(
            "activity must be a set of kinds of activity",
            field="activity",
            hint="activity takes PartnerActivity values, such as {PartnerActivity.SIGN_IN}",
        )
    try:
        return frozenset(PartnerActivity(v) for v in value)
    except ValueError:
        kinds = ", ".join(a.value for a in PartnerActivity)
        raise InvalidInputError(f"activity holds only {kinds}", field="activity") from None


@attrs.frozen
class MappingPolicy:
    """The numbers and choices behind the partner program's rules, with the seeds' values as
    defaults.

    Pass one to `connect(..., policies=[MappingPolicy(provisional_months=6)])`; `kit.policies` and
    `kit.mapping.policy` show the one in force. The docs' rule table
    (docs/reference/mapping-rules.md) is generated from these values.

    Raises:
        InvalidTimeZoneError: `time_zone` is not a time zone's name (`validation.time_zone`).
        InvalidInputError: `activity` holds something that is not a `PartnerActivity`
            (`validation.invalid`).
    """

    #: 000: a customer paid for more than this many days needs to approve (case 1); within
    #: it, the mapping is immediate (case 2). The seed says "more than a month" for case 1
    #: and "within 30 days" for case 2; the 30-day line serves both.
    confirmation_after_days: int = 30
    #: 000 case 3: a free customer's mapping is removed unless paid within this many months.
    provisional_months: int = 3
    #: 000 case 1: commission covers the last month's transactions before the mapping date.
    commission_lookback_months: int = 1
    #: How long a case-1 approval link stays valid. The seed is silent; a month is the bar.
    approval_valid_days: int = 30
    #: A transfer lapses if the customer does not confirm within this many days.
    transfer_confirm_days: int = 15
    #: 000: partners inactive this long are deactivated by the partner team (run_due).
    inactivity_months: int = 12
    #: A partner's sign-up link works this long after it was made (the seeds are silent; a
    #: year lets a link live on a partner's website without going stale for ever). A partner
    #: can revoke a link sooner (kit.mapping.revoke_signup_link).
    signup_link_valid_days: int = 365
    #: The organisation's time zone: the calendar of every customer without one of its own
    #: (`kit.customers.set_time_zone`). It decides "within 30 days", the day the 3 months
    #: end and the day a commission window starts.
    time_zone: str = attrs.field(default="UTC", validator=_time_zone)
    #: Whether 000 case 3 (a free customer's mapping lasts 3 months unless they upgrade) also
    #: holds when the customer said so themselves: their own tag, their sign-up through the
    #: partner's link, their approval. The seed's rule guards against a partner claiming a
    #: customer it does not work with, which the customer's own word settles; so by default
    #: such a mapping is permanent, and only a partner's own add is provisional.
    provisional_with_consent: bool = False
    #: What counts as a partner's activity for the inactivity rule.
    activity: frozenset[PartnerActivity] = attrs.field(
        default=frozenset(PartnerActivity), converter=_activity
    )

    def counts(self, activity: PartnerActivity) -> bool:
        """Whether an activity keeps a partner active under this policy.

        Args:
            activity: The kind of activity.

        Returns:
            True when it counts.

        Raises nothing.
        """
        return activity in self.activity
