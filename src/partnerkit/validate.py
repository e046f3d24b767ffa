"""Field checks shared by every service: text, emails, domains, keys, regions.

Each check returns the normalised value or raises ValidationError naming the field, so a
service validates all its input before it writes anything.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable, Iterable
from datetime import date, datetime
from enum import StrEnum
from typing import TypeVar

from email_validator import EmailNotValidError, validate_email

from partnerkit.clock import ensure_aware_utc
from partnerkit.errors import InvalidInputError, field_label

__all__ = [
    "EMAIL_MAX_LENGTH",
    "as_date",
    "as_instant_or_day",
    "choice",
    "domain",
    "domain_of",
    "email",
    "flag",
    "instance",
    "is_ref",
    "key",
    "region",
    "text",
    "texts",
    "whole_number",
]

_T = TypeVar("_T")
_E = TypeVar("_E", bound=StrEnum)

#: The longest address SMTP carries (RFC 5321, in UTF-8 octets) and the email columns' width.
EMAIL_MAX_LENGTH = 254
#: The longest domain name DNS holds, and the domain columns' width.
_DOMAIN_MAX_LENGTH = 253
_KEY = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")
_REGION = re.compile(r"^[A-Z]{2}$")
#: Unicode categories that are not text a person typed: controls and lone surrogates.
_NOT_TEXT = frozenset({"Cc", "Cs"})
#: The characters of those categories, one search instead of a category look-up per
#: character: Unicode's stability policy fixes Cc as these 65 code points, and Cs is the
#: surrogate block (a test checks every code point against unicodedata).
_NOT_TEXT_CHARS = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def text(value: object, field: str, *, max_length: int = 200, required: bool = True) -> str:
    if not isinstance(value, str):
        raise InvalidInputError(
            f"{field_label(field)} must be text",
            field=field,
            hint=f"{field} got {type(value).__name__}",
        )
    cleaned = unicodedata.normalize("NFC", value).strip()
    if required and not cleaned:
        raise InvalidInputError(f"{field_label(field)} must not be empty", field=field)
    if len(cleaned) > max_length:
        raise InvalidInputError(
            f"{field_label(field)} is longer than {max_length} characters",
            field=field,
            details={"max_length": max_length},
        )
    if _NOT_TEXT_CHARS.search(cleaned):
        # A lone surrogate is no character at all: no database can store it, and a name that
        # only memory could hold would be refused elsewhere.
        raise InvalidInputError(
            f"{field_label(field)} must not contain control characters or broken characters",
            field=field,
        )
    return cleaned


def is_ref(value: object, *, max_length: int = 100) -> bool:
    """Whether `value` can be an id or a key partnerkit stored: text, short, storable. A lookup
    by anything else finds nothing, on every backend alike."""
    return (
        isinstance(value, str)
        and 0 < len(value) <= max_length
        and not _NOT_TEXT_CHARS.search(value)
    )


def email(value: object, field: str = "email") -> str:
    """An email address as the world writes it (`José@bücher.example`), in the one form
    partnerkit stores and compares.

    The rule is email-validator's syntax check (no DNS look-up: deliverability is the mailer's
    job), with internationalised local parts and domains allowed and quoted local parts,
    IP-address domains and display names refused. The stored form is the local part as typed,
    NFC-normalised and lower-cased (mailboxes are case-insensitive everywhere partnerkit sends
    and every address stored so far was lower-cased), then "@", then the domain as `domain()`
    gives it. So `JOSÉ@Example.COM` is the same user as `josé@example.com`, and
    `it@xn--bcher-kva.example` the same as `it@bücher.example`.
    """
    cleaned = text(value, field, max_length=EMAIL_MAX_LENGTH)
    try:
        address = _address(cleaned)
    except EmailNotValidError as exc:
        raise _not_an_address(field, cleaned, str(exc)) from None
    # Lower-casing may lengthen a few letters (İ): the column holds EMAIL_MAX_LENGTH, no more.
    if len(address.encode("utf-8")) > EMAIL_MAX_LENGTH:
        raise _not_an_address(field, cleaned, "The email address is too long.")
    return address


# email-validator's check costs about 100 µs, and the same few addresses come back on every
# call (the acting admin's, compared against the account's users): the answers are kept, for
# valid input only (a refusal is raised, not remembered). Pure functions of the text.
@functools.lru_cache(maxsize=4096)
def _address(cleaned: str) -> str:
    found = validate_email(
        cleaned,
        check_deliverability=False,
        allow_smtputf8=True,
        allow_quoted_local=False,
        allow_domain_literal=False,
        allow_display_name=False,
        strict=True,
    )
    return f"{found.local_part.lower()}@{found.domain}"


@functools.lru_cache(maxsize=4096)
def _domain_name(cleaned: str) -> str:
    found = validate_email(
        f"postmaster@{cleaned}",
        check_deliverability=False,
        allow_smtputf8=True,
        allow_domain_literal=False,
        strict=True,
    )
    return str(found.domain)


def _not_an_address(field: str, value: str, reason: str) -> InvalidInputError:
    return InvalidInputError(
        f"{field_label(field)} {value!r} is not a valid email address: {reason}",
        field=field,
        details={"reason": reason},
    )


def domain(value: object, field: str = "domain") -> str:
    """A domain name in the form partnerkit stores and compares, the form `email()` gives an
    address's domain: IDNA-normalised (UTS 46), lower-cased, in its Unicode form.

    One rule for both: a domain is valid when an address at it is (its postmaster), so a
    partner's or a customer's email domain and the domain of a user's email always compare
    equal when they are the same name. `XN--BCHER-KVA.example` and `Bücher.example` are both
    `bücher.example`; a look-alike stays itself: `аcme.example` with a Cyrillic "а" is
    `xn--cme-5cd.example` in ASCII and never `acme.example`.
    """
    cleaned = text(value, field, max_length=_DOMAIN_MAX_LENGTH).rstrip(".")
    try:
        return _domain_name(cleaned)
    except EmailNotValidError as exc:
        reason = _domain_words(str(exc))
        raise InvalidInputError(
            f"{field_label(field)} {cleaned!r} is not a domain name: {reason}",
            field=field,
            details={"reason": reason},
        ) from None


def _domain_words(reason: str) -> str:
    # email-validator explains the domain as the part of an address after its "@".
    for old, new in (
        (
            "An email address cannot have a hyphen immediately after the @-sign",
            "It cannot start with a hyphen",
        ),
        ("The part after the @-sign", "The domain"),
        ("An email address cannot", "A domain name cannot"),
        ("The email address is too long after the @-sign", "The domain name is too long"),
        ("The email address is too long", "The domain name is too long"),
        ("After the @-sign, ", "In a domain name, "),
        (" after the @-sign", ""),
    ):
        reason = reason.replace(old, new)
    return reason


def domain_of(address: str) -> str:
    """The domain of an address `email()` returned, in the form `domain()` returns: compare it
    with a partner's or a customer's domains as it is."""
    return address.rpartition("@")[2]


def key(value: object, field: str) -> str:
    """A machine key such as a product key: lower-case letters, digits, '-' and '_'."""
    cleaned = text(value, field, max_length=40)
    if not _KEY.match(cleaned):
        raise InvalidInputError(
            f"{field_label(field)} {cleaned!r} must start with a lower-case letter and hold only "
            "lower-case letters, digits, '-' or '_' (at most 40)",
            field=field,
        )
    return cleaned


def region(value: object, field: str = "regions") -> str:
    """An ISO 3166-1 alpha-2 country code, upper-cased."""
    cleaned = text(value, field, max_length=2).upper()
    if not _REGION.match(cleaned):
        raise InvalidInputError(
            f"{field_label(field)} {cleaned!r} is not a 2-letter country code", field=field
        )
    return cleaned


def as_instant_or_day(value: object, field: str) -> datetime | date:
    """A datetime (aware) or a date; anything else is refused naming the field."""
    if isinstance(value, datetime):
        return ensure_aware_utc(value, field)
    if isinstance(value, date):
        return as_date(value, field)
    raise InvalidInputError(
        f"{field_label(field)} must be a day or a moment in time",
        field=field,
        hint=f"{field} takes a date or an aware datetime",
    )


def texts(values: object, field: str, check: Callable[[object, str], str]) -> tuple[str, ...]:
    """Apply `check` to each item of a list, naming the item's index in the field path."""
    if isinstance(values, str) or not isinstance(values, Iterable):
        raise InvalidInputError(f"{field_label(field)} must be a list", field=field)
    out: list[str] = []
    for i, item in enumerate(values):
        cleaned = check(item, f"{field}[{i}]")
        if cleaned not in out:
            out.append(cleaned)
    return tuple(out)


