"""The backend contract over every backend partnerkit ships: memory, SQLite, PostgreSQL and
MariaDB. The SQL servers come from PARTNERKIT_TEST_POSTGRES_URL / PARTNERKIT_TEST_MYSQL_URL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from partnerkit.backends.memory import MemoryBackend
from partnerkit.backends.sql import SqlBackend
from partnerkit.ports import Backend
from partnerkit.stores import Store
from partnerkit.testing.conformance import BackendContract
from partnerkit.testing.databases import require_server, wipe


class TestMemoryBackend(BackendContract):
    @pytest.fixture
    def backend(self) -> Backend[Store]:
        return MemoryBackend()


@pytest.fixture(scope="module")
def sqlite_backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SqlBackend]:
    path: Path = tmp_path_factory.mktemp("sqlite") / "contract.db"
    backend = SqlBackend.from_url(f"sqlite:///{path}")
    backend.migrate()
    yield backend
    backend.close()


class TestSqliteBackend(BackendContract):
    @pytest.fixture
    def backend(self, sqlite_backend: SqlBackend) -> Backend[Store]:
        wipe(sqlite_backend)
        return sqlite_backend


@pytest.fixture(scope="module")
def postgres_backend() -> Iterator[SqlBackend]:
    backend = require_server("PARTNERKIT_TEST_POSTGRES_URL")
    yield backend
    backend.close()


@pytest.mark.postgres
class TestPostgresBackend(BackendContract):
    @pytest.fixture
    def backend(self, postgres_backend: SqlBackend) -> Backend[Store]:
        wipe(postgres_backend)
        return postgres_backend


@pytest.fixture(scope="module")
def mysql_backend() -> Iterator[SqlBackend]:
    backend = require_server("PARTNERKIT_TEST_MYSQL_URL")
    yield backend
    backend.close()


@pytest.mark.mysql
class TestMariaDbBackend(BackendContract):
    @pytest.fixture
    def backend(self, mysql_backend: SqlBackend) -> Backend[Store]:
        wipe(mysql_backend)
        return mysql_backend


@pytest.fixture(scope="module")
def instrumented_backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SqlBackend]:
    """SQLite with a listener on every statement, as a host's tracing would add: statements
    then go through SQLAlchemy's own execution instead of the driver's cursor (prepared.py)."""
    path: Path = tmp_path_factory.mktemp("sqlite") / "instrumented.db"
    backend = SqlBackend.from_url(f"sqlite:///{path}")
    seen: list[str] = []

    @event.listens_for(backend.engine, "before_cursor_execute")
    def _seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    backend.migrate()
    yield backend
    backend.close()
    # The listener saw the contract's statements: nothing went around it.
    assert any(s.startswith("INSERT INTO partner_records") for s in seen)


class TestInstrumentedSqliteBackend(BackendContract):
    @pytest.fixture
    def backend(self, instrumented_backend: SqlBackend) -> Backend[Store]:
        wipe(instrumented_backend)
        return instrumented_backend
