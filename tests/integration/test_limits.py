"""Length and range limits are declared once and checked before storage: every backend gives
the same ValidationError for the same input (issue 7: a 41-character rate was accepted on two
backends and `storage.unavailable` on the others)."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

import partnerkit as pk
from partnerkit import validate
from partnerkit.backends.memory import MemoryBackend
from partnerkit.backends.sql import SqlBackend
from partnerkit.backends.sql import schema as t
from partnerkit.customers.accounts import NAME_MAX_LENGTH
from partnerkit.mapping.commissions import RATE_DIGITS
from partnerkit.testing.databases import require_server, wipe

STAFF = pk.Principal.staff("team@vendor.example")


@pytest.fixture(
    params=[
        "memory",
        "sqlite",
        pytest.param("PARTNERKIT_TEST_POSTGRES_URL", marks=pytest.mark.postgres, id="postgres"),
        pytest.param("PARTNERKIT_TEST_MYSQL_URL", marks=pytest.mark.mysql, id="mariadb"),
    ]
)
def kit(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[pk.Kit]:
    if request.param == "memory":
        yield pk.Kit(MemoryBackend())
        return
    if request.param == "sqlite":
        backend = SqlBackend.from_url(f"sqlite:///{tmp_path / 'limits.db'}")
        backend.migrate()
    else:
        backend = require_server(request.param)
        wipe(backend)
    yield pk.Kit(backend)
    backend.close()


def test_the_rate_limit_is_the_columns_width() -> None:
    assert t.commission_plans.c.rate.type.length == RATE_DIGITS  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("rate", "1." + "1" * (RATE_DIGITS - 1)),  # 41 characters
        ("name", "N" * 201),
        ("email", "a" * 250 + "@x.example"),
        ("reason", "R" * 501),
    ],
)
def test_too_long_is_the_same_validation_error_on_every_backend(
    kit: pk.Kit, field: str, value: str
) -> None:
    kit.catalog.add_product("crm", name="CRM", actor=STAFF)
    partner = kit.partners.register(name="Zillium", email="o@z.example", actor=STAFF)
    calls = {
        "rate": lambda: kit.commissions.set_plan(partner.id, rate=value, actor=STAFF),
        "name": lambda: kit.partners.register(name=value, email="n@z.example", actor=STAFF),
        "email": lambda: kit.customers.create(name="Acme", admin_email=value, actor=STAFF),
        "reason": lambda: kit.partners.deactivate(partner.id, reason=value, actor=STAFF),
    }
    with pytest.raises(pk.ValidationError) as info:
        calls[field]()
    assert info.value.details["field"] == ("admin_email" if field == "email" else field)
    # Nothing was stored by the refused call.
    assert kit.commissions.plan(partner.id, actor=STAFF) is None
    assert [p.name for p in kit.partners.partners(actor=STAFF)] == ["Zillium"]
    assert kit.partners.get(partner.id, actor=STAFF).status is pk.PartnerStatus.ACTIVE


def test_the_longest_rate_that_fits_is_stored_exactly(kit: pk.Kit) -> None:
    partner = kit.partners.register(name="Zillium", email="o@z.example", actor=STAFF)
    rate = Decimal("1." + "1" * (RATE_DIGITS - 2))
    kit.commissions.set_plan(partner.id, rate=rate, actor=STAFF)
    plan = kit.commissions.plan(partner.id, actor=STAFF)
    assert plan is not None and plan.rate == rate


def test_the_email_and_domain_limits_are_the_columns_widths() -> None:
    assert t.customer_users.c.email.type.length == validate.EMAIL_MAX_LENGTH  # type: ignore[attr-defined]
    assert t.partners.c.email.type.length == validate.EMAIL_MAX_LENGTH  # type: ignore[attr-defined]
    assert t.customer_domains.c.domain.type.length == 253  # type: ignore[attr-defined]
    assert t.customer_users.c.name.type.length == NAME_MAX_LENGTH  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "address",
    [
        # 254 octets, the most SMTP carries; longer than a name, so the user's name is its
        # local part (it used to be the address: 'storage.unavailable' on PostgreSQL/MariaDB).
        "a" * 64 + "@" + "b" * 63 + "." + "c" * 63 + "." + "d" * 53 + ".example",
        # 254 octets in 167 characters: an internationalised address at the limit.
        "ü" * 32 + "@" + "bücher" * 9 + "." + "bücher" * 9 + "." + "a" * 53 + ".example",
    ],
)
def test_the_longest_address_is_stored_the_same_on_every_backend(kit: pk.Kit, address: str) -> None:
    customer = kit.customers.create(name="Acme", admin_email=address, actor=STAFF)
    stored = kit.customers.get(customer.id, actor=STAFF).users[0]
    assert stored.email == address
    assert len(stored.name) <= NAME_MAX_LENGTH
    with pytest.raises(pk.ValidationError) as info:
        kit.customers.add_user(
            customer.id, "a" + address, actor=pk.Principal.customer_user(customer.id, address)
        )
    assert info.value.details["field"] == "email"
    assert len(kit.customers.get(customer.id, actor=STAFF).users) == 1
