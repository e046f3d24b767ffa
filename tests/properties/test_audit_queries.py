"""The memory audit trail's indexed query agrees with filtering every entry by hand, for any
trail and any combination of filters (issue 9, item 6): the index chosen to lead a query never
changes its answer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from partnerkit.access.audit import AuditEntry, AuditKind
from partnerkit.backends.memory._table import UndoLog
from partnerkit.backends.memory.access import MemoryAuditEntries

T0 = datetime(2026, 1, 5, tzinfo=UTC)
maybe = st.one_of(st.none(), st.sampled_from(["a", "b", "c"]))
entries = st.lists(
    st.tuples(
        st.integers(0, 20), maybe, maybe, st.sampled_from(["x", "y"]), st.sampled_from(AuditKind)
    ),
    max_size=60,
)
instants = st.one_of(st.none(), st.integers(0, 21).map(lambda m: T0 + timedelta(minutes=m)))


@settings(max_examples=200)
@given(
    entries,
    maybe,
    maybe,
    st.one_of(st.none(), st.sampled_from(["x", "y"])),
    st.one_of(st.none(), st.sampled_from(AuditKind)),
    instants,
    instants,
    st.integers(0, 70),
)
def test_an_indexed_query_is_a_filter_of_the_whole_trail(
    rows: list[tuple[int, str | None, str | None, str, AuditKind]],
    customer: str | None,
    partner: str | None,
    by: str | None,
    kind: AuditKind | None,
    start: datetime | None,
    end: datetime | None,
    limit: int,
) -> None:
    trail = MemoryAuditEntries(UndoLog())
    stored = []
    for i, (minute, cid, pid, who, what) in enumerate(rows):
        entry = AuditEntry(
            id=f"aud_{i:03d}",
            at=T0 + timedelta(minutes=minute),
            kind=what,
            allowed=False,
            reason="r",
            by=who,
            customer_id=cid,
            partner_id=pid,
        )
        trail.add(entry)
        stored.append(entry)
    expected = sorted(
        (
            e
            for e in stored
            if (customer is None or e.customer_id == customer)
            and (partner is None or e.partner_id == partner)
            and (by is None or e.by == by)
            and (kind is None or e.kind is kind)
            and (start is None or e.at >= start)
            and (end is None or e.at < end)
        ),
        key=lambda e: (e.at, e.id),
    )[:limit]
    found = trail.query(
        customer_id=customer,
        partner_id=partner,
        by=by,
        kind=kind,
        start=start,
        end=end,
        limit=limit,
    )
    assert found == expected
