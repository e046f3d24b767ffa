"""The audit trail: one append-only entry per access decision (a disclosure asked about, an
admin change, a refusal, a lead shared), with the decision, its reason and its evidence.

Entries are written in the unit of work of the decision they record, so a rolled-back change
leaves none; nothing updates or deletes them.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import datetime
from typing import Any, TypeVar

import attrs

from partnerkit.errors import PartnerkitError, PermissionDeniedError
from partnerkit.serialization import unstructure

__all__ = ["AuditEntry", "AuditKind", "is_refusal", "refusal"]

E = TypeVar("E", bound=PartnerkitError)

_REFUSAL = "_partnerkit_refusal"


class AuditKind(enum.StrEnum):
    """What an entry records."""

    #: 002 seed: may this enquirer be told about this account? Allowed or not.
    DISCLOSURE = "disclosure"
    #: An action refused to the person asking (any `PermissionDeniedError`, admin requests
    #: included): kept even though the change it belonged to rolled back.
    DENIED = "denied"
    #: 002, "Partner as an Admin": a user of the account was made an admin, or stopped being one.
    ADMIN_GRANTED = "admin_granted"
    ADMIN_REVOKED = "admin_revoked"
    #: 002, "Lead Sharing": a lead offered to partners, taken by one, a partner rejected after.
    LEAD_SHARED = "lead_shared"
    LEAD_ACCEPTED = "lead_accepted"
    LEAD_PARTNER_REJECTED = "lead_partner_rejected"


def _data(value: Mapping[str, Any]) -> Mapping[str, Any]:
    # Stored as JSON on SQL: converted here so that every backend gives back the same data.
    data = unstructure(dict(value))
    assert isinstance(data, dict)
    return data


@attrs.frozen
class AuditEntry:
    """One decision as it was taken: when, what, allowed or not and why, by whom, about which
    account, partner and product, and the facts it rested on (`details`)."""

    id: str
    at: datetime
    kind: AuditKind
    allowed: bool
    #: A stable code: a disclosure reason (`domain_match`, `partner_of_record`, ...), or the
    #: code of the error that refused the action.
    reason: str
    #: The principal's label (an email, or the system's name).
    by: str
    customer_id: str | None = None
    partner_id: str | None = None
    product: str | None = None
    #: What the decision was about: the enquirer's email, the user made admin, a lead's id.
    subject: str | None = None
    details: Mapping[str, Any] = attrs.field(factory=dict, converter=_data)


def refusal(error: E) -> E:
    """Mark an error that is not a `PermissionDeniedError` as a refusal the audit trail keeps
    (granting admin to someone who holds no licence seat answers that the user is missing,
    and is still a refused admin change).

    Args:
        error: The error about to be raised.

    Returns:
        The same error, marked.
    """
    setattr(error, _REFUSAL, True)
    return error


def is_refusal(error: BaseException) -> bool:
    """Whether the audit trail keeps `error` as a refused action.

    Args:
        error: An error leaving a unit of work.

    Returns:
        True for every `PermissionDeniedError` and every error marked by `refusal`.
    """
    return isinstance(error, PermissionDeniedError) or getattr(error, _REFUSAL, False) is True
