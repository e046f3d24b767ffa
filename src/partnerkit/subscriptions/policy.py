"""The numbers behind subscriptions: how `run_due` works through due subscriptions, and the
dunning schedule; one `SubscriptionPolicy` per kit
(`connect(..., policies=[SubscriptionPolicy(...)])`)."""

from __future__ import annotations

from typing import Any

import attrs

from partnerkit.errors import InvalidInputError
from partnerkit.subscriptions.dunning import DunningPolicy

__all__ = ["SubscriptionPolicy"]


def _batch(instance: Any, attribute: Any, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 10_000:
        raise InvalidInputError(
            f"{attribute.name} is a whole number from 1 to 10000", field=attribute.name
        )


def _dunning(instance: Any, attribute: Any, value: object) -> None:
    if not isinstance(value, DunningPolicy):
        raise InvalidInputError(
            "the dunning schedule must be a dunning policy",
            field=attribute.name,
            hint="SubscriptionPolicy(dunning=DunningPolicy(retry_after_days=(1, 3, 7)))",
        )


@attrs.frozen
class SubscriptionPolicy:
    """How the organisation renews and retries.

    Attributes:
        renewal_batch: How many due subscriptions `run_due` handles per transaction.
        dunning: When a failed renewal charge is retried, and what happens when the retries
            run out (after 1, 3 and 7 days, then cancel, by default).
    """

    renewal_batch: int = attrs.field(default=200, validator=_batch)
    dunning: DunningPolicy = attrs.field(factory=DunningPolicy, validator=_dunning)
