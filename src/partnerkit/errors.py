"""The PartnerkitError tree: every error partnerkit raises, each with a stable code.

A code names one rule or one field problem and is never reused; `ERRORS` maps each code to
its class so the reference page (docs/reference/errors.md) and a test can list them all.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

__all__ = [
    "ERRORS",
    "BackendUnavailableError",
    "CodeRetiredError",
    "CodeTakenError",
    "ConcurrencyError",
    "ConfigurationError",
    "ConflictError",
    "CurrencyMismatchError",
    "CustomerNotFoundError",
    "EmailTakenError",
    "FactorOutOfRangeError",
    "FeatureDisabledError",
    "FloatAmountError",
    "IntegrityViolationError",
    "InvalidAmountError",
    "InvalidClockMoveError",
    "InvalidCodeError",
    "InvalidInputError",
    "InvalidRatiosError",
    "InvalidTransitionError",
    "LastAdminError",
    "MissingExtraError",
    "NoMinorUnitError",
    "NotFoundError",
    "PartnerDeactivatedError",
    "PartnerNotFoundError",
    "PartnerkitError",
    "PaymentError",
    "PermissionDeniedError",
    "ProductNotFoundError",
    "ProductTakenError",
    "ReservedCodeError",
    "SchemaOutdatedError",
    "StorageError",
    "StructureError",
    "UnknownCodeError",
    "UnknownCurrencyError",
    "UserNotFoundError",
    "UsernameRequiredError",
    "UsernameTakenError",
    "ValidationError",
]

#: Every concrete error class by its code, filled as the classes are defined.
ERRORS: dict[str, type[PartnerkitError]] = {}


class PartnerkitError(Exception):
    """Base of every error partnerkit raises on purpose.

    `code` is stable across releases; `message` is written for a person; `details` holds the
    facts (field, value, ids) a program may act on; `remedy` says what the person can do.
    """

    code: ClassVar[str] = "partnerkit"
    #: One line describing when the error is raised; the reference page shows it.
    summary: ClassVar[str] = "An error raised by partnerkit."
    #: What the person can do about it; None when there is nothing but to fix the input.
    default_remedy: ClassVar[str | None] = None
    #: Category bases are abstract: they group codes but are never raised themselves.
    abstract: ClassVar[bool] = True

    def __init__(
        self,
        message: str | None = None,
        *,
        details: Mapping[str, Any] | None = None,
        remedy: str | None = None,
    ) -> None:
        self.message = message or self.summary
        self.details: dict[str, Any] = dict(details or {})
        self.remedy = remedy if remedy is not None else self.default_remedy
        super().__init__(self.message)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "abstract" not in cls.__dict__:
            cls.abstract = False
        if cls.abstract:
            return
        # A duplicate code would make two rules indistinguishable to callers: refuse at import.
        if cls.code in ERRORS:
            raise RuntimeError(f"error code {cls.code!r} is used by {ERRORS[cls.code].__name__}")
        ERRORS[cls.code] = cls

    def __str__(self) -> str:
        text = f"[{self.code}] {self.message}"
        if self.remedy:
            text += f" — {self.remedy}"
        return text

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready view for APIs and logs."""
        return {
            "code": self.code,
            "message": self.message,
            "details": self.details,
            "remedy": self.remedy,
        }


# --- categories -------------------------------------------------------------------------------


class ValidationError(PartnerkitError, ValueError):
    """Input that breaks a rule; `field` names the offending field (a dotted path)."""

    code = "validation"
    summary = "The input is not valid."
    abstract = True

    def __init__(
        self,
        message: str | None = None,
        *,
        field: str | None = None,
        details: Mapping[str, Any] | None = None,
        remedy: str | None = None,
    ) -> None:
        merged = dict(details or {})
        if field is not None:
            merged.setdefault("field", field)
        super().__init__(message, details=merged, remedy=remedy)
        self.field = field


class NotFoundError(PartnerkitError, LookupError):
    """A record that does not exist, or that the caller may not see (the two are not told apart)."""

    code = "not_found"
    summary = "No such record."
    abstract = True


class ConflictError(PartnerkitError):
    """The change collides with stored state: a taken name, a concurrent writer."""

    code = "conflict"
    summary = "The change conflicts with stored state."
    abstract = True


class PermissionDeniedError(PartnerkitError):
    code = "permission_denied"
    summary = "The acting principal may not do this."
    abstract = True


class InvalidTransitionError(PartnerkitError):
    code = "invalid_transition"
    summary = "The record is not in a state that allows this."
    abstract = True


class FeatureDisabledError(PartnerkitError):
    code = "feature_disabled"
    summary = "The feature is not enabled."
    abstract = True


class PaymentError(PartnerkitError):
    code = "payment"
    summary = "The payment could not be made."
    abstract = True


class StorageError(PartnerkitError):
    code = "storage"
    summary = "The storage backend failed."
    abstract = True


# --- general ----------------------------------------------------------------------------------


class InvalidInputError(ValidationError):
    code = "validation.invalid"
    summary = "A field has a wrong type or a value outside its rules."


class CurrencyMismatchError(ValidationError):
    code = "money.currency_mismatch"
    summary = "Amounts in different currencies were combined."


