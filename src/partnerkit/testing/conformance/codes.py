"""The `PartnerCodes` port: canonical keys unique forever, per-partner and active codes."""

from __future__ import annotations

from datetime import timedelta

import attrs
import pytest

from partnerkit.mapping.errors import (
    CodeTakenError,
)
from partnerkit.mapping.partners import (
    PartnerCode,
    PartnerCodeStatus,
)
from partnerkit.ports import Backend
from partnerkit.stores import Store
from partnerkit.testing.conformance._base import (
    T0,
    ContractBase,
    _partner,
)

__all__ = ["PartnerCodesContract"]


class PartnerCodesContract(ContractBase):
    """The `PartnerCodes` port: canonical keys unique forever, per-partner and active codes."""

    def test_code_keys_are_unique_forever(self, backend: Backend[Store]) -> None:
        self._with_products(backend)
        code = PartnerCode("zllllumcorp", "ZILLIUMCorp", "ptr_1", T0)
        with backend.unit_of_work() as uow:
            uow.partners.add(_partner("ptr_1", "Zillium"))
            uow.partners.add(_partner("ptr_2", "Other"))
            uow.codes.add(code)
            retired = attrs.evolve(
                code, status=PartnerCodeStatus.RETIRED, retired_at=T0 + timedelta(days=1)
            )
            uow.codes.update(retired)
        with pytest.raises(CodeTakenError), backend.unit_of_work() as uow:
            uow.codes.add(PartnerCode("zllllumcorp", "zilliumcorp", "ptr_2", T0))
        with backend.unit_of_work(readonly=True) as uow:
            assert uow.codes.get("zllllumcorp") == retired
            assert uow.codes.for_partner("ptr_2") == []

    def test_codes_for_partner_oldest_first(self, backend: Backend[Store]) -> None:
        self._with_products(backend)
        later = PartnerCode("bbbb", "BBBB", "ptr_1", T0 + timedelta(days=2))
        earlier = PartnerCode(
            "aaaa", "AAAA", "ptr_1", T0, PartnerCodeStatus.RETIRED, T0 + timedelta(days=2)
        )
        with backend.unit_of_work() as uow:
            uow.partners.add(_partner("ptr_1", "Zillium"))
            uow.codes.add(later)
            uow.codes.add(earlier)
        with backend.unit_of_work(readonly=True) as uow:
            assert uow.codes.for_partner("ptr_1") == [earlier, later]

    def test_issuing_reads_the_code_under_a_key_and_the_partners_active_code(
        self, backend: Backend[Store]
    ) -> None:
        self._with_products(backend)
        mine = PartnerCode("aaaa", "AAAA", "ptr_a", T0)
        retired = PartnerCode("old1", "OLD1", "ptr_a", T0, PartnerCodeStatus.RETIRED, T0)
        theirs = PartnerCode("bbbb", "BBBB", "ptr_b", T0)
        with backend.unit_of_work() as uow:
            uow.partners.add(_partner("ptr_a", "Alpha"))
            uow.partners.add(_partner("ptr_b", "Beta"))
            uow.partners.add(_partner("ptr_c", "Gamma"))
            for code in (mine, retired, theirs):
                uow.codes.add(code)
        with backend.unit_of_work(readonly=True) as uow:
            assert uow.codes.issuing("aaaa", "ptr_a") == (mine, mine)
            assert uow.codes.issuing("cccc", "ptr_a") == (None, mine)
            assert uow.codes.issuing("bbbb", "ptr_a") == (theirs, mine)
            assert uow.codes.issuing("old1", "ptr_a") == (retired, mine)
            assert uow.codes.issuing("old1", "ptr_c") == (retired, None)
            assert uow.codes.issuing("cccc", "ptr_c") == (None, None)

    def test_active_codes_of_every_partner(self, backend: Backend[Store]) -> None:
        self._with_products(backend)
        with backend.unit_of_work() as uow:
            uow.partners.add(_partner("ptr_b", "Beta"))
            uow.partners.add(_partner("ptr_a", "Alpha"))
            uow.codes.add(PartnerCode("bbbb", "BBBB", "ptr_b", T0))
            uow.codes.add(PartnerCode("aaaa", "AAAA", "ptr_a", T0))
            uow.codes.add(
                PartnerCode(
                    "old1", "OLD1", "ptr_a", T0, PartnerCodeStatus.RETIRED, T0 + timedelta(days=1)
                )
            )
        with backend.unit_of_work(readonly=True) as uow:
            assert [(c.partner_id, c.code) for c in uow.codes.active()] == [
                ("ptr_a", "AAAA"),
                ("ptr_b", "BBBB"),
            ]

    def test_a_retired_code_leaves_the_active_codes(self, backend: Backend[Store]) -> None:
        self._with_products(backend)
        first = PartnerCode("aaaa", "AAAA", "ptr_a", T0)
        with backend.unit_of_work() as uow:
            uow.partners.add(_partner("ptr_a", "Alpha"))
            uow.codes.add(first)
        with backend.unit_of_work() as uow:
            uow.codes.update(
                attrs.evolve(
                    first, status=PartnerCodeStatus.RETIRED, retired_at=T0 + timedelta(days=2)
                )
            )
            uow.codes.add(PartnerCode("bbbb", "BBBB", "ptr_a", T0 + timedelta(days=2)))
        with backend.unit_of_work(readonly=True) as uow:
            assert [c.key for c in uow.codes.active()] == ["bbbb"]
            assert [c.key for c in uow.codes.for_partner("ptr_a")] == ["aaaa", "bbbb"]

    def test_a_partner_holds_at_most_one_active_code(self, backend: Backend[Store]) -> None:
        # A storage rule, so that two writers issuing codes to one partner get one winner.
        self._with_products(backend)
        with backend.unit_of_work() as uow:
            uow.partners.add(_partner("ptr_a", "Alpha"))
            uow.partners.add(_partner("ptr_b", "Beta"))
            uow.codes.add(PartnerCode("aaaa", "AAAA", "ptr_a", T0))
        with pytest.raises(CodeTakenError), backend.unit_of_work() as uow:
            uow.codes.add(PartnerCode("bbbb", "BBBB", "ptr_a", T0))
        with backend.unit_of_work() as uow:
            # A retired code takes no part, and another partner's active code is its own.
            uow.codes.add(PartnerCode("old1", "OLD1", "ptr_a", T0, PartnerCodeStatus.RETIRED, T0))
            uow.codes.add(PartnerCode("cccc", "CCCC", "ptr_b", T0))
        with backend.unit_of_work(readonly=True) as uow:
            assert [(c.partner_id, c.key) for c in uow.codes.active()] == [
                ("ptr_a", "aaaa"),
                ("ptr_b", "cccc"),
            ]
            assert uow.codes.get("bbbb") is None
