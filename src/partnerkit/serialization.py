"""The cattrs converter for every public value type, and JSON in and out of it.

Decimals travel as strings, dates and instants as ISO 8601, Money as {"amount", "currency"}.
"""

from __future__ import annotations

import enum
import json
import re
from collections.abc import Callable, Mapping, MutableMapping
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, Final, TypeVar, get_args, get_origin

import attrs
import cattrs
from cattrs.cols import homogenous_tuple_structure_factory, mapping_structure_factory
from cattrs.errors import (
    AttributeValidationNote,
    CattrsError,
    ClassValidationError,
    ForbiddenExtraKeysError,
    StructureHandlerNotFoundError,
)
from cattrs.v import format_exception, transform_error

from partnerkit.errors import (
    FloatAmountError,
    InvalidInputError,
    PartnerkitError,
    StructureError,
    ValidationError,
)
from partnerkit.money import Money

__all__ = [
    "converter",
    "from_dict",
    "from_json",
    "structure",
    "to_dict",
    "to_json",
    "unstructure",
]

T = TypeVar("T")

_Hook = Callable[[Any, Any], Any]

#: The converter behind `structure` and `unstructure`; hosts may register hooks for their own
#: types on it. Unknown keys are refused and every error carries the path where it happened.
converter: Final = cattrs.Converter(
    forbid_extra_keys=True,
    detailed_validation=True,
    unstruct_collection_overrides={tuple: list},
)

_ISO_DATE: Final = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
_ISO_DATETIME: Final = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}", re.ASCII)
# ISO 8601 durations without years or months, whose length depends on the anchor date.
_ISO_DURATION: Final = re.compile(
    r"(-)?P(?:(\d{1,9})D)?(?:T(?:(\d{1,9})H)?(?:(\d{1,9})M)?(?:(\d{1,12})(?:\.(\d{1,6}))?S)?)?",
    re.ASCII,
)
_MONEY_FIELDS: Final = ("amount", "currency")


