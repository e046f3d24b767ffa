"""Errors of access: a call made without a proper actor, or by one the action is not for."""

from __future__ import annotations

from partnerkit.errors import Audience, PermissionDeniedError, ValidationError

__all__ = [
    "AdminOutsideDomainsError",
    "InvalidActorError",
    "NotAPartyError",
    "NotCustomerAdminError",
    "PartnerAdminError",
    "StaffOnlyError",
]


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


class PartnerAdminError(PermissionDeniedError):
    """The 002 seed, "Partner as an Admin": "If the partner still wishes to add themselves as an
    admin, then the customer will have to purchase a user license and provide them admin
    access. Zoho will not be in a position to change the admin to the partner." (002 seed)"""

    code = "access.partner_admin"
    audience = (Audience.PARTNER, Audience.STAFF)
    summary = "A partner is not made an admin of a customer's account on request."
    default_remedy = (
        "Only the customer can do this: they buy a user licence for the partner and give that "
        "user admin access themselves. Any change to the account needs the customer's consent."
    )


class AdminOutsideDomainsError(PermissionDeniedError):
    """The 002 seed to the partner team: "Kindly check the domain of the account if you are
    making any changes in the admin manually from your side."."""

    code = "access.admin_outside_domains"
    audience = (Audience.STAFF,)
    summary = "The partner team only makes admins of addresses in the account's own domains."
    default_remedy = (
        "Check the account's domain. An admin from elsewhere can only be made by an admin of "
        "the account, for a user who holds a licence on it."
    )
