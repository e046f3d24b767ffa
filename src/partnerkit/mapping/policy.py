"""The numbers behind the partner program's mapping rules, with the 000 and 001 seeds' values
as defaults: one `MappingPolicy` per kit (`connect(..., policies=[MappingPolicy(...)])`)."""

from __future__ import annotations

import attrs

__all__ = ["MappingPolicy"]


@attrs.frozen
class MappingPolicy:
    """The numbers behind the partner program's rules, with the seeds' values as defaults.

    Pass one to `connect(..., policies=[MappingPolicy(provisional_months=6)])`; `kit.policies` and
    `kit.mapping.policy` show the one in force.
    """

    #: 000: a customer paid for more than this many days needs to approve (case 1); within
    #: it, the mapping is immediate (case 2).
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
