"""Hypothesis strategies for fuzzing partnerkit and the hosts built on it: the hostile values a
caller passes by mistake or malice, and `describe()`, which names the kind of any such value.

Needs hypothesis (a test-time dependency), which only this module of partnerkit imports. Each
strategy is built once and shared: building Hypothesis strategies costs more than drawing.
"""

from __future__ import annotations

import enum
import functools
import math
import re
import unicodedata
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal

from hypothesis import strategies as st

from partnerkit.money import MAX_DIGITS, Money

__all__ = [
    "MEGABYTE",
    "describe",
    "hostile_amounts",
    "hostile_containers",
    "hostile_datetimes",
    "hostile_money",
    "hostile_numbers",
    "hostile_scalars",
    "hostile_text",
    "hostile_values",
]

#: Characters in the "1 MB string": far past every declared limit, small enough to fuzz with.
MEGABYTE = 10**6

# The extreme offsets a timezone may have; at year 1 or 9999 they push the UTC instant out of
# the range datetime can represent, which is exactly what conversions must survive.
_PLUS_14 = timezone(timedelta(hours=14))
_MINUS_14 = timezone(timedelta(hours=-14))
_PLUS_23_59 = timezone(timedelta(hours=23, minutes=59))

_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")

# Built once: a million characters per draw would dominate the run time otherwise.
_ONE_MB = "x" * MEGABYTE


@functools.cache
def hostile_text() -> st.SearchStrategy[str]:
    """Strings that break naive handling: lone surrogates (no UTF-8 encoding), NUL and other
    control characters, strings past every length limit (300 characters, 1 MB), blanks, text
    that NFC normalisation lengthens, and arbitrary text including surrogates."""
    fixed = st.sampled_from(
        [
            "\ud800",
            "a\udfffb",
            "\x00",
            "crm\x00",
            "line\nbreak",
            "\x1b[31mred",
            "",
            "   ",
            "\u200b",
            "\u202eevil",
            "x" * 41,
            "a" * 300,
            "ü" * 201,
            # NFC turns each U+0958 into two code points: 150 become 300 after normalising.
            "\u0958" * 150,
            "Zillium'; DROP TABLE partners; --",
            "%s %(name)s {0} {name}",
            "𝒵𝒾𝓁𝓁𝒾𝓊𝓂",
            _ONE_MB,
        ]
    )
    with_surrogates = st.text(
        st.characters(codec=None, categories=["L", "N", "P", "Z", "Cc", "Cs", "Co", "Cn"]),
        max_size=20,
    )
    return st.one_of(fixed, with_surrogates)


@functools.cache
def hostile_numbers() -> st.SearchStrategy[object]:
    """Numbers at and past every edge: bools where ints are meant, integers beyond 64 bits,
    floats and Decimals that are not finite, negative zeros, exponents no storage holds."""
    fixed = st.sampled_from(
        [
            True,
            False,
            0,
            -1,
            2**31,
            2**63 - 1,
            2**63,
            2**64,
            -(2**63) - 1,
            10**100,
            math.nan,
            math.inf,
            -math.inf,
            -0.0,
            0.1,
            Decimal("NaN"),
            Decimal("sNaN"),
            Decimal("Infinity"),
            Decimal("-Infinity"),
            Decimal("1E+999999"),
            Decimal("1E-999999"),
            Decimal("-0"),
            Decimal("-0.00"),
            Decimal("0." + "1" * 39),
            Decimal("9" * (MAX_DIGITS + 1)),
        ]
    )
    return st.one_of(
        fixed,
        st.integers(),
        st.floats(),
        st.decimals(allow_nan=True, allow_infinity=True),
    )


@functools.cache
def hostile_amounts() -> st.SearchStrategy[object]:
    """What may be passed where an amount or a rate is expected: numbers and number-like text."""
    as_text = st.sampled_from(["12.50", "1e999999", "NaN", "-0", "0x10", "1_000", "٣", "1" * 41])
    return st.one_of(hostile_numbers(), as_text)


@functools.cache
def hostile_money() -> st.SearchStrategy[Money]:
    """Valid `Money` that is still awkward: currencies with 0, 2 (where CLDR says 0), 3 or 4
    minor-unit digits, negative and zero amounts, and amounts of 60 digits whose minor units do
    not fit a 64-bit integer. (Metals and test codes have no minor unit: Money refuses them.)"""
    digits = "9" * (MAX_DIGITS - 2) + ".99"
    return st.sampled_from(
        [
            Money(Decimal("1"), "JPY"),
            Money(Decimal("0.001"), "KWD"),
            Money(Decimal("1.2345"), "CLF"),
            Money(Decimal("1.50"), "HUF"),
            Money(Decimal("1.250"), "IQD"),
            Money(Decimal("0"), "USD"),
            Money(Decimal("-1"), "USD"),
            Money(Decimal("-0.01"), "EUR"),
            Money(Decimal(2**63), "USD"),
            Money(Decimal(digits), "USD"),
            Money(Decimal("-" + digits), "USD"),
        ]
    )


@functools.cache
def hostile_datetimes() -> st.SearchStrategy[object]:
    """Instants and days that break conversions: naive datetimes, the first and last
    representable ones with extreme offsets (whose UTC instant does not exist), `date.max`,
    year 1, a date where a datetime is meant and the other way round, times and durations."""
    fixed = st.sampled_from(
        [
            datetime(2026, 1, 5, 9, 0),  # noqa: DTZ001 - the naive datetime is the point
            datetime.min,  # noqa: DTZ901 - naive on purpose, as above
            datetime.max,  # noqa: DTZ901
            datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=_PLUS_14),
            datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=_MINUS_14),
            datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
            datetime(1, 1, 1, 0, 0, tzinfo=_PLUS_14),
            datetime(1, 1, 1, 0, 0, tzinfo=_MINUS_14),
            datetime(1, 1, 1, 0, 0, tzinfo=UTC),
            datetime(2026, 1, 5, 9, 0, tzinfo=_PLUS_23_59),
            date.max,
            date.min,
            date(9999, 12, 31),
            time(9, 0),
            timedelta(days=1),
        ]
    )
    offsets = st.sampled_from([None, UTC, _PLUS_14, _MINUS_14])
    return st.one_of(fixed, st.datetimes(timezones=offsets), st.dates())


