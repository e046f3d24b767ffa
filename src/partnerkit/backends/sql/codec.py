"""The row codec: frozen attrs values to table rows and back, declared once per entity.

A `RowCodec` maps a value class's attrs fields, by their annotations, to the columns of its
table; tuple fields kept in child tables are declared as `Children`, which the codec reads with
their parent in one statement and writes by difference.
"""

from __future__ import annotations

import enum
import json
import operator
import typing
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import UTC, date, datetime
from decimal import Decimal
from types import NoneType, UnionType
from typing import Any, Generic, TypeVar, Union

import attrs
import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal

from partnerkit.backends.sql.prepared import Rows, prepared
from partnerkit.backends.sql.types import UtcDateTime
from partnerkit.money import Money

__all__ = [
    "Aggregate",
    "Children",
    "Executor",
    "Guards",
    "Loaded",
    "RowCodec",
    "Stored",
    "TypedNull",
    "naive_instants",
]

T = TypeVar("T")

_Row = Sequence[Any]
_Convert = Callable[[Any], Any]
_Rows = list[dict[str, Any]]
_Owners = Callable[[sa.ColumnElement[Any]], sa.ColumnElement[bool]]


class Executor(typing.Protocol):
    """Where statements run: the unit of work's `Tx`."""

    def execute(
        self,
        statement: sa.Executable,
        params: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None,
    ) -> Rows: ...


#: Per tuple field, a guard for inserting its rows, told how many go in at once.
Guards = Mapping[str, Callable[[int], AbstractContextManager[None]]]


# --- typed NULLs for UNION ALL ---------------------------------------------------------------


class TypedNull(ColumnElement[Any]):
    """A NULL with a type, filling a branch's unused columns in a UNION ALL.

    PostgreSQL resolves a UNION's column types pair by pair: two untyped NULLs become text,
    which then clashes with a timestamp in a later branch, so it gets a CAST. SQLite and MariaDB
    type the column from every branch and get a bare NULL (a CAST to CHAR would clash with the
    binary collation on MariaDB). The SQLAlchemy type decides how results are read everywhere.
    """

    __visit_name__ = "typed_null"
    _traverse_internals = [("type", InternalTraversal.dp_type)]  # noqa: RUF012
    inherit_cache = True

    def __init__(self, type_: sa.types.TypeEngine[Any]) -> None:
        self.type = type_


@compiles(TypedNull)
def _bare_null(element: TypedNull, compiler: SQLCompiler, **kw: Any) -> str:
    return "NULL"


