"""The `CommissionPlans` and `CommissionEntries` ports: exact money, one booking per transaction."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from partnerkit.mapping.commission_values import CommissionEntry, CommissionPlan, EntryKind
from partnerkit.mapping.errors import (
    CommissionConflictError,
)
from partnerkit.money import Money
from partnerkit.ports import Backend
from partnerkit.stores import Store
from partnerkit.testing.conformance._base import (
    T0,
    ContractBase,
    _entry,
    _interval,
)

__all__ = ["CommissionsContract"]


class CommissionsContract(ContractBase):
    """Commission plans and entries: exact money, one booking per transaction."""

    def test_commission_plan_put_inserts_or_replaces(self, backend: Backend[Store]) -> None:
        self._program(backend)
        plan = CommissionPlan("ptr_1", Decimal("12.50"), T0, limit_months=12)
        with backend.unit_of_work() as uow:
            assert uow.commission_plans.get("ptr_1") is None
            uow.commission_plans.put(plan)
            uow.commission_plans.put(CommissionPlan("ptr_2", Decimal("20"), T0))
        with backend.unit_of_work(readonly=True) as uow:
            stored = uow.commission_plans.get("ptr_1")
            assert stored == plan
            assert stored is not None and str(stored.rate) == "12.50"
        replaced = CommissionPlan(
            "ptr_1", Decimal("7.125"), T0 + timedelta(days=2, microseconds=1), version=2
        )
        with backend.unit_of_work() as uow:
            uow.commission_plans.put(replaced)
            uow.commission_plans.put(replaced)  # the same values again: still one plan
        with backend.unit_of_work(readonly=True) as uow:
            assert uow.commission_plans.get("ptr_1") == replaced
            assert uow.commission_plans.get("ptr_2") == CommissionPlan("ptr_2", Decimal("20"), T0)
            assert uow.commission_plans.get("ptr_3") is None

    def test_commission_entries_keep_money_and_decimals_exact(
        self, backend: Backend[Store]
    ) -> None:
        self._with_interval(backend)
        usd = _entry(
            "com_1",
            "txn_usd",
            Money.of("1234.56", "USD"),
            commission_exact=Decimal("246.912"),
        )
        jpy = _entry("com_2", "txn_jpy", Money.of("98765", "JPY"), rate=Decimal("12.5"))
        kwd = _entry("com_3", "txn_kwd", Money.of("10.005", "KWD"), rate=Decimal("0.333"))
        refund = _entry(
            "com_4",
            "txn_usd_refund",
            Money.of("-1234.56", "USD"),
            kind=EntryKind.REVERSAL,
            commission_exact=Decimal("-246.912"),
            reverses="txn_usd",
        )
        with backend.unit_of_work() as uow:
            for entry in (usd, jpy, kwd, refund):
                uow.commissions.add(entry)
        with backend.unit_of_work(readonly=True) as uow:
            for entry in (usd, jpy, kwd, refund):
                stored = uow.commissions.get_by_transaction(entry.transaction_id)
                assert stored == entry
                assert stored is not None
                # Exact to the digit, not just equal in value.
                assert str(stored.commission_exact) == str(entry.commission_exact)
                assert str(stored.rate) == str(entry.rate)
                assert stored.base.amount.as_tuple() == entry.base.amount.as_tuple()
            assert uow.commissions.get_by_transaction("txn_none") is None
        assert str(jpy.commission_exact) == "12345.625"
        assert str(kwd.commission_exact) == "0.03331665"
        assert usd.commission == Money.of("246.91", "USD")

    def test_a_transaction_is_booked_once(self, backend: Backend[Store]) -> None:
        self._with_interval(backend)
        first = _entry("com_1", "txn_1", Money.of("100.00", "USD"))
        with backend.unit_of_work() as uow:
            uow.commissions.add(first)
        with backend.unit_of_work() as uow:
            with pytest.raises(CommissionConflictError) as info:
                uow.commissions.add(_entry("com_2", "txn_1", Money.of("999.99", "USD")))
            assert info.value.details == {"transaction_id": "txn_1"}
            # The transaction goes on after the refusal.
            uow.commissions.add(_entry("com_3", "txn_2", Money.of("5.00", "USD")))
        with backend.unit_of_work(readonly=True) as uow:
            assert uow.commissions.get_by_transaction("txn_1") == first
            assert [e.id for e in uow.commissions.for_partner("ptr_1")] == ["com_1", "com_3"]

    def test_commission_entries_by_partner_window_and_by_customer(
        self, backend: Backend[Store]
    ) -> None:
        self._with_interval(backend)
        feb = T0 + timedelta(days=31, microseconds=1)
        usd = Money.of("10.00", "USD")
        entries = [
            _entry("com_b", "txn_b", usd),
            _entry("com_a", "txn_a", usd),  # same occurred_at: ordered by id
            _entry("com_c", "txn_c", usd, occurred_at=T0 - timedelta(microseconds=1)),
            _entry("com_d", "txn_d", usd, occurred_at=feb),
            _entry("com_e", "txn_e", usd, product="books", customer_id="cus_2"),
            _entry("com_f", "txn_f", usd, partner_id="ptr_2"),
        ]
        with backend.unit_of_work() as uow:
            for entry in entries:
                uow.commissions.add(entry)
        with backend.unit_of_work(readonly=True) as uow:

            def ids(found: list[CommissionEntry]) -> list[str]:
                return [e.id for e in found]

            every = ["com_c", "com_a", "com_b", "com_e", "com_d"]
            assert ids(uow.commissions.for_partner("ptr_1")) == every
            # start <= occurred_at < end
            assert ids(uow.commissions.for_partner("ptr_1", T0)) == every[1:]
            assert ids(uow.commissions.for_partner("ptr_1", end=T0)) == ["com_c"]
            assert ids(uow.commissions.for_partner("ptr_1", T0, feb)) == every[1:4]
            assert ids(uow.commissions.for_partner("ptr_1", feb, feb)) == []
            assert ids(uow.commissions.for_partner("ptr_2")) == ["com_f"]
            assert ids(uow.commissions.for_customer("cus_1", "crm")) == [
                "com_c",
                "com_a",
                "com_b",
                "com_f",
                "com_d",
            ]
            assert ids(uow.commissions.for_customer("cus_2", "books")) == ["com_e"]
            assert uow.commissions.for_customer("cus_2", "crm") == []

    def test_reversals_of_an_accrual_and_the_last_booking_of_an_interval(
        self, backend: Backend[Store]
    ) -> None:
        self._with_interval(backend)
        usd = Money.of("100", "USD")
        later = T0 + timedelta(days=3, microseconds=7)
        with backend.unit_of_work() as uow:
            assert uow.commissions.last_occurred_at("map_1") is None
            uow.commissions.add(_entry("com_1", "txn_1", usd))
            uow.commissions.add(_entry("com_2", "txn_2", usd, occurred_at=later))
            uow.commissions.add(
                _entry(
                    "com_3",
                    "ref_1",
                    -Money.of("30", "USD"),
                    kind=EntryKind.REVERSAL,
                    reverses="txn_1",
                    occurred_at=T0 + timedelta(days=1),
                )
            )
        with backend.unit_of_work(readonly=True) as uow:
            assert [e.id for e in uow.commissions.reversals_of("txn_1")] == ["com_3"]
            assert uow.commissions.reversals_of("txn_2") == []
            assert uow.commissions.last_occurred_at("map_1") == later
            assert uow.commissions.last_occurred_at("map_other") is None

    def test_ledger_queries_agree_with_the_whole_ledger(self, backend: Backend[Store]) -> None:
        # Entries booked out of time order across partners, customers and intervals: each
        # query must answer what filtering and sorting every entry would.
        self._with_interval(backend)
        usd = Money.of("10", "USD")
        entries: list[CommissionEntry] = []
        for n in range(40):
            at = T0 + timedelta(hours=(n * 7) % 40, microseconds=n % 3)
            entries.append(
                _entry(
                    f"com_{n:02}",
                    f"txn_{n:02}",
                    usd,
                    partner_id=("ptr_1", "ptr_2")[n % 2],
                    customer_id=("cus_1", "cus_2")[n % 3 == 0],
                    interval_id=("map_1", "map_2", "map_3")[n % 3],
                    occurred_at=at,
                )
            )
        refunds = [
            _entry(
                f"ref_{n}",
                f"rtxn_{n}",
                -Money.of("1", "USD"),
                kind=EntryKind.REVERSAL,
                reverses="txn_04",
                occurred_at=T0 + timedelta(hours=30 - n),
            )
            for n in range(3)
        ]
        with backend.unit_of_work() as uow:
            uow.records.add(_interval("map_2", "cus_2", "crm", "ptr_2"))
            uow.records.add(_interval("map_3", "cus_1", "books", "ptr_1"))
            for entry in [*entries, *refunds]:
                uow.commissions.add(entry)
        every = sorted([*entries, *refunds], key=lambda e: (e.occurred_at, e.id))
        with backend.unit_of_work(readonly=True) as uow:
            c = uow.commissions
            for start, end in [
                (None, None),
                (T0 + timedelta(hours=7), None),
                (None, T0 + timedelta(hours=21)),
                (T0 + timedelta(hours=7), T0 + timedelta(hours=7, microseconds=1)),
                (T0 + timedelta(hours=14, microseconds=1), T0 + timedelta(hours=35)),
            ]:
                for partner in ("ptr_1", "ptr_2"):
                    assert c.for_partner(partner, start, end) == [
                        e
                        for e in every
                        if e.partner_id == partner
                        and (start is None or start <= e.occurred_at)
                        and (end is None or e.occurred_at < end)
                    ]
            for customer in ("cus_1", "cus_2"):
                assert c.for_customer(customer, "crm") == [
                    e for e in every if e.customer_id == customer
                ]
            assert c.reversals_of("txn_04") == sorted(refunds, key=lambda e: e.occurred_at)
            for interval in ("map_1", "map_2", "map_3"):
                assert c.last_occurred_at(interval) == max(
                    e.occurred_at for e in every if e.interval_id == interval
                )
