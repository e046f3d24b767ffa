"""Email addresses and domains as the world writes them, end to end over the backend: stored in
one form and compared in it on every engine, and a bad one refused with nothing stored."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from partnerkit.access import Principal
from partnerkit.customers.errors import EmailTakenError
from partnerkit.errors import ValidationError
from partnerkit.kit import Kit
from partnerkit.testing.conformance._base import ContractBase

__all__ = ["AddressContract"]

#: The partner team: sets up the accounts the tests act on.
STAFF = Principal.staff("team@vendor.example")
#: "аcme" with a Cyrillic "а" (U+0430): reads like Acme's domain, is another one.
LOOK_ALIKE = "\u0430cme.example"
#: The longest address SMTP carries, 254 octets, and one as long in octets that is not ASCII.
LONGEST = "a" * 64 + "@" + "b" * 63 + "." + "c" * 63 + "." + "d" * 53 + ".example"
LONGEST_WIDE = "ü" * 32 + "@" + "bücher" * 9 + "." + "bücher" * 9 + "." + "a" * 53 + ".example"


class AddressContract(ContractBase):
    """One rule for emails and domains (email-validator, no DNS), one stored form."""

    def test_international_addresses_and_domains_round_trip(self, kit: Kit) -> None:
        acme = kit.customers.create(
            name="Bücher GmbH",
            admin_email="José@example.com",
            domains=["Bücher.example", "xn--bcher-kva.example", "例子.广告"],
            actor=STAFF,
        )
        admin = Principal.customer_user(acme.id, "josé@example.com")
        kit.customers.add_user(acme.id, "it@xn--bcher-kva.example", actor=admin)
        kit.customers.add_user(acme.id, "δοκιμή@παράδειγμα.δοκιμή", actor=admin)
        stored = kit.customers.get(acme.id, actor=STAFF)
        assert [u.email for u in stored.users] == [
            "josé@example.com",
            "it@bücher.example",
            "δοκιμή@παράδειγμα.δοκιμή",
        ]
        # The A-label and the Unicode form are one domain, kept once.
        assert stored.domains == ("bücher.example", "例子.广告")
        for typed in ("JOSÉ@Example.COM", "it@BÜCHER.example", "IT@XN--BCHER-KVA.EXAMPLE"):
            found = kit.customers.find_by_user_email(typed, actor=STAFF)
            assert found is not None and found.id == acme.id, typed
        partner = kit.partners.register(
            name="Bücherwurm", email="Kontakt@Bücher.example", actor=STAFF
        )
        again = kit.partners.get(partner.id, actor=STAFF)
        assert again.email == "kontakt@bücher.example"
        # A partner's domain compares equal with its users' and a customer's domains as stored.
        assert again.email_domains == ("bücher.example",)

    @pytest.mark.parametrize("address", [LONGEST, LONGEST_WIDE])
    def test_the_longest_addresses_fit_on_every_engine(self, kit: Kit, address: str) -> None:
        assert len(address.encode("utf-8")) == 254
        customer = kit.customers.create(name="Long", admin_email=address, actor=STAFF)
        found = kit.customers.find_by_user_email(address.upper(), actor=STAFF)
        assert found is not None and found.id == customer.id
        assert found.users[0].email == address.lower()
        # A name holds 200 characters: a longer address names its user by its local part.
        assert found.users[0].name == (
            address if len(address) <= 200 else address.rpartition("@")[0]
        )

    def test_the_same_user_however_it_is_written(self, kit: Kit) -> None:
        acme = kit.customers.create(name="Acme", admin_email="josé@example.com", actor=STAFF)
        admin = Principal.customer_user(acme.id, "JOSÉ@EXAMPLE.COM")
        kit.customers.add_user(acme.id, "it@bücher.example", actor=admin)
        before = len(kit.outbox())
        for taken in ("JOSÉ@Example.COM", "it@xn--bcher-kva.example", "IT@Bücher.Example"):
            with pytest.raises(EmailTakenError):
                kit.customers.create(name="Other", admin_email=taken, actor=STAFF)
            with pytest.raises(EmailTakenError):
                kit.customers.add_user(acme.id, taken, actor=admin)
        assert [c.name for c in kit.customers.customers(actor=STAFF)] == ["Acme"]
        assert len(kit.customers.get(acme.id, actor=STAFF).users) == 2
        assert len(kit.outbox()) == before

    def test_a_look_alike_is_another_address(self, kit: Kit) -> None:
        acme = kit.customers.create(
            name="Acme", admin_email="it@acme.example", domain="acme.example", actor=STAFF
        )
        fake = kit.customers.create(
            name="Fake", admin_email=f"it@{LOOK_ALIKE}", domain=LOOK_ALIKE, actor=STAFF
        )
        assert fake.id != acme.id
        assert kit.customers.get(fake.id, actor=STAFF).domains == (LOOK_ALIKE,)
        assert kit.customers.get(acme.id, actor=STAFF).domains == ("acme.example",)
        real = kit.customers.find_by_user_email("it@acme.example", actor=STAFF)
        other = kit.customers.find_by_user_email(f"it@{LOOK_ALIKE}", actor=STAFF)
        assert real is not None and real.id == acme.id
        assert other is not None and other.id == fake.id
        # The IDNA form tells them apart too.
        assert kit.customers.find_by_user_email("it@xn--cme-5cd.example", actor=STAFF) == other

    @pytest.mark.parametrize(
        "bad",
        [
            "a@",
            "@b.c",
            "a b@c.d",
            "a@b..c",
            "a@b",
            "it@acme_corp.example",
            '"a b"@c.example',
            "a@b.example, c@d.example",
            "a" * 65 + "@acme.example",
            "a" + LONGEST,
            "a" * 10_000 + "@acme.example",
        ],
    )
    def test_a_bad_address_is_refused_and_nothing_is_stored(self, kit: Kit, bad: str) -> None:
        partner = kit.partners.register(name="Zillium", email="ops@zillium.example", actor=STAFF)
        acme = kit.customers.create(name="Acme", admin_email="it@acme.example", actor=STAFF)
        admin = Principal.customer_user(acme.id, "it@acme.example")
        before = len(kit.outbox())
        calls: list[tuple[str, Callable[[], object]]] = [
            ("admin_email", lambda: kit.customers.create(name="B", admin_email=bad, actor=STAFF)),
            ("email", lambda: kit.customers.add_user(acme.id, bad, actor=admin)),
            ("email", lambda: kit.partners.register(name="P", email=bad, actor=STAFF)),
            ("email", lambda: kit.mapping.track(partner.id, bad, actor=STAFF)),
        ]
        for field, call in calls:
            with pytest.raises(ValidationError) as info:
                call()
            assert info.value.code == "validation.invalid"
            assert info.value.details["field"] == field
        assert [c.name for c in kit.customers.customers(actor=STAFF)] == ["Acme"]
        assert len(kit.customers.get(acme.id, actor=STAFF).users) == 1
        assert [p.name for p in kit.partners.partners(actor=STAFF)] == ["Zillium"]
        assert kit.mapping.tracking_list(partner.id, actor=STAFF) == []
        assert len(kit.outbox()) == before

    @pytest.mark.parametrize(
        "bad", ["a..example", "-a.example", "a_b.example", "localhost", "exa mple.com", "x" * 300]
    )
    def test_a_bad_domain_is_refused_and_nothing_is_stored(self, kit: Kit, bad: str) -> None:
        before = len(kit.outbox())
        with pytest.raises(ValidationError) as info:
            kit.customers.create(
                name="Acme", admin_email="it@acme.example", domains=[bad], actor=STAFF
            )
        assert info.value.details["field"] == "domains[0]"
        with pytest.raises(ValidationError) as info:
            kit.partners.register(
                name="Zillium", email="ops@zillium.example", email_domains=[bad], actor=STAFF
            )
        assert info.value.details["field"] == "email_domains[0]"
        assert kit.customers.customers(actor=STAFF) == []
        assert kit.partners.partners(actor=STAFF) == []
        assert len(kit.outbox()) == before