def as_date(value: object, field: str) -> date:
    if isinstance(value, datetime) or not isinstance(value, date):
        raise InvalidInputError(
            f"{field_label(field)} must be a day", field=field, hint=f"{field} takes a date"
        )
    # The last and first days have no day after or before: every rule that counts days or
    # ends a day at midnight would overflow on them.
    if value in (date.max, date.min):
        raise InvalidInputError(
            f"{field_label(field)} is outside the range of days partnerkit handles", field=field
        )
    return value


def flag(value: object, field: str) -> bool:
    """A yes/no argument: True or False, nothing that merely looks like one."""
    if not isinstance(value, bool):
        raise InvalidInputError(
            f"{field_label(field)} must be yes or no",
            field=field,
            hint=f"{field} takes True or False",
        )
    return value


def whole_number(
    value: object,
    field: str,
    *,
    minimum: int = 0,
    maximum: int | None = None,
    words: str | None = None,
) -> int:
    """A count: an int (never a bool) from `minimum` to `maximum`.

    Args:
        value: The value given.
        field: The argument's name, put in the error's `field`.
        minimum: The smallest allowed.
        maximum: The largest allowed; None for no bound.
        words: What a message calls the count ("the number of periods"); the field in words
            when None.

    Returns:
        The count.

    Raises:
        InvalidInputError: `value` is not an int, or outside the bounds (`validation.invalid`).
    """
    if (
        isinstance(value, bool)
        or not isinstance(value, int)
        or value < minimum
        or (maximum is not None and value > maximum)
    ):
        bounds = f"of {minimum} or more" if maximum is None else f"from {minimum} to {maximum}"
        raise InvalidInputError(
            f"{words or field_label(field)} must be a whole number {bounds}",
            field=field,
            hint=f"{field} takes an int",
        )
    return value


