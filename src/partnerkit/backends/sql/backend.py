"""SqlBackend: engines set up for money-grade transactions, units of work, and migrations.

SQLite gets WAL, a busy timeout, synchronous=FULL and BEGIN IMMEDIATE for writers, with the
pysqlite transaction fix so SAVEPOINTs work; driver errors leave as PartnerkitErrors.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from partnerkit.backends.sql.unit_of_work import SqlUnitOfWork
from partnerkit.errors import (
    BackendUnavailableError,
    ConcurrencyError,
    IntegrityViolationError,
    InvalidInputError,
    MissingExtraError,
    PartnerkitError,
    SchemaOutdatedError,
)

__all__ = ["SqlBackend"]

#: Milliseconds a SQLite writer waits for another to finish before giving up.
SQLITE_BUSY_TIMEOUT_MS = 30_000

# A schema that is missing or behind, told apart by the engine's own codes, not by words a
# type error shares ("operator does not exist: character varying = integer" is no schema issue).
# SQLSTATEs: PostgreSQL's undefined table, column, schema; MySQL's table and column not found.
_SCHEMA_STATES = frozenset({"42P01", "42703", "3F000", "42S02", "42S22"})
_MYSQL_SCHEMA_ERRNOS = frozenset({1146, 1054, 1049})  # no such table, column, database
_SQLITE_SCHEMA_MARKERS = ("no such table", "no such column")


def _is_schema_problem(orig: object) -> bool:
    args = getattr(orig, "args", ())
    if args and isinstance(args[0], int):
        return args[0] in _MYSQL_SCHEMA_ERRNOS
    state = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    if isinstance(state, str):
        return state in _SCHEMA_STATES
    text = str(orig).lower()
    return any(marker in text for marker in _SQLITE_SCHEMA_MARKERS)


# Two writers the engine could not both let through: a deadlock victim, a serialization
# failure, a lock wait that ran out. The engine rolled the whole transaction back, so nothing
# of it is stored and the same call can simply be made again: a conflict, not an outage.
_CONFLICT_STATES = frozenset({"40001", "40P01", "55P03"})
_MYSQL_CONFLICT_ERRNOS = frozenset({1213, 1205})  # deadlock, lock wait timeout


def _is_conflict(orig: object) -> bool:
    args = getattr(orig, "args", ())
    if args and isinstance(args[0], int):
        return args[0] in _MYSQL_CONFLICT_ERRNOS
    state = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    return isinstance(state, str) and state in _CONFLICT_STATES


def _translate(exc: SQLAlchemyError) -> PartnerkitError:
    """No driver exception reaches the caller: map it to the nearest PartnerkitError. The
    driver's own words stay in `details["driver_message"]`, which `as_dict()` leaves out."""
    orig = getattr(exc, "orig", exc)
    driver = {"driver_message": str(orig)[:300]}
    if _is_schema_problem(orig):
        return SchemaOutdatedError(
            "the partnerkit tables are missing or out of date", details=driver
        )
    if _is_conflict(orig):
        return ConcurrencyError(
            "another change to the same records was made at the same moment; nothing was saved",
            details=driver,
        )
    if isinstance(exc, sa.exc.IntegrityError):
        return IntegrityViolationError("the change breaks a database constraint", details=driver)
    if isinstance(exc, sa.exc.DataError):
        # A value the column cannot hold: the declared limits should have refused it first.
        return InvalidInputError("a value does not fit where it is stored", details=driver)
    return BackendUnavailableError(f"the database failed: {type(orig).__name__}", details=driver)


