"""What every SQL repository shares: the unit of work's connection and memory of what it read,
the versioned (optimistic) update, and unique violations turned into domain errors.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any, Protocol, TypeVar, cast

import attrs
import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from partnerkit.backends.sql.codec import Guards, Loaded, RowCodec, Stored
from partnerkit.backends.sql.prepared import Rows, fast_path_allowed, lookup, prepared, run
from partnerkit.errors import ConcurrencyError, PartnerkitError

__all__ = ["Guard", "SqlRepository", "Tx", "versioned_update"]


class _Versioned(Protocol):
    @property
    def id(self) -> str: ...

    @property
    def version(self) -> int: ...


V = TypeVar("V", bound=_Versioned)

#: A guard for a child table's inserts, given how many rows go in at once.
Guard = Callable[[int], AbstractContextManager[None]]


class Tx:
    """What the repositories of one unit of work share.

    `loaded` keeps each aggregate (a value with child tables) as this unit of work last read or
    wrote it, so that an update writes only the children that changed. It is keyed by table and
    id and used only when the version matches. `held` keeps what this unit of work locked and
    holds until it ends, as it last read or wrote it (the billing accounts), so a second lock
    of the same row reads nothing. A rolled-back savepoint forgets both (`forget`): what was
    read or written inside may be undone, and PostgreSQL releases the locks taken inside.

    `deferred` holds rows whose insert nothing in the unit of work waits for (the outbox's
    messages: the run publishes three per renewal): `flush` writes them, one executemany per
    statement, before the unit of work commits, before a savepoint begins (so a savepoint
    rolled back drops exactly the rows deferred inside it), and before their table is read.
    """

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        # PostgreSQL aborts the transaction on a failed statement until a savepoint is rolled
        # back; SQLite and MariaDB undo only the failed statement and carry on.
        self.statement_atomic = conn.dialect.name != "postgresql"
        self.loaded: dict[tuple[str, str], Loaded[Any]] = {}
        self.held: dict[tuple[str, str], Any] = {}
        self.deferred: dict[sa.Insert, list[dict[str, Any]]] = {}
        self._fast = fast_path_allowed(conn)
        self._cursor: Any = None

    def execute(
        self,
        statement: sa.Executable,
        params: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None,
    ) -> Rows:
        """Run a statement in this unit of work: a prepared one on the driver's cursor when
        nobody listens to the engine's statements, anything else through SQLAlchemy."""
        if self._fast:
            found = lookup(statement)
            if found is not None:
                if self._cursor is None:
                    self._cursor = self.conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
                return run(self.conn, self._cursor, found, params or {})
        return cast(Rows, self.conn.execute(statement, params or {}))

    def defer(self, insert: sa.Insert, row: dict[str, Any]) -> None:
        """Insert `row` with `insert` at the next `flush`."""
        rows = self.deferred.get(insert)
        if rows is None:
            self.deferred[insert] = [row]
        else:
            rows.append(row)

    def flush(self) -> None:
        """Write the deferred rows."""
        while self.deferred:
            insert, rows = self.deferred.popitem()
            self.execute(insert, rows)

    def forget(self) -> None:
        """Drop what this unit of work remembers reading, writing and locking, and the rows
        deferred since the last flush (those of a savepoint rolled back)."""
        self.loaded.clear()
        self.held.clear()
        self.deferred.clear()


def versioned_update(table: sa.Table) -> sa.Update:
    """The optimistic update of a versioned row: where the id and the version read match."""
    return prepared(
        table.update().where(
            table.c.id == sa.bindparam("b_id"), table.c.version == sa.bindparam("b_version")
        )
    )


