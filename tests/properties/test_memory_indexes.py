"""Properties of the memory backend's storage parts: the chunked sorted list agrees with a
sorted Python list, and a table's indexes agree with its rows after any writes and undos.

The contract tests cover what the repositories answer; these reach the chunk splits and the
undo paths with more rows and more interleavings than a contract test would store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from partnerkit.backends.memory import MemoryBackend, _sorted
from partnerkit.backends.memory._sorted import SortedTuples
from partnerkit.backends.memory._table import ALL, Index, Table, UndoLog, Unique
from partnerkit.customers.accounts import Customer
from partnerkit.errors import PartnerkitError
from partnerkit.resellers.accounts import Reseller, ResellerStatus
from partnerkit.resellers.clients import (
    CustomerQuery,
    CustomerSort,
    ResellerCustomer,
    ResellerTag,
    TagMatch,
)


@pytest.fixture(autouse=True)
def tiny_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    # Chunks of 2 to 4 elements: every few inserts split a chunk, every few removes empty one.
    monkeypatch.setattr(_sorted, "_LOAD", 2)


T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
values = st.tuples(st.integers(0, 30), st.integers(0, 3))
probes = st.one_of(st.none(), st.tuples(st.integers(-1, 31)), values)
# A remove names a present value by position, so removes hit as often as adds.


@given(
    st.lists(st.tuples(st.booleans(), values, st.integers(0, 200)), max_size=120), probes, probes
)
def test_sorted_tuples_agree_with_a_sorted_list(
    ops: list[tuple[bool, tuple[int, int], int]],
    start: tuple[int, ...] | None,
    stop: tuple[int, ...] | None,
) -> None:
    model: set[tuple[int, int]] = set()
    found = SortedTuples()
    for add, value, position in ops:
        if add and value not in model:
            model.add(value)
            found.add(value)
        elif not add and model:
            gone = sorted(model)[position % len(model)]
            model.remove(gone)
            found.remove(gone)
        assert found.last() == max(model, default=None)
    expected = sorted(model)
    assert list(found) == expected
    assert len(found) == len(expected)
    assert found.first() == (expected[0] if expected else None)
    assert found.last() == (expected[-1] if expected else None)
    lo = [v for v in expected if start is None or v >= start]
    assert list(found.ascending_from(start)) == lo
    below = [v for v in expected if stop is None or v < stop]
    assert list(found.descending_below(stop)) == below[::-1]
    assert found.slice(start, stop) == [v for v in lo if stop is None or v < stop]


def test_removing_a_missing_value_raises() -> None:
    found = SortedTuples()
    found.add((1,))
    with pytest.raises(KeyError):
        found.remove((0,))
    with pytest.raises(KeyError):
        found.remove((2,))


@attrs.frozen
class Row:
    id: int
    group: int
    at: int
    tag: str | None
    children: tuple[str, ...] = ()
    version: int = 1


class Taken(Exception):
    """A test's own error: a PartnerkitError subclass would join the registry of codes."""


def _table(log: UndoLog) -> Table[Row]:
    return Table(
        log,
        "row",
        key=lambda r: r.id,
        unique={
            "tag": Unique(key=lambda r: r.tag, taken=lambda r, k: Taken(str(k))),
            "child": Unique(
                each=lambda r: r.children, key=lambda c: c, taken=lambda r, k: Taken(k)
            ),
        },
        indexes={
            "by_group": Index(key=lambda r: r.group, order=lambda r: (r.at,)),
            "both": Index(keys=lambda r: (ALL, r.group % 2), order=lambda r: (-r.at,)),
            "tagged": Index(order=lambda r: (r.tag,), where=lambda r: r.tag is not None),
        },
    )


def _state(table: Table[Row], rows: dict[int, Row]) -> dict[str, Any]:
    """What the indexes answer, and what they must answer computed from the rows."""
    groups = {r.group for r in rows.values()} | {0, 1, 2}
    by_at = sorted(rows.values(), key=lambda r: (r.at, r.id))
    return {
        "by_group": {g: table.index("by_group").rows(g) for g in groups},
        "expected_by_group": {g: [r for r in by_at if r.group == g] for g in groups},
        "both": table.index("both").rows(),
        "expected_both": sorted(rows.values(), key=lambda r: (-r.at, r.id)),
        "odd": table.index("both").rows(1),
        "expected_odd": [
            r for r in sorted(rows.values(), key=lambda r: (-r.at, r.id)) if r.group % 2
        ],
        "tagged": table.index("tagged").rows(),
        "expected_tagged": sorted(
            (r for r in rows.values() if r.tag is not None), key=lambda r: (r.tag, r.id)
        ),
        "tags": {t: table.get_unique("tag", t) for t in "abcdef"},
        "expected_tags": {
            t: next((r for r in rows.values() if r.tag == t), None) for t in "abcdef"
        },
        "children": {c: table.get_unique("child", c) for c in "uvwxyz"},
        "expected_children": {
            c: next((r for r in rows.values() if c in r.children), None) for c in "uvwxyz"
        },
    }


def _consistent(state: dict[str, Any]) -> None:
    for name in ("by_group", "both", "odd", "tagged", "tags", "children"):
        assert state[name] == state[f"expected_{name}"], name


rows_strategy = st.builds(
    Row,
    id=st.integers(0, 12),
    group=st.integers(0, 2),
    at=st.integers(0, 8),
    tag=st.one_of(st.none(), st.sampled_from("abcdef")),
    children=st.lists(st.sampled_from("uvwxyz"), max_size=3).map(tuple),
)
op = st.one_of(
    st.tuples(st.just("insert"), rows_strategy),
    st.tuples(st.just("put"), rows_strategy),
    st.tuples(st.just("update"), rows_strategy),
    st.tuples(st.just("append"), rows_strategy),
    st.tuples(st.just("delete"), st.integers(0, 12)),
    st.tuples(st.just("mark"), st.none()),
    st.tuples(st.just("undo"), st.none()),
)


