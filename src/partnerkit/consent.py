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
    MAPPING_APPROVAL = "mapping_approval"
    #: 001 seed: the customer confirms moving a product to another partner.
    TRANSFER = "transfer"


class ConsentStatus(enum.StrEnum):
    REQUESTED = "requested"
    EFFECTIVE = "effective"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


@attrs.frozen
class Confirmation:
    """One person's confirmation of a request: who, and when."""

    by: str
    at: datetime


def _mapping(value: Mapping[str, Any]) -> Mapping[str, Any]:
    # Stored as JSON on SQL: converted here so that every backend gives back the same data.
    data = unstructure(dict(value))
    assert isinstance(data, dict)
    return data


@attrs.frozen
class ConsentRequest:
    """A change waiting for the customer's word. `partner_id` is the partner who would gain
    the customer; `from_partner_id` the one who would lose it (transfers)."""

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
        return self.status is ConsentStatus.REQUESTED

    def is_expired_at(self, now: datetime) -> bool:
        return self.is_pending and now >= self.expires_at

    def check_token(self, token_hash: str, now: datetime) -> None:
        """Refuse a token that is not this request's, used already, or past its expiry."""
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
        """Record one confirmation; the request becomes effective with the last one needed.

        Confirming twice by the same person counts once.
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
        """Effective at once by `by`'s own act, which says more than a click would (the
        customer's tag of the partner this request was for)."""
        return attrs.evolve(
            self,
            confirmations=(*self.confirmations, Confirmation(by, now)),
            status=ConsentStatus.EFFECTIVE,
            effective_at=now,
            closed_at=now,
        )

    def expire(self, now: datetime) -> ConsentRequest:
        return attrs.evolve(self, status=ConsentStatus.EXPIRED, closed_at=now)

    def cancel(
        self, now: datetime, *, by: str | None = None, reason: str | None = None
    ) -> ConsentRequest:
        """Withdrawn before it took effect; `by` (who withdrew it) and `reason` (why, in words
        for the customer) are kept in the context."""
        context = dict(self.context)
        if by is not None:
            context[_CANCELLED_BY] = by
        if reason is not None:
            context[_CANCEL_REASON] = reason
        return attrs.evolve(self, status=ConsentStatus.CANCELLED, closed_at=now, context=context)

    @property
    def cancelled_by(self) -> str | None:
        """Who cancelled the request, when it was cancelled by someone."""
        by = self.context.get(_CANCELLED_BY)
        return by if isinstance(by, str) else None

    @property
    def cancel_reason(self) -> str | None:
        """Why the request was withdrawn, when partnerkit withdrew it."""
        reason = self.context.get(_CANCEL_REASON)
        return reason if isinstance(reason, str) else None
