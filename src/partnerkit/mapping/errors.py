"""Errors of the partner program: partners and their codes, mapping, transfers and commissions.

The codes are stable; the registry in `partnerkit.errors` collects them for the reference."""

from __future__ import annotations

from partnerkit.access.errors import NotCustomerAdminError
from partnerkit.errors import (
    Audience,
    ConflictError,
    InvalidTransitionError,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)

__all__ = [
    "HOLDS_A_CODE_HINT",
    "HOLDS_A_CODE_REMEDY",
    "AlreadyYourCustomerError",
    "CodeTakenError",
    "CommissionConflictError",
    "CommissionNotFoundError",
    "CustomerMappedToAnotherPartnerError",
    "FreePeriodOverError",
    "InvalidCodeError",
    "LeadClosedError",
    "LeadNotFoundError",
    "LeadNotOfferedError",
    "NoPartnerOfRecordError",
    "NotAUserError",
    "NotCustomerAdminError",
    "NotEnoughPartnersError",
    "OrganisationExistsError",
    "PartnerDeactivatedError",
    "PartnerNotFoundError",
    "PartnerOfRecordTakenError",
    "ProductHasPartnerError",
    "ProductNotAuthorisedError",
    "ReservedCodeError",
    "SamePartnerError",
    "SignupLinkExpiredError",
    "SignupLinkProductsRequiredError",
    "SignupLinkRevokedError",
    "SignupProductNotOfferedError",
    "TransferPendingError",
    "TransferRequiredError",
    "UnknownCodeError",
    "UsernameRequiredError",
    "UsernameTakenError",
]


# --- partners and codes -----------------------------------------------------------------------


class PartnerNotFoundError(NotFoundError):
    code = "partner.not_found"
    audience = (Audience.PARTNER, Audience.CUSTOMER, Audience.STAFF)
    summary = "No such partner."


class UsernameTakenError(ConflictError):
    code = "partner.username_taken"
    audience = (Audience.PARTNER, Audience.STAFF)
    summary = "Another partner already has that username."
    default_remedy = "Choose another username."


class UsernameRequiredError(PermissionDeniedError):
    code = "partner.username_required"
    audience = (Audience.PARTNER,)
    summary = "Username is mandatory in the partner portal."
    default_remedy = "Choose a username for your partner account, then sign in with it."
    default_hint = "The username form calls kit.partners.set_username(partner_id, username)."


class PartnerDeactivatedError(PermissionDeniedError):
    code = "partner.deactivated"
    audience = (Audience.PARTNER,)
    summary = "The partner account was deactivated by the partner team."
    default_remedy = "Ask the partner team to reactivate your partner account."


class InvalidCodeError(ValidationError):
    code = "partner_code.invalid"
    audience = (Audience.PARTNER, Audience.CUSTOMER)
    summary = "A partner code must be letters and digits only, of the allowed length."


class ReservedCodeError(ValidationError):
    code = "partner_code.reserved"
    audience = (Audience.PARTNER,)
    summary = "That partner code is a reserved word."
    default_remedy = "Choose a code built from your company name, such as 'ZILLIUMCorp'."


class CodeTakenError(ConflictError):
    code = "partner_code.taken"
    audience = (Audience.PARTNER, Audience.STAFF)
    summary = "That partner code, or one that looks the same, is already issued."
    default_remedy = "Choose another code; the partner portal suggests some built from your name."
    default_hint = "kit.partners.advise_code(text) returns the suggestions."


#: A partner holds one active code: the words for one who asks for a second.
HOLDS_A_CODE_REMEDY = (
    "Replace your current code with this one if you want to: the current code then stops "
    "working for new tags."
)
HOLDS_A_CODE_HINT = "issue_code(partner_id, code, replace=True) retires the current code."


class UnknownCodeError(NotFoundError):
    code = "partner_code.unknown"
    audience = (Audience.CUSTOMER,)
    summary = "No active partner has that code."
    default_remedy = "Check the code with your partner; codes are not case-sensitive."


# --- mapping: partner of record, channels, transfers, tracking --------------------------------


class CustomerMappedToAnotherPartnerError(ConflictError):
    code = "mapping.mapped_to_another_partner"
    audience = (Audience.PARTNER,)
    summary = "Customer mapped to another partner."
    default_remedy = (
        "Get an email from the customer stating that they wish to work with you, and forward "
        "it to the partner team."
    )
    default_hint = "The partner team records it with kit.mapping.record_written_consent()."


class TransferRequiredError(ConflictError):
    code = "mapping.transfer_required"
    audience = (Audience.CUSTOMER, Audience.PARTNER)
    summary = "Another partner is the partner of record for this product."
    default_remedy = (
        "To move this product to the new partner, choose Transfer partner and enter the new "
        "partner's code; the current partner is told before the change."
    )
    default_hint = "Transfer partner calls kit.mapping.request_transfer()."


class ProductNotAuthorisedError(PermissionDeniedError):
    code = "mapping.product_not_authorised"
    audience = (Audience.PARTNER, Audience.CUSTOMER)
    summary = "The partner does not work on this product."
    default_remedy = "Partners map customers only for the products they work on (their expertise)."


class NoPartnerOfRecordError(InvalidTransitionError):
    code = "mapping.no_partner_of_record"
    audience = (Audience.CUSTOMER, Audience.STAFF)
    summary = "No partner is of record for this customer and product."
    default_remedy = "Use Tag a Partner instead: enter the partner's code."
    default_hint = "Tag a Partner calls kit.mapping.tag_partner()."


class SamePartnerError(InvalidTransitionError):
    code = "mapping.same_partner"
    audience = (Audience.CUSTOMER,)
    summary = "That partner is already the partner for this product."


