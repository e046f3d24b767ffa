"""The PartnerkitError tree: every error partnerkit raises, each with a stable code.

A code names one rule or one field problem and is never reused; `ERRORS` maps each code to
its class so the reference page (docs/reference/errors.md) and a test can list them all.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

__all__ = [
    "ERRORS",
    "INTERNAL_DETAILS",
    "MAX_DETAIL_CHARS",
    "MAX_MESSAGE_CHARS",
    "RETIRED_CODES",
    "BackendUnavailableError",
    "ConcurrencyError",
    "ConfigurationError",
    "ConflictError",
    "ConsentExpiredError",
    "ConsentNotPendingError",
    "CurrencyMismatchError",
    "FactorOutOfRangeError",
    "FeatureDisabledError",
    "FloatAmountError",
    "IntegrityViolationError",
    "InvalidAmountError",
    "InvalidClockMoveError",
    "InvalidInputError",
    "InvalidRatiosError",
    "InvalidTimeZoneError",
    "InvalidTokenError",
    "InvalidTransitionError",
    "MissingExtraError",
    "NoMinorUnitError",
    "NotFoundError",
    "PartnerkitError",
    "PaymentError",
    "PermissionDeniedError",
    "SchemaOutdatedError",
    "StorageError",
    "StructureError",
    "UnknownCurrencyError",
    "ValidationError",
]

#: The longest message an error keeps, and the longest text detail: enough for a person.
MAX_MESSAGE_CHARS = 500
MAX_DETAIL_CHARS = 200
#: Detail keys for operators only: `as_dict()` leaves them out unless asked.
INTERNAL_DETAILS: frozenset[str] = frozenset({"driver_message"})


def _bounded(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _json_ready(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return (
            value if value == value and value not in (float("inf"), float("-inf")) else str(value)
        )
    if isinstance(value, list | tuple | set | frozenset):
        return [_json_ready(item) for item in value]
    if isinstance(value, Mapping):
        return {str(key): _json_ready(item) for key, item in value.items()}
    # Decimals, dates, enums, ids: their text form, bounded like any other detail.
    return _bounded(str(value), MAX_DETAIL_CHARS)


#: Every concrete error class by its code, filled as the classes are defined (each package
#: defines its errors in its own `errors.py`; importing `partnerkit` imports them all).
ERRORS: dict[str, type[PartnerkitError]] = {}

#: Codes that were released and then withdrawn. A code is never reused, across releases too:
#: no class may be defined with one of these, and a test compares the registry with the list
#: of every code ever released, so removing a code means adding it here.
RETIRED_CODES: frozenset[str] = frozenset(
    {
        # CodeRetiredError was never raised: using a retired code answers partner_code.unknown.
        "partner_code.retired",
    }
)


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
        # A message or a detail built from the caller's input must not carry megabytes of it
        # back into a log line or an API response.
        self.message = _bounded(message or self.summary, MAX_MESSAGE_CHARS)
        self.details: dict[str, Any] = {
            str(key): _bounded(value, MAX_DETAIL_CHARS) if isinstance(value, str) else value
            for key, value in (details or {}).items()
        }
        self.remedy = remedy if remedy is not None else self.default_remedy
        super().__init__(self.message)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "abstract" not in cls.__dict__:
            cls.abstract = False
        if cls.abstract:
            return
        # A duplicate code would make two rules indistinguishable to callers: refuse at import.
        if cls.code in RETIRED_CODES:
            raise RuntimeError(f"error code {cls.code!r} is retired and may not be reused")
        if cls.code in ERRORS:
            raise RuntimeError(f"error code {cls.code!r} is used by {ERRORS[cls.code].__name__}")
        ERRORS[cls.code] = cls

    def __str__(self) -> str:
        text = f"[{self.code}] {self.message}"
        if self.remedy:
            text += f" — {self.remedy}"
        return text

    def as_dict(self, *, include_internal: bool = False) -> dict[str, Any]:
        """A JSON-ready view for APIs and logs: always `json.dumps`-able.

        Details meant for the operator, not the user (such as a database driver's own
        message, which may quote SQL), are left out unless `include_internal=True`.
        """
        details = {
            key: _json_ready(value)
            for key, value in self.details.items()
            if include_internal or key not in INTERNAL_DETAILS
        }
        return {
            "code": self.code,
            "message": self.message,
            "details": details,
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


class InvalidTimeZoneError(ValidationError):
    code = "validation.time_zone"
    summary = "The time zone is not one partnerkit knows."
    default_remedy = (
        "Give a time zone by its region and city, as in 'Asia/Kolkata' or 'Europe/Berlin', "
        "or 'UTC'."
    )


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


# --- consent (the shared confirmation workflow) ------------------------------------------------


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
