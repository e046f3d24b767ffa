"""Real concurrent writers on the server databases: uniqueness is a database fact, so racing
writers get exactly one winner and clear errors, never a driver exception or a half-write."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from racing import race

import partnerkit as pk
from partnerkit.backends.sql import SqlBackend
from partnerkit.customers.errors import EmailTakenError
from partnerkit.errors import ConcurrencyError, ConsentNotPendingError
from partnerkit.mapping.errors import CodeTakenError, TransferRequiredError, UsernameTakenError
from partnerkit.testing.databases import require_server, wipe

#: The partner team: sets up the catalog, partners and accounts the tests act on.
STAFF = pk.Principal.staff("team@vendor.example")

WRITERS = 8


@pytest.fixture(
    params=[
        pytest.param("PARTNERKIT_TEST_POSTGRES_URL", marks=pytest.mark.postgres, id="postgres"),
        pytest.param("PARTNERKIT_TEST_MYSQL_URL", marks=pytest.mark.mysql, id="mariadb"),
    ],
    scope="module",
)
def server(request: pytest.FixtureRequest) -> Iterator[SqlBackend]:
    backend = require_server(request.param)
    yield backend
    backend.close()


@pytest.fixture
def kit(server: SqlBackend) -> pk.Kit:
    wipe(server)
    kit = pk.Kit(server)
    kit.catalog.add_product("crm", name="CRM", actor=STAFF)
    return kit


def test_one_code_many_partners_exactly_one_wins(kit: pk.Kit) -> None:
    partners = [
        kit.partners.register(
            name=f"P{i}", username=f"racer{i}", email=f"p{i}@race.example", actor=STAFF
        )
        for i in range(WRITERS)
    ]
    # Each writer spells the code differently: they collide only after case/look-alike folding.
    spellings = ["ZILLIUMCorp", "zilliumcorp", "ZI11IUMC0RP", "ZiLLiUMCoRP"]
    wins, errors = race(
        WRITERS, lambda i: kit.partners.issue_code(partners[i].id, spellings[i % 4], actor=STAFF)
    )
    assert len(wins) == 1, errors
    assert len(errors) == WRITERS - 1
    assert all(isinstance(e, CodeTakenError) for e in errors), errors
    holder = kit.partners.find_by_code("zilliumcorp")
    assert sum(len(kit.partners.codes(p.id, actor=STAFF)) for p in partners) == 1
    assert kit.partners.codes(holder.partner_id, actor=STAFF)[0].code in spellings
    assert holder.code in spellings
    assert len(kit.outbox(topic="partner_code.issued")) == 1


def test_one_username_many_registrations_exactly_one_wins(kit: pk.Kit) -> None:
    wins, errors = race(
        WRITERS,
        lambda i: kit.partners.register(
            name=f"P{i}", username="zillium", email=f"p{i}@z.example", actor=STAFF
        ),
    )
    assert len(wins) == 1
    assert all(isinstance(e, UsernameTakenError) for e in errors), errors
    assert len(kit.partners.partners(actor=STAFF)) == 1
    assert len(kit.outbox(topic="partner.registered")) == 1


def test_one_admin_email_many_accounts_exactly_one_wins(kit: pk.Kit) -> None:
    wins, errors = race(
        WRITERS,
        lambda i: kit.customers.create(
            name=f"Acme {i}", admin_email="it@acme.example", actor=STAFF
        ),
    )
    assert len(wins) == 1
    assert all(isinstance(e, EmailTakenError) for e in errors), errors
    # No account was half-written: the losers left neither the account nor its children.
    assert len(kit.customers.customers(actor=STAFF)) == 1


def test_eight_partners_tagged_on_one_customer_product_exactly_one_wins(kit: pk.Kit) -> None:
    partners = []
    for i in range(WRITERS):
        p = kit.partners.register(
            name=f"P{i}",
            username=f"tagged{i}",
            email=f"t{i}@race.example",
            expertise=["crm"],
            actor=STAFF,
        )
        kit.partners.issue_code(p.id, f"RACE{'ABCDEFGH'[i]}CODE", actor=STAFF)
        partners.append(p)
    acme = kit.customers.create(name="Acme", admin_email="it@acme.example", actor=STAFF)
    wins, errors = race(
        WRITERS,
        lambda i: kit.mapping.tag_partner(
            acme.id,
            "crm",
            f"RACE{'ABCDEFGH'[i]}CODE",
            actor=pk.Principal.customer_user(acme.id, "it@acme.example"),
        ),
    )
    assert len(wins) == 1, errors
    assert all(isinstance(e, TransferRequiredError) for e in errors), errors
    [interval] = kit.mapping.history(acme.id, "crm", actor=STAFF)
    assert kit.mapping.partner_of_record(acme.id, "crm", actor=STAFF) == interval
    assert len(kit.outbox(topic="mapping.started")) == 1


def test_one_confirmation_link_clicked_eight_times_takes_effect_once(kit: pk.Kit) -> None:
    old = kit.partners.register(
        name="Old", username="oldp", email="o@old.example", expertise=["crm"], actor=STAFF
    )
    new = kit.partners.register(
        name="New", username="newp", email="n@new.example", expertise=["crm"], actor=STAFF
    )
    kit.partners.issue_code(old.id, "OLDPCODE", actor=STAFF)
    kit.partners.issue_code(new.id, "NEWPCODE", actor=STAFF)
    mailer = pk.InMemoryMailer()
    kit = pk.Kit(kit.backend, mailer=mailer)
    acme = kit.customers.create(name="Acme", admin_email="it@acme.example", actor=STAFF)
    kit.mapping.tag_partner(
        acme.id, "crm", "OLDPCODE", actor=pk.Principal.customer_user(acme.id, "it@acme.example")
    )
    kit.mapping.request_transfer(
        acme.id, "crm", "NEWPCODE", actor=pk.Principal.customer_user(acme.id, "it@acme.example")
    )
    token = mailer.to("it@acme.example")[-1].context["token"]
    wins, errors = race(
        WRITERS,
        lambda i: kit.mapping.confirm(
            token, actor=pk.Principal.customer_user(acme.id, "it@acme.example")
        ),
    )
    assert len(wins) == 1, errors
    assert all(isinstance(e, ConsentNotPendingError | ConcurrencyError) for e in errors), errors
    closed, current = kit.mapping.history(acme.id, "crm", actor=STAFF)
    assert (closed.partner_id, current.partner_id) == (old.id, new.id)