def _install_sqlite_pragmas(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # pysqlite begins transactions itself and lies about them; take control so that
        # BEGIN, SAVEPOINT and RELEASE mean what they say (SQLAlchemy's documented fix).
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.execute("PRAGMA foreign_keys=ON")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # A deferred BEGIN that reads and then writes fails with "database is locked" no
        # matter the timeout; writers take the lock up front instead.
        mode = conn.get_execution_options().get("partnerkit_sqlite_begin", "IMMEDIATE")
        # Straight to the driver: every unit of work begins here, and SQLAlchemy's statement
        # machinery would cost more than the BEGIN itself. A busy database still leaves as
        # SQLAlchemy's error, so the unit of work translates it like any other.
        statement = f"BEGIN {mode}"
        try:
            conn.connection.dbapi_connection.execute(statement)  # type: ignore[union-attr]
        except sqlite3.Error as exc:
            raise DBAPIError.instance(statement, (), exc, sqlite3.Error) from exc


class SqlBackend:
    """partnerkit's storage on a SQLAlchemy Engine: SQLite, PostgreSQL or MariaDB/MySQL.

    Build one with `from_url` (which sets the options each database needs) or give it your own
    engine. Every database error leaves as a `PartnerkitError`: a missing or old schema as
    `SchemaOutdatedError`, a broken constraint as `IntegrityViolationError`, anything else as
    `BackendUnavailableError`.

    Args:
        engine: A SQLAlchemy 2 engine; on SQLite, the backend installs WAL, a busy timeout,
            `synchronous=FULL` and `BEGIN IMMEDIATE` for writers on it.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._dialect = engine.dialect.name
        if self._dialect == "sqlite":
            _install_sqlite_pragmas(engine)

    @classmethod
    def from_url(cls, url: str, **engine_options: Any) -> SqlBackend:
        """A backend for a database URL, with the engine options partnerkit needs on each database.

        SQLite: WAL, a 30 s busy timeout, and the file's folder created; PostgreSQL: pre-ping;
        MariaDB/MySQL: utf8mb4, pre-ping and READ COMMITTED.

        Args:
            url: A SQLAlchemy URL: `"sqlite:///partnerkit.db"`, `"postgresql+psycopg://…"`,
                `"mysql+pymysql://…"`.
            **engine_options: More `create_engine` options; they win over partnerkit's.

        Returns:
            The backend. Nothing connects yet.

        Raises:
            InvalidInputError: `url` is not a database URL (`validation.invalid`, field `url`).
            MissingExtraError: The database's driver is not installed; the remedy names the extra
                (`configuration.missing_extra`).
        """
        try:
            parsed = sa.engine.make_url(url)
        except sa.exc.ArgumentError as exc:
            raise InvalidInputError(f"not a database URL: {url!r}", field="url") from exc
        backend = parsed.get_backend_name()
        options: dict[str, Any] = {"future": True}
        if backend == "sqlite":
            database = parsed.database or ""
            if database and database != ":memory:" and not database.startswith("file:"):
                Path(database).expanduser().resolve().parent.mkdir(parents=True, exist_ok=True)
            options["connect_args"] = {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
            if not database or database == ":memory:":
                options["poolclass"] = sa.pool.StaticPool
                options["connect_args"]["check_same_thread"] = False
        elif backend in ("mysql", "mariadb"):
            if "charset" not in parsed.query:
                parsed = parsed.update_query_dict({"charset": "utf8mb4"})
            options["pool_pre_ping"] = True
            options["isolation_level"] = "READ COMMITTED"
        elif backend == "postgresql":
            options["pool_pre_ping"] = True
        options.update(engine_options)
        try:
            engine = sa.create_engine(parsed, **options)
        except (ImportError, sa.exc.NoSuchModuleError) as exc:
            extra = {"postgresql": "postgres", "mysql": "mysql", "mariadb": "mysql"}.get(
                backend, "sql"
            )
            raise MissingExtraError(
                f"the driver for {backend} is not installed",
                remedy=f"pip install 'partnerkit[{extra}]'",
            ) from exc
        return cls(engine)

    @property
    def name(self) -> str:
        """The database's name: `"sqlite"`, `"postgresql"` or `"mysql"` (MariaDB too)."""
        return "mysql" if self._dialect == "mariadb" else self._dialect

    @contextmanager
    def unit_of_work(self, *, readonly: bool = False) -> Iterator[SqlUnitOfWork]:
        """Open one unit of work: a database transaction (the kit does this for each service call).

        Args:
            readonly: A promise that the unit of work writes nothing; on SQLite it takes no write
                lock.

        Returns:
            A context manager giving the repositories; it commits when the block ends and rolls back
                when it raises.

        Raises:
            StorageError: The database could not be reached or failed (`storage.unavailable`), or
                its schema is behind (`storage.schema_outdated`).
            IntegrityViolationError: A change broke a database constraint (`storage.integrity`).
            InvalidInputError: A value does not fit the column it is stored in
                (`validation.invalid`).
        """
        try:
            conn = self.engine.connect()
        except SQLAlchemyError as exc:
            raise _translate(exc) from exc
        try:
            if readonly and self._dialect == "sqlite":
                # Writers begin IMMEDIATE, the listener's default: only a reader says otherwise
                # (setting an option costs more than the BEGIN it chooses).
                conn = conn.execution_options(partnerkit_sqlite_begin="DEFERRED")
            try:
                tx = conn.begin()
            except SQLAlchemyError as exc:
                raise _translate(exc) from exc
            uow = SqlUnitOfWork(conn)
            try:
                yield uow
                uow.flush()
            except SQLAlchemyError as exc:
                tx.rollback()
                raise _translate(exc) from exc
            except BaseException:
                tx.rollback()
                raise
            try:
                tx.commit()
            except DBAPIError as exc:
                raise _translate(exc) from exc
        finally:
            conn.close()

    def migrate(self) -> None:
        """Upgrade the schema to the newest revision shipped in the package (Alembic).

        Raises:
            StorageError: The database could not be reached or failed while migrating
                (`storage.unavailable`).
        """
        from partnerkit.backends.sql.migrate import upgrade

        try:
            upgrade(self.engine)
        except SQLAlchemyError as exc:
            raise _translate(exc) from exc

    def close(self) -> None:
        """Dispose of the engine's connection pool; the data stays in the database.

        Raises nothing.
        """
        self.engine.dispose()

    def __repr__(self) -> str:
        return f"SqlBackend({self.engine.url.render_as_string(hide_password=True)!r})"
