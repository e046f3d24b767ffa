"""The `PartnerRecords` port: the partner-of-record history, one open interval per slot."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import attrs
import pytest

from partnerkit.errors import (
    ConcurrencyError,
)
from partnerkit.mapping.errors import (
    PartnerOfRecordTakenError,
)
from partnerkit.mapping.records import Channel, MappingStatus
from partnerkit.ports import Backend
from partnerkit.stores import Store
from partnerkit.testing.conformance._base import (
    T0,
    ContractBase,
    _interval,
)

__all__ = ["PartnerRecordsContract"]


def _ends(day: date) -> datetime:
    """The end of `day` in UTC: where a provisional mapping whose last day it is ends."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=UTC)


class PartnerRecordsContract(ContractBase):
    """The `PartnerRecords` port: the partner-of-record history, one open interval per slot."""

    def test_partner_record_round_trips_as_the_current_one(self, backend: Backend[Store]) -> None:
        self._program(backend)
        interval = _interval(
            "map_1",
            "cus_1",
            "crm",
            "ptr_1",
            channel=Channel.PARTNER_ADDED,
            status=MappingStatus.PROVISIONAL,
            provisional_until=date(2026, 2, 4),
            # An instant of the customer's calendar (here 05:30 UTC, midnight in Kolkata).
            provisional_ends_at=datetime(2026, 2, 4, 18, 30, 0, 15, tzinfo=UTC),
            commission_from=T0 - timedelta(days=31, microseconds=7),
            evidence="email of 2026-01-04 from the customer",
        )
        with backend.unit_of_work() as uow:
            uow.records.add(interval)
        with backend.unit_of_work(readonly=True) as uow:
            stored = uow.records.current("cus_1", "crm")
            assert stored == interval
            assert stored is not None and stored.valid_from.utcoffset() == timedelta(0)
            assert uow.records.current("cus_1", "books") is None
            assert uow.records.current("cus_2", "crm") is None
            assert uow.records.history("cus_1", "crm") == [interval]
            assert uow.records.for_customer("cus_1") == [interval]
            assert uow.records.for_customer("cus_2") == []

    def test_one_partner_of_record_per_customer_and_product(self, backend: Backend[Store]) -> None:
        self._program(backend)
        first = _interval("map_1", "cus_1", "crm", "ptr_1")
        with backend.unit_of_work() as uow:
            uow.records.add(first)
            # Another product, or another customer, is another slot.
            uow.records.add(_interval("map_2", "cus_1", "books", "ptr_2"))
            uow.records.add(_interval("map_3", "cus_2", "crm", "ptr_2"))
        with backend.unit_of_work() as uow:
            with pytest.raises(PartnerOfRecordTakenError) as info:
                uow.records.add(
                    _interval("map_4", "cus_1", "crm", "ptr_2", valid_from=T0 + timedelta(1))
                )
            assert info.value.details == {"customer_id": "cus_1", "product": "crm"}
            # The refused interval left nothing behind, and the transaction goes on.
            assert uow.records.history("cus_1", "crm") == [first]
        with backend.unit_of_work(readonly=True) as uow:
            assert uow.records.history("cus_1", "crm") == [first]
            assert uow.records.open_for_partner("ptr_2") == [
                _interval("map_2", "cus_1", "books", "ptr_2"),
                _interval("map_3", "cus_2", "crm", "ptr_2"),
            ]
        end = T0 + timedelta(days=3, microseconds=5)
        with backend.unit_of_work() as uow:
            current = uow.records.current("cus_1", "crm")
            assert current == first
            closed = uow.records.update(first.close(end, "transferred", "it@acme.example"))
            assert closed.version == 2 and not closed.is_open
            assert uow.records.current("cus_1", "crm") is None
            second = _interval("map_5", "cus_1", "crm", "ptr_2", valid_from=end)
            uow.records.add(second)
        with backend.unit_of_work(readonly=True) as uow:
            assert uow.records.current("cus_1", "crm") == second
            assert uow.records.history("cus_1", "crm") == [closed, second]
            assert uow.records.open_for_partner("ptr_1") == []

    def test_partner_record_update_is_optimistic(self, backend: Backend[Store]) -> None:
        self._program(backend)
        interval = _interval(
            "map_1",
            "cus_1",
            "crm",
            "ptr_1",
            status=MappingStatus.PROVISIONAL,
            provisional_until=date(2026, 2, 4),
        )
        with backend.unit_of_work() as uow:
            uow.records.add(interval)
        with backend.unit_of_work() as uow:
            saved = uow.records.update(
                attrs.evolve(interval, status=MappingStatus.PERMANENT, provisional_until=None)
            )
        assert saved.version == 2
        with pytest.raises(ConcurrencyError), backend.unit_of_work() as uow:
            uow.records.update(interval.close(T0 + timedelta(days=1), "stale", "ops"))
        with pytest.raises(ConcurrencyError), backend.unit_of_work() as uow:
            uow.records.update(_interval("map_9", "cus_1", "crm", "ptr_1"))
        with backend.unit_of_work(readonly=True) as uow:
            # The stale close neither changed the interval nor released the slot.
            assert uow.records.current("cus_1", "crm") == saved
            assert uow.records.history("cus_1", "crm") == [saved]

    def test_partner_record_queries_order_and_filter(self, backend: Backend[Store]) -> None:
        self._program(backend)
        day = date(2026, 2, 1)
        later = T0 + timedelta(hours=2, microseconds=1)
        rows = [
            # Same valid_from: ordered by id.
            _interval("map_b", "cus_1", "crm", "ptr_1", valid_from=later),
            _interval(
                "map_a",
                "cus_1",
                "books",
                "ptr_1",
                valid_from=later,
                status=MappingStatus.PROVISIONAL,
                provisional_until=date(2026, 1, 31),
                provisional_ends_at=_ends(date(2026, 1, 31)),
            ),
            _interval(
                "map_c",
                "cus_2",
                "crm",
                "ptr_1",
                status=MappingStatus.PROVISIONAL,
                provisional_until=date(2026, 1, 20),
                provisional_ends_at=_ends(date(2026, 1, 20)),
            ),
            _interval(
                "map_d",
                "cus_2",
                "books",
                "ptr_2",
                status=MappingStatus.PROVISIONAL,
                provisional_until=day,
                provisional_ends_at=_ends(day),  # not by the end of the day before
            ),
        ]
        with backend.unit_of_work() as uow:
            assert uow.records.next_provisional_end() is None
            for row in rows:
                uow.records.add(row)
            closed = uow.records.update(
                rows[2].close(T0 + timedelta(days=1), "removed", "partner team")
            )
        with backend.unit_of_work(readonly=True) as uow:
            assert [i.id for i in uow.records.for_customer("cus_1")] == ["map_a", "map_b"]
            assert uow.records.for_customer("cus_2") == [closed, rows[3]]
            assert [i.id for i in uow.records.open_for_partner("ptr_1")] == ["map_a", "map_b"]
            # map_c ended, map_d ends later, map_b is permanent; the end itself is included.
            ended_by = uow.records.provisional_ended_by
            assert [i.id for i in ended_by(_ends(day) - timedelta(microseconds=1))] == ["map_a"]
            assert [i.id for i in ended_by(_ends(day))] == ["map_d", "map_a"]
            assert ended_by(_ends(date(2026, 1, 31)) - timedelta(microseconds=1)) == []
            assert uow.records.next_provisional_end() == _ends(date(2026, 1, 31))

    def test_the_interval_in_force_and_the_commission_windows_at_an_instant(
        self, backend: Backend[Store]
    ) -> None:
        self._program(backend)
        jan, feb, mar = T0, T0 + timedelta(days=31), T0 + timedelta(days=59)
        first = _interval("map_1", "cus_1", "crm", "ptr_1", valid_from=jan)
        # The second partner's window reaches back to where the first one's interval ended.
        second = _interval("map_2", "cus_1", "crm", "ptr_2", valid_from=feb, commission_from=feb)
        with backend.unit_of_work() as uow:
            assert uow.records.last_end("cus_1", "crm") is None
            uow.records.add(first)
            closed = uow.records.update(first.close(feb, "transferred", "it@acme.example"))
            uow.records.add(second)
            uow.records.add(
                _interval("map_3", "cus_1", "books", "ptr_1", valid_from=mar, commission_from=mar)
            )
        with backend.unit_of_work(readonly=True) as uow:
            records = uow.records
            assert records.covering("cus_1", "crm", jan - timedelta(microseconds=1)) is None
            assert records.covering("cus_1", "crm", jan) == closed
            assert records.covering("cus_1", "crm", feb - timedelta(microseconds=1)) == closed
            # valid_to is exclusive: at `feb` the second partner is of record.
            covering = records.covering("cus_1", "crm", feb)
            assert covering is not None and covering.id == "map_2"
            assert records.covering("cus_2", "crm", feb) is None
            # map_1 has no commission_from (all transactions before it too, 000 case 2).
            assert [i.id for i in records.earning_at("cus_1", "crm", jan - timedelta(days=9))] == [
                "map_1"
            ]
            assert [i.id for i in records.earning_at("cus_1", "crm", mar)] == ["map_2"]
            assert records.earning_at("cus_1", "books", jan) == []
            assert records.last_end("cus_1", "crm") == feb
            assert records.last_end("cus_1", "books") is None

    def test_point_queries_agree_with_the_whole_history(self, backend: Backend[Store]) -> None:
        # A long history of one slot, as transfers leave it: back-to-back intervals, one
        # empty (closed the instant it opened), a gap, a window reaching back into the gap,
        # and the open one last. Every point query must answer what reading it all would.
        # Ids fall as time goes on, so an interval sorts after the one that began at the
        # same instant: the empty one is met first whichever way a query walks.
        self._program(backend)
        day = timedelta(days=1)
        rows = []
        start = T0
        for n in range(12):
            end = start + day
            commission_from = None if n == 0 else start
            if n == 5:
                end = start  # empty: ended the instant it began
            rows.append(
                _interval(
                    f"map_{50 - n:02}",
                    "cus_1",
                    "crm",
                    "ptr_1" if n % 2 else "ptr_2",
                    valid_from=start,
                    commission_from=commission_from,
                ).close(end, "transferred", "it@acme.example")
            )
            start = end
        gap_end = start + 2 * day
        # The window reaches back to where the last interval ended, not into its interval.
        last = _interval(
            "map_00", "cus_1", "crm", "ptr_3", valid_from=gap_end, commission_from=start
        )
        with backend.unit_of_work() as uow:
            for row in rows:
                uow.records.add(attrs.evolve(row, valid_to=None, ended_reason=None, ended_by=None))
                uow.records.update(attrs.evolve(row, version=1))
            uow.records.add(last)
            uow.records.add(_interval("map_x", "cus_2", "crm", "ptr_1", valid_from=T0))
        with backend.unit_of_work(readonly=True) as uow:
            history = uow.records.history("cus_1", "crm")
            expected = sorted([*rows, last], key=lambda i: (i.valid_from, i.id))
            assert [i.id for i in history] == [i.id for i in expected]
            assert uow.records.current("cus_1", "crm") == history[-1]
            assert uow.records.last_end("cus_1", "crm") == start
            probes = [T0 - day, gap_end + 30 * day]
            for interval in history:
                for at in (interval.valid_from, interval.valid_to):
                    if at is not None:
                        probes += [at - timedelta(microseconds=1), at, at + timedelta(hours=3)]
            for instant in probes:
                covering = [i for i in history if i.covers(instant)]
                assert uow.records.covering("cus_1", "crm", instant) == (
                    covering[0] if covering else None
                ), instant
                earning = [
                    i
                    for i in history
                    if (i.commission_from is None or i.commission_from <= instant)
                    and (i.valid_to is None or instant < i.valid_to)
                ]
                assert uow.records.earning_at("cus_1", "crm", instant) == earning, instant
            assert [i.id for i in uow.records.open_for_partner("ptr_3")] == ["map_00"]
            assert [i.id for i in uow.records.open_for_partner("ptr_1")] == ["map_x"]

    def test_provisional_intervals_leave_the_due_list_when_settled(
        self, backend: Backend[Store]
    ) -> None:
        self._program(backend)
        provisional = {"status": MappingStatus.PROVISIONAL}
        with backend.unit_of_work() as uow:
            uow.records.add(
                _interval(
                    "map_1",
                    "cus_1",
                    "crm",
                    "ptr_1",
                    provisional_until=date(2026, 3, 1),
                    provisional_ends_at=_ends(date(2026, 3, 1)),
                    **provisional,
                )
            )
            uow.records.add(
                _interval(
                    "map_2",
                    "cus_2",
                    "crm",
                    "ptr_1",
                    provisional_until=date(2026, 2, 1),
                    provisional_ends_at=_ends(date(2026, 2, 1)),
                    **provisional,
                )
            )
        with backend.unit_of_work() as uow:
            assert uow.records.next_provisional_end() == _ends(date(2026, 2, 1))
            early = uow.records.current("cus_2", "crm")
            assert early is not None
            uow.records.update(attrs.evolve(early, status=MappingStatus.PERMANENT))
        with backend.unit_of_work() as uow:
            assert uow.records.next_provisional_end() == _ends(date(2026, 3, 1))
            assert uow.records.provisional_ended_by(_ends(date(2026, 3, 1))) == [
                uow.records.current("cus_1", "crm")
            ]
            late = uow.records.current("cus_1", "crm")
            assert late is not None
            uow.records.update(late.close(T0 + timedelta(days=2), "removed", "partner team"))
        with backend.unit_of_work(readonly=True) as uow:
            assert uow.records.next_provisional_end() is None
            assert uow.records.provisional_ended_by(_ends(date(2027, 1, 1))) == []
            assert uow.records.open_for_partner("ptr_1") == [uow.records.current("cus_2", "crm")]