class SqlRepository:
    def __init__(self, tx: Tx) -> None:
        self._tx = tx
        self._c = tx.conn

    @contextmanager
    def _unique(
        self,
        make_error: Callable[[], PartnerkitError],
        *,
        taken: Callable[[], bool] | None = None,
        single: bool = False,
    ) -> Iterator[None]:
        """Turn a unique violation in the block into the domain error `make_error` builds.

        On PostgreSQL the block runs in a savepoint, which keeps the transaction usable after
        the violation. On SQLite and MariaDB a block of one single-row statement (`single`)
        needs none: the engine undoes just that statement, and the savepoint would cost two
        statements on every write for the rare refusal. When the block could also break
        another constraint (a foreign key), `taken` tells after the fact whether the guarded
        value is indeed taken; if not, the IntegrityError goes on (and leaves as
        IntegrityViolationError).
        """
        try:
            with self._recoverable(single=single):
                yield
        except IntegrityError as exc:
            if taken is not None and not taken():
                raise
            raise make_error() from exc

    def _recoverable(self, *, single: bool) -> AbstractContextManager[Any]:
        """A scope after whose failure the transaction goes on: a savepoint, except for one
        single-row statement on an engine that undoes a failed statement by itself."""
        if single and self._tx.statement_atomic:
            return nullcontext()
        return self._c.begin_nested()

    def _guard(self, make_error: Callable[[], PartnerkitError]) -> Guard:
        """`_unique` for a child table's inserts, told how many rows go in at once (several
        rows are several statements to SQLite, so they need the savepoint)."""
        return lambda rows: self._unique(make_error, single=rows == 1)

    def _update_versioned(
        self,
        statement: sa.Update,
        row: dict[str, Any],
        value: V,
        what: str,
        *,
        unique: Callable[[], PartnerkitError] | None = None,
    ) -> V:
        """Store `row` if the stored version is still `value.version`; return the value at the
        next version. Any other outcome means another writer got there first. `unique` builds
        the error for a unique violation of the row (a username taken meanwhile)."""
        row.pop("id", None)
        row.update(version=value.version + 1, b_id=value.id, b_version=value.version)
        if unique is None:
            result = self._tx.execute(statement, row)
        else:
            with self._unique(unique, single=True):
                result = self._tx.execute(statement, row)
        if result.rowcount != 1:
            raise ConcurrencyError(
                f"the {what} changed since it was read",
                details={"id": value.id, "version": value.version},
            )
        return cast(V, attrs.evolve(cast(Any, value), version=value.version + 1))

    # --- aggregates: values with child tables ----------------------------------------------

    def _load(
        self,
        codec: RowCodec[V],
        query: sa.Select[Any],
        params: Mapping[str, Any] | None = None,
    ) -> list[V]:
        """Read aggregates with `query` (built by `codec.aggregate.select`) and remember them."""
        found = codec.aggregate.load(self._tx.execute(query, params or {}).all())
        name = codec.table.name
        for loaded in found:
            self._tx.loaded[(name, loaded.value.id)] = loaded
        return [loaded.value for loaded in found]

    def _insert_aggregate(
        self,
        codec: RowCodec[V],
        value: V,
        guards: Guards | None = None,
    ) -> None:
        """Insert the children of a parent row just inserted."""
        positions = codec.aggregate.insert(self._tx, value, guards)
        self._tx.loaded[(codec.table.name, value.id)] = Loaded(value, positions)

    def _update_aggregate(
        self,
        codec: RowCodec[V],
        statement: sa.Update,
        value: V,
        what: str,
        *,
        unique: Callable[[], PartnerkitError] | None = None,
        guards: Guards | None = None,
    ) -> V:
        """The versioned update of the parent row, then its children by difference.

        The difference is taken from what this unit of work read at the same version, the
        parent row's columns too (only those that changed are written: the version says the
        row is as read); when it has not read it (or only at another version), every column,
        and the children from the stored ones, read after the parent row is updated and so
        locked against other writers.
        """
        aggregate = codec.aggregate
        key = (codec.table.name, value.id)
        seen = self._tx.loaded.get(key)
        if seen is not None and seen.value.version != value.version:
            seen = None
        row = codec.row(value) if seen is None else codec.changed(seen.value, value)
        updated = self._update_versioned(statement, row, value, what, unique=unique)
        stored: Stored = (
            aggregate.read_children(self._tx, value.id)
            if seen is None
            else seen.stored(aggregate.children)
        )
        positions = aggregate.write(self._tx, stored, value, guards)
        self._tx.loaded[key] = Loaded(updated, positions)
        return updated