def _keys_unique(rows: dict[int, Row]) -> None:
    tags = [r.tag for r in rows.values() if r.tag is not None]
    assert len(tags) == len(set(tags))
    owners = {(c, r.id) for r in rows.values() for c in r.children}
    assert len({c for c, _ in owners}) == len(owners)


@settings(max_examples=300)
@given(st.lists(op, max_size=60))
def test_indexes_follow_every_write_and_undo(ops: list[tuple[str, Any]]) -> None:
    log = UndoLog()
    table = _table(log)
    model: dict[int, Row] = {}
    marks: list[tuple[int, dict[int, Row]]] = []
    for name, arg in ops:
        before = dict(model)
        try:
            if name == "insert":
                table.insert(arg)
                model[arg.id] = arg
            elif name == "put":
                table.put(arg)
                model[arg.id] = arg
            elif name == "update":
                stored = model.get(arg.id)
                row = attrs.evolve(arg, version=stored.version if stored else 1)
                model[arg.id] = table.update(row)
            elif name == "append":
                stored = model.get(arg.id)
                if stored is not None:
                    grown = attrs.evolve(stored, children=(*stored.children, *arg.children))
                    model[arg.id] = table.update(grown)
            elif name == "delete":
                table.delete(arg)
                model.pop(arg, None)
            elif name == "mark":
                marks.append((log.mark(), dict(model)))
            elif marks:
                mark, snapshot = marks.pop()
                log.undo_to(mark)
                model = snapshot
        except (Taken, PartnerkitError):
            # Taken keys, a stale version or a duplicate id: refused before any change.
            model = before
        _keys_unique(model)
        assert len(table) == len(model)
        assert all(table.get(pk) == row for pk, row in model.items())
        _consistent(_state(table, model))
    log.undo_to(0)
    assert len(table) == 0
    _consistent(_state(table, {}))


# --- the reseller customer list (issue 12): each way to a page gives the plain answer ----------

_NAMES = ["Acme", "acme", "Globex", "Initech", "Hooli", "Umbrella"]
_TAG_IDS = ("rtg_a", "rtg_b", "rtg_c")


@settings(max_examples=150)
@given(
    customers=st.lists(
        st.tuples(
            st.sampled_from(_NAMES),
            st.booleans(),
            st.sampled_from(["rsl_1", "rsl_1", "rsl_2"]),
            st.sets(st.sampled_from(_TAG_IDS)),
        ),
        max_size=40,
    ),
    archived=st.sampled_from([False, True, None]),
    tag_ids=st.lists(st.sampled_from(_TAG_IDS), max_size=3, unique=True),
    match=st.sampled_from(list(TagMatch)),
    search=st.sampled_from([None, "ac", "E", "x.ex", "nope"]),
    sort=st.sampled_from(list(CustomerSort)),
    descending=st.booleans(),
    limit=st.integers(1, 12),
    offset=st.integers(0, 15),
)
def test_a_customer_page_is_the_filtered_sorted_window(
    customers: list[tuple[str, bool, str, set[str]]],
    archived: bool | None,
    tag_ids: list[str],
    match: TagMatch,
    search: str | None,
    sort: CustomerSort,
    descending: bool,
    limit: int,
    offset: int,
) -> None:
    # Small tag sets take the sorting way, large ones the walk (tests/unit/test_resellers.py
    # and the contract pin the answers; here both ways meet every mix of filters).
    backend = MemoryBackend()
    rows = []
    with backend.unit_of_work() as uow:
        for rid in ("rsl_1", "rsl_2"):
            uow.resellers.add(
                Reseller(rid, rid, f"o@{rid}.example", ResellerStatus.ACTIVE, T0, "b")
            )
        tags = {tid: ResellerTag(tid, "rsl_1", tid, tid, T0) for tid in _TAG_IDS}
        for tag in tags.values():
            uow.reseller_tags.add(tag)
        for i, (name, is_archived, rid, held) in enumerate(customers):
            cid = f"cus_{i:03}"
            uow.customers.add(Customer(id=cid, name=name, created_at=T0))
            row = ResellerCustomer(
                customer_id=cid,
                reseller_id=rid,
                name=name,
                email=f"it{i % 7}@{name.lower()}.example",
                archived=is_archived,
                created_at=T0 + timedelta(minutes=i % 5),
                created_by="b",
            )
            try:
                uow.reseller_customers.add(row)
            except PartnerkitError:
                continue  # a taken email
            rows.append((row, held))
            for tid in held:
                uow.reseller_tags.tag(tags[tid], [cid])
        query = CustomerQuery(
            archived=archived,
            tag_ids=tuple(tag_ids),
            match=match,
            search=search,
            sort=sort,
            descending=descending,
            limit=limit,
            offset=offset,
        )
        page = uow.reseller_customers.page("rsl_1", query)
    key = {
        CustomerSort.NAME: lambda c: (c.name.casefold(), c.customer_id),
        CustomerSort.EMAIL: lambda c: (c.email, c.customer_id),
        CustomerSort.CREATED: lambda c: (c.created_at, c.customer_id),
    }[sort]
    wanted = set(tag_ids)
    needle = None if search is None else search.casefold()
    expected = sorted(
        (
            c
            for c, held in rows
            if c.reseller_id == "rsl_1"
            and (archived is None or c.archived is archived)
            and (not wanted or (wanted <= held if match is TagMatch.ALL else bool(wanted & held)))
            and (needle is None or needle in c.name.casefold() or needle in c.email.casefold())
        ),
        key=key,
        reverse=descending,
    )
    assert page == expected[offset : offset + limit]
