"""Errors of the partner program: partners and their codes, mapping, transfers and commissions.

The codes are stable; the registry in `partnerkit.errors` collects them for the reference."""

from __future__ import annotations

from partnerkit.access.errors import NotCustomerAdminError
from partnerkit.errors import (
    ConflictError,
    InvalidTransitionError,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)

__all__ = [
    "AlreadyYourCustomerError",
    "CodeTakenError",
    "CommissionConflictError",
    "CommissionNotFoundError",
    "CustomerMappedToAnotherPartnerError",
    "FreePeriodOverError",
    "InvalidCodeError",
    "NoPartnerOfRecordError",
    "NotAUserError",
    "NotCustomerAdminError",
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
    summary = "No such partner."


class UsernameTakenError(ConflictError):
    code = "partner.username_taken"
    summary = "Another partner already has that username."
    default_remedy = "Choose another username."


class UsernameRequiredError(PermissionDeniedError):
    code = "partner.username_required"
    summary = "Username is mandatory in the partner portal."
    default_remedy = (
        "Provide a username for your partner account (kit.partners.set_username), then sign in."
    )


class PartnerDeactivatedError(PermissionDeniedError):
    code = "partner.deactivated"
    summary = "The partner account was deactivated by the partner team."
    default_remedy = "Ask the partner team to reactivate your partner account."


class InvalidCodeError(ValidationError):
    code = "partner_code.invalid"
    summary = "A partner code must be letters and digits only, within the length window."


class ReservedCodeError(ValidationError):
    code = "partner_code.reserved"
    summary = "That partner code is a reserved word."
    default_remedy = "Choose a code built from your company name, such as 'ZILLIUMCorp'."


class CodeTakenError(ConflictError):
    code = "partner_code.taken"
    summary = "That partner code, or one that looks the same, is already issued."
    default_remedy = "Choose another code; kit.partners.advise_code() suggests some."


class UnknownCodeError(NotFoundError):
    code = "partner_code.unknown"
    summary = "No active partner has that code."
    default_remedy = "Check the code with your partner; codes are not case-sensitive."


# --- mapping: partner of record, channels, transfers, tracking --------------------------------


class CustomerMappedToAnotherPartnerError(ConflictError):
    code = "mapping.mapped_to_another_partner"
    summary = "Customer mapped to another partner."
    default_remedy = (
        "Get an email from the customer stating that they wish to work with you and forward it "
        "to the partner team, who record it with kit.mapping.record_written_consent()."
    )


class TransferRequiredError(ConflictError):
    code = "mapping.transfer_required"
    summary = "Another partner is the partner of record for this product."
    default_remedy = (
        "To move to this partner, choose transfer and enter the new partner's code "
        "(kit.mapping.request_transfer)."
    )


class ProductNotAuthorisedError(PermissionDeniedError):
    code = "mapping.product_not_authorised"
    summary = "The partner does not work on this product."
    default_remedy = "Partners map customers only for the products they work on (their expertise)."


class NoPartnerOfRecordError(InvalidTransitionError):
    code = "mapping.no_partner_of_record"
    summary = "No partner is of record for this customer and product."
    default_remedy = "Tag the partner instead (kit.mapping.tag_partner)."


class SamePartnerError(InvalidTransitionError):
    code = "mapping.same_partner"
    summary = "That partner is already the partner of record."


class TransferPendingError(ConflictError):
    code = "mapping.transfer_pending"
    summary = "A transfer for this customer and product is already waiting for confirmation."
    default_remedy = "Confirm or cancel the pending transfer first."


class SignupLinkExpiredError(InvalidTransitionError):
    code = "mapping.signup_link_expired"
    summary = "The sign-up link has expired."
    default_remedy = "Ask the partner for a new sign-up link."


class SignupLinkRevokedError(InvalidTransitionError):
    code = "mapping.signup_link_revoked"
    summary = "The partner withdrew this sign-up link."
    default_remedy = "Ask the partner for a new sign-up link."


class NotAUserError(NotFoundError):
    code = "mapping.not_a_user"
    summary = "No user has that email address."
    default_remedy = (
        "Send them your sign-up link (kit.mapping.signup_link) or set up a new account for them "
        "(kit.mapping.create_account)."
    )


class ProductHasPartnerError(ConflictError):
    """Read by the customer's admin who clicked a partner's approval link after another
    partner became of record for the product."""

    code = "mapping.product_has_partner"
    summary = "Another partner became your partner for this product first."
    default_remedy = (
        "To work with this partner instead, use Tag a Partner with its partner code and choose "
        "to transfer; otherwise you can ignore the request."
    )


class FreePeriodOverError(InvalidTransitionError):
    """Read by the partner re-adding a free customer whose provisional mapping ended."""

    code = "mapping.free_period_over"
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
    summary = "That email belongs to one of your customers already."
    default_remedy = "Find them in your customer listing; there is nothing to track."


class SignupLinkProductsRequiredError(ValidationError):
    """Read by the partner asking for a sign-up link without naming what it is for."""

    code = "mapping.signup_link_products_required"
    summary = "A sign-up link names the products you work on with the customers it brings."
    default_remedy = "Choose one or more of the products you work on for the link."


class SignupProductNotOfferedError(ValidationError):
    """Read by the person signing up, who chose a product the partner's link does not offer
    (or none at all)."""

    code = "mapping.signup_product_not_offered"
    summary = "The partner's sign-up link does not offer that product."
    default_remedy = "Choose among the products the sign-up page offers."


class OrganisationExistsError(ConflictError):
    """Read by the partner setting up an account in a domain that has one already."""

    code = "mapping.organisation_exists"
    summary = "That email's domain belongs to an organisation that already has an account."
    default_remedy = (
        "Ask that organisation's admin to add the person as a user, and to tag you with your "
        "partner code (Tag a Partner) for the products you work on with them."
    )


# --- commissions ------------------------------------------------------------------------------


class CommissionConflictError(ConflictError):
    code = "commission.transaction_conflict"
    summary = "That transaction was already booked with different figures."


class CommissionNotFoundError(NotFoundError):
    code = "commission.not_found"
    summary = "No commission was booked for that transaction."


class PartnerOfRecordTakenError(ConflictError):
    code = "mapping.slot_taken"
    summary = "Another mapping was opened for this customer and product at the same time."
    default_remedy = "Read the partner of record again; the other change won."
