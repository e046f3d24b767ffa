"""Field checks shared by every service: text, emails, domains, keys, regions.

Each check returns the normalised value or raises ValidationError naming the field, so a
service validates all its input before it writes anything.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from datetime import date, datetime

from partnerkit.clock import ensure_aware_utc
from partnerkit.errors import InvalidInputError

__all__ = [
    "as_date",
    "as_instant_or_day",
    "domain",
    "email",
    "flag",
    "is_ref",
    "key",
    "region",
    "text",
    "texts",
]

# Deliberately simple: one @, a dotted domain with a TLD, no spaces. Deliverability is the
# mailer's job; this catches typos and injection of several addresses.
_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@([A-Za-z0-9-]+\.)+[A-Za-z]{2,63}$")
_DOMAIN = re.compile(r"^(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_KEY = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")
_REGION = re.compile(r"^[A-Z]{2}$")
#: Unicode categories that are not text a person typed: controls and lone surrogates.
_NOT_TEXT = frozenset({"Cc", "Cs"})


def text(value: object, field: str, *, max_length: int = 200, required: bool = True) -> str:
    if not isinstance(value, str):
        raise InvalidInputError(f"{field} must be text", field=field)
    cleaned = unicodedata.normalize("NFC", value).strip()
    if required and not cleaned:
        raise InvalidInputError(f"{field} must not be empty", field=field)
    if len(cleaned) > max_length:
        raise InvalidInputError(
            f"{field} is longer than {max_length} characters",
            field=field,
            details={"max_length": max_length},
        )
    if any(unicodedata.category(ch) in _NOT_TEXT for ch in cleaned):
        # A lone surrogate is no character at all: no database can store it, and a name that
        # only memory could hold would be refused elsewhere.
        raise InvalidInputError(
            f"{field} must not contain control characters or broken characters", field=field
        )
    return cleaned


def is_ref(value: object, *, max_length: int = 100) -> bool:
    """Whether `value` can be an id or a key partnerkit stored: text, short, storable. A lookup
    by anything else finds nothing, on every backend alike."""
    return (
        isinstance(value, str)
        and 0 < len(value) <= max_length
        and not any(unicodedata.category(ch) in _NOT_TEXT for ch in value)
    )


def email(value: object, field: str = "email") -> str:
    """Lower-cased address; the local part is case-insensitive in practice everywhere we send."""
    cleaned = text(value, field, max_length=254)
    if not _EMAIL.match(cleaned) or ".." in cleaned:
        raise InvalidInputError(f"{field} {cleaned!r} is not a valid email address", field=field)
    return cleaned.lower()


def domain(value: object, field: str = "domain") -> str:
    cleaned = text(value, field, max_length=253).lower().rstrip(".")
    try:
        cleaned = cleaned.encode("idna").decode("ascii")
    except UnicodeError:
        raise InvalidInputError(f"{field} {cleaned!r} is not a domain name", field=field) from None
    if not _DOMAIN.match(cleaned):
        raise InvalidInputError(f"{field} {cleaned!r} is not a domain name", field=field)
    return cleaned


def key(value: object, field: str) -> str:
    """A machine key such as a product key: lower-case letters, digits, '-' and '_'."""
    cleaned = text(value, field, max_length=40)
    if not _KEY.match(cleaned):
        raise InvalidInputError(
            f"{field} {cleaned!r} must start with a lower-case letter and hold only "
            "lower-case letters, digits, '-' or '_' (at most 40)",
            field=field,
        )
    return cleaned


def region(value: object, field: str = "regions") -> str:
    """An ISO 3166-1 alpha-2 country code, upper-cased."""
    cleaned = text(value, field, max_length=2).upper()
    if not _REGION.match(cleaned):
        raise InvalidInputError(f"{field} {cleaned!r} is not a 2-letter country code", field=field)
    return cleaned


def as_instant_or_day(value: object, field: str) -> datetime | date:
    """A datetime (aware) or a date; anything else is refused naming the field."""
    if isinstance(value, datetime):
        return ensure_aware_utc(value, field)
    if isinstance(value, date):
        return as_date(value, field)
    raise InvalidInputError(f"{field} must be a date or a datetime", field=field)


def texts(values: object, field: str, check: Callable[[object, str], str]) -> tuple[str, ...]:
    """Apply `check` to each item of a list, naming the item's index in the field path."""
    if isinstance(values, str) or not isinstance(values, Iterable):
        raise InvalidInputError(f"{field} must be a list", field=field)
    out: list[str] = []
    for i, item in enumerate(values):
        cleaned = check(item, f"{field}[{i}]")
        if cleaned not in out:
            out.append(cleaned)
    return tuple(out)


def as_date(value: object, field: str) -> date:
    if isinstance(value, datetime) or not isinstance(value, date):
        raise InvalidInputError(f"{field} must be a date", field=field)
    # The last and first days have no day after or before: every rule that counts days or
    # ends a day at midnight would overflow on them.
    if value in (date.max, date.min):
        raise InvalidInputError(
            f"{field} is outside the range of days partnerkit handles", field=field
        )
    return value


def flag(value: object, field: str) -> bool:
    """A yes/no argument: True or False, nothing that merely looks like one."""
    if not isinstance(value, bool):
        raise InvalidInputError(f"{field} must be True or False", field=field)
    return value
