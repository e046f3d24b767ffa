"""The memory backend's one table type: rows by primary key, declared unique and ordered
indexes kept in step with every write, and an undo log that restores rows and indexes exactly.

A repository declares its table (key, unique indexes with the domain error each raises,
ordered indexes for its queries) and is then only its queries. Every index is derived from the
rows by the same code on write and on undo, so no rollback can leave an index out of step.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from typing import Any, Generic, Protocol, TypeVar

import attrs

from partnerkit.backends.memory._sorted import SortedTuples
from partnerkit.errors import ConcurrencyError, IntegrityViolationError

__all__ = ["AFTER", "ALL", "Index", "IndexView", "Table", "UndoLog", "Unique"]

R = TypeVar("R")
V = TypeVar("V", bound="_Versioned")

_MISSING: Any = object()


class _Versioned(Protocol):
    @property
    def version(self) -> int: ...


class _After:
    """Sorts after every other value, so a probe `(x, AFTER)` bounds everything that starts
    with `x`: an inclusive upper bound for prefix comparisons."""

    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        return other is self

    def __hash__(self) -> int:
        return 0

    def __lt__(self, other: object) -> bool:
        return False

    def __gt__(self, other: object) -> bool:
        return other is not self

    def __repr__(self) -> str:
        return "AFTER"


class _All:
    __slots__ = ()

    def __repr__(self) -> str:
        return "ALL"


#: The group key of an index over the whole table (no value of a row can equal it).
ALL: Hashable = _All()
#: Greater than any value: `through=(x,)` bounds use it to include every element at `x`.
AFTER: Any = _After()


class UndoLog:
    """What each write replaced, newest last, shared by every table of one backend.

    Units of work and savepoints are marks in it: undoing to a mark writes the replaced rows
    back through the same path as any write, so indexes follow. A unit of work that commits
    drops the log when it is the outermost one."""

    __slots__ = ("_entries",)

    def __init__(self) -> None:
        self._entries: list[tuple[Table[Any], Hashable, Any]] = []

    def mark(self) -> int:
        return len(self._entries)

    def record(self, table: Table[Any], pk: Hashable, old: Any) -> None:
        self._entries.append((table, pk, old))

    def undo_to(self, mark: int) -> None:
        entries = self._entries
        while len(entries) > mark:
            table, pk, old = entries.pop()
            table._restore(pk, old)

    def forget(self) -> None:
        self._entries.clear()


@attrs.frozen
class Unique(Generic[R]):
    """A unique index: each key belongs to at most one row.

    `key(row)` gives the row's key, or None when the row takes no part (a partner without a
    username, a closed interval for the open slot). With `each`, the row has one key per
    child (`key(child)` for each child in `each(row)`): a customer's users' emails.
    `taken(row, key)` builds the domain error for a key another row holds; it is raised
    before anything is written.
    """

    key: Callable[[Any], Hashable | None]
    taken: Callable[[R, Any], Exception]
    each: Callable[[R], Sequence[Any]] | None = None

    def diff(self, old: R | None, new: R | None) -> tuple[Iterable[Any], Iterable[Any]]:
        """(keys to claim, keys to release) when `old` becomes `new` (None: no row)."""
        if self.each is None:
            before = None if old is None else self.key(old)
            after = None if new is None else self.key(new)
            if before == after:
                return (), ()
            return (() if after is None else (after,)), (() if before is None else (before,))
        was: Sequence[Any] = () if old is None else self.each(old)
        now: Sequence[Any] = () if new is None else self.each(new)
        if was is now:
            return (), ()
        n = len(was)
        # Appending a child (a new user) leaves the others as they were: claim only the new
        # ones. The comparison runs in C and short-cuts on identity, so an account with
        # 10,000 users pays tens of microseconds, not a claim and an undo entry per user.
        if len(now) >= n and now[:n] == was:
            return [self.key(c) for c in now[n:]], ()
        keys_before = {self.key(c) for c in was}
        keys_after = {self.key(c): None for c in now}  # a dict keeps the children's order
        claim = [k for k in keys_after if k not in keys_before]
        release = [k for k in keys_before if k not in keys_after]
        return claim, release


def _key_groups(key: Callable[[Any], Hashable]) -> Callable[[Any], Iterable[Hashable]]:
    return lambda row: (key(row),)


def _whole_table(row: Any) -> tuple[Hashable]:
    return (ALL,)


@attrs.frozen
class Index(Generic[R]):
    """An ordered, non-unique index: rows in groups, each group sorted by `order(row)` and
    then by primary key (so the order is total and an undo restores it exactly).

    Give `key` (one group per row), `keys` (the groups a row belongs to, several when a
    query matches either of two fields), or neither for one group over the whole table
    (`ALL`). `where` leaves out the rows it is false for (a partial index).
    """

    order: Callable[[R], tuple[Any, ...]]
    key: Callable[[R], Hashable] | None = None
    keys: Callable[[R], Iterable[Hashable]] | None = None
    where: Callable[[R], bool] | None = None

    def groups(self) -> Callable[[R], Iterable[Hashable]]:
        if self.key is not None and self.keys is not None:
            raise ValueError("an index takes key or keys, not both")
        if self.key is not None:
            return _key_groups(self.key)
        if self.keys is not None:
            return self.keys
        return _whole_table


class IndexView(Generic[R]):
    """The queries over one declared index; bounds are prefixes of the order tuple.

    `start` is inclusive, `stop` exclusive and `through` inclusive: `between(g,
    start=(a,), stop=(b,))` is every row of group g with a <= order[0] < b.
    """

    __slots__ = ("_groups", "_rows")

    def __init__(self, rows: Mapping[Hashable, R], groups: Mapping[Hashable, SortedTuples]):
        self._rows = rows
        self._groups = groups

    def count(self, group: Hashable = ALL) -> int:
        found = self._groups.get(group)
        return 0 if found is None else len(found)

    def rows(self, group: Hashable = ALL) -> list[R]:
        found = self._groups.get(group)
        if found is None:
            return []
        rows = self._rows
        return [rows[e[-1]] for e in found]

    def between(
        self,
        group: Hashable = ALL,
        *,
        start: tuple[Any, ...] | None = None,
        stop: tuple[Any, ...] | None = None,
        through: tuple[Any, ...] | None = None,
    ) -> list[R]:
        found = self._groups.get(group)
        if found is None:
            return []
        upper = stop if through is None else (*through, AFTER)
        rows = self._rows
        return [rows[e[-1]] for e in found.slice(start, upper)]

    def ascending(
        self, group: Hashable = ALL, *, start: tuple[Any, ...] | None = None
    ) -> Iterator[R]:
        """Rows from `start` on, lazily: for a query that stops at the first that fails."""
        found = self._groups.get(group)
        if found is not None:
            rows = self._rows
            for e in found.ascending_from(start):
                yield rows[e[-1]]

    def descending(
        self, group: Hashable = ALL, *, through: tuple[Any, ...] | None = None
    ) -> Iterator[R]:
        """Rows up to `through` (inclusive), latest first, lazily."""
        found = self._groups.get(group)
        if found is not None:
            rows = self._rows
            for e in found.descending_below(None if through is None else (*through, AFTER)):
                yield rows[e[-1]]

    def first(self, group: Hashable = ALL) -> R | None:
        found = self._groups.get(group)
        entry = None if found is None else found.first()
        return None if entry is None else self._rows[entry[-1]]

    def last(self, group: Hashable = ALL) -> R | None:
        found = self._groups.get(group)
        entry = None if found is None else found.last()
        return None if entry is None else self._rows[entry[-1]]


class _IndexData(Generic[R]):
    """One declared index's groups, and how a row's entries are computed."""

    __slots__ = ("groups", "order", "view", "where", "which")

    def __init__(self, rows: Mapping[Hashable, R], declared: Index[R]) -> None:
        self.groups: dict[Hashable, SortedTuples] = {}
        self.which = declared.groups()
        self.order = declared.order
        self.where = declared.where
        self.view: IndexView[R] = IndexView(rows, self.groups)

    def entries(self, pk: Hashable, row: R | None) -> list[tuple[Hashable, tuple[Any, ...]]]:
        if row is None or (self.where is not None and not self.where(row)):
            return []
        entry = (*self.order(row), pk)
        return [(group, entry) for group in self.which(row)]

    def apply(
        self,
        removed: list[tuple[Hashable, tuple[Any, ...]]],
        added: list[tuple[Hashable, tuple[Any, ...]]],
    ) -> None:
        if removed == added:
            return
        groups = self.groups
        for group, entry in removed:
            members = groups[group]
            members.remove(entry)
            if not members:
                del groups[group]
        for group, entry in added:
            found = groups.get(group)
            if found is None:
                found = groups[group] = SortedTuples()
            found.add(entry)


class Table(Generic[R]):
    """Rows of one entity by primary key, with their unique and ordered indexes.

    `what` names the entity in errors ("the partner changed since it was read"); `taken`
    builds the error for a second row with the same primary key (by default the integrity
    error SQL raises for a duplicate key).
    """

    def __init__(
        self,
        log: UndoLog,
        what: str,
        *,
        key: Callable[[R], Hashable],
        taken: Callable[[R], Exception] | None = None,
        unique: Mapping[str, Unique[R]] | None = None,
        indexes: Mapping[str, Index[R]] | None = None,
    ) -> None:
        self._log = log
        self.what = what
        self._key = key
        self._taken = taken
        self._rows: dict[Hashable, R] = {}
        self._unique = [(u, dict[Hashable, Hashable]()) for u in (unique or {}).values()]
        self._unique_by_name = dict(zip((unique or {}).keys(), self._unique, strict=True))
        self._indexes = [_IndexData(self._rows, declared) for declared in (indexes or {}).values()]
        self._index_by_name = dict(zip((indexes or {}).keys(), self._indexes, strict=True))

    # --- reading --------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._rows)

    def get(self, pk: Hashable) -> R | None:
        return self._rows.get(pk)

    def get_unique(self, name: str, key: Hashable) -> R | None:
        """The row holding `key` in the unique index `name`."""
        held = self._unique_by_name[name][1].get(key)
        return None if held is None else self._rows[held]

    def index(self, name: str) -> IndexView[R]:
        return self._index_by_name[name].view

    # --- writing --------------------------------------------------------------------------

    def insert(self, row: R) -> None:
        """Add a new row; a taken primary key or unique key raises before anything changes."""
        pk = self._key(row)
        if pk in self._rows:
            if self._taken is not None:
                raise self._taken(row)
            raise IntegrityViolationError(
                f"a {self.what} with this key exists already", details={"key": str(pk)}
            )
        self._write(pk, None, row)

    def put(self, row: R) -> None:
        """Insert or replace, without a version check (codes, plans, activity, messages)."""
        pk = self._key(row)
        self._write(pk, self._rows.get(pk), row)

    def delete(self, pk: Hashable) -> None:
        old = self._rows.get(pk)
        if old is not None:
            self._write(pk, old, None)

    def update(self: Table[V], row: V) -> V:
        """Optimistic concurrency: store `row` at version + 1 if the stored row is at
        `row.version`, else ConcurrencyError (another writer got there first)."""
        pk = self._key(row)
        stored = self._rows.get(pk)
        if stored is None or stored.version != row.version:
            raise ConcurrencyError(
                f"the {self.what} changed since it was read",
                details={"id": getattr(row, "id", None), "version": row.version},
            )
        # V is any attrs class with a version; the attrs plugin cannot see that through it.
        bumped = attrs.evolve(row, version=row.version + 1)  # type: ignore[misc]
        self._write(pk, stored, bumped)
        return bumped

    def _write(self, pk: Hashable, old: R | None, new: R | None) -> None:
        # Everything that can fail (a taken key, an index key function) runs before the
        # first change, so a refused write leaves rows, indexes and the log as they were.
        claims = []
        for unique, holders in self._unique:
            claim, release = unique.diff(old, new)
            for k in claim:
                holder = holders.get(k)
                if holder is not None and holder != pk:
                    assert new is not None
                    raise unique.taken(new, k)
            claims.append((holders, claim, release))
        changes = [(ix, ix.entries(pk, old), ix.entries(pk, new)) for ix in self._indexes]
        self._log.record(self, pk, _MISSING if old is None else old)
        self._apply(pk, new, claims, changes)

    def _apply(
        self,
        pk: Hashable,
        new: R | None,
        claims: list[tuple[dict[Hashable, Hashable], Iterable[Any], Iterable[Any]]],
        changes: list[
            tuple[
                _IndexData[R],
                list[tuple[Hashable, tuple[Any, ...]]],
                list[tuple[Hashable, tuple[Any, ...]]],
            ]
        ],
    ) -> None:
        if new is None:
            del self._rows[pk]
        else:
            self._rows[pk] = new
        for holders, claim, release in claims:
            for k in release:
                if holders.get(k) == pk:
                    del holders[k]
            for k in claim:
                holders[k] = pk
        for ix, removed, added in changes:
            ix.apply(removed, added)

    def _restore(self, pk: Hashable, old: Any) -> None:
        """Undo one write: put back what it replaced, indexes included, without checks (the
        state it returns to held them)."""
        current = self._rows.get(pk)
        previous: R | None = None if old is _MISSING else old
        claims = [(holders, *u.diff(current, previous)) for u, holders in self._unique]
        changes = [(ix, ix.entries(pk, current), ix.entries(pk, previous)) for ix in self._indexes]
        self._apply(pk, previous, claims, changes)

    def clear(self) -> None:
        self._rows.clear()
        for _, holders in self._unique:
            holders.clear()
        for ix in self._indexes:
            ix.groups.clear()
