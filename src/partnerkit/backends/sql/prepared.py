"""Prebuilt statements run on the driver's cursor: SQLAlchemy compiles, the driver executes.

SQLAlchemy Core costs 20 to 45 µs a statement in Python (an execution context, parameter and
result processing, events, the result object), about ten times what the driver itself takes
for an indexed read on SQLite; a tag runs ten statements. A `Prepared` statement is compiled
once per dialect and per set of parameter names, through SQLAlchemy's public compiler and type
API: the SQL text, the order of its parameters, and each parameter's and result column's
conversion (UTC instants, SQLite's text dates). Then each execution is one call to the DBAPI
cursor, with SQLAlchemy's own conversions, and a failure leaves as the SQLAlchemy exception
SQLAlchemy would raise, so the rest of the backend cannot tell the paths apart.

When anyone listens to the engine's statement events, or its statements are logged, every
statement takes SQLAlchemy's own path instead, so instrumentation (OpenTelemetry, a statement
counter, `echo=True`) sees each one. Statements with parameters that compile per call (an
expanding IN list) are never prepared; they always go through SQLAlchemy.
"""

from __future__ import annotations

import logging
import operator
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, Protocol, TypeVar, cast

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.sql.compiler import SQLCompiler

__all__ = [
    "FastResult",
    "Prepared",
    "Rows",
    "fast_path_allowed",
    "lookup",
    "prepare",
    "prepared",
    "run",
]

_Params = Mapping[str, Any]
_Processor = Callable[[Any], Any] | None
E = TypeVar("E", bound=sa.Executable)


class Rows(Protocol):
    """What the repositories read from an execution, on either path."""

    @property
    def rowcount(self) -> int: ...

    def first(self) -> Sequence[Any] | None: ...

    def all(self) -> Sequence[Sequence[Any]]: ...

    def scalar(self) -> Any: ...

    def __iter__(self) -> Iterator[Sequence[Any]]: ...


class FastResult:
    """The rows of a prepared statement, fetched at once and converted; or its row count."""

    __slots__ = ("_rows", "rowcount")

    def __init__(self, rows: list[Sequence[Any]], rowcount: int) -> None:
        self._rows = rows
        self.rowcount = rowcount

    def first(self) -> Sequence[Any] | None:
        return self._rows[0] if self._rows else None

    def all(self) -> list[Sequence[Any]]:
        return self._rows

    def scalar(self) -> Any:
        return self._rows[0][0] if self._rows else None

    def __iter__(self) -> Iterator[Sequence[Any]]:
        return iter(self._rows)


class _Compiled:
    """One statement compiled for one dialect and one set of parameter names."""

    __slots__ = (
        "constants",
        "get",
        "named",
        "names",
        "positions",
        "processors",
        "results",
        "sql",
        "template",
    )

    def __init__(self, statement: sa.Executable, dialect: Dialect, keys: Sequence[str]) -> None:
        compiled = statement.compile(dialect=dialect, column_keys=list(keys))  # type: ignore[attr-defined]
        assert isinstance(compiled, SQLCompiler)
        if compiled.post_compile_params or compiled.literal_execute_params:
            # An expanding IN list or a literal rendered per call: not a statement built once.
            raise TypeError(f"{statement} renders parameters per call; leave it to SQLAlchemy")
        self.sql: str = compiled.string
        self.named = not dialect.positional
        if self.named:
            names: Sequence[str] = list(dict.fromkeys(compiled.bind_names.values()))
        else:
            names = compiled.positiontup or []
        # Compiled for exactly these caller keys, so each parameter's source is known now: a
        # caller's value (taken by one itemgetter, converted where its type converts), or a
        # literal's value converted once.
        self.names = list(names)
        self.template: list[Any] = []
        caller: list[str] = []
        self.positions: list[int] = []
        self.processors: list[tuple[int, Callable[[Any], Any]]] = []
        for position, name in enumerate(names):
            bind = compiled.binds[name]
            processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
            # The caller names a parameter by its key; a literal's anonymous one, never.
            key = bind.key if bind.key in keys else name if name in keys else None
            if key is None:
                if bind.required:
                    raise sa.exc.StatementError(
                        f"A value is required for bind parameter {name!r}", self.sql, {}, None
                    )
                value = bind.effective_value
                self.template.append(value if processor is None else processor(value))
                continue
            self.template.append(None)
            if processor is not None:
                self.processors.append((len(caller), processor))
            self.positions.append(position)
            caller.append(key)
        self.constants = len(caller) < len(names)
        self.get = _getter(caller)
        self.results: list[tuple[int, Callable[[Any], Any]]] = []
        if isinstance(statement, sa.Select | sa.CompoundSelect):
            for i, column in enumerate(statement.selected_columns):
                result = column.type.dialect_impl(dialect).result_processor(dialect, None)
                if result is not None:
                    self.results.append((i, result))

    def bind(self, params: _Params) -> Any:
        values = list(self.get(params))
        for i, processor in self.processors:
            values[i] = processor(values[i])
        if self.constants:
            out = self.template.copy()
            for position, value in zip(self.positions, values, strict=True):
                out[position] = value
            values = out
        if self.named:
            return dict(zip(self.names, values, strict=True))
        return values

    def convert(self, rows: list[Any]) -> list[Sequence[Any]]:
        if not self.results:
            return rows
        converted: list[Sequence[Any]] = []
        for row in rows:
            values = list(row)
            for i, result in self.results:
                values[i] = result(values[i])
            converted.append(values)
        return converted