def _kind(value: object) -> str:
    """How the value reads in JSON terms, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()})"
    if isinstance(value, int | float | Decimal):
        return f"a number ({value!r})"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"a string ({shown!r})"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, Mapping):
        return "an object"
    return f"a {type(value).__name__}"


def _wrong_type(expected: str, value: object) -> InvalidInputError:
    return InvalidInputError(f"expected {expected}, got {_kind(value)}")


# --- primitives: strict, so that "yes" is not a boolean and "IN" is not a list ------------------


def _structure_str(value: object, _: object) -> str:
    if not isinstance(value, str):
        raise _wrong_type("a string", value)
    return value


def _structure_int(value: object, _: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _wrong_type("an integer", value)
    return value


def _structure_bool(value: object, _: object) -> bool:
    if not isinstance(value, bool):
        raise _wrong_type("a boolean", value)
    return value


def _structure_float(value: object, _: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _wrong_type("a number", value)
    return float(value)


def _structure_decimal(value: object, _: object) -> Decimal:
    if isinstance(value, float):
        raise FloatAmountError(
            f"{value!r} is a binary floating-point number; send exact amounts as text, "
            "such as '12.50'",
            details={"value": repr(value)},
        )
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int) and not isinstance(value, bool):
        number = Decimal(value)
    elif isinstance(value, str):
        try:
            number = Decimal(value)
        except InvalidOperation:
            raise InvalidInputError(f"{value!r} is not a decimal number") from None
    else:
        raise _wrong_type("a decimal string such as '12.50'", value)
    if not number.is_finite():
        raise InvalidInputError(f"{value!r} is not a finite number")
    return number


# --- dates and times --------------------------------------------------------------------------


def _structure_date(value: object, _: object) -> date:
    if not isinstance(value, str):
        raise _wrong_type("an ISO date string such as '2026-01-31'", value)
    try:
        if not _ISO_DATE.fullmatch(value):
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInputError(f"{value!r} is not an ISO date such as '2026-01-31'") from None


def _structure_datetime(value: object, _: object) -> datetime:
    if not isinstance(value, str):
        raise _wrong_type("an ISO 8601 instant such as '2026-01-31T09:30:00+00:00'", value)
    try:
        if not _ISO_DATETIME.match(value):
            raise ValueError(value)
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInputError(
            f"{value!r} is not an ISO 8601 instant such as '2026-01-31T09:30:00+00:00'"
        ) from None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise InvalidInputError(
            f"{value!r} has no UTC offset, so it names no single instant",
            remedy="Add the offset, as in '2026-01-31T09:30:00+00:00' or '...Z'.",
        )
    try:
        # Instants are UTC throughout partnerkit; the offset only said how to read this one.
        return parsed.astimezone(UTC)
    except OverflowError:
        raise InvalidInputError(f"{value!r} is outside the supported range") from None


def _unstructure_datetime(value: datetime) -> str:
    if value.tzinfo is None or value.utcoffset() is None:
        # structure() would refuse the result, so refuse it here where the bug is.
        raise InvalidInputError(
            f"{value.isoformat()!r} has no time zone; partnerkit only writes moments that do.",
            hint="give the datetime a tzinfo before it is written",
        )
    return value.isoformat()


def _structure_timedelta(value: object, _: object) -> timedelta:
    if not isinstance(value, str):
        raise _wrong_type("an ISO 8601 duration such as 'PT6H'", value)
    found = _ISO_DURATION.fullmatch(value)
    if found is None or value in ("P", "-P") or value.endswith("T"):
        raise InvalidInputError(f"{value!r} is not an ISO 8601 duration such as 'PT6H'")
    sign, days, hours, minutes, seconds, fraction = found.groups()
    try:
        duration = timedelta(
            days=int(days or 0),
            hours=int(hours or 0),
            minutes=int(minutes or 0),
            seconds=int(seconds or 0),
            microseconds=int((fraction or "").ljust(6, "0")),
        )
    except OverflowError:
        raise InvalidInputError(f"{value!r} is outside the supported range") from None
    return -duration if sign else duration


def _unstructure_timedelta(value: timedelta) -> str:
    sign = "-" if value < timedelta(0) else ""
    value = abs(value)
    hours, rest = divmod(value.seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    text = f"{sign}P{value.days}D" if value.days else f"{sign}P"
    clock = f"{hours}H" if hours else ""
    clock += f"{minutes}M" if minutes else ""
    if seconds or value.microseconds or not (clock or value.days):
        micro = f".{value.microseconds:06d}".rstrip("0") if value.microseconds else ""
        clock += f"{seconds}{micro}S"
    return f"{text}T{clock}" if clock else text


# --- enums ------------------------------------------------------------------------------------


def _structure_enum(value: object, cls: type[enum.Enum]) -> enum.Enum:
    if isinstance(value, cls):
        return value
    try:
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise ValueError(value)
        return cls(value)
    except ValueError:
        allowed = ", ".join(repr(member.value) for member in cls)
        raise InvalidInputError(f"expected one of {allowed}, got {_kind(value)}") from None


def _unstructure_enum(member: enum.Enum) -> Any:
    value = member.value
    # A StrEnum's value is already a plain str; for others, strip any str/int subclass.
    return str(value) if isinstance(value, str) else value


# --- Money ------------------------------------------------------------------------------------


def _noted(error: Exception, name: str) -> Exception:
    """`error` marked as cattrs marks a bad attribute, so its path names the key inside Money."""
    error.add_note(
        AttributeValidationNote(f"Structuring class Money @ attribute {name}", name, Money)
    )
    return error


def _structure_money(value: object, _: object) -> Money:
    if not isinstance(value, Mapping):
        raise _wrong_type("an object with 'amount' and 'currency'", value)
    problems: list[Exception] = []
    for name in _MONEY_FIELDS:
        if name not in value:
            problems.append(_noted(KeyError(name), name))
    extra = {str(key) for key in value} - set(_MONEY_FIELDS)
    if extra:
        problems.append(ForbiddenExtraKeysError("", Money, extra))
    if problems:
        raise ClassValidationError("While structuring Money", problems, Money)
    try:
        return Money.from_dict(value)
    except ValidationError as exc:
        if exc.field in _MONEY_FIELDS:
            problems.append(_noted(exc, exc.field))
            raise ClassValidationError("While structuring Money", problems, Money) from None
        raise


def _unstructure_money(value: Money) -> dict[str, str]:
    return value.to_dict()


# --- containers and attrs classes -------------------------------------------------------------


def _is_homogenous_tuple(cls: Any) -> bool:
    args = get_args(cls)
    return get_origin(cls) is tuple and len(args) == 2 and args[1] is Ellipsis


def _tuple_factory(cls: Any) -> _Hook:
    items = homogenous_tuple_structure_factory(cls, converter)

    def structure_tuple(value: object, target: Any) -> Any:
        # A string is iterable too: without this check "IN" would become ("I", "N").
        if not isinstance(value, list | tuple):
            raise _wrong_type("a list", value)
        return items(value, target)

    return structure_tuple


def _is_mapping(cls: Any) -> bool:
    return (get_origin(cls) or cls) in (Mapping, MutableMapping, dict)


def _mapping_factory(cls: Any) -> _Hook:
    entries = mapping_structure_factory(cls, converter, dict, detailed_validation=True)

    def structure_mapping(value: object, target: Any) -> Any:
        if not isinstance(value, Mapping):
            raise _wrong_type("an object", value)
        return entries(value, target)

    return structure_mapping


def _attrs_factory(cls: Any) -> _Hook:
    fields = converter.gen_structure_attrs_fromdict(cls)
    name = getattr(cls, "__name__", repr(cls))

    def structure_attrs(value: object, target: Any) -> Any:
        if not isinstance(value, Mapping):
            raise _wrong_type(f"an object for {name}", value)
        return fields(value, target)

    return structure_attrs


def _configure(conv: cattrs.Converter) -> None:
    primitives: list[tuple[type[Any], _Hook]] = [
        (str, _structure_str),
        (int, _structure_int),
        (bool, _structure_bool),
        (float, _structure_float),
        (Decimal, _structure_decimal),
        (date, _structure_date),
        (datetime, _structure_datetime),
        (timedelta, _structure_timedelta),
        (Money, _structure_money),
    ]
    for cls, hook in primitives:
        conv.register_structure_hook(cls, hook)
    # StrEnum and IntEnum subclass str and int; registered by name they win over those hooks.
    for base in (enum.Enum, enum.StrEnum, enum.IntEnum):
        conv.register_structure_hook(base, _structure_enum)
        conv.register_unstructure_hook(base, _unstructure_enum)
    conv.register_unstructure_hook(Decimal, str)
    conv.register_unstructure_hook(date, date.isoformat)
    conv.register_unstructure_hook(datetime, _unstructure_datetime)
    conv.register_unstructure_hook(timedelta, _unstructure_timedelta)
    conv.register_unstructure_hook(Money, _unstructure_money)
    conv.register_structure_hook_factory(_is_homogenous_tuple, _tuple_factory)
    conv.register_structure_hook_factory(_is_mapping, _mapping_factory)
    conv.register_structure_hook_factory(attrs.has, _attrs_factory)


_configure(converter)


# --- public functions -------------------------------------------------------------------------


def unstructure(value: object) -> Any:
    """A partnerkit value as JSON-ready data: dicts, lists, strings, ints, booleans and None.

    Decimals and Money amounts become strings, dates and instants ISO 8601 text, enums their values,
    tuples lists. A value of a type the converter has no hook for comes back as it is.

    Args:
        value: A partnerkit value, or a list, dict or tuple of them.

    Returns:
        The data; `structure(data, type(value))` reads it back equal.

    Raises nothing.
    """
    return converter.unstructure(value)


def structure(data: object, cls: type[T]) -> T:
    """Read data (as `unstructure` or `json.loads` gives it) as a partnerkit type, checking it all.

    Unknown keys are refused, and so are values of the wrong type: nothing is coerced quietly.

    Args:
        data: JSON-ready data.
        cls: The type to read, such as `Customer` or `list[MappingInterval]`.

    Returns:
        The value, equal to the one the data was made from.

    Raises:
        StructureError: The data does not fit `cls`; `field` is the path of the first bad field,
            such as `"$.users[0].is_admin"`, and `details["errors"]` lists every problem found
            (`serialization.invalid`).
    """
    try:
        return converter.structure(data, cls)
    except Exception as exc:
        # Whatever went wrong, the caller gets one error type with a path, never a bare one.
        raise _structure_error(exc, cls) from exc


def to_dict(value: object) -> dict[str, Any]:
    """A partnerkit value (`Customer`, `MappingInterval`, an event, ...) as a JSON-ready dict.

    For APIs and queues: `from_dict(data, type(value))` reads it back equal.

    Args:
        value: A partnerkit value: an attrs class, not a list or a string.

    Returns:
        The dict, as `unstructure` makes it.

    Raises:
        InvalidInputError: `value` is not a record, such as a list or a string
            (`validation.invalid`).
    """
    data = unstructure(value)
    if not isinstance(data, dict):
        raise InvalidInputError(
            "only a partnerkit record, such as a customer, is written as a record",
            hint=f"to_dict takes a partnerkit value such as a Customer, not {type(value).__name__}",
        )
    return data


def from_dict(data: Mapping[str, Any], cls: type[T]) -> T:
    """Read a dict (as `to_dict` or `json.loads` gives it) back as a partnerkit value.

    Args:
        data: The dict.
        cls: The type to read, such as `Customer`.

    Returns:
        The value.

    Raises:
        StructureError: The data does not fit `cls`; `field` is the path of the first bad field
            (`serialization.invalid`).
    """
    return structure(data, cls)


def to_json(value: object) -> str:
    """A partnerkit value as a compact JSON document (UTF-8 text, no NaN).

    Args:
        value: A partnerkit value, or a list or dict of them.

    Returns:
        The JSON text; `from_json(text, type(value))` reads it back equal.

    Raises:
        InvalidInputError: `value` holds something JSON cannot write (`validation.invalid`).
    """
    data = unstructure(value)
    try:
        return json.dumps(data, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(
            f"A {type(value).__name__} cannot be written as JSON: {exc}."
        ) from exc


def from_json(text: str | bytes, cls: type[T]) -> T:
    """Parse a JSON document and read it as a partnerkit type.

    Stricter than `json.loads`: NaN and Infinity are refused, and so is a key given twice in one
    object (readers disagree on which one wins).

    Args:
        text: The JSON document.
        cls: The type to read, such as `Customer`.

    Returns:
        The value.

    Raises:
        StructureError: The text is not valid JSON (`field` is `"$"`), or the data does not fit
            `cls` (`field` is the path of the first bad field) (`serialization.invalid`).
    """
    try:
        data = json.loads(
            text, parse_constant=_refuse_constant, object_pairs_hook=_refuse_duplicate_keys
        )
    except (TypeError, ValueError, RecursionError) as exc:
        # json's own errors carry no path; "$" says the document as a whole is unreadable.
        if not isinstance(exc, PartnerkitError):
            exc = InvalidInputError(f"not valid JSON ({exc})")
        raise _structure_error(exc, cls) from exc
    return structure(data, cls)


def _refuse_constant(name: str) -> Any:
    # json accepts NaN and Infinity, which are not JSON and not numbers anything here can hold.
    raise InvalidInputError(f"{name} is not valid JSON")


def _refuse_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, item in pairs:
        if key in result:
            # Python keeps the last one silently; another reader may keep the first.
            raise InvalidInputError(f"the key {key!r} appears twice in one object")
        result[key] = item
    return result


def _structure_error(exc: Exception, cls: object) -> StructureError:
    found: list[tuple[BaseException, str]] = []

    def describe(error: BaseException, expected: type | None) -> str:
        if isinstance(error, PartnerkitError):
            text = error.message
        elif isinstance(error, StructureHandlerNotFoundError):
            text = f"partnerkit has no converter for {error.type_!r}"
        elif isinstance(error, CattrsError) and not isinstance(error, ForbiddenExtraKeysError):
            text = f"unknown error ({error})"
        else:
            try:
                text = format_exception(error, expected)
            except Exception:
                # cattrs' formatter reads args[0] of some errors; a bare TypeError() has none.
                text = f"unknown error ({error!r})"
        found.append((error, text))
        return text

    messages = transform_error(exc, "$", describe)
    first, first_text = found[0]
    field = messages[0][len(first_text) + len(" @ ") :]
    if isinstance(first, ForbiddenExtraKeysError):
        # cattrs reports the object holding the unknown key; name the key itself.
        field += f".{min(str(key) for key in first.extra_fields)}"
    name = getattr(cls, "__name__", repr(cls))
    summary = f"Cannot read {name}: {first_text.rstrip('.')} (at {field})"
    if len(messages) > 1:
        summary += f", and {len(messages) - 1} more problem{'s' if len(messages) > 2 else ''}"
    details: dict[str, Any] = {"errors": messages}
    remedy = None
    if isinstance(first, PartnerkitError):
        remedy = first.remedy
        if type(first) is not InvalidInputError:
            # Keep the rule's own code reachable: "money.unknown_currency" says more than ours.
            details["cause"] = first.code
    return StructureError(f"{summary}.", field=field, details=details, remedy=remedy)
