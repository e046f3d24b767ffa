"""One consent workflow for every change a customer must approve: request → confirmations →
effective, or expired. Case 1 of the 000 seed and transfers (001) use it; tokens are hashed.
"""

from __future__ import annotations

import enum
import hmac
import secrets
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import attrs

from partnerkit.errors import ConsentExpiredError, ConsentNotPendingError, InvalidTokenError
from partnerkit.secrets import hash_token
from partnerkit.serialization import unstructure

__all__ = [
    "Confirmation",
    "ConsentKind",
    "ConsentRequest",
    "ConsentStatus",
    "hash_token",
    "new_token",
    "same_hash",
]

#: 32 random bytes: 256 bits, as the design asks of every confirmation token.
TOKEN_BYTES = 32
#: Where a cancelled request records who cancelled it (the request's context is free-form data,
#: stored by every backend, so the record needs no column of its own).
_CANCELLED_BY = "cancelled_by"
#: And why, when partnerkit withdrew it (the partner left the program, the customer chose
#: another partner): the words the customer reads when the link is clicked after all.
_CANCEL_REASON = "cancel_reason"


def new_token() -> tuple[str, str]:
    """A fresh token and its hash; only the hash is ever stored."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    return token, hash_token(token)


def same_hash(a: str, b: str) -> bool:
    return hmac.compare_digest(a, b)


class ConsentKind(enum.StrEnum):
    #: 000 seed, case 1: a paid customer approves a partner's mapping through a link.
    """What a consent request asks: to approve a partner (000 use case 1), or a transfer."""

    MAPPING_APPROVAL = "mapping_approval"
    #: 001 seed: the customer confirms moving a product to another partner.
    TRANSFER = "transfer"


class ConsentStatus(enum.StrEnum):
    """Where a consent request is: waiting, effective, expired or cancelled."""

    REQUESTED = "requested"
    EFFECTIVE = "effective"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


@attrs.frozen
class Confirmation:
    """One person's confirmation of a request.

    Attributes:
        by: Who confirmed (an admin's email, or staff).
        at: When.
    """

    by: str
    at: datetime


def _mapping(value: Mapping[str, Any]) -> Mapping[str, Any]:
    # Stored as JSON on SQL: converted here so that every backend gives back the same data.
    data = unstructure(dict(value))
    assert isinstance(data, dict)
    return data


@attrs.frozen
class ConsentRequest:
    """A change waiting for the customer's word: a partner's approval (000 case 1) or a transfer.

    Attributes:
        id: The request's id.
        kind: Approval or transfer.
        customer_id: The customer asked.
        product: The product concerned.
        partner_id: The partner who would gain the customer.
        requested_by: Who asked.
        requested_at: When it was asked.
        expires_at: When it lapses unless confirmed.
        token_hash: The hash of the emailed link's token (the token itself is never stored).
        from_partner_id: The partner who would lose the customer (transfers); None else.
        required_confirmations: How many people must confirm.
        confirmations: Who confirmed so far, and when.
        status: Waiting, effective, expired or cancelled.
        effective_at: When it took effect; None until then.
        closed_at: When it took effect, expired or was cancelled; None while waiting.
        context: Free-form data kept with the request (who cancelled it, for one).
        version: Increases with each change (optimistic concurrency).
    """

    id: str
    kind: ConsentKind
    customer_id: str
    product: str
    partner_id: str
    requested_by: str
    requested_at: datetime
    expires_at: datetime
    token_hash: str
    from_partner_id: str | None = None
    required_confirmations: int = 1
    confirmations: tuple[Confirmation, ...] = ()
    status: ConsentStatus = ConsentStatus.REQUESTED
    effective_at: datetime | None = None
    closed_at: datetime | None = None
    context: Mapping[str, Any] = attrs.field(factory=dict, converter=_mapping)
    version: int = 1

    @property
    def is_pending(self) -> bool:
        """Whether the request still waits for the customer's word."""
        return self.status is ConsentStatus.REQUESTED

    def is_expired_at(self, now: datetime) -> bool:
        """Whether the request is waiting but past its expiry at an instant.

        Args:
            now: The instant.

        Returns:
            True when waiting and `now` is at or after `expires_at`.

        Raises nothing.
        """
        return self.is_pending and now >= self.expires_at

    def check_token(self, token_hash: str, now: datetime) -> None:
        """Refuse a token that is not this request's, already used, or past its expiry.

        Args:
            token_hash: The hash of the token presented.
            now: The instant it is presented at.

        Raises:
            InvalidTokenError: The token is not this request's (`token.invalid`).
            ConsentNotPendingError: The request took effect or was cancelled
                (`consent.not_pending`).
            ConsentExpiredError: The request expired (`consent.expired`).
        """
        if not same_hash(self.token_hash, token_hash):
            raise InvalidTokenError("the confirmation link is not valid")
        if self.status is ConsentStatus.EFFECTIVE:
            raise ConsentNotPendingError(
                "this confirmation link was already used",
                details={"request_id": self.id, "status": self.status.value},
            )
        if self.status is ConsentStatus.EXPIRED or self.is_expired_at(now):
            raise ConsentExpiredError(
                "this confirmation link has expired",
                details={"request_id": self.id, "expired_at": self.expires_at.isoformat()},
            )
        if self.status is not ConsentStatus.REQUESTED:
            reason = self.cancel_reason
            raise ConsentNotPendingError(
                f"this request is {self.status.value}"
                if reason is None
                else f"this request was withdrawn: {reason}",
                details={"request_id": self.id, "status": self.status.value},
            )

    def confirm(self, by: str, now: datetime) -> ConsentRequest:
        """Record one person's confirmation; the request takes effect with the last one needed.

        Confirming twice by the same person counts once.

        Args:
            by: Who confirms.
            now: When.

        Returns:
            The request with the confirmation, effective when enough confirmed.

        Raises nothing: check the token first (`check_token`).
        """
        if any(c.by == by for c in self.confirmations):
            return self
        confirmations = (*self.confirmations, Confirmation(by, now))
        if len(confirmations) >= self.required_confirmations:
            return attrs.evolve(
                self,
                confirmations=confirmations,
                status=ConsentStatus.EFFECTIVE,
                effective_at=now,
                closed_at=now,
            )
        return attrs.evolve(self, confirmations=confirmations)

    def complete(self, by: str, now: datetime) -> ConsentRequest:
        """The request effective at once by `by`'s own act, which says more than a click would
        (the customer's admin tagged the partner this request was for).

        Args:
            by: Who acted.
            now: When.

        Returns:
            The request, effective, with `by`'s confirmation.

        Raises nothing.
        """
        return attrs.evolve(
            self,
            confirmations=(*self.confirmations, Confirmation(by, now)),
            status=ConsentStatus.EFFECTIVE,
            effective_at=now,
            closed_at=now,
        )

    def expire(self, now: datetime) -> ConsentRequest:
        """The request lapsed at an instant.

        Args:
            now: When it lapsed.

        Returns:
            The request, expired.

        Raises nothing.
        """
        return attrs.evolve(self, status=ConsentStatus.EXPIRED, closed_at=now)

    def cancel(
        self, now: datetime, *, by: str | None = None, reason: str | None = None
    ) -> ConsentRequest:
        """The request withdrawn before it took effect.

        Args:
            now: When it was withdrawn.
            by: Who withdrew it, kept in the context; None to keep no name.
            reason: Why, in words for the customer who clicks its link afterwards (the
                partner left the program, the customer chose another partner); None for none.

        Returns:
            The request, cancelled.

        Raises nothing.
        """
        context = dict(self.context)
        if by is not None:
            context[_CANCELLED_BY] = by
        if reason is not None:
            context[_CANCEL_REASON] = reason
        return attrs.evolve(self, status=ConsentStatus.CANCELLED, closed_at=now, context=context)

    @property
    def cancelled_by(self) -> str | None:
        """Who cancelled the request, when someone did; None else."""
        by = self.context.get(_CANCELLED_BY)
        return by if isinstance(by, str) else None

    @property
    def cancel_reason(self) -> str | None:
        """Why the request was withdrawn, when partnerkit withdrew it; None else."""
        reason = self.context.get(_CANCEL_REASON)
        return reason if isinstance(reason, str) else None