class TransferPendingError(ConflictError):
    code = "mapping.transfer_pending"
    audience = (Audience.CUSTOMER,)
    summary = "A transfer for this customer and product is already waiting for confirmation."
    default_remedy = "Confirm or cancel the pending transfer first."


class SignupLinkExpiredError(InvalidTransitionError):
    code = "mapping.signup_link_expired"
    audience = (Audience.CUSTOMER,)
    summary = "The sign-up link has expired."
    default_remedy = "Ask the partner for a new sign-up link."


class SignupLinkRevokedError(InvalidTransitionError):
    code = "mapping.signup_link_revoked"
    audience = (Audience.CUSTOMER,)
    summary = "The partner withdrew this sign-up link."
    default_remedy = "Ask the partner for a new sign-up link."


class NotAUserError(NotFoundError):
    code = "mapping.not_a_user"
    audience = (Audience.PARTNER,)
    summary = "No user has that email address."
    default_remedy = (
        "Send them your sign-up link, or set up a new account for them from your partner portal."
    )
    default_hint = (
        "kit.mapping.signup_link() makes the link, kit.mapping.create_account() the account."
    )


class ProductHasPartnerError(ConflictError):
    """Read by the customer's admin who clicked a partner's approval link after another
    partner became of record for the product."""

    code = "mapping.product_has_partner"
    audience = (Audience.CUSTOMER,)
    summary = "Another partner became your partner for this product first."
    default_remedy = (
        "To work with this partner instead, use Tag a Partner with its partner code and choose "
        "to transfer; otherwise you can ignore the request."
    )


class FreePeriodOverError(InvalidTransitionError):
    """Read by the partner re-adding a free customer whose provisional mapping ended."""

    code = "mapping.free_period_over"
    audience = (Audience.PARTNER, Audience.STAFF)
    summary = (
        "Your 3 months with this free customer are over; adding it again does not restart them."
    )
    default_remedy = (
        "Add the customer again once it upgrades to the paid edition, or ask an admin of the "
        "customer to tag you with your partner code."
    )


class AlreadyYourCustomerError(ConflictError):
    """Read by the partner tracking an email of one of its own customers."""

    code = "mapping.already_your_customer"
    audience = (Audience.PARTNER,)
    summary = "That email belongs to one of your customers already."
    default_remedy = "Find them in your customer listing; there is nothing to track."
    default_hint = "kit.mapping.customers_of(partner_id) lists the partner's customers."


class SignupLinkProductsRequiredError(ValidationError):
    """Read by the partner asking for a sign-up link without naming what it is for."""

    code = "mapping.signup_link_products_required"
    audience = (Audience.PARTNER,)
    summary = "A sign-up link names the products you work on with the customers it brings."
    default_remedy = "Choose one or more of the products you work on for the link."
    default_hint = "signup_link(partner_id, product) or signup_link(partner_id, products=[...])."


class SignupProductNotOfferedError(ValidationError):
    """Read by the person signing up, who chose a product the partner's link does not offer
    (or none at all)."""

    code = "mapping.signup_product_not_offered"
    audience = (Audience.CUSTOMER,)
    summary = "The partner's sign-up link does not offer that product."
    default_remedy = "Choose among the products the sign-up page offers."


class OrganisationExistsError(ConflictError):
    """Read by the partner setting up an account in a domain that has one already."""

    code = "mapping.organisation_exists"
    audience = (Audience.PARTNER,)
    summary = "That email's domain belongs to an organisation that already has an account."
    default_remedy = (
        "Ask that organisation's admin to add the person as a user, and to tag you with your "
        "partner code (Tag a Partner) for the products you work on with them."
    )
    default_hint = "kit.customers.add_user() adds a user; kit.mapping.tag_partner() tags."


# --- commissions ------------------------------------------------------------------------------


class CommissionConflictError(ConflictError):
    code = "commission.transaction_conflict"
    audience = (Audience.DEVELOPER, Audience.STAFF)
    summary = "That transaction was already booked with different figures."


class CommissionNotFoundError(NotFoundError):
    code = "commission.not_found"
    audience = (Audience.STAFF, Audience.DEVELOPER)
    summary = "No commission was booked for that transaction."


class PartnerOfRecordTakenError(ConflictError):
    code = "mapping.slot_taken"
    audience = (Audience.PARTNER, Audience.CUSTOMER, Audience.STAFF)
    summary = "Someone else mapped this customer and product to a partner at the same moment."
    default_remedy = "Look at who the customer's partner is now; the other change came first."
    default_hint = "Read kit.mapping.partner_of_record() again; the unit of work rolled back."


# --- lead sharing (002 seed) ------------------------------------------------------------------


class LeadNotFoundError(NotFoundError):
    code = "lead.not_found"
    audience = (Audience.STAFF, Audience.PARTNER, Audience.CUSTOMER)
    summary = "No such lead."


class NotEnoughPartnersError(ConflictError):
    """002: "Never share just one partner with a customer; always share at least three
    options."."""

    code = "lead.not_enough_partners"
    audience = (Audience.STAFF,)
    summary = "Too few partners can take this lead: nothing was shared."
    default_remedy = (
        "Add the neighbouring regions to the region graph, or ask the partner team to recruit "
        "partners with this expertise; a lead always goes to at least three partners."
    )


class LeadClosedError(InvalidTransitionError):
    code = "lead.closed"
    audience = (Audience.STAFF, Audience.CUSTOMER)
    summary = "The customer already picked a partner for this lead."


class LeadNotOfferedError(InvalidTransitionError):
    code = "lead.not_offered"
    audience = (Audience.STAFF, Audience.PARTNER, Audience.CUSTOMER)
    summary = "This lead is not offered to that partner."
    default_remedy = "Pick one of the partners the lead was shared with."