@compiles(TypedNull, "postgresql")
def _cast_null(element: TypedNull, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST(NULL AS {compiler.dialect.type_compiler_instance.process(element.type)})"


# --- one value, one row ----------------------------------------------------------------------


def _getter(fields: Sequence[str]) -> Callable[[Any], tuple[Any, ...]]:
    """The values of `fields` of an object, as a tuple, in one call."""
    if not fields:
        return lambda value: ()
    if len(fields) == 1:
        name = fields[0]
        return lambda value: (getattr(value, name),)
    return operator.attrgetter(*fields)


def _json_text(value: Mapping[str, Any]) -> str:
    # Sorted keys, and no default=str: a value JSON cannot hold must fail, not come back changed.
    return json.dumps(dict(value), sort_keys=True)


def _enum_value(value: enum.Enum) -> Any:
    return value.value


def _aware(value: datetime | str) -> datetime:
    """A naive UTC instant (SQLite may hand it back as text) made aware."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC)


def naive_instants(column: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
    """`column` read as a plain DateTime when it is a UtcDateTime, so that the driver's (or
    SQLAlchemy's compiled) conversion is all a row costs, and the codec makes the instant
    aware once per value it builds. A joined parent's columns repeat on every child row."""
    if isinstance(column.type, UtcDateTime):
        return sa.type_coerce(column, sa.DateTime())
    return column


def _optional(hint: Any) -> Any:
    """`X | None` -> X: None passes every conversion untouched."""
    if typing.get_origin(hint) in (Union, UnionType):
        args = [a for a in typing.get_args(hint) if a is not NoneType]
        if len(args) == 1:
            return args[0]
    return hint


def _conversions(owner: type[Any], name: str, hint: Any) -> tuple[_Convert | None, _Convert | None]:
    """How a field's value becomes its column's value and back; None means as it is."""
    hint = _optional(hint)
    origin = typing.get_origin(hint) or hint
    if hint is bool:
        return None, bool  # SQLite and MariaDB hand booleans back as integers
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return _enum_value, hint
    if hint is Decimal:
        # Exact text, never a float or an engine's NUMERIC (SQLite would make it a REAL).
        return str, Decimal
    if hint in (str, int, datetime, date):
        return None, None  # UtcDateTime and Date columns convert instants and days themselves
    if isinstance(origin, type) and issubclass(origin, Mapping):
        return _json_text, json.loads
    raise TypeError(f"{owner.__name__}.{name}: no column mapping for {hint!r}")


@attrs.frozen
class _Column:
    field: str
    column: str
    encode: _Convert | None
    decode: _Convert | None


@attrs.frozen
class _MoneyColumns:
    field: str
    minor: str
    currency: str


class RowCodec(Generic[T]):
    """Maps the frozen attrs class `cls` to the columns of `table`, field by field.

    Each field becomes the column of its name, or the one `columns` names: enums as their value,
    Decimals as exact text, mappings as JSON text with sorted keys; booleans, instants, days and
    None as they are. A Money field `x` becomes `x_minor`, an integer count of minor units (so
    SUM is exact), and a currency column: `currency` unless `money` names another. Tuple fields
    kept in child tables are declared in `children`. Every column must be mapped, but those
    named in `filled`, which the caller fills (a child row's owner and position).
    """

    def __init__(
        self,
        cls: type[T],
        table: sa.Table,
        *,
        columns: Mapping[str, str] | None = None,
        money: Mapping[str, str] | None = None,
        children: Mapping[str, Children] | None = None,
        filled: Collection[str] = (),
        id_field: str = "id",
    ) -> None:
        self.cls = cls
        self.table = table
        self.id_field = id_field
        children = dict(children or {})
        renamed = dict(columns or {})
        hints = typing.get_type_hints(cls)
        self._columns: list[_Column] = []
        self._money: list[_MoneyColumns] = []
        self._skipped = False  # a field not read from a column of its own (a child tuple)
        self._aggregate: Aggregate[T] | None = None
        for field in attrs.fields(typing.cast(Any, cls)):
            if field.name in children:
                self._skipped = True
                continue
            hint = hints[field.name]
            if _optional(hint) is Money:
                currency = (money or {}).get(field.name, "currency")
                self._money.append(_MoneyColumns(field.name, f"{field.name}_minor", currency))
                continue
            encode, decode = _conversions(cls, field.name, hint)
            column = renamed.get(field.name, field.name)
            self._columns.append(_Column(field.name, column, encode, decode))
        mapped = [c.column for c in self._columns]
        for m in self._money:
            mapped += [m.minor, m.currency]
        names = [c.name for c in table.columns]
        missing = set(mapped) - set(names)
        if missing:
            raise TypeError(f"{cls.__name__}: {table.name} has no columns {sorted(missing)}")
        unmapped = set(names) - set(mapped) - set(filled)
        if unmapped:
            raise TypeError(f"{cls.__name__}: no field for {table.name}.{sorted(unmapped)}")
        self._field_of = {c.column: c.field for c in self._columns}
        # What `row` does for every value, worked out once: the fields stored as they are
        # (read by one attrgetter), then those converted, then the money.
        plain = [c for c in self._columns if c.encode is None]
        self._plain_columns = tuple(c.column for c in plain)
        self._plain_values: Callable[[Any], tuple[Any, ...]] = _getter([c.field for c in plain])
        self._encoded = tuple((c.column, c.field, c.encode) for c in self._columns if c.encode)
        #: The insert of one row, built once: a statement built per call costs more than it
        #: takes to run.
        self.insert = prepared(table.insert())
        if children:
            self._aggregate = Aggregate(self, children)
        self._read = self.reader({name: i for i, name in enumerate(names)})

    def row(self, value: T, **filled: Any) -> dict[str, Any]:
        """The column values of `value` (its children aside), plus the `filled` columns."""
        out = dict(zip(self._plain_columns, self._plain_values(value), strict=True))
        for column, field, encode in self._encoded:
            v = getattr(value, field)
            out[column] = None if v is None else encode(v)
        for m in self._money:
            amount: Money | None = getattr(value, m.field)
            out[m.minor] = None if amount is None else amount.minor_units
            out[m.currency] = None if amount is None else amount.currency
        out.update(filled)
        return out

    def changed(self, old: T, new: T) -> dict[str, Any]:
        """The columns of `new` (its children aside) whose value differs from `old`'s, as
        `row` gives them: what an update of the row stored as `old` needs to write."""
        out = {
            column: v
            for column, v, w in zip(
                self._plain_columns, self._plain_values(new), self._plain_values(old), strict=True
            )
            if v is not w and v != w
        }
        for column, field, encode in self._encoded:
            v, w = getattr(new, field), getattr(old, field)
            if v is not w:
                # Compared as stored: Decimal("1.0") == Decimal("1.00"), not their text.
                encoded = None if v is None else encode(v)
                if w is None or encoded != encode(w):
                    out[column] = encoded
        for m in self._money:
            a: Money | None = getattr(new, m.field)
            b: Money | None = getattr(old, m.field)
            if a is not b and (
                a is None or b is None or a.minor_units != b.minor_units or a.currency != b.currency
            ):
                out[m.minor] = None if a is None else a.minor_units
                out[m.currency] = None if a is None else a.currency
        return out

    def field_of(self, column: str) -> str:
        return self._field_of[column]

    def reader(self, layout: Mapping[str, int], *, naive: bool = False) -> Callable[..., T]:
        """A function from a result row, whose columns are at the indexes `layout` gives, to a
        value. An aggregate's children are passed to it as keyword arguments. With `naive`,
        instants arrive as naive UTC datetimes (see `naive_instants`)."""
        cls = self.cls
        columns = [self._naive(c) if naive else c for c in self._columns]
        if not self._money and self._aggregate is None and not self._skipped:
            # Every field from a column, in the order of the class: positional arguments, the
            # fastest way to build the many items of a child table.
            indices = [layout[c.column] for c in columns]
            decoding = [(j, c.decode) for j, c in enumerate(columns) if c.decode]
            get: Callable[[_Row], Any] = operator.itemgetter(*indices)
            if len(indices) == 1:
                index = indices[0]
                get = lambda row: (row[index],)  # noqa: E731

            def read_items(row: _Row) -> T:
                values = list(get(row))
                for j, decode in decoding:
                    if values[j] is not None:
                        values[j] = decode(values[j])
                return cls(*values)

            return read_items
        plan = [(c.field, layout[c.column], c.decode) for c in columns]
        money = [(m.field, layout[m.minor], layout[m.currency]) for m in self._money]

        def read(row: _Row, **children: Any) -> T:
            values = {
                name: row[i] if decode is None or row[i] is None else decode(row[i])
                for name, i, decode in plan
            }
            for name, minor, currency in money:
                values[name] = (
                    None if row[minor] is None else Money.from_minor(row[minor], row[currency])
                )
            values.update(children)
            return cls(**values)

        return read

    def _naive(self, column: _Column) -> _Column:
        if not isinstance(self.table.c[column.column].type, UtcDateTime):
            return column
        return attrs.evolve(column, decode=_aware)

    def one(self, row: _Row | None) -> T | None:
        """The value of a row of `select(table)`, or None for no row."""
        self._without_children()
        return None if row is None else self._read(row)

    def many(self, rows: Iterable[_Row]) -> list[T]:
        """The values of the rows of `select(table)`."""
        self._without_children()
        if not isinstance(rows, list):
            rows = rows.all()  # type: ignore[attr-defined]  # one fetchall, not row by row
        read = self._read
        return [read(r) for r in rows]

    def _without_children(self) -> None:
        # A parent's row alone would build a value whose child tuples are silently empty.
        if self._aggregate is not None:
            raise TypeError(f"{self.cls.__name__} has children: read it with .aggregate")

    @property
    def aggregate(self) -> Aggregate[T]:
        """The parent-and-children statements of a codec that declares children."""
        if self._aggregate is None:
            raise TypeError(f"{self.cls.__name__} declares no children")
        return self._aggregate


# --- child tables ----------------------------------------------------------------------------


class Children:
    """A tuple field stored in its own table, one row per item, `owner` naming the parent.

    `item` is the value class of the items, or the column of a scalar item (a string in a
    tuple of strings); `columns` renames item fields as `RowCodec` does. `key` identifies an
    item among its owner's for writing by difference: the position by default (list entries
    with no identity of their own), or columns of the item (a user's email). `position` is the
    column that keeps the tuple's order, None for a tuple kept in key order.
    """

    def __init__(
        self,
        table: sa.Table,
        owner: str,
        item: type[Any] | str,
        *,
        key: tuple[str, ...] = ("position",),
        position: str | None = "position",
        columns: Mapping[str, str] | None = None,
    ) -> None:
        self.table = table
        self.owner = owner
        self.key = key
        self.position = position
        self.by_position = key == (position,)
        self.order_column = position if position is not None else key[0]
        filled = [owner] if position is None else [owner, position]
        self.codec: RowCodec[Any] | None = None
        self.scalar: str | None = None
        self._key_fields: list[str] = []
        if isinstance(item, str):
            if not self.by_position:
                raise TypeError(f"{table.name}: a list of {item} is kept by position")
            self.scalar = item
        else:
            self.codec = RowCodec(item, table, columns=columns, filled=filled)
            self._key_fields = [self.codec.field_of(k) for k in key if k != position]
        # A row is found by its owner and key; an update sets the rest (position included).
        self._where = (owner, *key)
        where = [table.c[c] == sa.bindparam(f"b_{c}") for c in self._where]
        self.insert = prepared(table.insert())
        self.delete = prepared(table.delete().where(*where))
        self.update = prepared(table.update().where(*where))

    def data_columns(self) -> list[str]:
        """The columns read back: all but the owner."""
        return [c.name for c in self.table.columns if c.name != self.owner]

    def _keys(self, places: Sequence[int | None], items: Sequence[Any]) -> list[tuple[Any, ...]]:
        """The key of each item: its position, or the values of its key fields."""
        if self.by_position:
            return [(p,) for p in places]
        if len(self._key_fields) == 1:
            return [(k,) for k in map(operator.attrgetter(self._key_fields[0]), items)]
        return list(map(operator.attrgetter(*self._key_fields), items))

    def row(self, owner: str, position: int | None, item: Any) -> dict[str, Any]:
        filled: dict[str, Any] = {self.owner: owner}
        if self.position is not None:
            filled[self.position] = position
        if self.codec is not None:
            return self.codec.row(item, **filled)
        assert self.scalar is not None
        filled[self.scalar] = item
        return filled

    def _positions(
        self,
        before: Mapping[tuple[Any, ...], tuple[int | None, Any]],
        keys: Sequence[tuple[Any, ...]],
    ) -> list[int | None]:
        """Where the items of `keys` go. Items kept stay where they were and new ones go after
        every old one, as long as that keeps their order; otherwise (a reorder) 0..n-1."""
        if self.position is None:
            return [None] * len(keys)
        if self.by_position:
            return list(range(len(keys)))
        top = max((p for p, _ in before.values() if p is not None), default=-1)
        last = -1
        out: list[int | None] = []
        for key in keys:
            found = before.get(key)
            if found is None or found[0] is None:
                top += 1
                p = top
            else:
                p = found[0]
            if p <= last:
                return list(range(len(keys)))
            out.append(p)
            last = p
        return out

    def changes(
        self, owner: str, before: Sequence[Any], places: Sequence[int], items: Sequence[Any]
    ) -> tuple[_Rows, _Rows, _Rows, tuple[int, ...]]:
        """The rows to delete, update and insert to go from `before` (at `places`) to `items`,
        and the positions the items end up at."""
        old_places: Sequence[int | None] = (
            places if self.position is not None else [None] * len(before)
        )
        if len(items) > len(before) and all(map(operator.is_, before, items)):
            # Only added at the end, the usual change (a user, a contact, a confirmation):
            # no need to compare the items kept, they are the very objects read.
            added = items[len(before) :]
            old_keys = set(self._keys(old_places, before))
            start = len(before) if self.by_position else max(places, default=-1) + 1
            new = [None if self.position is None else start + i for i in range(len(added))]
            if self.by_position or not old_keys & set(self._keys(new, added)):
                appended = [self.row(owner, p, item) for p, item in zip(new, added, strict=True)]
                kept_places = tuple(places) if self.position is not None else ()
                tail = tuple(p for p in new if p is not None)
                return [], [], appended, kept_places + tail
        old = dict(
            zip(self._keys(old_places, before), zip(old_places, before, strict=True), strict=True)
        )
        keys = self._keys(range(len(items)), items)
        new_places = self._positions(old, keys)
        if self.by_position:
            keys = [(p,) for p in new_places]
        updates: _Rows = []
        inserts: _Rows = []
        kept: set[tuple[Any, ...]] = set()
        for p, key, item in zip(new_places, keys, items, strict=True):
            found = old.get(key)
            if found is None or key in kept:
                # New, or a second item with the same key, which the table's key refuses as
                # it did when every row was rewritten (a user's email taken twice).
                inserts.append(self.row(owner, p, item))
                continue
            kept.add(key)
            # Identity first: an unchanged item is usually the very object that was read.
            if found[0] != p or (found[1] is not item and found[1] != item):
                row = self.row(owner, p, item)
                for c in self._where:
                    row[f"b_{c}"] = row.pop(c)
                updates.append(row)
        deletes = [
            {f"b_{c}": v for c, v in zip(self._where, (owner, *key), strict=True)}
            for key in old
            if key not in kept
        ]
        return deletes, updates, inserts, tuple(p for p in new_places if p is not None)


@attrs.frozen
class Stored:
    """Children as stored: the items of each tuple field and the positions of their rows.

    Positions are kept because they may have gaps: a removed user leaves its neighbours where
    they are, so that removing one row rewrites no other.
    """

    items: Mapping[str, Sequence[Any]]
    positions: Mapping[str, tuple[int, ...]]


@attrs.frozen
class Loaded(Generic[T]):
    """A value as this unit of work read or wrote it, with its children's positions. Values
    are frozen, so keeping one to take a difference from later is safe."""

    value: T
    positions: Mapping[str, tuple[int, ...]]

    def stored(self, fields: Iterable[str]) -> Stored:
        return Stored({f: getattr(self.value, f) for f in fields}, self.positions)


def _slot_kind(type_: sa.types.TypeEngine[Any]) -> tuple[str, sa.types.TypeEngine[Any]]:
    """Which UNION ALL column a child column shares with the other tables' columns of its kind,
    and the type that column reads as."""
    if isinstance(type_, UtcDateTime):
        return "ts", sa.DateTime()  # read naive, made aware by the codec (naive_instants)
    if isinstance(type_, sa.Boolean):
        return "flag", sa.Boolean()
    if isinstance(type_, sa.Date) and not isinstance(type_, sa.DateTime):
        return "day", sa.Date()
    if isinstance(type_, sa.Integer):
        return "int", sa.BigInteger()
    if isinstance(type_, sa.String):
        return "text", sa.Text()
    raise TypeError(f"no UNION ALL column for {type_!r}")


@attrs.frozen
class _Branch:
    """One child table's SELECT in the UNION ALL: which union column holds which of its own."""

    kind: int
    field: str
    spec: Children
    slots: Mapping[str, str]


@attrs.frozen
class _ChildReader:
    field: str
    read: Callable[[_Row], Any]
    position: int | None


class Aggregate(Generic[T]):
    """A parent codec and its child tables: one statement reads a parent with all its
    children, and an update writes only the children that changed.

    The child tables are read as one UNION ALL whose columns are shared by kind (text, integer,
    instant, ...): each table's order column goes to the order column of its kind, the others to
    the next free column of theirs, so one ORDER BY sorts the rows of every table.
    """

    def __init__(self, codec: RowCodec[T], children: Mapping[str, Children]) -> None:
        self.codec = codec
        self.children = dict(children)
        self.parent = codec.table
        self.id_column = self.parent.c[codec.id_field]
        self._slot_types: dict[str, sa.types.TypeEngine[Any]] = {}
        self._branches: list[_Branch] = []
        order_slots: list[str] = []
        data_slots: set[str] = set()
        for kind, (field, spec) in enumerate(self.children.items()):
            used: dict[str, int] = {}
            slots: dict[str, str] = {}
            for column in spec.data_columns():
                family, slot_type = _slot_kind(spec.table.c[column].type)
                if column == spec.order_column:
                    slot = f"order_{family}"
                    if slot not in order_slots:
                        order_slots.append(slot)
                else:
                    used[family] = used.get(family, -1) + 1
                    slot = f"{family}{used[family]}"
                    data_slots.add(slot)
                self._slot_types[slot] = slot_type
                slots[column] = slot
            self._branches.append(_Branch(kind, field, spec, slots))
        self._order_slots = order_slots
        self._slots = order_slots + sorted(data_slots)
        width = len(self.parent.columns)
        self._kind_index = width
        self._id_index = [c.name for c in self.parent.columns].index(codec.id_field)
        self._parent_read = codec.reader(
            {c.name: i for i, c in enumerate(self.parent.columns)}, naive=True
        )
        self._joined_readers = self._readers(width)
        self._child_readers = self._readers(0)
        children_of = self._union(lambda c: c.in_(sa.bindparam("owners", expanding=True)))
        #: The stored children of the owners in the expanding bind parameter `owners`.
        self.children_of = sa.select(children_of).order_by(
            children_of.c.owner, *self._child_order(children_of)
        )

    # --- statements ----------------------------------------------------------------------------

    def _union(self, owners: _Owners | None) -> sa.Subquery:
        """Every child table's rows in one UNION ALL; `owners` filters each table by its owner
        column, inside its own SELECT, where the owner's index serves it."""
        selects = []
        for branch in self._branches:
            table = branch.spec.table
            column_of = {slot: column for column, slot in branch.slots.items()}
            columns: list[sa.ColumnElement[Any]] = [
                sa.literal_column(str(branch.kind), sa.Integer).label("kind"),
                table.c[branch.spec.owner].label("owner"),
            ]
            for slot in self._slots:
                column = column_of.get(slot)
                columns.append(
                    TypedNull(self._slot_types[slot]).label(slot)
                    if column is None
                    else sa.type_coerce(table.c[column], self._slot_types[slot]).label(slot)
                )
            select = sa.select(*columns)
            if owners is not None:
                select = select.where(owners(table.c[branch.spec.owner]))
            selects.append(select)
        return sa.union_all(*selects).subquery("children")

    def _child_order(self, children: sa.Subquery) -> list[sa.ColumnElement[Any]]:
        return [children.c.kind, *(children.c[s] for s in self._order_slots)]

    def select(
        self,
        *where: sa.ColumnElement[bool],
        order_by: Sequence[sa.ColumnElement[Any]] = (),
        by_id: str | None = None,
    ) -> sa.Select[Any]:
        """The parents that match `where`, each with all its children, in one statement: the
        parent rows outer-joined to the UNION ALL of the child tables, a row per child.

        `by_id` names the bind parameter of a lookup by id, which each child table's SELECT
        then compares with directly; otherwise they take their owners from a subquery.
        """
        owners: _Owners | None = None
        if by_id is not None:
            param: sa.BindParameter[Any] = sa.bindparam(by_id)
            where = (self.id_column == param, *where)
            owners = lambda column: column == param  # noqa: E731
        elif where:
            ids = sa.select(self.id_column).where(*where).correlate(None)
            owners = lambda column: column.in_(ids)  # noqa: E731
        children = self._union(owners)
        return (
            sa.select(*(naive_instants(c) for c in self.parent.columns), children)
            .select_from(self.parent.outerjoin(children, children.c.owner == self.id_column))
            .where(*where)
            .order_by(*order_by, self.id_column, *self._child_order(children))
        )

    # --- reading -------------------------------------------------------------------------------

    def _readers(self, offset: int) -> dict[int, _ChildReader]:
        """How to read each table's rows of the UNION ALL whose `kind` is at `offset`."""
        index = {slot: offset + 2 + i for i, slot in enumerate(self._slots)}
        readers: dict[int, _ChildReader] = {}
        for branch in self._branches:
            at = {column: index[slot] for column, slot in branch.slots.items()}
            spec = branch.spec
            if spec.codec is not None:
                read = spec.codec.reader(at, naive=True)
            else:
                assert spec.scalar is not None
                read = _item_at(at[spec.scalar])
            position = None if spec.position is None else at[spec.position]
            readers[branch.kind] = _ChildReader(branch.field, read, position)
        return readers

    def load(self, rows: Iterable[_Row]) -> list[Loaded[T]]:
        """The values of the rows of a `select`: the consecutive rows of one parent."""
        out: list[Loaded[T]] = []
        current: Any = None
        parent: _Row = ()
        items: dict[str, list[Any]] = {}
        places: dict[str, list[int]] = {}
        id_index, kind_index, readers = self._id_index, self._kind_index, self._joined_readers
        for row in rows:
            if current is None or row[id_index] != current:
                if current is not None:
                    out.append(self._loaded(parent, items, places))
                current, parent = row[id_index], row
                items = {f: [] for f in self.children}
                places = {f: [] for f in self.children}
            kind = row[kind_index]
            if kind is None:  # a parent without children: the outer join's empty side
                continue
            reader = readers[kind]
            items[reader.field].append(reader.read(row))
            if reader.position is not None:
                places[reader.field].append(row[reader.position])
        if current is not None:
            out.append(self._loaded(parent, items, places))
        return out

    def _loaded(
        self, parent: _Row, items: dict[str, list[Any]], places: dict[str, list[int]]
    ) -> Loaded[T]:
        value = self._parent_read(parent, **{f: tuple(v) for f, v in items.items()})
        return Loaded(value, {f: tuple(p) for f, p in places.items()})

    def read_children(self, conn: Executor, owner: str) -> Stored:
        """The stored children of one owner, to write by difference from when the parent was
        not read in this unit of work."""
        items: dict[str, list[Any]] = {f: [] for f in self.children}
        places: dict[str, list[int]] = {f: [] for f in self.children}
        for row in conn.execute(self.children_of, {"owners": [owner]}).all():
            reader = self._child_readers[row[0]]
            items[reader.field].append(reader.read(row))
            if reader.position is not None:
                places[reader.field].append(row[reader.position])
        return Stored(
            {f: tuple(v) for f, v in items.items()}, {f: tuple(p) for f, p in places.items()}
        )

    # --- writing -------------------------------------------------------------------------------

    def insert(
        self, conn: Executor, value: T, guards: Guards | None = None
    ) -> dict[str, tuple[int, ...]]:
        """Insert the children of a parent just inserted; returns their positions."""
        nothing = Stored(dict.fromkeys(self.children, ()), {})
        return self.write(conn, nothing, value, guards)

    def write(
        self, conn: Executor, stored: Stored, value: T, guards: Guards | None = None
    ) -> dict[str, tuple[int, ...]]:
        """Write the children of `value` by difference from `stored`: delete the rows of items
        gone, update the rows of items changed or moved, insert the rows of new items. Returns
        the positions now stored."""
        owner = getattr(value, self.codec.id_field)
        positions: dict[str, tuple[int, ...]] = {}
        for field, spec in self.children.items():
            items: Sequence[Any] = getattr(value, field)
            before = stored.items[field]
            places = stored.positions.get(field, ())
            if before is items:  # unchanged: attrs.evolve kept the very tuple
                positions[field] = tuple(places)
                continue
            deletes, updates, inserts, positions[field] = spec.changes(owner, before, places, items)
            if deletes:
                conn.execute(spec.delete, deletes)
            if updates:
                conn.execute(spec.update, updates)
            if inserts:
                guard = None if guards is None else guards.get(field)
                if guard is None:
                    conn.execute(spec.insert, inserts)
                else:
                    with guard(len(inserts)):
                        conn.execute(spec.insert, inserts)
        return positions


def _item_at(index: int) -> Callable[[_Row], Any]:
    return lambda row: row[index]