class ConcurrencyError(ConflictError):
    code = "conflict.stale_version"
    summary = "The record changed since it was read."
    default_remedy = "Read the record again and retry the change."


class ConfigurationError(PartnerkitError):
    code = "configuration"
    summary = "partnerkit is wired or configured wrongly."


class BackendUnavailableError(StorageError):
    code = "storage.unavailable"
    summary = "The database could not be reached or failed."
    default_remedy = "Check that the database server is running and the URL is right."


class IntegrityViolationError(ConflictError):
    code = "storage.integrity"
    summary = "The change breaks a database constraint."


class MissingExtraError(ConfigurationError):
    code = "configuration.missing_extra"
    summary = "An optional dependency is not installed."


class SchemaOutdatedError(StorageError):
    code = "storage.schema_outdated"
    summary = "The database schema is not at the version this partnerkit needs."
    default_remedy = "Run kit.migrate() or `partnerkit db upgrade URL`."


class InvalidClockMoveError(ValidationError):
    code = "clock.backwards"
    summary = "A simulated clock cannot move backwards."


class FloatAmountError(ValidationError):
    code = "money.float_amount"
    summary = "A float was given where an exact amount is needed."
    default_remedy = "Pass a Decimal or an int, or a string through Money.of('12.50', 'USD')."


class InvalidAmountError(ValidationError):
    code = "money.invalid_amount"
    summary = "The amount is not a finite number that fits the currency's minor units."


class UnknownCurrencyError(ValidationError):
    code = "money.unknown_currency"
    summary = "The currency is not a known ISO 4217 code."
    default_remedy = "Use an upper-case ISO 4217 code such as 'USD' or 'EUR'."


class NoMinorUnitError(ValidationError):
    """An ISO 4217 code whose minor unit is "N.A.": precious metals (XAU), fund and bond-market
    units (XDR, XBA), the testing and no-currency codes (XTS, XXX). Not invoiceable."""

    code = "money.no_minor_unit"
    summary = "The currency has no minor unit in ISO 4217, so Money cannot hold an amount of it."
    default_remedy = (
        "Invoice in a currency with a minor unit; keep a quantity of gold or SDRs as a Decimal."
    )


class InvalidRatiosError(InvalidInputError):
    code = "money.invalid_ratios"
    summary = "Allocation ratios must be non-negative, with at least one above zero."


class FactorOutOfRangeError(InvalidInputError):
    """A number Money multiplies or divides by (a factor, an allocation ratio, an exact part to
    apportion) with too many digits or too large an exponent, refused before any arithmetic so
    that a hostile one costs microseconds; `field` names the argument."""

    code = "money.factor_out_of_range"
    summary = "A factor or ratio has more digits, or a larger exponent, than Money computes with."


# --- serialization ----------------------------------------------------------------------------


class StructureError(ValidationError):
    """Data read by `partnerkit.serialization` that does not fit the requested type.

    `field` is the path of the first bad field ("$.users[0].is_admin"); `details["errors"]`
    lists every problem found, each as "message @ path".
    """

    code = "serialization.invalid"
    summary = "The data cannot be read as the requested type."


# --- catalog ----------------------------------------------------------------------------------


class ProductNotFoundError(NotFoundError):
    code = "catalog.product_not_found"
    summary = "No product with that key."


class ProductTakenError(ConflictError):
    code = "catalog.product_taken"
    summary = "A product with that key already exists."


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


class CodeRetiredError(InvalidTransitionError):
    code = "partner_code.retired"
    summary = "That partner code was retired and can no longer be used."


class UnknownCodeError(NotFoundError):
    code = "partner_code.unknown"
    summary = "No active partner has that code."
    default_remedy = "Check the code with your partner; codes are not case-sensitive."


# --- customers --------------------------------------------------------------------------------


class CustomerNotFoundError(NotFoundError):
    code = "customer.not_found"
    summary = "No such customer."


class EmailTakenError(ConflictError):
    code = "customer.email_taken"
    summary = "That email already belongs to a user."


class UserNotFoundError(NotFoundError):
    code = "customer.user_not_found"
    summary = "No user with that email in this customer account."


class LastAdminError(InvalidTransitionError):
    code = "customer.last_admin"
    summary = "A customer account keeps at least one admin user."


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


class NotCustomerAdminError(PermissionDeniedError):
    code = "mapping.admin_only"
    summary = "Only the admin users of the customer account can tag or transfer a partner."
    default_remedy = "Ask an admin of your account to do it, or to make you an admin."


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


class NotAUserError(NotFoundError):
    code = "mapping.not_a_user"
    summary = "No user has that email address."
    default_remedy = (
        "Send them your sign-up link (kit.mapping.signup_link) or set up a new account for them "
        "(kit.mapping.create_account)."
    )


class InvalidTokenError(NotFoundError):
    code = "token.invalid"
    summary = "The link or token is not valid."
    default_remedy = "Use the most recent link you received, unaltered."


class ConsentExpiredError(InvalidTransitionError):
    code = "consent.expired"
    summary = "The confirmation link has expired."
    default_remedy = "Ask for the change again; a new link will be sent."


class ConsentNotPendingError(InvalidTransitionError):
    code = "consent.not_pending"
    summary = "The request was already confirmed, cancelled or expired."


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
