"""The migrations against the schema: upgrading creates exactly what `schema.py` declares (no
drift), and every revision downgrades and upgrades again, on SQLite, PostgreSQL and MariaDB.

The server databases are scratch ones, named after the test database with `_migrations`
appended, so that downgrading never touches the tables other tests are using.
"""

from __future__ import annotations

from collections.abc import Iterator
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
