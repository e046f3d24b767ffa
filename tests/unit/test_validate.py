"""The field checks every service shares (`partnerkit.validate`): each returns the normalised
value or raises a ValidationError that names the field, at exactly the documented limits."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone
from enum import StrEnum
from typing import Any

import pytest

from partnerkit import validate
from partnerkit.errors import InvalidInputError


def refused(check: Callable[..., object], *args: Any, **kwargs: Any) -> InvalidInputError:
    with pytest.raises(InvalidInputError) as caught:
        check(*args, **kwargs)
    return caught.value


def field_of(check: Callable[..., object], *args: Any, **kwargs: Any) -> object:
    return refused(check, *args, **kwargs).details["field"]


# --- text -------------------------------------------------------------------------------------


def test_text_is_nfc_normalised_and_stripped() -> None:
    assert validate.text("  Zoe\u0308 \n", "name") == "Zoë"


def test_text_is_at_most_200_characters_by_default() -> None:
    assert validate.text("x" * 200, "name") == "x" * 200
    error = refused(validate.text, "x" * 201, "name")
    assert error.details == {"field": "name", "max_length": 200}


def test_text_counts_the_limit_after_stripping() -> None:
    assert validate.text(" " + "x" * 5 + " ", "code", max_length=5) == "xxxxx"
    assert field_of(validate.text, "x" * 6, "code", max_length=5) == "code"


@pytest.mark.parametrize("value", [None, 12, b"bytes", ["a"]])
def test_text_refuses_what_is_not_text(value: object) -> None:
    assert field_of(validate.text, value, "name") == "name"


def test_text_refuses_empty_unless_optional() -> None:
    assert field_of(validate.text, "   ", "name") == "name"
    assert validate.text("   ", "note", required=False) == ""


@pytest.mark.parametrize("value", ["a\x00b", "tab\there", "\ud800"])
def test_text_refuses_control_and_broken_characters(value: str) -> None:
    assert field_of(validate.text, value, "reason") == "reason"


# --- is_ref -----------------------------------------------------------------------------------


def test_a_ref_is_short_storable_text() -> None:
    assert validate.is_ref("a")
    assert validate.is_ref("x" * 100)
    assert not validate.is_ref("x" * 101)
    assert validate.is_ref("x" * 8, max_length=8)
    assert not validate.is_ref("x" * 9, max_length=8)
    assert not validate.is_ref("")
    assert not validate.is_ref("bad\x00id")
    assert not validate.is_ref(42)


# --- email ------------------------------------------------------------------------------------


def test_an_email_is_lower_cased() -> None:
    assert validate.email(" IT@Acme.Example ") == "it@acme.example"


def test_an_email_has_at_most_254_characters() -> None:
    local = "a" * 64
    domain = ".".join(["b" * 59, "b" * 60, "b" * 60]) + ".example"
    address = f"{local}@{domain}"
    assert len(address) == 254
    assert validate.email(address) == address
    assert field_of(validate.email, "a" + address) == "email"
    assert field_of(validate.email, "a" + address, "admin_email") == "admin_email"


@pytest.mark.parametrize(
    "value", ["no-at.example", "two@@acme.example", "john..doe@acme.example", "a@b", "a b@c.de"]
)
def test_a_malformed_email_is_refused_naming_the_field(value: str) -> None:
    assert field_of(validate.email, value, "admin_email") == "admin_email"


# --- domain -----------------------------------------------------------------------------------


def test_a_domain_is_lower_cased_without_its_trailing_dot() -> None:
    assert validate.domain("Acme.Example.") == "acme.example"
    # Stored in its Unicode form, however it was given (issue 8, item 10).
    assert validate.domain("bücher.example") == "bücher.example"
    assert validate.domain("XN--BCHER-KVA.example") == "bücher.example"
    # Only the trailing dots go, before the name is lower-cased: a name ending in an upper-case
    # letter keeps it (kills validate.domain__mutmut_12, `rstrip("XX.XX")`).
    assert validate.domain("Acme.BOX.") == "acme.box"


def test_a_domain_names_its_field() -> None:
    assert field_of(validate.domain, "not a domain") == "domain"
    assert field_of(validate.domain, ".acme.example", "site") == "site"
    assert field_of(validate.domain, "-" * 64 + ".example", "site") == "site"  # no IDNA form
    assert field_of(validate.domain, "\ud800.example", "site") == "site"


def test_a_domain_has_at_most_243_characters() -> None:
    # One rule for domains and addresses: a domain is valid when its postmaster's address is,
    # and an address holds 254 characters, so "postmaster@" leaves a domain 243.
    name = ".".join(["a" * 61, "a" * 61, "a" * 61, "a" * 49]) + ".example"
    assert len(name) == 243
    assert validate.domain(name) == name
    assert field_of(validate.domain, "a" + name) == "domain"
    # A trailing dot is not part of the name.
    assert validate.domain(name + ".") == name


# --- key, region --------------------------------------------------------------------------------


def test_a_key_is_lower_case_and_at_most_40_characters() -> None:
    assert validate.key("crm-2_x", "product") == "crm-2_x"
    assert validate.key("k" * 40, "product") == "k" * 40
    assert field_of(validate.key, "k" * 41, "product") == "product"
    assert field_of(validate.key, "CRM", "product") == "product"
    assert field_of(validate.key, "2crm", "product") == "product"


def test_a_region_is_two_letters_upper_cased() -> None:
    assert validate.region("in") == "IN"
    assert field_of(validate.region, "IND") == "regions"
    assert field_of(validate.region, "I1", "regions[0]") == "regions[0]"


# --- dates and instants -----------------------------------------------------------------------


def test_a_date_is_a_date_and_not_a_datetime() -> None:
    assert validate.as_date(date(2026, 1, 5), "start") == date(2026, 1, 5)
    assert field_of(validate.as_date, datetime(2026, 1, 5, tzinfo=UTC), "start") == "start"
    assert field_of(validate.as_date, "2026-01-05", "start") == "start"


@pytest.mark.parametrize("day", [date.max, date.min])
def test_the_first_and_last_days_are_refused(day: date) -> None:
    assert field_of(validate.as_date, day, "end") == "end"


def test_an_instant_or_a_day() -> None:
    ist = timezone(timedelta(hours=5, minutes=30))
    assert validate.as_instant_or_day(datetime(2026, 1, 5, 5, 30, tzinfo=ist), "as_of") == (
        datetime(2026, 1, 5, tzinfo=UTC)
    )
    assert validate.as_instant_or_day(date(2026, 1, 5), "as_of") == date(2026, 1, 5)
    assert field_of(validate.as_instant_or_day, "today", "as_of") == "as_of"
    assert field_of(validate.as_instant_or_day, date.max, "as_of") == "as_of"
    assert field_of(validate.as_instant_or_day, datetime(2026, 1, 5), "as_of") == "as_of"  # noqa: DTZ001


# --- lists, flags -------------------------------------------------------------------------------


def test_texts_checks_each_item_and_drops_repeats() -> None:
    assert validate.texts(["in", "IN", "us"], "regions", validate.region) == ("IN", "US")
    assert field_of(validate.texts, ["in", "x"], "regions", validate.region) == "regions[1]"
    assert field_of(validate.texts, "in", "regions", validate.region) == "regions"


def test_a_flag_is_a_real_boolean() -> None:
    assert validate.flag(True, "admin") is True
    assert validate.flag(False, "admin") is False
    assert field_of(validate.flag, 1, "admin") == "admin"


def test_a_whole_number_is_an_int_within_its_bounds() -> None:
    assert validate.whole_number(0, "count") == 0
    assert validate.whole_number(1, "count", minimum=1, maximum=1) == 1
    assert validate.whole_number(10**30, "count") == 10**30
    for bad in (True, False, 1.0, "1", None):
        assert field_of(validate.whole_number, bad, "count") == "count"
    assert refused(validate.whole_number, -1, "max_count").message == (
        "max count must be a whole number of 0 or more"
    )
    assert refused(validate.whole_number, 0, "n", minimum=1, words="the periods").message == (
        "the periods must be a whole number of 1 or more"
    )
    error = refused(validate.whole_number, 4, "cycle", minimum=1, maximum=3)
    assert error.message == "cycle must be a whole number from 1 to 3"
    assert error.hint == "cycle takes an int"
    assert validate.whole_number(3, "cycle", minimum=1, maximum=3) == 3


def test_a_choice_is_a_member_or_its_value() -> None:
    class Colour(StrEnum):
        RED = "red"
        DEEP_BLUE = "deep blue"

    assert validate.choice("red", Colour, "colour", "the colour") is Colour.RED
    assert validate.choice(Colour.DEEP_BLUE, Colour, "colour", "the colour") is Colour.DEEP_BLUE
    for bad in ("green", "RED", 1, None):
        error = refused(validate.choice, bad, Colour, "colour", "the colour")
        assert error.message == "the colour is one of red, deep blue"
        assert error.field == "colour"
        assert error.hint == "colour takes a Colour"
    worded = refused(validate.choice, "green", Colour, "colour", "the colour", "red or blue")
    assert worded.message == "the colour is red or blue"


def test_an_instance_is_of_the_class_a_rule_takes() -> None:
    day = date(2026, 1, 1)
    assert validate.instance(day, date, "day", "the day") is day
    error = refused(validate.instance, "2026-01-01", date, "day", "the day")
    assert error.message == "the day is missing"
    assert error.field == "day"
    assert error.hint == "day takes a date, not str"


def test_an_address_too_long_once_lower_cased_names_its_field() -> None:
    """Lower-casing may lengthen a letter (İ is 2 octets, i̇ 3): an address that fits as typed
    and not as stored is refused naming the field it came in. Kills validate.email__mutmut_20
    and _23 (the field dropped from that refusal)."""
    domain = "b" * 60 + "." + "c" * 60 + "." + "d" * 34 + ".example"
    address = "İ" * 30 + "@" + domain
    assert field_of(validate.email, address, "admin_email") == "admin_email"


def test_the_characters_refused_as_not_text_are_exactly_the_control_and_surrogate_categories() -> (
    None
):
    # validate.text searches one character class instead of asking each character's category:
    # the class must be exactly Unicode's Cc and Cs, over every code point.
    import sys
    import unicodedata

    from partnerkit.validate import _NOT_TEXT, _NOT_TEXT_CHARS

    differ = [
        c
        for c in range(sys.maxunicode + 1)
        if (unicodedata.category(chr(c)) in _NOT_TEXT) != bool(_NOT_TEXT_CHARS.match(chr(c)))
    ]
    assert differ == []
