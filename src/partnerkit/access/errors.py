"""Errors of access: a call made without a proper actor, or by one the action is not for."""

from __future__ import annotations

from partnerkit.errors import Audience, PermissionDeniedError, ValidationError

__all__ = ["InvalidActorError", "NotAPartyError", "NotCustomerAdminError", "StaffOnlyError"]


class InvalidActorError(ValidationError):
    code = "access.invalid_actor"
    audience = (Audience.DEVELOPER,)
    summary = "The request does not say who it is made for."
    default_hint = (
        "Pass actor=Principal.customer_user(...), Principal.partner_user(...), "
        "Principal.staff(...) or Principal.system()."
    )


class StaffOnlyError(PermissionDeniedError):
    code = "access.staff_only"
    audience = (Audience.PARTNER, Audience.CUSTOMER)
    summary = "Only the partner team can do this."
    default_remedy = "Ask the partner team to do it for you."


class NotCustomerAdminError(PermissionDeniedError):
    # The code predates this package (tagging and transfers were the first admin-only actions);
    # codes never change, so it keeps its `mapping.` prefix.
    code = "mapping.admin_only"
    audience = (Audience.CUSTOMER, Audience.PARTNER)
    summary = "Only the admin users of the customer account can do this."
    default_remedy = "Ask an admin of your account to do it, or to make you an admin."


class NotAPartyError(PermissionDeniedError):
    code = "access.not_a_party"
    audience = (Audience.CUSTOMER, Audience.PARTNER)
    summary = "Only the parties of a request can act on it."
    default_remedy = "Ask the customer's admin, the partner who asked, or the partner team."