def instance(value: object, kind: type[_T], field: str, words: str) -> _T:
    """A value of a partnerkit type a rule takes, such as a billing period or a policy.

    Args:
        value: The value given.
        kind: The class it must be of.
        field: The argument's name, put in the error's `field`.
        words: What a message calls it ("the billing period").

    Returns:
        The value.

    Raises:
        InvalidInputError: `value` is not a `kind` (`validation.invalid`).
    """
    if not isinstance(value, kind):
        raise InvalidInputError(
            f"{words} is missing",
            field=field,
            hint=f"{field} takes a {kind.__name__}, not {type(value).__name__}",
        )
    return value


def choice(value: object, kind: type[_E], field: str, words: str, choices: str = "") -> _E:
    """One of an enumeration's members, or its value as text (`"month"` for a month).

    Args:
        value: The member or its value.
        kind: The enumeration.
        field: The argument's name, put in the error's `field`.
        words: What a message calls it ("the billing interval").
        choices: The choices in words ("to cancel or to leave it unpaid"); "one of" the
            members' values when empty.

    Returns:
        The member.

    Raises:
        InvalidInputError: `value` is no member's value (`validation.invalid`).
    """
    values = {member.value: member for member in kind}
    if isinstance(value, str) and value in values:
        return values[value]
    listed = choices or "one of " + ", ".join(values)
    raise InvalidInputError(
        f"{words} is {listed}", field=field, hint=f"{field} takes a {kind.__name__}"
    )
