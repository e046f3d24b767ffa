"""The PartnerkitError tree: every error partnerkit raises, each with a stable code.

A code names one rule or one field problem and is never reused; `ERRORS` maps each code to
its class so the reference page (docs/reference/errors.md) and a test can list them all.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from typing import Any, ClassVar

__all__ = [
    "ERRORS",
    "INTERNAL_DETAILS",
    "MAX_DETAIL_CHARS",
    "MAX_MESSAGE_CHARS",
    "RETIRED_CODES",
    "Audience",
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
    "field_label",
]

#: The longest message an error keeps, and the longest text detail: enough for a person.
MAX_MESSAGE_CHARS = 500
MAX_DETAIL_CHARS = 200
#: Detail keys for operators only: `as_dict()` leaves them out unless asked.
INTERNAL_DETAILS: frozenset[str] = frozenset({"driver_message"})


_INDEX = re.compile(r"\[(\d+)\]")


def field_label(field: str) -> str:
    """A field's path in words, for a message a person reads.

    Args:
        field: The path as a program names it, such as `email_domains[1]`.

    Returns:
        The path in words: "email domains (item 2)". The path itself stays in the error's
        `field` detail, for programs.

    Raises nothing.
    """
    words = _INDEX.sub(lambda found: f" (item {int(found.group(1)) + 1})", field)
    return " ".join(words.removeprefix("$.").replace("_", " ").replace(".", " ").split())


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


class Audience(enum.Enum):
    """Who reads an error's message and remedy, and so whose words they are written in.

    The message and the remedy never name a Python call, whoever reads them: that goes in the
    developer hint (`PartnerkitError.hint`), which tracebacks and `as_dict(include_internal=True)`
    show and a person's screen does not.
    """

    #: A partner's user, in the partner portal.
    PARTNER = "partner"
    #: An admin or a user of a customer account (Tag a Partner, approvals, sign-up links).
    CUSTOMER = "customer"
    #: The vendor's partner team, acting for partners and customers.
    STAFF = "staff"
    #: A reseller's user, in the reseller portal (004 seed).
    RESELLER = "reseller"
    #: Whoever runs the application that uses partnerkit: it is set up or called wrongly, or
    #: the database failed. No partner or customer could have caused it.
    DEVELOPER = "developer"


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
    """Base of every error partnerkit raises on purpose: catch it to catch them all.

    Each subclass has a stable `code` ("customer.not_found"), never reused or renamed, that a
    program may branch on; `message` is written for the person who reads it (the class's
    `audience`: partner, customer admin, staff or developer); `details` holds the facts a program
    may act on (the `field`, ids, values); `remedy` says what that person can do, where there is
    something; `hint` tells the developer which call to make, and is the one place a Python name
    may appear. `str(error)` is "[code] message — remedy". The category bases (`ValidationError`,
    `NotFoundError`, ...) group the codes and are never raised themselves; the reference page
    lists every code.

    Args:
        message: The message for the person; the class's summary when None. Kept to 500 characters.
        details: Facts about the error, such as `{"field": "email"}`; text values are kept to 200
            characters.
        remedy: What the person can do; the class's default remedy when None.
        hint: What the developer can do (a call to make); the class's default hint when None.
    """

    code: ClassVar[str] = "partnerkit"
    #: Who reads the message and the remedy, first the most usual; every concrete class
    #: declares its own (a test checks), and the reference page prints it.
    audience: ClassVar[tuple[Audience, ...]] = ()
    #: One line describing when the error is raised; the reference page shows it.
    summary: ClassVar[str] = "An error raised by partnerkit."
    #: What the person can do about it; None when there is nothing but to fix the input.
    default_remedy: ClassVar[str | None] = None
    #: For the developer: the call that does what the remedy says, or what the program did
    #: wrong. Never shown to the person; the reference page shows it under the code.
    default_hint: ClassVar[str | None] = None
    #: Category bases are abstract: they group codes but are never raised themselves.
    abstract: ClassVar[bool] = True

    def __init__(
        self,
        message: str | None = None,
        *,
        details: Mapping[str, Any] | None = None,
        remedy: str | None = None,
        hint: str | None = None,
    ) -> None:
        # A message or a detail built from the caller's input must not carry megabytes of it
        # back into a log line or an API response.
        self.message = _bounded(message or self.summary, MAX_MESSAGE_CHARS)
        self.details: dict[str, Any] = {
            str(key): _bounded(value, MAX_DETAIL_CHARS) if isinstance(value, str) else value
            for key, value in (details or {}).items()
        }
        self.remedy = remedy if remedy is not None else self.default_remedy
        hint = hint if hint is not None else self.default_hint
        self.hint = _bounded(hint, MAX_MESSAGE_CHARS) if hint is not None else None
        super().__init__(self.message)
        if self.hint is not None:
            # A traceback shows the notes; str(err), which a host may show a person, does not.
            self.add_note(f"developer hint: {self.hint}")

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
        """The error as JSON-ready data for an API response or a log line: always `json.dumps`-able.

        Args:
            include_internal: Also give what is meant for the operator and the developer only: the
                details such as a database driver's own message (which may quote SQL), and the
                developer `hint`.

        Returns:
            `{"code", "message", "details", "remedy"}`, and `"hint"` when `include_internal`.

        Raises nothing.
        """
        details = {
            key: _json_ready(value)
            for key, value in self.details.items()
            if include_internal or key not in INTERNAL_DETAILS
        }
        view: dict[str, Any] = {
            "code": self.code,
            "message": self.message,
            "details": details,
            "remedy": self.remedy,
        }
        if include_internal:
            view["hint"] = self.hint
        return view


# --- categories -------------------------------------------------------------------------------


class ValidationError(PartnerkitError, ValueError):
    """Input that breaks a rule; `field` names the offending field as a dotted path.

    Also a `ValueError`, so code that catches those catches it.

    Args:
        message: The message for the person; the class's summary when None.
        field: The offending field, such as `"admin_email"` or `"expertise[1]"`; also put in
            `details["field"]`.
        details: Further facts about the error.
        remedy: What the person can do; the class's default remedy when None.
    """

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
        hint: str | None = None,
    ) -> None:
        merged = dict(details or {})
        if field is not None:
            merged.setdefault("field", field)
        super().__init__(message, details=merged, remedy=remedy, hint=hint)
        self.field = field


class NotFoundError(PartnerkitError, LookupError):
    """A record that does not exist, or that the actor may not see: the two answer alike.

    Also a `LookupError`, so code that catches those catches it.
    """

    code = "not_found"
    summary = "No such record."
    abstract = True


class ConflictError(PartnerkitError):
    """The change collides with stored state: a taken name, a concurrent writer."""

    code = "conflict"
    summary = "The change conflicts with stored state."
    abstract = True


class PermissionDeniedError(PartnerkitError):
    """The actor may not do this; the refusal is audited (an `access.denied` event)."""

    code = "permission_denied"
    summary = "The person acting may not do this."
    abstract = True


class InvalidTransitionError(PartnerkitError):
    """The record is not in a state that allows this (an expired link, no partner of record)."""

    code = "invalid_transition"
    summary = "The record is not in a state that allows this."
    abstract = True


class FeatureDisabledError(PartnerkitError):
    """The feature is not enabled for this installation."""

    code = "feature_disabled"
    summary = "The feature is not enabled."
    abstract = True


class PaymentError(PartnerkitError):
    """A payment could not be made."""

    code = "payment"
    summary = "The payment could not be made."
    abstract = True


class StorageError(PartnerkitError):
    """The storage failed: the database could not be reached, or its schema is behind."""

    code = "storage"
    summary = "The storage backend failed."
    abstract = True


# --- general ----------------------------------------------------------------------------------


class InvalidInputError(ValidationError):
    code = "validation.invalid"
    audience: ClassVar[tuple[Audience, ...]] = (
        Audience.CUSTOMER,
        Audience.PARTNER,
        Audience.STAFF,
        Audience.DEVELOPER,
    )
    summary = "A value is missing, of the wrong kind, or outside its rules."


class InvalidTimeZoneError(ValidationError):
    code = "validation.time_zone"
    audience = (Audience.CUSTOMER, Audience.STAFF, Audience.DEVELOPER)
    summary = "The time zone is not one partnerkit knows."
    default_remedy = (
        "Give a time zone by its region and city, as in 'Asia/Kolkata' or 'Europe/Berlin', "
        "or 'UTC'."
    )


class CurrencyMismatchError(ValidationError):
    code = "money.currency_mismatch"
    audience = (Audience.STAFF, Audience.DEVELOPER)
    summary = "Amounts in different currencies were combined."


class ConcurrencyError(ConflictError):
    """The record changed since it was read (another writer got there first): read again, retry."""

    code = "conflict.stale_version"
    audience = (Audience.PARTNER, Audience.CUSTOMER, Audience.STAFF)
    summary = "Someone else changed this record at the same moment."
    default_remedy = "Look at the record again, then make your change once more."
    default_hint = "Read the value again (its version moved on) and retry the call."


class ConfigurationError(PartnerkitError):
    """partnerkit is wired or configured wrongly: a missing extra, a bad policy or secret key."""

    code = "configuration"
    audience = (Audience.DEVELOPER,)
    summary = "partnerkit is wired or configured wrongly."


class BackendUnavailableError(StorageError):
    code = "storage.unavailable"
    audience = (Audience.DEVELOPER,)
    summary = "The database could not be reached or failed."
    default_remedy = "Check that the database server is running and the URL is right."


class IntegrityViolationError(ConflictError):
    code = "storage.integrity"
    audience = (Audience.DEVELOPER,)
    summary = "The change breaks a database constraint."


class MissingExtraError(ConfigurationError):
    code = "configuration.missing_extra"
    audience = (Audience.DEVELOPER,)
    summary = "An optional dependency is not installed."


class SchemaOutdatedError(StorageError):
    code = "storage.schema_outdated"
    audience = (Audience.DEVELOPER,)
    summary = "The database schema is not at the version this partnerkit needs."
    default_remedy = "Upgrade the database with the command: partnerkit db upgrade URL."
    default_hint = "kit.migrate() applies the same migrations from Python."


class InvalidClockMoveError(ValidationError):
    code = "clock.backwards"
    audience = (Audience.DEVELOPER,)
    summary = "A simulated clock cannot move backwards."


class FloatAmountError(ValidationError):
    code = "money.float_amount"
    audience = (Audience.DEVELOPER,)
    summary = (
        "An amount was given as a binary floating-point number, which cannot hold money exactly."
    )
    default_remedy = "Give amounts as exact decimal text, such as '12.50'."
    default_hint = "Pass a Decimal or an int, or parse text with Money.of('12.50', 'USD')."


class InvalidAmountError(ValidationError):
    code = "money.invalid_amount"
    audience = (Audience.STAFF, Audience.DEVELOPER)
    summary = "The amount is not a finite number that fits the currency's minor units."


class UnknownCurrencyError(ValidationError):
    code = "money.unknown_currency"
    audience = (Audience.STAFF, Audience.DEVELOPER)
    summary = "The currency is not a known ISO 4217 code."
    default_remedy = "Use an upper-case ISO 4217 code such as 'USD' or 'EUR'."


class NoMinorUnitError(ValidationError):
    """An ISO 4217 code whose minor unit is "N.A.": precious metals (XAU), fund and bond-market
    units (XDR, XBA), the testing and no-currency codes (XTS, XXX). Not invoiceable."""

    code = "money.no_minor_unit"
    audience = (Audience.STAFF, Audience.DEVELOPER)
    summary = "The currency has no minor unit in ISO 4217, so no amount of it can be invoiced."
    default_remedy = "Invoice in a currency with a minor unit, such as 'USD' or 'EUR'."
    default_hint = "Keep a quantity of gold or SDRs as a Decimal, outside Money."


class InvalidRatiosError(InvalidInputError):
    code = "money.invalid_ratios"
    audience = (Audience.DEVELOPER,)
    summary = "Allocation ratios must be non-negative, with at least one above zero."


class FactorOutOfRangeError(InvalidInputError):
    """A number Money multiplies or divides by (a factor, an allocation ratio, an exact part to
    apportion) with too many digits or too large an exponent, refused before any arithmetic so
    that a hostile one costs microseconds; `field` names the argument."""

    code = "money.factor_out_of_range"
    audience = (Audience.DEVELOPER,)
    summary = (
        "A factor or ratio has more digits, or a larger exponent, than amounts are computed with."
    )


# --- serialization ----------------------------------------------------------------------------


class StructureError(ValidationError):
    """Data read by `partnerkit.serialization` that does not fit the requested type.

    `field` is the path of the first bad field ("$.users[0].is_admin"); `details["errors"]`
    lists every problem found, each as "message @ path".
    """

    code = "serialization.invalid"
    audience = (Audience.DEVELOPER,)
    summary = "The data cannot be read as the requested type."


# --- consent (the shared confirmation workflow) ------------------------------------------------


class InvalidTokenError(NotFoundError):
    code = "token.invalid"
    audience = (Audience.CUSTOMER, Audience.PARTNER)
    summary = "The link or token is not valid."
    default_remedy = "Use the most recent link you received, unaltered."


class ConsentExpiredError(InvalidTransitionError):
    code = "consent.expired"
    audience = (Audience.CUSTOMER, Audience.PARTNER)
    summary = "The confirmation link has expired."
    default_remedy = "Ask for the change again; a new link will be sent."


class ConsentNotPendingError(InvalidTransitionError):
    code = "consent.not_pending"
    audience = (Audience.CUSTOMER, Audience.PARTNER)
    summary = "The request was already confirmed, cancelled or expired."
