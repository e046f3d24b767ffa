"""The migrations against the schema: upgrading creates exactly what `schema.py` declares (no
drift), and every revision downgrades and upgrades again, on SQLite, PostgreSQL and MariaDB.

The server databases are scratch ones, named after the test database with `_migrations`
appended, so that downgrading never touches the tables other tests are using.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from partnerkit.backends.sql import SqlBackend
from partnerkit.backends.sql.migrate import alembic_config
from partnerkit.backends.sql.schema import metadata
from partnerkit.testing.databases import require_server


def _scratch_server(env_var: str) -> Iterator[sa.Engine]:
    server = require_server(env_var)
    url = server.engine.url
    name = f"{url.database}_migrations"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    quoted = admin.dialect.identifier_preparer.quote(name)
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {quoted}")
            conn.exec_driver_sql(f"CREATE DATABASE {quoted}")
        scratch = SqlBackend.from_url(url.set(database=name).render_as_string(False))
        yield scratch.engine
        scratch.close()
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {quoted}")
    finally:
        admin.dispose()
        server.close()


@pytest.fixture(
    params=[
        "sqlite",
        pytest.param("PARTNERKIT_TEST_POSTGRES_URL", marks=pytest.mark.postgres, id="postgres"),
        pytest.param("PARTNERKIT_TEST_MYSQL_URL", marks=pytest.mark.mysql, id="mariadb"),
    ]
)
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sa.Engine]:
    if request.param == "sqlite":
        backend = SqlBackend.from_url(f"sqlite:///{tmp_path / 'migrations.db'}")
        yield backend.engine
        backend.close()
    else:
        yield from _scratch_server(request.param)


def _migrate(engine: sa.Engine, direction: str, revision: str) -> None:
    config = alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        getattr(command, direction)(config, revision)


def _drift(engine: sa.Engine) -> list[object]:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        found: list[object] = compare_metadata(context, metadata)
    return found


def _tables(engine: sa.Engine) -> set[str]:
    return set(sa.inspect(engine).get_table_names()) - {"alembic_version"}


def test_the_migrated_schema_is_the_declared_one(engine: sa.Engine) -> None:
    _migrate(engine, "upgrade", "head")
    assert _drift(engine) == []
    assert _tables(engine) == set(metadata.tables)


def test_every_revision_downgrades_and_upgrades_again(engine: sa.Engine) -> None:
    script = ScriptDirectory.from_config(alembic_config())
    newest_first = [r.revision for r in script.walk_revisions()]
    _migrate(engine, "upgrade", "head")
    for revision in newest_first:
        _migrate(engine, "downgrade", "-1")
        _migrate(engine, "upgrade", revision)
        _migrate(engine, "downgrade", "-1")
    assert _tables(engine) == set()
    _migrate(engine, "upgrade", "head")
    assert _drift(engine) == []
    assert _tables(engine) == set(metadata.tables)


def test_data_carried_over_one_active_code_and_minor_units_keep_their_value(
    engine: sa.Engine,
) -> None:
    """0004 keeps each partner's newest active code (an older one a race left active is
    retired); 0005 rescales stored HUF and IQD amounts to ISO 4217's minor units (50 forints
    were 50 units of 0 decimals, are 5000 of 2) and leaves USD alone."""
    _migrate(engine, "upgrade", "0003")
    partners = sa.table(
        "partners",
        *(
            sa.column(c)
            for c in (
                "id",
                "name",
                "email",
                "username",
                "kind",
                "status",
                "created_at",
                "last_active_at",
                "version",
            )
        ),
    )
    codes = sa.table(
        "partner_codes",
        *(sa.column(c) for c in ("key", "code", "partner_id", "status", "issued_at", "retired_at")),
    )
    customers = sa.table(
        "customers", *(sa.column(c) for c in ("id", "name", "created_at", "version"))
    )
    records = sa.table(
        "partner_records",
        *(
            sa.column(c)
            for c in (
                "id",
                "customer_id",
                "product",
                "partner_id",
                "channel",
                "valid_from",
                "reason",
                "by",
                "status",
                "version",
            )
        ),
    )
    entries = sa.table(
        "commission_entries",
        *(
            sa.column(c)
            for c in (
                "id",
                "partner_id",
                "customer_id",
                "product",
                "transaction_id",
                "kind",
                "base_minor",
                "currency",
                "rate",
                "commission_exact",
                "occurred_at",
                "booked_at",
                "interval_id",
            )
        ),
    )
    # Raw rows, as the tables store them: UTC without a zone.
    at, later = datetime(2026, 1, 5, 9), datetime(2026, 2, 5, 9)  # noqa: DTZ001
    products = sa.table(
        "products", *(sa.column(c) for c in ("key", "name", "created_at", "version"))
    )
    with engine.begin() as conn:
        conn.execute(
            products.insert(), [{"key": "crm", "name": "CRM", "created_at": at, "version": 1}]
        )
        conn.execute(
            partners.insert(),
            [
                {
                    "id": "ptr_1",
                    "name": "Zillium",
                    "email": "z@z.example",
                    "username": None,
                    "kind": "reseller",
                    "status": "active",
                    "created_at": at,
                    "last_active_at": at,
                    "version": 1,
                }
            ],
        )
        conn.execute(
            codes.insert(),
            [
                {
                    "key": "OLD",
                    "code": "OLD",
                    "partner_id": "ptr_1",
                    "status": "active",
                    "issued_at": at,
                    "retired_at": None,
                },
                {
                    "key": "NEW",
                    "code": "NEW",
                    "partner_id": "ptr_1",
                    "status": "active",
                    "issued_at": later,
                    "retired_at": None,
                },
            ],
        )
        conn.execute(
            customers.insert(), [{"id": "cus_1", "name": "Acme", "created_at": at, "version": 1}]
        )
        conn.execute(
            records.insert(),
            [
                {
                    "id": "map_1",
                    "customer_id": "cus_1",
                    "product": "crm",
                    "partner_id": "ptr_1",
                    "channel": "tag",
                    "valid_from": at,
                    "reason": "tagged",
                    "by": "it@acme.example",
                    "status": "permanent",
                    "version": 1,
                }
            ],
        )
        conn.execute(
            entries.insert(),
            [
                {
                    "id": f"com_{cur}",
                    "partner_id": "ptr_1",
                    "customer_id": "cus_1",
                    "product": "crm",
                    "transaction_id": f"txn_{cur}",
                    "kind": "accrual",
                    "base_minor": minor,
                    "currency": cur,
                    "rate": "10",
                    "commission_exact": "1",
                    "occurred_at": at,
                    "booked_at": at,
                    "interval_id": "map_1",
                }
                for cur, minor in (("HUF", 50), ("IQD", 7), ("USD", 1250))
            ],
        )
    _migrate(engine, "upgrade", "head")
    with engine.connect() as conn:
        status = dict(conn.execute(sa.select(codes.c.key, codes.c.status)).all())
        active = conn.execute(
            sa.text(
                "SELECT partner_id, "
                + ("`key`" if engine.dialect.name == "mysql" else "key")
                + " FROM partner_active_codes"
            )
        ).all()
        minor = dict(conn.execute(sa.select(entries.c.currency, entries.c.base_minor)).all())
    assert status == {"OLD": "retired", "NEW": "active"}
    assert [tuple(r) for r in active] == [("ptr_1", "NEW")]
    assert minor == {"HUF": 5000, "IQD": 7000, "USD": 1250}
    _migrate(engine, "downgrade", "0004")
    with engine.connect() as conn:
        assert dict(conn.execute(sa.select(entries.c.currency, entries.c.base_minor)).all()) == {
            "HUF": 50,
            "IQD": 7,
            "USD": 1250,
        }


def test_stored_a_label_domains_read_in_unicode_after_0007(engine: sa.Engine) -> None:
    """0007 (issue 8, item 10): a domain was stored as its A-label and an address only in
    ASCII; both now read in the one stored form, so `it@bücher.example` typed today finds the
    user an older release stored as `it@xn--bcher-kva.example`. ASCII values do not change."""
    _migrate(engine, "upgrade", "0006")
    at = datetime(2026, 1, 5, 9)  # noqa: DTZ001

    def table(name: str, *columns: str) -> sa.TableClause:
        return sa.table(name, *(sa.column(c) for c in columns))

    partners = table(
        "partners", "id", "name", "email", "username", "kind", "status", "created_at",
        "last_active_at", "version",
    )  # fmt: skip
    partner_domains = table("partner_domains", "partner_id", "position", "domain")
    customers = table("customers", "id", "name", "created_at", "version")
    customer_domains = table("customer_domains", "customer_id", "position", "domain")
    users = table("customer_users", "email", "customer_id", "position", "name", "is_admin")
    with engine.begin() as conn:
        conn.execute(
            partners.insert(),
            [
                {
                    "id": "ptr_1",
                    "name": "Bücherwurm",
                    "email": "kontakt@xn--bcher-kva.example",
                    "username": None,
                    "kind": "reseller",
                    "status": "active",
                    "created_at": at,
                    "last_active_at": at,
                    "version": 1,
                }
            ],
        )
        conn.execute(
            partner_domains.insert(),
            [
                {"partner_id": "ptr_1", "position": 0, "domain": "xn--bcher-kva.example"},
                {"partner_id": "ptr_1", "position": 1, "domain": "acme.example"},
            ],
        )
        conn.execute(
            customers.insert(), [{"id": "cus_1", "name": "Acme", "created_at": at, "version": 1}]
        )
        conn.execute(
            customer_domains.insert(),
            [{"customer_id": "cus_1", "position": 0, "domain": "xn--cme-5cd.example"}],
        )
        conn.execute(
            users.insert(),
            [
                {
                    "email": email,
                    "customer_id": "cus_1",
                    "position": i,
                    "name": email,
                    "is_admin": i == 0,
                }
                for i, email in enumerate(["it@xn--bcher-kva.example", "bob@acme.example"])
            ],
        )
    _migrate(engine, "upgrade", "head")
    with engine.connect() as conn:
        assert conn.execute(sa.select(partners.c.email)).scalar_one() == "kontakt@bücher.example"
        assert sorted(conn.execute(sa.select(partner_domains.c.domain)).scalars()) == [
            "acme.example",
            "bücher.example",
        ]
        # The look-alike stays itself: "\u0430cme", never "acme".
        assert (
            conn.execute(sa.select(customer_domains.c.domain)).scalar_one() == "\u0430cme.example"
        )
        assert sorted(conn.execute(sa.select(users.c.email)).scalars()) == [
            "bob@acme.example",
            "it@bücher.example",
        ]
    _migrate(engine, "downgrade", "0006")
    with engine.connect() as conn:
        assert sorted(conn.execute(sa.select(partner_domains.c.domain)).scalars()) == [
            "acme.example",
            "xn--bcher-kva.example",
        ]
        assert sorted(conn.execute(sa.select(users.c.email)).scalars()) == [
            "bob@acme.example",
            "it@xn--bcher-kva.example",
        ]


def test_data_carried_over_to_the_second_pass_of_the_partner_program(engine: sa.Engine) -> None:
    """0008: a provisional mapping ends where it did (the end of its last day in UTC, the one
    calendar there was); a link for one product offers that product, a link for "every
    product" offers none (the person signing up chooses); going down, a link keeps its first
    product."""
    _migrate(engine, "upgrade", "0007")
    at = datetime(2026, 1, 5, 9)  # noqa: DTZ001 - raw rows are naive UTC
    rows: dict[str, list[dict[str, object]]] = {
        "products": [{"key": "crm", "name": "CRM", "created_at": at, "version": 1}],
        "partners": [
            {
                "id": "ptr_1",
                "name": "Zillium",
                "email": "z@z.example",
                "username": "zillium",
                "kind": "reseller",
                "status": "active",
                "created_at": at,
                "last_active_at": at,
                "version": 1,
            }
        ],
        "customers": [{"id": "cus_1", "name": "Acme", "created_at": at, "version": 1}],
        "partner_records": [
            {
                "id": "map_1",
                "customer_id": "cus_1",
                "product": "crm",
                "partner_id": "ptr_1",
                "channel": "partner_added",
                "valid_from": at,
                "reason": "free",
                "by": "z@z.example",
                "status": "provisional",
                "provisional_until": date(2026, 4, 5),
                "version": 1,
            }
        ],
        "signup_links": [
            {"token_hash": "a" * 64, "partner_id": "ptr_1", "product": "crm", "created_at": at},
            {"token_hash": "b" * 64, "partner_id": "ptr_1", "product": None, "created_at": at},
        ],
    }
    with engine.begin() as conn:
        for name, table_rows in rows.items():
            table = sa.table(name, *(sa.column(c) for c in table_rows[0]))
            conn.execute(table.insert(), table_rows)
    _migrate(engine, "upgrade", "head")
    records = sa.table("partner_records", sa.column("id"), sa.column("provisional_ends_at"))
    products = sa.table(
        "signup_link_products", sa.column("token_hash"), sa.column("position"), sa.column("product")
    )
    customers = sa.table("customers", sa.column("id"), sa.column("time_zone"))
    with engine.connect() as conn:
        [(ends_at,)] = conn.execute(sa.select(records.c.provisional_ends_at)).all()
        offered = conn.execute(
            sa.select(products.c.token_hash, products.c.position, products.c.product)
        ).all()
        zones = conn.execute(sa.select(customers.c.time_zone)).scalars().all()
    if isinstance(ends_at, str):  # SQLite hands raw instants back as text
        ends_at = datetime.fromisoformat(ends_at)
    assert ends_at.replace(tzinfo=None) == datetime(2026, 4, 6)  # noqa: DTZ001
    assert [tuple(r) for r in offered] == [("a" * 64, 0, "crm")]
    assert zones == [None]
    _migrate(engine, "downgrade", "0007")
    links = sa.table("signup_links", sa.column("token_hash"), sa.column("product"))
    with engine.connect() as conn:
        kept = dict(conn.execute(sa.select(links.c.token_hash, links.c.product)).all())
    assert kept == {"a" * 64: "crm", "b" * 64: None}
    _migrate(engine, "upgrade", "head")
    assert _drift(engine) == []
