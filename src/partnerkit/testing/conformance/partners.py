"""The `Partners` port: partners with their lists, versions, usernames, activity."""

from __future__ import annotations

from datetime import timedelta

import attrs
import pytest

from partnerkit.errors import (
    ConcurrencyError,
)
from partnerkit.mapping.errors import (
    UsernameTakenError,
)
from partnerkit.mapping.partners import (
    PartnerStatus,
)
from partnerkit.ports import Backend
from partnerkit.stores import Store
from partnerkit.testing.conformance._base import (
    T0,
    ContractBase,
    _partner,
)

__all__ = ["PartnersContract"]


class PartnersContract(ContractBase):
    """The `Partners` port: partners with their lists, versions, usernames, activity."""

    def test_partner_round_trips_with_its_lists(self, backend: Backend[Store]) -> None:
        self._with_products(backend)
        partner = _partner("ptr_1", "Zillium", expertise=("crm", "books"))
        with backend.unit_of_work() as uow:
            uow.partners.add(partner)
        with backend.unit_of_work(readonly=True) as uow:
            assert uow.partners.get("ptr_1") == partner
            assert uow.partners.get_by_username("ptr1") == partner
            assert uow.partners.get_by_email("ptr_1@partners.example") == partner
            assert uow.partners.get("ptr_2") is None

    def test_instants_keep_utc_and_microseconds(self, backend: Backend[Store]) -> None:
        self._with_products(backend)
        with backend.unit_of_work() as uow:
            uow.partners.add(_partner("ptr_1", "Zillium"))
        with backend.unit_of_work(readonly=True) as uow:
            stored = uow.partners.get("ptr_1")
        assert stored is not None
        assert stored.created_at == T0
        assert stored.created_at.utcoffset() == timedelta(0)

    def test_partner_update_bumps_version_and_refuses_stale_writes(
        self, backend: Backend[Store]
    ) -> None:
        self._with_products(backend)
        with backend.unit_of_work() as uow:
            uow.partners.add(_partner("ptr_1", "Zillium"))
        with backend.unit_of_work() as uow:
            first = uow.partners.get("ptr_1")
            assert first is not None
            saved = uow.partners.update(
                attrs.evolve(first, name="Zillium Corp", regions=("US",), expertise=())
            )
        assert saved.version == 2
        with pytest.raises(ConcurrencyError), backend.unit_of_work() as uow:
            uow.partners.update(attrs.evolve(first, name="Stale"))
        with backend.unit_of_work(readonly=True) as uow:
            assert uow.partners.get("ptr_1") == saved

    def test_partner_username_is_unique(self, backend: Backend[Store]) -> None:
        self._with_products(backend)
        with backend.unit_of_work() as uow:
            uow.partners.add(_partner("ptr_1", "One", username="zillium"))
            uow.partners.add(_partner("ptr_2", "Two", username="other"))
        with pytest.raises(UsernameTakenError), backend.unit_of_work() as uow:
            uow.partners.add(_partner("ptr_3", "Three", username="zillium"))
        with pytest.raises(UsernameTakenError), backend.unit_of_work() as uow:
            two = uow.partners.get("ptr_2")
            assert two is not None
            uow.partners.update(attrs.evolve(two, username="zillium"))
        with backend.unit_of_work(readonly=True) as uow:
            assert [p.id for p in uow.partners.all()] == ["ptr_1", "ptr_2"]
            assert uow.partners.get_by_username("other") is not None

    def test_partners_without_username_coexist(self, backend: Backend[Store]) -> None:
        self._with_products(backend)
        with backend.unit_of_work() as uow:
            uow.partners.add(_partner("ptr_1", "One", username=None))
            uow.partners.add(_partner("ptr_2", "Two", username=None))
        with backend.unit_of_work(readonly=True) as uow:
            assert len(uow.partners.all()) == 2

    def test_partners_filter_by_status_ordered_by_name(self, backend: Backend[Store]) -> None:
        self._with_products(backend)
        with backend.unit_of_work() as uow:
            uow.partners.add(_partner("ptr_b", "Beta"))
            uow.partners.add(_partner("ptr_a", "Alpha", status=PartnerStatus.DEACTIVATED))
            uow.partners.add(_partner("ptr_c", "Alpha"))
        with backend.unit_of_work(readonly=True) as uow:
            assert [p.id for p in uow.partners.all()] == ["ptr_a", "ptr_c", "ptr_b"]
            active = uow.partners.all(status=PartnerStatus.ACTIVE)
            assert [p.id for p in active] == ["ptr_c", "ptr_b"]

    def test_partner_activity_only_moves_forward(self, backend: Backend[Store]) -> None:
        self._with_products(backend)
        with backend.unit_of_work() as uow:
            assert uow.partners.oldest_activity() is None
            assert uow.partners.idle_since(T0) == []
            uow.partners.add(_partner("ptr_1", "Zillium"))
        later = T0 + timedelta(days=1, microseconds=1)
        with backend.unit_of_work() as uow:
            uow.partners.touch("ptr_1", later)
            uow.partners.touch("ptr_1", T0 + timedelta(microseconds=1))  # earlier: ignored
            uow.partners.touch("ptr_9", later)  # no such partner: nothing happens
        with backend.unit_of_work(readonly=True) as uow:
            stored = uow.partners.get("ptr_1")
            assert stored is not None
            assert stored.last_active_at == later
            assert stored.version == 1  # no version check, no version change
        with backend.unit_of_work() as uow:
            # A partner read before the touch still updates: touch did not bump the version.
            uow.partners.update(attrs.evolve(stored, name="Zillium Corp"))

    def test_an_update_stores_the_partner_as_given_after_a_touch_in_its_transaction(
        self, backend: Backend[Store]
    ) -> None:
        self._with_products(backend)
        with backend.unit_of_work() as uow:
            uow.partners.add(_partner("ptr_1", "Zillium"))
        with backend.unit_of_work() as uow:
            read = uow.partners.get("ptr_1")
            assert read is not None
            uow.partners.touch("ptr_1", T0 + timedelta(days=1))
            # The value given is what is stored, every field of it (a backend that writes
            # only what changed since it read the row counts the touch as a change).
            updated = uow.partners.update(attrs.evolve(read, name="Zillium Corp"))
        with backend.unit_of_work(readonly=True) as uow:
            assert uow.partners.get("ptr_1") == updated
            assert updated.last_active_at == read.last_active_at

    def test_idle_partners_and_oldest_activity(self, backend: Backend[Store]) -> None:
        self._with_products(backend)
        cutoff = T0 + timedelta(days=10)
        with backend.unit_of_work() as uow:
            uow.partners.add(_partner("ptr_b", "Beta", last_active_at=cutoff))
            uow.partners.add(_partner("ptr_a", "Alpha", last_active_at=T0 + timedelta(days=2)))
            uow.partners.add(_partner("ptr_c", "Alpha", last_active_at=T0 + timedelta(days=3)))
            uow.partners.add(
                _partner("ptr_d", "Recent", last_active_at=cutoff + timedelta(microseconds=1))
            )
            uow.partners.add(
                _partner("ptr_e", "Gone", last_active_at=T0, status=PartnerStatus.DEACTIVATED)
            )
        with backend.unit_of_work(readonly=True) as uow:
            assert [p.id for p in uow.partners.idle_since(cutoff)] == ["ptr_a", "ptr_c", "ptr_b"]
            idle = uow.partners.idle_since(T0 + timedelta(days=2))
            assert idle == [uow.partners.get("ptr_a")]
            assert uow.partners.idle_since(T0) == []
            # The deactivated partner is older, but only active partners count.
            assert uow.partners.oldest_activity() == T0 + timedelta(days=2)
        with backend.unit_of_work() as uow:
            uow.partners.touch("ptr_a", cutoff + timedelta(days=1))
        with backend.unit_of_work(readonly=True) as uow:
            assert [p.id for p in uow.partners.idle_since(cutoff)] == ["ptr_c", "ptr_b"]
            assert uow.partners.oldest_activity() == T0 + timedelta(days=3)

    def test_lookups_follow_a_changed_username_email_and_status(
        self, backend: Backend[Store]
    ) -> None:
        self._with_products(backend)
        shared = "team@partners.example"
        with backend.unit_of_work() as uow:
            uow.partners.add(_partner("ptr_1", "One", username="one"))
            uow.partners.add(
                _partner("ptr_2", "Two", email=shared, created_at=T0 + timedelta(days=1))
            )
            # Created earlier with the same contact email: the oldest answers.
            uow.partners.add(_partner("ptr_3", "Three", email=shared))
        with backend.unit_of_work() as uow:
            assert uow.partners.get_by_email(shared) == uow.partners.get("ptr_3")
            one = uow.partners.get("ptr_1")
            assert one is not None
            saved = uow.partners.update(
                attrs.evolve(one, username="uno", email="uno@partners.example")
            )
            assert uow.partners.get_by_username("one") is None
            assert uow.partners.get_by_username("uno") == saved
            assert uow.partners.get_by_email("ptr_1@partners.example") is None
            assert uow.partners.get_by_email("uno@partners.example") == saved
            # The released username is free for another partner.
            uow.partners.add(_partner("ptr_4", "Four", username="one"))
            three = uow.partners.get("ptr_3")
            assert three is not None
            uow.partners.update(
                attrs.evolve(three, status=PartnerStatus.DEACTIVATED, email="old@x.example")
            )
        with backend.unit_of_work(readonly=True) as uow:
            assert uow.partners.get_by_email(shared) == uow.partners.get("ptr_2")
            assert [p.id for p in uow.partners.all(status=PartnerStatus.ACTIVE)] == [
                "ptr_4",
                "ptr_1",
                "ptr_2",
            ]
            assert [p.id for p in uow.partners.all(status=PartnerStatus.DEACTIVATED)] == ["ptr_3"]
            assert [p.id for p in uow.partners.idle_since(T0 + timedelta(days=30))] == [
                "ptr_4",
                "ptr_1",
                "ptr_2",
            ]

    def test_partners_are_found_by_a_registered_domain(self, backend: Backend[Store]) -> None:
        self._with_products(backend)
        with backend.unit_of_work() as uow:
            uow.partners.add(
                _partner(
                    "ptr_2",
                    "Two",
                    email_domains=("two.example", "shared.example"),
                    created_at=T0 + timedelta(days=1),
                )
            )
            uow.partners.add(_partner("ptr_1", "One", email_domains=("shared.example",)))
            uow.partners.add(_partner("ptr_3", "Three", email_domains=("bücher.example",)))
        with backend.unit_of_work() as uow:
            found = uow.partners.with_domain("shared.example")
            assert found == [uow.partners.get("ptr_1"), uow.partners.get("ptr_2")]
            assert [p.id for p in uow.partners.with_domain("bücher.example")] == ["ptr_3"]
            # Exact: a look-alike or a longer domain is another domain.
            assert uow.partners.with_domain("two.example.attacker.test") == []
            assert uow.partners.with_domain("Two.example") == []
            two = uow.partners.get("ptr_2")
            assert two is not None
            uow.partners.update(attrs.evolve(two, email_domains=("two.example",)))
        with backend.unit_of_work(readonly=True) as uow:
            assert [p.id for p in uow.partners.with_domain("shared.example")] == ["ptr_1"]
            assert [p.id for p in uow.partners.with_domain("two.example")] == ["ptr_2"]

    def test_partner_lists_change_in_every_way_and_read_back(self, backend: Backend[Store]) -> None:
        self._with_products(backend)
        partner = _partner("ptr_1", "Zillium", regions=("IN", "AE", "US"), expertise=("crm",))
        with backend.unit_of_work() as uow:
            uow.partners.add(partner)
        for change in (
            {"regions": ("AE", "US")},  # the first goes: the others move up
            {"regions": ("AE", "US", "DE", "FR"), "expertise": ("books", "crm")},
            {"regions": ("FR", "AE"), "email_domains": ()},
            {"regions": (), "expertise": (), "email_domains": ("a.example", "b.example")},
        ):
            with backend.unit_of_work() as uow:
                current = uow.partners.get("ptr_1")
                assert current == partner
                partner = uow.partners.update(attrs.evolve(partner, **change))
                assert uow.partners.get("ptr_1") == partner
            with backend.unit_of_work(readonly=True) as uow:
                assert uow.partners.get("ptr_1") == partner
                assert uow.partners.get_by_username("ptr1") == partner
        # An update in a unit of work that did not read the partner writes the same.
        with backend.unit_of_work() as uow:
            partner = uow.partners.update(attrs.evolve(partner, regions=("IN",)))
        with backend.unit_of_work(readonly=True) as uow:
            assert uow.partners.all() == [partner]
            assert partner.version == 6
