"""Driver errors leave as the right PartnerkitError on every SQL engine: a missing table is a
schema problem, a type error is not, and nothing the driver says reaches `as_dict()`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from partnerkit.backends.sql import SqlBackend
from partnerkit.errors import BackendUnavailableError, SchemaOutdatedError
from partnerkit.testing.databases import require_server


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