@functools.cache
def hostile_containers() -> st.SearchStrategy[object]:
    """Collections and objects where a scalar is meant (and the other way round): bytes,
    lists, dicts, sets, generators' cousins, callables and plain objects."""
    return st.one_of(
        st.sampled_from(
            [
                b"crm",
                b"\xff\xfe",
                bytearray(b"crm"),
                [],
                [None],
                ["crm"],
                ["\ud800"],
                [b"crm"],
                {"crm": 1},
                {},
                {"crm"},
                frozenset({"crm"}),
                ("crm",),
                [["crm"]],
                range(3),
            ]
        ),
        st.builds(object),
        st.just(print),
    )


@functools.cache
def hostile_scalars() -> st.SearchStrategy[object]:
    """None and the odd scalars: enums of the wrong kind, ellipsis, a bare class."""
    return st.sampled_from([None, ..., NotImplemented, int, enum.Enum])


@functools.cache
def hostile_values() -> st.SearchStrategy[object]:
    """Any hostile value: pass it for any parameter of a public call, which must answer
    with a `PartnerkitError` (or accept it), never with an untyped exception."""
    return st.one_of(
        hostile_scalars(),
        hostile_text(),
        hostile_amounts(),
        hostile_money(),
        hostile_datetimes(),
        hostile_containers(),
    )


def _describe_text(value: str) -> str:
    # C-speed checks only: this runs on megabyte strings in every report.
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "str with a lone surrogate"
    if "\x00" in value:
        return "str with NUL"
    if len(value) >= MEGABYTE:
        return "1 MB str"
    if _CONTROL.search(value):
        return "str with control characters"
    if len(unicodedata.normalize("NFC", value)) != len(value):
        return f"{len(value)}-char str that NFC lengthens"
    if len(value) > 200:
        return f"{len(value)}-char str"
    if not value.strip():
        return "blank str" if value else "empty str"
    return "str"


def _describe_number(value: int | float | Decimal) -> str:
    if isinstance(value, bool):
        return f"bool {value}"
    if isinstance(value, int):
        if abs(value) >= 2**63:
            return "int beyond 64 bits"
        return "negative int" if value < 0 else "int"
    if isinstance(value, float):
        if math.isnan(value):
            return "float nan"
        if math.isinf(value):
            return "float inf"
        return "float -0.0" if value == 0 and math.copysign(1, value) < 0 else "float"
    if value.is_nan():
        return "Decimal sNaN" if value.is_snan() else "Decimal NaN"
    if value.is_infinite():
        return "Decimal Infinity"
    if value.is_zero() and value.is_signed():
        return "Decimal -0"
    if not value.is_zero() and value.adjusted() > MAX_DIGITS:
        return "Decimal with a huge exponent (1E+999999)"
    if not value.is_zero() and value.adjusted() < -MAX_DIGITS:
        return "Decimal with a tiny exponent (1E-999999)"
    if len(value.as_tuple().digits) > MAX_DIGITS:
        return f"Decimal of {len(value.as_tuple().digits)} digits"
    if len(str(value)) > 40:
        return f"{len(str(value))}-character Decimal"
    return "Decimal"


def _describe_instant(value: datetime | date) -> str:
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            return f"naive datetime (year {value.year})"
        offset = value.utcoffset()
        assert offset is not None
        minutes = int(offset.total_seconds()) // 60
        hours, rest = divmod(abs(minutes), 60)
        where = f"year {value.year}" if value.year in (1, 9999) else "datetime"
        return f"aware {where} at UTC{'-' if minutes < 0 else '+'}{hours:02d}:{rest:02d}"
    if value in (date.max, date.min):
        return "date.max" if value == date.max else "date.min (year 1)"
    return "date"


def describe(value: object) -> str:
    """A short name for the kind of `value` ("str with a lone surrogate", "aware year 1 at
    UTC+14:00", "Money in KWD"): how a fuzz report says what was passed without printing it."""
    if value is None:
        return "None"
    if isinstance(value, str):
        return _describe_text(value)
    if isinstance(value, int | float | Decimal):
        return _describe_number(value)
    if isinstance(value, datetime | date):
        return _describe_instant(value)
    if isinstance(value, Money):
        if value.minor_units >= 2**63 or value.minor_units < -(2**63):
            return f"Money in {value.currency} beyond 64-bit minor units"
        if value.is_negative:
            return f"negative Money in {value.currency}"
        if value.is_zero:
            return f"zero Money in {value.currency}"
        return f"Money in {value.currency}"
    if isinstance(value, bytes | bytearray | memoryview):
        return type(value).__name__
    if isinstance(value, enum.Enum):
        return f"enum {type(value).__name__}.{value.name}"
    if isinstance(value, list | tuple | set | frozenset | range):
        items = list(value)
        inner = f" of {describe(items[0])}" if items else " (empty)"
        return f"{type(value).__name__}{inner}"
    if isinstance(value, dict):
        return "dict"
    if isinstance(value, type):
        return f"class {value.__name__}"
    if callable(value):
        return "callable"
    return type(value).__name__
