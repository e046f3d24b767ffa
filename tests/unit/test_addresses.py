"""Email addresses and domains as the world writes them (issue 8, item 10): one rule for both,
email-validator's syntax without DNS, internationalised local parts and domains accepted,
compared in one stored form after IDNA normalisation."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

import partnerkit as pk
from partnerkit import validate
from partnerkit.errors import InvalidInputError

STAFF = pk.Principal.staff("team@vendor.example")


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("José@example.com", "josé@example.com"),
        ("it@bücher.example", "it@bücher.example"),
        ("it@xn--bcher-kva.example", "it@bücher.example"),
        ("IT@XN--BCHER-KVA.EXAMPLE", "it@bücher.example"),
        ("JOSÉ@Example.COM", "josé@example.com"),
        # NFC: an "é" typed as "e" and a combining accent is the same letter.
        ("Jose\u0301@example.com", "josé@example.com"),
        ("  ops@zillium.example ", "ops@zillium.example"),
        ("first.last+tag@acme.example", "first.last+tag@acme.example"),
        ("δοκιμή@παράδειγμα.δοκιμή", "δοκιμή@παράδειγμα.δοκιμή"),
        ("用户@例子.广告", "用户@例子.广告"),
    ],
)
def test_an_address_is_stored_in_one_form(typed: str, stored: str) -> None:
    assert validate.email(typed) == stored
    assert validate.email(stored) == stored  # the stored form is a fixed point


def test_upper_and_lower_case_are_the_same_user() -> None:
    # The rule: the local part is compared lower-cased (every address stored so far was, and
    # no mailbox partnerkit sends to tells them apart); the domain always is.
    assert validate.email("JOSÉ@Example.COM") == validate.email("josé@example.com")


def test_an_a_label_and_its_unicode_form_are_the_same_domain() -> None:
    assert validate.email("it@xn--bcher-kva.example") == validate.email("it@bücher.example")
    assert validate.domain("XN--BCHER-KVA.example") == validate.domain("Bücher.Example")
    assert validate.domain("bücher.example") == "bücher.example"
    assert validate.domain_of(validate.email("it@XN--BCHER-KVA.example")) == validate.domain(
        "bücher.example"
    )


def test_a_look_alike_is_not_the_same_domain() -> None:
    # "аcme" with a Cyrillic "а" (U+0430) reads like "acme" and is another name altogether.
    look_alike = "\u0430cme.example"
    assert validate.domain(look_alike) != validate.domain("acme.example")
    assert validate.email(f"it@{look_alike}") != validate.email("it@acme.example")
    assert validate.domain(look_alike).encode("idna") == b"xn--cme-5cd.example"


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("a@", "There must be something after the @-sign."),
        ("@b.c", "There must be something before the @-sign."),
        ("a b@c.d", "SPACE"),
        ("a@b..c", "two periods in a row"),
        ("a@b", "It should have a period."),
        ("it@acme_corp.example", "invalid characters"),
        ('"a b"@c.example', "Quoting"),
        ("a@[192.0.2.1]", "bracketed IP address"),
        ("Ops <ops@z.example>", "display name"),
        ("a@b.example, c@d.example", "invalid characters"),
        ("a" * 65 + "@acme.example", "too long before the @-sign"),
        ("a@" + "b" * 64 + ".example", "too many"),
        # 211 characters, 271 octets: SMTP counts octets.
        ("é" * 60 + "@" + ("b" * 60 + ".") * 2 + "b" * 20 + ".example", "too long"),
        ("it@exa\u200dmple.com", "unsafe characters"),
    ],
)
def test_a_bad_address_is_a_validation_error_naming_the_field(value: str, says: str) -> None:
    with pytest.raises(InvalidInputError) as info:
        validate.email(value, "admin_email")
    err = info.value
    assert err.code == "validation.invalid"
    assert err.details["field"] == "admin_email"
    assert says in err.details["reason"]
    # Addressed to the person who typed it: the field in words and why.
    assert err.message.startswith("admin email ")
    assert "is not a valid email address" in err.message


def test_a_huge_address_is_refused_before_the_validator_reads_it() -> None:
    with pytest.raises(InvalidInputError) as info:
        validate.email("a" * 100_000 + "@acme.example")
    assert info.value.details["max_length"] == validate.EMAIL_MAX_LENGTH


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("a..example", "two periods in a row"),
        ("-a.example", "cannot start with a hyphen"),
        ("a_b.example", "invalid characters"),
        ("localhost", "It should have a period."),
        ("x.test", "special-use or reserved name"),
        ("\u0430cme.exam ple", "invalid characters"),
        ("b" * 64 + ".example", "too many"),
    ],
)
def test_a_bad_domain_says_why_in_a_domains_words(value: str, says: str) -> None:
    with pytest.raises(InvalidInputError) as info:
        validate.domain(value, "email_domains[0]")
    err = info.value
    assert err.details["field"] == "email_domains[0]"
    assert says in err.details["reason"]
    assert "@-sign" not in err.message and "email address" not in err.message
    assert err.message.startswith("email domains (item 1) ")


def test_the_longest_address_fits_its_column() -> None:
    local = "a" * 64
    domain = "b" * 63 + "." + "c" * 63 + "." + "d" * 53 + ".example"
    address = f"{local}@{domain}"
    assert len(address) == validate.EMAIL_MAX_LENGTH
    assert validate.email(address) == address
    with pytest.raises(InvalidInputError):
        validate.email("a" + address)
    # Counted in UTF-8 octets, as SMTP counts: a non-ASCII address is shorter in characters.
    wide = "é" * 32 + "@" + domain[: validate.EMAIL_MAX_LENGTH - 65]
    assert len(validate.email(wide).encode("utf-8")) <= validate.EMAIL_MAX_LENGTH


@given(st.emails())
def test_every_address_hypothesis_writes_is_accepted_and_stable(address: str) -> None:
    try:
        stored = validate.email(address)
    except InvalidInputError:
        # Hypothesis also writes reserved names (.local, .test) the rule refuses on purpose.
        return
    assert validate.email(stored) == stored
    assert validate.domain(validate.domain_of(stored)) == validate.domain_of(stored)


def test_a_partners_email_domain_has_the_form_of_its_email(pk_kit: pk.Kit) -> None:
    # Without email_domains, a partner's domain is its email's: both by the one rule.
    derived = pk_kit.partners.register(
        name="Bücher", email="Kontakt@XN--BCHER-KVA.example", actor=STAFF
    )
    given_ = pk_kit.partners.register(
        name="Bücher 2", email="b@b.example", email_domains=["Bücher.example"], actor=STAFF
    )
    assert derived.email == "kontakt@bücher.example"
    assert derived.email_domains == given_.email_domains == ("bücher.example",)


def test_a_partner_signs_in_with_its_address_as_written(pk_kit: pk.Kit) -> None:
    partner = pk_kit.partners.register(
        name="Bücher", username="buecher", email="kontakt@bücher.example", actor=STAFF
    )
    assert pk_kit.partners.check_sign_in("Kontakt@XN--BCHER-KVA.example").id == partner.id
    with pytest.raises(pk.NotFoundError):
        pk_kit.partners.check_sign_in("kontakt@b\u00fccher..example")


def test_an_accounts_user_is_found_however_the_address_is_written(pk_kit: pk.Kit) -> None:
    acme = pk_kit.customers.create(name="Acme", admin_email="José@Bücher.example", actor=STAFF)
    assert acme.user("JOSÉ@xn--bcher-kva.EXAMPLE") == acme.users[0]
    assert acme.is_admin("josé@bücher.example")
    assert acme.user("not an address") is None
    assert acme.user("jose@bücher.example") is None  # "e" is not "é"
