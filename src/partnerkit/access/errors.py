"""Errors of access: a call made without a proper actor, or by one the action is not for."""

from __future__ import annotations

from partnerkit.errors import PermissionDeniedError, ValidationError

__all__ = ["InvalidActorError", "StaffOnlyError"]


class InvalidActorError(ValidationError):
    code = "access.invalid_actor"
    summary = "The call needs actor=, the Principal the call is made for."
    default_remedy = (
        "Pass actor=Principal.customer_user(...), Principal.partner_user(...), "
        "Principal.staff(...) or Principal.system()."
    )


class StaffOnlyError(PermissionDeniedError):
    code = "access.staff_only"
    summary = "Only the partner team can do this."
    default_remedy = "Ask the partner team to do it for you."
