"""The servers the race tests run on: PostgreSQL and MariaDB, from PARTNERKIT_TEST_POSTGRES_URL
and PARTNERKIT_TEST_MYSQL_URL (a module that needs another set defines its own `server`)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from partnerkit.backends.sql import SqlBackend
from partnerkit.testing.databases import require_server


@pytest.fixture(
    params=[
        pytest.param("PARTNERKIT_TEST_POSTGRES_URL", marks=pytest.mark.postgres, id="postgres"),
        pytest.param("PARTNERKIT_TEST_MYSQL_URL", marks=pytest.mark.mysql, id="mariadb"),
    ],
    scope="module",
)
def server(request: pytest.FixtureRequest) -> Iterator[tuple[str, SqlBackend]]:
    """Each server in turn, for a module's tests: its URL and a backend on it."""
    backend = require_server(request.param)
    yield os.environ[request.param], backend
    backend.close()
