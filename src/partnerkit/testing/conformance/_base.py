"""What every contract class shares: the fixtures a host overrides (`backend`), values to store,
and set-up steps. Not a contract itself."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from partnerkit.access import Principal
from partnerkit.catalog.products import Product
from partnerkit.clock import SimulatedClock
from partnerkit.consent import ConsentKind, ConsentRequest
from partnerkit.customers.accounts import (
    ContactPerson,
    Customer,
    CustomerUser,
    Edition,
    ProductPlan,
)
from partnerkit.gateways.mailer import FakeMailer
from partnerkit.kit import Kit
from partnerkit.mapping.commission_values import CommissionEntry, EntryKind
from partnerkit.mapping.partners import (
    Partner,
    PartnerKind,
)
from partnerkit.mapping.records import Channel, MappingInterval
from partnerkit.money import Money
from partnerkit.ports import Backend
from partnerkit.stores import Store

#: The partner team: sets up the catalog, partners and accounts the tests act on.
STAFF = Principal.staff("team@vendor.example")

__all__ = ["T0", "ContractBase"]

T0 = datetime(2026, 1, 5, 9, 30, 15, 123456, tzinfo=UTC)


def _partner(pid: str, name: str, **kw: object) -> Partner:
    values: dict[str, object] = {
        "id": pid,
        "name": name,
        "email": f"{pid}@partners.example",
        "kind": PartnerKind.RESELLER,
        "created_at": T0,
        "last_active_at": T0,
        "username": pid.replace("_", ""),
        "email_domains": ("partners.example",),
        "regions": ("IN", "AE"),
        "expertise": ("crm",),
    }
    values.update(kw)
    return Partner(**values)  # type: ignore[arg-type]


def _customer(cid: str, *emails: str) -> Customer:
    return Customer(
        id=cid,
        name=f"Customer {cid}",
        created_at=T0,
        domains=("acme.example", "acme.test"),
        users=tuple(
            CustomerUser(e, e.split("@")[0], is_admin=i == 0) for i, e in enumerate(emails)
        ),
        contacts=(ContactPerson("Ana", emails[0], "+91 1234", primary=True),),
        products=(ProductPlan("crm", Edition.PAID, date(2025, 12, 1)),),
    )


def _interval(
    rid: str, customer_id: str, product: str, partner_id: str, **kw: object
) -> MappingInterval:
    values: dict[str, object] = {
        "id": rid,
        "customer_id": customer_id,
        "product": product,
        "partner_id": partner_id,
        "channel": Channel.TAG,
        "valid_from": T0,
        "reason": "tagged by the customer's admin",
        "by": "it@acme.example",
    }
    values.update(kw)
    return MappingInterval(**values)  # type: ignore[arg-type]


def _consent(cid: str, token_hash: str, **kw: object) -> ConsentRequest:
    values: dict[str, object] = {
        "id": cid,
        "kind": ConsentKind.MAPPING_APPROVAL,
        "customer_id": "cus_1",
        "product": "crm",
        "partner_id": "ptr_1",
        "requested_by": "ptr_1@partners.example",
        "requested_at": T0,
        "expires_at": T0 + timedelta(days=7),
        "token_hash": token_hash,
    }
    values.update(kw)
    return ConsentRequest(**values)  # type: ignore[arg-type]


def _entry(eid: str, transaction_id: str, base: Money, **kw: object) -> CommissionEntry:
    rate = kw.get("rate", Decimal("20"))
    assert isinstance(rate, Decimal)
    values: dict[str, object] = {
        "id": eid,
        "partner_id": "ptr_1",
        "customer_id": "cus_1",
        "product": "crm",
        "transaction_id": transaction_id,
        "kind": EntryKind.ACCRUAL,
        "base": base,
        "rate": rate,
        "commission_exact": base.amount * rate / 100,
        "occurred_at": T0,
        "booked_at": T0 + timedelta(minutes=1),
        "interval_id": "map_1",
    }
    values.update(kw)
    return CommissionEntry(**values)  # type: ignore[arg-type]


class ContractBase:
    """What every contract class shares: the fixtures its tests use, built on `backend`.

    Override `backend` to yield a fresh, empty backend of yours; `kit` is a kit on it with the
    products `crm` and `books`, `clock` a `SimulatedClock` and `mailer` a `FakeMailer`.
    """

    @pytest.fixture
    def backend(self) -> Iterator[Backend[Store]]:
        """The backend under test: override it to yield a fresh, empty one.

        Yields:
            The backend.

        Raises:
            NotImplementedError: Not overridden.
        """
        raise NotImplementedError("override the `backend` fixture to yield a fresh backend")

    @pytest.fixture
    def clock(self) -> SimulatedClock:
        """The kit's clock: a `SimulatedClock` at 2026-01-05 09:30:15.123456 UTC.

        Returns:
            The clock.

        Raises nothing.
        """
        return SimulatedClock(T0)

    @pytest.fixture
    def mailer(self) -> FakeMailer:
        """The kit's mailer: a `FakeMailer` that succeeds until told to fail.

        Returns:
            The mailer.

        Raises nothing.
        """
        return FakeMailer()

    @pytest.fixture
    def kit(self, backend: Backend[Store], clock: SimulatedClock, mailer: FakeMailer) -> Kit:
        """A kit on the backend under test, with the products `crm` and `books`.

        Args:
            backend: The backend fixture.
            clock: The clock fixture.
            mailer: The mailer fixture.

        Returns:
            The kit.

        Raises:
            PartnerkitError: The backend failed to store the products.
        """
        kit = Kit(backend, clock=clock, mailer=mailer)
        kit.catalog.add_product("crm", name="CRM", actor=STAFF)
        kit.catalog.add_product("books", name="Books", actor=STAFF)
        return kit

    def _with_products(self, backend: Backend[Store]) -> None:
        with backend.unit_of_work() as uow:
            uow.products.add(Product("crm", "CRM", T0))
            uow.products.add(Product("books", "Books", T0))

    def _program(self, backend: Backend[Store]) -> None:
        """Products, three partners and two customers: the rows the program refers to."""
        self._with_products(backend)
        with backend.unit_of_work() as uow:
            uow.partners.add(_partner("ptr_1", "Zillium"))
            uow.partners.add(_partner("ptr_2", "Other"))
            uow.partners.add(_partner("ptr_3", "Third"))
            uow.customers.add(_customer("cus_1", "it@acme.example"))
            uow.customers.add(_customer("cus_2", "it@globex.example"))

    def _with_interval(self, backend: Backend[Store]) -> None:
        self._program(backend)
        with backend.unit_of_work() as uow:
            uow.records.add(_interval("map_1", "cus_1", "crm", "ptr_1"))

    def _partners_and_acme(self, kit: Kit) -> tuple[Partner, Partner, Customer]:
        zillium = kit.partners.register(
            name="Zillium",
            username="zillium",
            email="o@z.example",
            expertise=["crm", "books"],
            actor=STAFF,
        )
        nimbus = kit.partners.register(
            name="Nimbus", username="nimbus", email="o@n.example", expertise=["crm"], actor=STAFF
        )
        kit.partners.issue_code(zillium.id, "ZILLIUMCorp", actor=STAFF)
        kit.partners.issue_code(nimbus.id, "NIMBUSHQ", actor=STAFF)
        acme = kit.customers.create(name="Acme", admin_email="it@acme.example", actor=STAFF)
        kit.customers.add_user(acme.id, "bob@acme.example", actor=STAFF)
        return zillium, nimbus, kit.customers.get(acme.id, actor=STAFF)
