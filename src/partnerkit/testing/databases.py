"""Database helpers for test suites: reach a server or fail loudly in CI, and empty the
partnerkit tables between tests without re-running migrations."""

from __future__ import annotations

import os
from typing import NoReturn

import pytest
import sqlalchemy as sa

from partnerkit.backends.sql import SqlBackend
from partnerkit.backends.sql.schema import metadata

__all__ = ["require_server", "wipe"]


def require_server(env_var: str) -> SqlBackend:
    """A migrated `SqlBackend` for the database URL in an environment variable, for a test suite.

    Without the variable, or with the server down, the test is skipped on a laptop but fails when
    `CI` is set: a CI run that silently skips its database tests proves nothing.

    Args:
        env_var: The variable holding the URL, such as `"PARTNERKIT_TEST_POSTGRES_URL"`.

    Returns:
        The backend, its schema at the newest revision.

    Raises:
        pytest.skip.Exception: The database is unavailable, outside CI.
        pytest.fail.Exception: The database is unavailable, in CI.
        InvalidInputError: The variable holds no database URL (`validation.invalid`).
        MissingExtraError: The database's driver is not installed (`configuration.missing_extra`).
        StorageError: The migration failed (`storage.unavailable`).
    """
    url = os.environ.get(env_var)
    if not url:
        _unavailable(f"{env_var} is not set")
    backend = SqlBackend.from_url(url)
    try:
        with backend.engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
    except sa.exc.SQLAlchemyError as exc:
        backend.close()
        _unavailable(f"cannot reach {env_var} ({type(exc).__name__}: {exc})")
    backend.migrate()
    return backend


def _unavailable(reason: str) -> NoReturn:
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; CI requires every database backend", pytrace=False)
    pytest.skip(reason)


def wipe(backend: SqlBackend) -> None:
    """Delete every row partnerkit wrote, children first, keeping the schema: a fresh start.

    Args:
        backend: The backend to empty.

    Raises:
        sqlalchemy.exc.SQLAlchemyError: The database failed (a test helper: the driver's error is
            left as it is).
    """
    with backend.engine.begin() as conn:
        for table in reversed(metadata.sorted_tables):
            conn.execute(table.delete())
