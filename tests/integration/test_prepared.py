"""Prebuilt statements on the driver's cursor (backends/sql/prepared.py): every one compiles on
each database, the path is left to SQLAlchemy whenever someone listens, and a driver error
leaves as the error SQLAlchemy's path raises. The conformance suite runs the repositories on
both paths (TestSqliteBackend and TestInstrumentedSqliteBackend)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects.mysql import pymysql
from sqlalchemy.dialects.postgresql import psycopg
from sqlalchemy.dialects.sqlite import pysqlite

import partnerkit.backends.sql.unit_of_work  # noqa: F401  (every repository module registers)
from partnerkit.backends.sql import SqlBackend
from partnerkit.backends.sql import schema as t
from partnerkit.backends.sql.base import Tx
from partnerkit.backends.sql.prepared import _PREPARED, Prepared, fast_path_allowed, prepared
from partnerkit.errors import IntegrityViolationError

DIALECTS = [pysqlite.dialect(), psycopg.dialect(), pymysql.dialect()]


@pytest.mark.parametrize("dialect", DIALECTS, ids=lambda d: d.name)
def test_every_prepared_statement_compiles_once_for_each_database(dialect: Any) -> None:
    assert len(_PREPARED) > 60
    for entry in list(_PREPARED.values()):
        statement = entry.statement
        if entry.only is not None and entry.only != dialect.name:
            # Another database's own syntax (PostgreSQL's ON CONFLICT): refused here.
            with pytest.raises(TypeError, match="only"):
                entry.compiled(dialect, ())
            continue
        # Compiled for the keys its callers give: each required parameter's, and for an
        # insert or an update the columns of its rows.
        required = {b.key for b in statement.compile(dialect=dialect).binds.values() if b.required}
        if isinstance(statement, sa.Insert | sa.Update):
            required |= {c.key for c in statement.table.columns}
        keys = tuple(sorted(required))
        assert entry.compiled(dialect, keys).sql


def test_a_statement_that_renders_per_call_is_refused() -> None:
    statement = sa.select(t.products).where(
        t.products.c.key.in_(sa.bindparam("keys", expanding=True))
    )
    with pytest.raises(TypeError, match="per call"):
        Prepared(statement).compiled(pysqlite.dialect(), ("keys",))


@pytest.fixture
def backend(tmp_path: Path) -> Iterator[SqlBackend]:
    backend = SqlBackend.from_url(f"sqlite:///{tmp_path / 'p.db'}")
    backend.migrate()
    yield backend
    backend.close()


def test_the_driver_path_is_taken_only_when_nobody_listens(backend: SqlBackend) -> None:
    with backend.engine.connect() as conn:
        assert fast_path_allowed(conn)

    def listener(*args: Any) -> None:
        pass

    sa.event.listen(backend.engine, "before_cursor_execute", listener)
    with backend.engine.connect() as conn:
        assert not fast_path_allowed(conn)
    sa.event.remove(backend.engine, "before_cursor_execute", listener)
    backend.engine.echo = True
    try:
        with backend.engine.connect() as conn:
            assert not fast_path_allowed(conn)
    finally:
        backend.engine.echo = False


_INSERT_PRODUCT = prepared(t.products.insert())
_PRODUCT = prepared(sa.select(t.products).where(t.products.c.key == sa.bindparam("key")))


def test_a_driver_error_leaves_as_sqlalchemys_and_then_as_a_partnerkit_error(
    backend: SqlBackend,
) -> None:
    row = {"key": "crm", "name": "CRM", "created_at": _instant(), "version": 1}
    with backend.unit_of_work() as uow:
        Tx(uow.connection).execute(_INSERT_PRODUCT, row)
    with pytest.raises(IntegrityViolationError), backend.unit_of_work() as uow:
        Tx(uow.connection).execute(_INSERT_PRODUCT, row)
    with backend.unit_of_work() as uow:
        found = Tx(uow.connection).execute(_PRODUCT, {"key": "crm"}).all()
    # Read back through the column types: the instant is aware UTC again.
    assert [(r[0], r[2]) for r in found] == [("crm", row["created_at"])]


def test_a_missing_parameter_is_an_error_not_a_null(backend: SqlBackend) -> None:
    with (
        backend.engine.connect() as conn,
        conn.begin(),
        pytest.raises(sa.exc.StatementError, match="key"),
    ):
        Tx(conn).execute(_PRODUCT, {})


def _instant() -> datetime:
    return datetime(2026, 1, 5, 9, 30, 0, 123456, tzinfo=UTC)


def test_a_compiled_form_belongs_to_its_dialect_not_to_a_reused_id() -> None:
    # Engines come and go (a test suite makes hundreds): a dialect's forms go with it, and
    # another database's dialect never meets them.
    import gc

    statement = Prepared(sa.select(t.products).where(t.products.c.key == sa.bindparam("key")))
    sqlite_sql = statement.compiled(pysqlite.dialect(), ("key",)).sql
    gc.collect()
    for _ in range(10):
        assert statement.compiled(pymysql.dialect(), ("key",)).sql != sqlite_sql
        gc.collect()
