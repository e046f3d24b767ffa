"""Driver errors leave as the right PartnerkitError on every SQL engine: a missing table is a
schema problem, a type error is not, and nothing the driver says reaches `as_dict()`."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

import partnerkit as pk
from partnerkit.backends.sql import SqlBackend
from partnerkit.errors import BackendUnavailableError, ConcurrencyError, SchemaOutdatedError
from partnerkit.testing.databases import require_server, wipe


@pytest.fixture(
    params=[
        "sqlite",
        pytest.param("PARTNERKIT_TEST_POSTGRES_URL", marks=pytest.mark.postgres, id="postgres"),
        pytest.param("PARTNERKIT_TEST_MYSQL_URL", marks=pytest.mark.mysql, id="mariadb"),
    ]
)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlBackend]:
    if request.param == "sqlite":
        found = SqlBackend.from_url(f"sqlite:///{tmp_path / 'errors.db'}")
        found.migrate()
    else:
        found = require_server(request.param)
    yield found
    found.close()


def test_a_missing_table_is_a_schema_problem(backend: SqlBackend) -> None:
    with pytest.raises(SchemaOutdatedError) as info, backend.unit_of_work() as uow:
        uow.connection.execute(sa.text("SELECT * FROM partnerkit_no_such_table"))
    assert "driver_message" not in info.value.as_dict()["details"]
    json.dumps(info.value.as_dict(include_internal=True))


def test_a_type_error_is_not_reported_as_an_outdated_schema(backend: SqlBackend) -> None:
    # PostgreSQL says "operator does not exist: character varying = integer": words a missing
    # table shares, but no schema problem.
    with pytest.raises(BackendUnavailableError) as info, backend.unit_of_work() as uow:
        if backend.engine.dialect.name == "postgresql":
            uow.connection.execute(sa.text("SELECT 1 FROM products WHERE key = 1"))
        else:
            uow.connection.execute(sa.text("SELECT 1 FROM products WHERE nonsense("))
    assert not isinstance(info.value, SchemaOutdatedError)
    assert info.value.code == "storage.unavailable"


@pytest.mark.parametrize(
    "url",
    [
        pytest.param("PARTNERKIT_TEST_POSTGRES_URL", marks=pytest.mark.postgres, id="postgres"),
        pytest.param("PARTNERKIT_TEST_MYSQL_URL", marks=pytest.mark.mysql, id="mariadb"),
    ],
)
def test_a_deadlock_victim_is_told_to_try_again_not_that_the_database_is_down(url: str) -> None:
    # Two writers lock two rows in opposite orders: the engine rolls one back. That is a
    # conflict the caller retries (conflict.stale_version), not an outage.
    backend = require_server(url)
    wipe(backend)
    kit = pk.Kit(backend)
    staff = pk.Principal.staff("team@vendor.example")
    kit.catalog.add_product("crm", name="CRM", actor=staff)
    kit.catalog.add_product("desk", name="Desk", actor=staff)
    barrier = threading.Barrier(2)
    caught: list[BaseException] = []
    products = sa.table("products", sa.column("key"))
    lock = sa.select(products.c.key).where(products.c.key == sa.bindparam("k")).with_for_update()

    def writer(first: str, second: str) -> None:
        try:
            with backend.unit_of_work() as uow:
                uow.connection.execute(lock, {"k": first})
                barrier.wait()
                uow.connection.execute(lock, {"k": second})
        except BaseException as exc:  # the victim's error is the point
            caught.append(exc)

    threads = [
        threading.Thread(target=writer, args=("crm", "desk")),
        threading.Thread(target=writer, args=("desk", "crm")),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    backend.close()
    assert len(caught) == 1, caught
    assert isinstance(caught[0], ConcurrencyError), caught
    assert caught[0].code == "conflict.stale_version"
    assert "driver_message" not in caught[0].as_dict()["details"]