def _getter(keys: Sequence[str]) -> Callable[[_Params], tuple[Any, ...]]:
    """The values of `keys` from a caller's parameters, as a tuple, in one call."""
    if not keys:
        return lambda params: ()
    if len(keys) == 1:
        key = keys[0]
        return lambda params: (params[key],)
    return operator.itemgetter(*keys)


class Prepared:
    """A statement built once at import, compiled once per dialect and parameter names.

    Args:
        statement: A SQLAlchemy Core statement whose parameters are plain bind parameters.
    """

    __slots__ = ("_compiled", "only", "statement")

    def __init__(self, statement: sa.Executable, *, only: str | None = None) -> None:
        self.statement = statement
        #: The one database the statement is written for (PostgreSQL's ON CONFLICT), if any.
        self.only = only
        # By the dialect object itself, weakly: an id could be reused by another engine's
        # dialect once the first is gone, and a compiled form belongs to one dialect only.
        self._compiled: weakref.WeakKeyDictionary[Dialect, dict[tuple[str, ...], _Compiled]] = (
            weakref.WeakKeyDictionary()
        )

    def compiled(self, dialect: Dialect, keys: tuple[str, ...]) -> _Compiled:
        if self.only is not None and dialect.name != self.only:
            raise TypeError(f"{self.statement} is for {self.only} only, not {dialect.name}")
        forms = self._compiled.get(dialect)
        if forms is None:
            forms = self._compiled[dialect] = {}
        found = forms.get(keys)
        if found is None:
            found = forms[keys] = _Compiled(self.statement, dialect, keys)
        return found

    def __repr__(self) -> str:
        return f"Prepared({self.statement})"


#: The prepared statements by the identity of their SQLAlchemy statement, which each entry
#: keeps alive (so an id is never reused). Only statements built once at import are added.
_PREPARED: dict[int, Prepared] = {}


def prepare(*statements: sa.Executable, only: str | None = None) -> None:
    """Run these statements, built once at import, on the driver's cursor from now on; `only`
    names the one database they are written for, when they are (a dialect's own syntax)."""
    for statement in statements:
        _PREPARED.setdefault(id(statement), Prepared(statement, only=only))


def prepared(statement: E) -> E:
    """`prepare` one statement and give it back, for a definition: `_X = prepared(select(...))`."""
    prepare(statement)
    return statement


def lookup(statement: object) -> Prepared | None:
    """The prepared form of `statement`, if it was prepared."""
    return _PREPARED.get(id(statement))


def fast_path_allowed(conn: Connection) -> bool:
    """Whether statements may skip SQLAlchemy: nobody listens to them and none are logged.

    The engine's listeners are asked, which include those on the Engine class (where tracing
    libraries register); the connection is one partnerkit opened for a unit of work, on which
    nobody else can have registered any.
    """
    engine = conn.engine
    dispatch = engine.dispatch
    if (
        dispatch.before_cursor_execute
        or dispatch.after_cursor_execute
        or dispatch.before_execute
        or dispatch.after_execute
    ):
        return False
    return not (engine.echo or engine.logger.isEnabledFor(logging.INFO))


def run(
    conn: Connection,
    cursor: Any,
    prepared: Prepared,
    params: _Params | Sequence[_Params],
) -> FastResult:
    """Execute `prepared` on the driver's `cursor` inside `conn`'s transaction."""
    # A dict for one row, the common case, without the Mapping ABC's isinstance.
    many = type(params) is not dict and not isinstance(params, Mapping)
    first: _Params = params[0] if many else params  # type: ignore[index,assignment]
    dialect = conn.dialect
    # Keyed by the names in the order given: a caller builds its rows alike every time.
    compiled = prepared.compiled(dialect, tuple(first))
    bound: Any = None
    try:
        if many:
            bound = [compiled.bind(p) for p in cast(Sequence[_Params], params)]
            cursor.executemany(compiled.sql, bound)
        else:
            bound = compiled.bind(first)
            cursor.execute(compiled.sql, bound)
        rows = [] if cursor.description is None else compiled.convert(cursor.fetchall())
    except dialect.loaded_dbapi.Error as exc:
        raise _translate(conn, cursor, compiled.sql, bound, exc, many=many) from exc
    return FastResult(rows, cursor.rowcount)


def _translate(
    conn: Connection, cursor: Any, sql: str, params: Any, exc: Any, *, many: bool
) -> sa.exc.DBAPIError:
    """The exception SQLAlchemy raises for a driver error, and a lost connection invalidated."""
    dialect = conn.dialect
    dbapi_conn = conn.connection.dbapi_connection
    lost = dialect.is_disconnect(exc, dbapi_conn, cursor)
    if lost:
        conn.invalidate(exc)
    error = sa.exc.DBAPIError.instance(
        sql,
        params,
        exc,
        dialect.loaded_dbapi.Error,
        hide_parameters=conn.engine.hide_parameters,
        connection_invalidated=lost,
        dialect=dialect,
        ismulti=many,
    )
    assert isinstance(error, sa.exc.DBAPIError)
    return error
