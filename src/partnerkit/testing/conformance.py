"""The backend contract: what every backend must do, as pytest tests a subclass inherits.

partnerkit runs it over memory, SQLite, PostgreSQL and MariaDB. A host with its own adapter
subclasses `BackendContract` and overrides the `backend` fixture to yield a fresh, empty one.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import attrs
import pytest
from dateutil.relativedelta import relativedelta

from partnerkit.catalog.errors import ProductTakenError
from partnerkit.catalog.products import Product
from partnerkit.clock import SimulatedClock
from partnerkit.consent import Confirmation, ConsentKind, ConsentRequest, ConsentStatus
from partnerkit.customers.accounts import (
    ContactPerson,
    Customer,
    CustomerUser,
    Edition,
    ProductPlan,
)
from partnerkit.customers.errors import EmailTakenError
from partnerkit.errors import (
    ConcurrencyError,
    ConsentExpiredError,
    PartnerkitError,
    ValidationError,
)
from partnerkit.events import DomainEvent, Email, MessageStatus, OutboxMessage
from partnerkit.gateways.mailer import FakeMailer
from partnerkit.kit import Kit
from partnerkit.mapping.commission_values import CommissionEntry, CommissionPlan, EntryKind
from partnerkit.mapping.errors import (
    CodeTakenError,
    CommissionConflictError,
    InvalidCodeError,
    NotCustomerAdminError,
    PartnerOfRecordTakenError,
    TransferRequiredError,
    UsernameRequiredError,
    UsernameTakenError,
)
from partnerkit.mapping.partners import (
    Partner,
    PartnerCode,
    PartnerCodeStatus,
    PartnerKind,
    PartnerStatus,
)
from partnerkit.mapping.records import Channel, MappingInterval, MappingStatus
from partnerkit.mapping.signup import SignupLink
from partnerkit.mapping.tracking import TrackingEntry
from partnerkit.money import Money
from partnerkit.ports import Backend
from partnerkit.stores import Store

__all__ = ["BackendContract"]

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


class BackendContract:
    """Inherit and override `backend` to run the contract against your backend."""

    @pytest.fixture
    def backend(self) -> Iterator[Backend[Store]]:
        raise NotImplementedError("override the `backend` fixture to yield a fresh backend")

    @pytest.fixture
    def clock(self) -> SimulatedClock:
        return SimulatedClock(T0)

    @pytest.fixture
    def mailer(self) -> FakeMailer:
        return FakeMailer()

    @pytest.fixture
    def kit(self, backend: Backend[Store], clock: SimulatedClock, mailer: FakeMailer) -> Kit:
        kit = Kit(backend, clock=clock, mailer=mailer)
        kit.catalog.add_product("crm", name="CRM")
        kit.catalog.add_product("books", name="Books")
        return kit

    # --- products -----------------------------------------------------------------------------

    def test_products_round_trip_in_key_order(self, backend: Backend[Store]) -> None:
        with backend.unit_of_work() as uow:
            uow.products.add(Product("zeta", "Zeta", T0))
            uow.products.add(Product("alpha", "Alpha", T0))
        with backend.unit_of_work(readonly=True) as uow:
            assert uow.products.get("alpha") == Product("alpha", "Alpha", T0)
            assert uow.products.get("missing") is None
            assert [p.key for p in uow.products.all()] == ["alpha", "zeta"]

    def test_product_key_is_unique(self, backend: Backend[Store]) -> None:
        with backend.unit_of_work() as uow:
            uow.products.add(Product("crm", "CRM", T0))
        with pytest.raises(ProductTakenError), backend.unit_of_work() as uow:
            uow.products.add(Product("crm", "Other", T0))
        with backend.unit_of_work(readonly=True) as uow:
            assert [p.name for p in uow.products.all()] == ["CRM"]

    # --- partners -----------------------------------------------------------------------------

    def _with_products(self, backend: Backend[Store]) -> None:
        with backend.unit_of_work() as uow:
            uow.products.add(Product("crm", "CRM", T0))
            uow.products.add(Product("books", "Books", T0))

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

    # --- codes --------------------------------------------------------------------------------

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
        earlier = PartnerCode("aaaa", "AAAA", "ptr_1", T0)
        with backend.unit_of_work() as uow:
            uow.partners.add(_partner("ptr_1", "Zillium"))
            uow.codes.add(later)
            uow.codes.add(earlier)
        with backend.unit_of_work(readonly=True) as uow:
            assert uow.codes.for_partner("ptr_1") == [earlier, later]

    # --- customers ----------------------------------------------------------------------------

    def test_customer_round_trips_with_users_contacts_and_plans(
        self, backend: Backend[Store]
    ) -> None:
        self._with_products(backend)
        customer = _customer("cus_1", "it@acme.example", "bob@acme.example")
        with backend.unit_of_work() as uow:
            uow.customers.add(customer)
        with backend.unit_of_work(readonly=True) as uow:
            assert uow.customers.get("cus_1") == customer
            assert uow.customers.get_by_user_email("bob@acme.example") == customer
            assert uow.customers.get_by_user_email("nobody@acme.example") is None

    def test_customer_update_replaces_children(self, backend: Backend[Store]) -> None:
        self._with_products(backend)
        with backend.unit_of_work() as uow:
            uow.customers.add(_customer("cus_1", "it@acme.example", "bob@acme.example"))
        with backend.unit_of_work() as uow:
            stored = uow.customers.get("cus_1")
            assert stored is not None
            changed = attrs.evolve(
                stored,
                users=(stored.users[0], CustomerUser("eve@acme.example", "Eve")),
                products=(ProductPlan("books", Edition.FREE, date(2026, 1, 5)),),
            )
            saved = uow.customers.update(changed)
        assert saved.version == 2
        with backend.unit_of_work(readonly=True) as uow:
            assert uow.customers.get("cus_1") == saved
            assert uow.customers.get_by_user_email("bob@acme.example") is None
            assert uow.customers.get_by_user_email("eve@acme.example") == saved
        with pytest.raises(ConcurrencyError), backend.unit_of_work() as uow:
            uow.customers.update(changed)

    def test_customers_get_many_in_name_order(self, backend: Backend[Store]) -> None:
        self._with_products(backend)
        with backend.unit_of_work() as uow:
            uow.customers.add(attrs.evolve(_customer("cus_2", "b@acme.example"), name="Beta"))
            uow.customers.add(attrs.evolve(_customer("cus_1", "a@acme.example"), name="Zeta"))
            uow.customers.add(attrs.evolve(_customer("cus_3", "c@acme.example"), name="Alpha"))
        with backend.unit_of_work(readonly=True) as uow:
            found = uow.customers.get_many(["cus_1", "cus_2", "cus_missing"])
            assert [c.id for c in found] == ["cus_2", "cus_1"]
            assert found[0].users == (CustomerUser("b@acme.example", "b", is_admin=True),)
            assert uow.customers.get_many([]) == []

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

    def test_user_email_belongs_to_one_account(self, backend: Backend[Store]) -> None:
        self._with_products(backend)
        with backend.unit_of_work() as uow:
            uow.customers.add(_customer("cus_1", "it@acme.example"))
        with pytest.raises(EmailTakenError), backend.unit_of_work() as uow:
            uow.customers.add(_customer("cus_2", "it@acme.example"))
        with backend.unit_of_work(readonly=True) as uow:
            assert [c.id for c in uow.customers.all()] == ["cus_1"]

    # --- outbox -------------------------------------------------------------------------------

    def test_outbox_hands_out_due_messages_in_order(self, backend: Backend[Store]) -> None:
        event = DomainEvent("partner.registered", {"partner_id": "ptr_1", "n": 1})
        first = OutboxMessage.for_event("msg_01", event, T0)
        second = OutboxMessage.for_event("msg_02", event, T0)
        later = attrs.evolve(
            OutboxMessage.for_event("msg_00", event, T0), next_attempt_at=T0 + timedelta(hours=1)
        )
        with backend.unit_of_work() as uow:
            uow.outbox.add(second)
            uow.outbox.add(later)
            uow.outbox.add(first)
            assert uow.outbox.next_due() == T0
        with backend.unit_of_work() as uow:
            assert [m.id for m in uow.outbox.due(T0, 10)] == ["msg_01", "msg_02"]
            assert [m.id for m in uow.outbox.due(T0, 1)] == ["msg_01"]
            uow.outbox.save(first.delivered(T0))
            uow.outbox.save(second.delivered(T0))
        with backend.unit_of_work(readonly=True) as uow:
            assert uow.outbox.next_due() == T0 + timedelta(hours=1)
            assert uow.outbox.due(T0, 10) == []
            stored = {m.id: m for m in uow.outbox.all()}
            assert stored["msg_01"].status is MessageStatus.DELIVERED
            assert stored["msg_01"].payload == {"partner_id": "ptr_1", "n": 1}
            assert len(uow.outbox.all(topic="partner.registered")) == 3
            assert uow.outbox.all(topic="other") == []

    def test_payloads_are_the_same_json_data_on_every_backend(
        self, backend: Backend[Store]
    ) -> None:
        # A payload with an instant, a Decimal and Money reads back as the same strings
        # whichever backend stored it: events.py converts through partnerkit.serialization.
        payload = {
            "at": datetime(2026, 1, 5, tzinfo=UTC),
            "rate": Decimal("1.50"),
            "amount": Money.of("2.00", "USD"),
            "nested": {"day": date(2026, 1, 5), "ids": ("a", "b")},
        }
        expected = {
            "at": "2026-01-05T00:00:00+00:00",
            "rate": "1.50",
            "amount": {"amount": "2.00", "currency": "USD"},
            "nested": {"day": "2026-01-05", "ids": ["a", "b"]},
        }
        event = OutboxMessage.for_event("msg_1", DomainEvent("x.happened", payload), T0)
        email = OutboxMessage.for_email(
            "msg_2", Email("a@b.example", "Hi", "Body", "greeting", context=payload), T0
        )
        assert event.payload == expected
        with backend.unit_of_work() as uow:
            uow.outbox.add(event)
            uow.outbox.add(email)
        with backend.unit_of_work(readonly=True) as uow:
            stored = {m.id: m for m in uow.outbox.all()}
        assert stored["msg_1"].payload == expected
        assert stored["msg_2"].email().context == expected

    # --- units of work ------------------------------------------------------------------------

    def test_exception_rolls_back_the_whole_unit_of_work(self, backend: Backend[Store]) -> None:
        self._with_products(backend)
        with pytest.raises(RuntimeError), backend.unit_of_work() as uow:
            uow.partners.add(_partner("ptr_1", "Zillium"))
            uow.codes.add(PartnerCode("zllllumcorp", "ZILLIUMCorp", "ptr_1", T0))
            uow.outbox.add(OutboxMessage.for_event("msg_1", DomainEvent("x"), T0))
            raise RuntimeError("boom")
        with backend.unit_of_work(readonly=True) as uow:
            assert uow.partners.all() == []
            assert uow.codes.get("zllllumcorp") is None
            assert uow.outbox.all() == []

    def test_savepoint_undoes_only_its_own_writes(self, backend: Backend[Store]) -> None:
        self._with_products(backend)
        with backend.unit_of_work() as uow:
            uow.partners.add(_partner("ptr_1", "Kept"))
            with pytest.raises(UsernameTakenError), uow.savepoint():
                uow.partners.add(_partner("ptr_2", "Undone", username="fresh"))
                uow.partners.add(_partner("ptr_3", "Clash", username="ptr1"))
            uow.partners.add(_partner("ptr_4", "Also kept"))
        with backend.unit_of_work(readonly=True) as uow:
            assert [p.id for p in uow.partners.all()] == ["ptr_4", "ptr_1"]
            assert uow.partners.get_by_username("fresh") is None

    # --- services over the backend: the acceptance rules of the foundation ------------------

    def test_a_colliding_code_is_refused_and_nothing_is_stored(self, kit: Kit) -> None:
        zillium = kit.partners.register(name="Zillium", username="zillium", email="o@z.example")
        other = kit.partners.register(name="Other", username="other", email="o@o.example")
        kit.partners.issue_code(zillium.id, "ZILLIUMCorp")
        before = len(kit.outbox())
        for clash in ("zilliumcorp", "ZILLIUMCORP", "ZI11IUMC0RP", "zIlLiUmCoRp"):
            with pytest.raises(CodeTakenError) as info:
                kit.partners.issue_code(other.id, clash)
            assert info.value.code == "partner_code.taken"
            assert info.value.details["field"] == "code"
        assert kit.partners.codes(other.id) == []
        assert len(kit.outbox()) == before
        assert kit.partners.find_by_code("zilliumCORP").id == zillium.id

    def test_a_code_with_punctuation_is_refused(self, kit: Kit) -> None:
        partner = kit.partners.register(name="Zillium", username="zillium", email="o@z.example")
        before = len(kit.outbox())
        with pytest.raises(InvalidCodeError) as info:
            kit.partners.issue_code(partner.id, "Zillium_Premium")
        assert info.value.code == "partner_code.invalid"
        assert kit.partners.codes(partner.id) == []
        assert len(kit.outbox()) == before

    def test_a_retired_code_is_never_issued_again(self, kit: Kit) -> None:
        zillium = kit.partners.register(name="Zillium", username="zillium", email="o@z.example")
        kit.partners.issue_code(zillium.id, "ZILLIUMCorp")
        kit.partners.issue_code(zillium.id, "ZILLIUMHQ", replace=True)
        assert [c.status for c in kit.partners.codes(zillium.id)] == [
            PartnerCodeStatus.RETIRED,
            PartnerCodeStatus.ACTIVE,
        ]
        with pytest.raises(CodeTakenError):
            kit.partners.issue_code(zillium.id, "zilliumcorp", replace=True)

    def test_a_malformed_email_is_refused_and_nothing_is_stored(self, kit: Kit) -> None:
        with pytest.raises(ValidationError) as info:
            kit.partners.register(name="Zillium", username="zillium", email="ops@@zillium")
        assert info.value.code == "validation.invalid"
        assert info.value.details["field"] == "email"
        assert kit.partners.partners() == []

    def test_partner_without_username_cannot_sign_in(self, kit: Kit) -> None:
        partner = kit.partners.register(name="Signup", email="new@signup.example")
        with pytest.raises(UsernameRequiredError) as info:
            kit.partners.check_sign_in("new@signup.example")
        assert info.value.remedy is not None and "username" in info.value.remedy
        kit.partners.set_username(partner.id, "signup")
        assert kit.partners.check_sign_in("Signup").id == partner.id

    def test_exception_in_a_kit_transaction_leaves_nothing(self, kit: Kit) -> None:
        outbox_before = len(kit.outbox())
        with pytest.raises(RuntimeError), kit.transaction():
            partner = kit.partners.register(name="Zillium", username="zillium", email="o@z.ex")
            kit.partners.issue_code(partner.id, "ZILLIUMCorp")
            kit.customers.create(name="Acme", admin_email="it@acme.example")
            raise RuntimeError("boom")
        assert kit.partners.partners() == []
        assert kit.customers.customers() == []
        assert len(kit.outbox()) == outbox_before
        # The code was never issued, so it is free.
        fresh = kit.partners.register(name="Zillium", username="zillium", email="o@z.ex")
        assert kit.partners.issue_code(fresh.id, "ZILLIUMCorp").partner_id == fresh.id

    def test_an_error_caught_inside_a_transaction_undoes_only_that_call(self, kit: Kit) -> None:
        with kit.transaction():
            kept = kit.partners.register(name="Kept", username="kept", email="k@k.example")
            with pytest.raises(PartnerkitError):
                kit.partners.register(name="Clash", username="kept", email="c@c.example")
            kit.partners.issue_code(kept.id, "KEPTCorp")
        assert [p.name for p in kit.partners.partners()] == ["Kept"]
        assert kit.partners.find_by_code("keptcorp").id == kept.id

    def test_emails_are_sent_after_commit_and_retried(
        self, kit: Kit, backend: Backend[Store], mailer: FakeMailer, clock: SimulatedClock
    ) -> None:
        mailer.failures = 2
        email = Email("it@acme.example", "Hello", "Body", "test.hello")
        with backend.unit_of_work() as uow:
            uow.outbox.add(OutboxMessage.for_email("msg_mail", email, clock.now()))
        assert kit.deliver_outbox() == 0  # first failure: retry in 1 minute
        assert mailer.sent == []
        kit.advance_to(clock.now() + timedelta(minutes=10))  # second failure, then success
        assert mailer.sent == [email]
        (stored,) = kit.outbox(topic="test.hello")
        assert stored.status is MessageStatus.DELIVERED
        assert stored.attempts == 3

    def test_events_reach_subscribers_once_committed(self, kit: Kit) -> None:
        seen: list[DomainEvent] = []
        kit.subscribe("partner.registered", seen.append)
        with pytest.raises(RuntimeError), kit.transaction():
            kit.partners.register(name="Ghost", username="ghost", email="g@g.example")
            raise RuntimeError("rolled back")
        assert seen == []
        partner = kit.partners.register(name="Zillium", username="zillium", email="o@z.example")
        assert [e.payload["partner_id"] for e in seen] == [partner.id]

    # --- the partner program: what its repositories store ---------------------------------

    def _program(self, backend: Backend[Store]) -> None:
        """Products, three partners and two customers: the rows the program refers to."""
        self._with_products(backend)
        with backend.unit_of_work() as uow:
            uow.partners.add(_partner("ptr_1", "Zillium"))
            uow.partners.add(_partner("ptr_2", "Other"))
            uow.partners.add(_partner("ptr_3", "Third"))
            uow.customers.add(_customer("cus_1", "it@acme.example"))
            uow.customers.add(_customer("cus_2", "it@globex.example"))

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
            ),
            _interval(
                "map_c",
                "cus_2",
                "crm",
                "ptr_1",
                status=MappingStatus.PROVISIONAL,
                provisional_until=date(2026, 1, 20),
            ),
            _interval(
                "map_d",
                "cus_2",
                "books",
                "ptr_2",
                status=MappingStatus.PROVISIONAL,
                provisional_until=day,  # not before `day`
            ),
        ]
        with backend.unit_of_work() as uow:
            assert uow.records.next_provisional_until() is None
            for row in rows:
                uow.records.add(row)
            closed = uow.records.update(
                rows[2].close(T0 + timedelta(days=1), "removed", "partner team")
            )
        with backend.unit_of_work(readonly=True) as uow:
            assert [i.id for i in uow.records.for_customer("cus_1")] == ["map_a", "map_b"]
            assert uow.records.for_customer("cus_2") == [closed, rows[3]]
            assert [i.id for i in uow.records.open_for_partner("ptr_1")] == ["map_a", "map_b"]
            # map_c ended, map_d's date is not before the day, map_b is permanent.
            assert [i.id for i in uow.records.provisional_ending_before(day)] == ["map_a"]
            assert [i.id for i in uow.records.provisional_ending_before(date(2026, 2, 2))] == [
                "map_d",
                "map_a",
            ]
            assert uow.records.provisional_ending_before(date(2026, 1, 31)) == []
            assert uow.records.next_provisional_until() == date(2026, 1, 31)

    def test_consent_request_round_trips_with_confirmations(self, backend: Backend[Store]) -> None:
        self._program(backend)
        request = _consent(
            "cns_1",
            "a" * 64,
            kind=ConsentKind.TRANSFER,
            from_partner_id="ptr_2",
            required_confirmations=2,
            confirmations=(Confirmation("it@acme.example", T0 + timedelta(microseconds=3)),),
            context={"reason": "moving", "nested": {"b": [1, "two", None], "a": True}},
        )
        with backend.unit_of_work() as uow:
            uow.consents.add(request)
            uow.consents.add(_consent("cns_2", "b" * 64))
        with backend.unit_of_work(readonly=True) as uow:
            assert uow.consents.get("cns_1") == request
            assert uow.consents.get_by_token_hash("a" * 64) == request
            assert uow.consents.get_by_token_hash("c" * 64) is None
            assert uow.consents.get("cns_9") is None
            plain = uow.consents.get("cns_2")
            assert plain is not None
            assert plain.context == {} and plain.confirmations == ()

    def test_consent_update_replaces_confirmations_and_is_optimistic(
        self, backend: Backend[Store]
    ) -> None:
        self._program(backend)
        request = _consent(
            "cns_1",
            "a" * 64,
            required_confirmations=2,
            confirmations=(Confirmation("it@acme.example", T0),),
        )
        with backend.unit_of_work() as uow:
            uow.consents.add(request)
        now = T0 + timedelta(hours=5, microseconds=11)
        confirmed = request.confirm("bob@acme.example", now)
        assert confirmed.status is ConsentStatus.EFFECTIVE
        with backend.unit_of_work() as uow:
            saved = uow.consents.update(confirmed)
        assert saved.version == 2
        with pytest.raises(ConcurrencyError), backend.unit_of_work() as uow:
            uow.consents.update(request.cancel(now))
        with backend.unit_of_work() as uow:
            assert uow.consents.get("cns_1") == saved
            assert len(saved.confirmations) == 2
            fewer = uow.consents.update(attrs.evolve(saved, confirmations=()))
        with backend.unit_of_work(readonly=True) as uow:
            assert uow.consents.get_by_token_hash("a" * 64) == fewer
            assert fewer.version == 3 and fewer.confirmations == ()

    def test_pending_consents_filter_order_and_expire(self, backend: Backend[Store]) -> None:
        self._program(backend)
        week = T0 + timedelta(days=7)
        requests = [
            _consent("cns_b", "b" * 64),
            _consent("cns_a", "a" * 64),  # same requested_at: ordered by id
            _consent(
                "cns_c",
                "c" * 64,
                kind=ConsentKind.TRANSFER,
                partner_id="ptr_3",
                from_partner_id="ptr_1",
                requested_at=T0 - timedelta(hours=1),
                expires_at=week - timedelta(microseconds=1),
            ),
            _consent(
                "cns_d",
                "d" * 64,
                customer_id="cus_2",
                product="books",
                partner_id="ptr_2",
                expires_at=week + timedelta(days=1),
            ),
            _consent("cns_e", "e" * 64, status=ConsentStatus.EFFECTIVE, expires_at=T0),
        ]
        with backend.unit_of_work() as uow:
            assert uow.consents.next_expiry() is None
            for request in requests:
                uow.consents.add(request)
        with backend.unit_of_work(readonly=True) as uow:
            ids = [r.id for r in uow.consents.pending()]
            assert ids == ["cns_c", "cns_a", "cns_b", "cns_d"]
            assert [r.id for r in uow.consents.pending(customer_id="cus_2")] == ["cns_d"]
            # partner_id matches the gaining and the losing partner.
            assert [r.id for r in uow.consents.pending(partner_id="ptr_1")] == [
                "cns_c",
                "cns_a",
                "cns_b",
            ]
            assert [r.id for r in uow.consents.pending(partner_id="ptr_3")] == ["cns_c"]
            assert [r.id for r in uow.consents.pending(product="books")] == ["cns_d"]
            transfers = uow.consents.pending(kind=ConsentKind.TRANSFER)
            assert [r.id for r in transfers] == ["cns_c"]
            assert uow.consents.pending(customer_id="cus_2", partner_id="ptr_1") == []
            assert uow.consents.next_expiry() == week - timedelta(microseconds=1)
            assert [r.id for r in uow.consents.expiring(week - timedelta(microseconds=2))] == []
            assert [r.id for r in uow.consents.expiring(week)] == ["cns_c", "cns_a", "cns_b"]
        with backend.unit_of_work() as uow:
            for request in uow.consents.expiring(week):
                uow.consents.update(request.expire(week))
        with backend.unit_of_work(readonly=True) as uow:
            assert [r.id for r in uow.consents.pending()] == ["cns_d"]
            assert uow.consents.next_expiry() == week + timedelta(days=1)
            expired = uow.consents.get("cns_a")
            assert expired is not None and expired.status is ConsentStatus.EXPIRED

    def test_signup_links_round_trip_by_token_hash(self, backend: Backend[Store]) -> None:
        self._program(backend)
        every = SignupLink("a" * 64, "ptr_1", T0)
        one = SignupLink("b" * 64, "ptr_1", T0, product="crm", revoked_at=T0 + timedelta(1))
        with backend.unit_of_work() as uow:
            uow.signup_links.add(every)
            uow.signup_links.add(one)
        with backend.unit_of_work(readonly=True) as uow:
            assert uow.signup_links.get_by_token_hash("a" * 64) == every
            assert uow.signup_links.get_by_token_hash("b" * 64) == one
            assert uow.signup_links.get_by_token_hash("c" * 64) is None

    def test_tracking_entries_are_idempotent_ordered_and_removable(
        self, backend: Backend[Store]
    ) -> None:
        self._program(backend)
        later = T0 + timedelta(minutes=5, microseconds=9)
        bob = TrackingEntry("ptr_1", "bob@acme.example", "cus_1", later)
        ann = TrackingEntry("ptr_1", "ann@acme.example", "cus_1", later)
        eve = TrackingEntry("ptr_1", "eve@globex.example", "cus_2", T0)
        other = TrackingEntry("ptr_2", "bob@acme.example", "cus_1", T0)
        with backend.unit_of_work() as uow:
            for entry in (bob, ann, eve, other):
                uow.tracking.add(entry)
            # Again, even with other facts: nothing changes.
            uow.tracking.add(TrackingEntry("ptr_1", "bob@acme.example", "cus_2", T0))
        with backend.unit_of_work() as uow:
            uow.tracking.add(bob)
        with backend.unit_of_work(readonly=True) as uow:
            assert uow.tracking.for_partner("ptr_1") == [eve, ann, bob]
            assert uow.tracking.for_partner("ptr_3") == []
            assert uow.tracking.for_customer("cus_1") == [other, ann, bob]
        with backend.unit_of_work() as uow:
            uow.tracking.remove("ptr_1", "bob@acme.example")
            uow.tracking.remove("ptr_1", "nobody@acme.example")
        with backend.unit_of_work(readonly=True) as uow:
            assert uow.tracking.for_partner("ptr_1") == [eve, ann]
            assert uow.tracking.for_customer("cus_1") == [other, ann]

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

    def _with_interval(self, backend: Backend[Store]) -> None:
        self._program(backend)
        with backend.unit_of_work() as uow:
            uow.records.add(_interval("map_1", "cus_1", "crm", "ptr_1"))

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

    # --- the partner program end to end on this backend ---------------------------------------

    def _partners_and_acme(self, kit: Kit) -> tuple[Partner, Partner, Customer]:
        zillium = kit.partners.register(
            name="Zillium", username="zillium", email="o@z.example", expertise=["crm", "books"]
        )
        nimbus = kit.partners.register(
            name="Nimbus", username="nimbus", email="o@n.example", expertise=["crm"]
        )
        kit.partners.issue_code(zillium.id, "ZILLIUMCorp")
        kit.partners.issue_code(nimbus.id, "NIMBUSHQ")
        acme = kit.customers.create(name="Acme", admin_email="it@acme.example")
        return zillium, nimbus, kit.customers.add_user(acme.id, "bob@acme.example")

    def test_tagging_maps_once_and_only_for_admins(self, kit: Kit) -> None:
        _, nimbus, acme = self._partners_and_acme(kit)
        with pytest.raises(NotCustomerAdminError):
            kit.mapping.tag_partner(acme.id, "crm", "ZILLIUMCorp", by="bob@acme.example")
        first = kit.mapping.tag_partner(acme.id, "crm", "zilliumcorp", by="it@acme.example")
        assert kit.mapping.tag_partner(acme.id, "crm", "ZILLIUMCorp", by="it@acme.example") == first
        with pytest.raises(TransferRequiredError):
            kit.mapping.tag_partner(acme.id, "crm", "NIMBUSHQ", by="it@acme.example")
        kit.mapping.tag_partner(acme.id, "books", "ZILLIUMCorp", by="it@acme.example")
        assert [i.product for i in kit.mapping.history(acme.id)] == ["crm", "books"]
        assert kit.mapping.partner_of_record(acme.id, "crm") == first
        assert nimbus.id not in {i.partner_id for i in kit.mapping.history(acme.id)}

    def test_the_three_cases_of_a_partner_adding_a_customer(
        self, kit: Kit, clock: SimulatedClock, mailer: FakeMailer
    ) -> None:
        zillium, _, acme = self._partners_and_acme(kit)
        globex = kit.customers.create(name="Globex", admin_email="it@globex.example")
        initech = kit.customers.create(name="Initech", admin_email="it@initech.example")
        today = clock.now().date()
        kit.customers.set_plan(acme.id, "crm", "paid", since=today - timedelta(days=31))
        kit.customers.set_plan(globex.id, "crm", "paid", since=today - timedelta(days=30))
        asked = kit.mapping.add_customer(zillium.id, acme.id, "crm")
        at_once = kit.mapping.add_customer(zillium.id, globex.id, "crm")
        free = kit.mapping.add_customer(zillium.id, initech.id, "crm")
        assert asked.request is not None and asked.interval is None
        assert at_once.interval is not None and at_once.interval.commission_from is None
        assert free.interval is not None and free.interval.status is MappingStatus.PROVISIONAL
        kit.mapping.confirm(mailer.to("it@acme.example")[-1].context["token"])
        assert kit.mapping.partner_of_record(acme.id, "crm") is not None
        deadline = free.interval.provisional_until
        assert deadline == today + relativedelta(months=3)
        kit.advance_to(deadline + timedelta(days=1))
        assert kit.mapping.partner_of_record(initech.id, "crm") is None
        assert kit.mapping.partner_of_record(initech.id, "crm", as_of=deadline) is not None
        assert kit.mapping.partner_of_record(globex.id, "crm") is not None

    def test_a_transfer_confirmed_and_one_that_lapses(
        self, kit: Kit, clock: SimulatedClock, mailer: FakeMailer
    ) -> None:
        zillium, nimbus, acme = self._partners_and_acme(kit)
        kit.mapping.tag_partner(acme.id, "crm", "NIMBUSHQ", by="it@acme.example")
        kit.mapping.request_transfer(acme.id, "crm", "ZILLIUMCorp", by="it@acme.example")
        assert [e.template for e in mailer.to("o@n.example")] == ["mapping.transfer_notice"]
        token = mailer.to("it@acme.example")[-1].context["token"]
        kit.advance_to(clock.now() + timedelta(days=15))
        with pytest.raises(ConsentExpiredError):
            kit.mapping.confirm(token)
        kit.mapping.request_transfer(acme.id, "crm", "ZILLIUMCorp", by="it@acme.example")
        kit.mapping.confirm(mailer.to("it@acme.example")[-1].context["token"])
        old, new = kit.mapping.history(acme.id, "crm")
        assert (old.partner_id, new.partner_id) == (nimbus.id, zillium.id)
        assert old.valid_to == new.valid_from == clock.now()

    def test_tracking_sends_nothing_and_commissions_follow_the_window(
        self, kit: Kit, clock: SimulatedClock
    ) -> None:
        zillium, _, acme = self._partners_and_acme(kit)
        kit.commissions.set_plan(zillium.id, rate=Decimal("12.5"))
        outbox = len(kit.outbox())
        kit.mapping.track(zillium.id, "bob@acme.example")
        assert len(kit.outbox()) == outbox
        kit.mapping.tag_partner(acme.id, "crm", "ZILLIUMCorp", by="it@acme.example")
        assert kit.mapping.tracking_list(zillium.id) == []
        before = kit.commissions.accrue(
            acme.id,
            "crm",
            transaction_id="t0",
            amount=Money.of("10.00", "USD"),
            occurred_at=clock.now() - timedelta(seconds=1),
        )
        entry = kit.commissions.accrue(
            acme.id,
            "crm",
            transaction_id="t1",
            amount=Money.of("99.99", "USD"),
            occurred_at=clock.now(),
        )
        assert before is None
        assert entry is not None and entry.commission == Money.of("12.50", "USD")
        day = clock.now().date()
        statement = kit.commissions.statement(zillium.id, day, day)
        assert statement.totals == (Money.of("12.50", "USD"),)

    def test_denials_are_audited_even_though_the_change_rolls_back(self, kit: Kit) -> None:
        _, _, acme = self._partners_and_acme(kit)
        with pytest.raises(NotCustomerAdminError):
            kit.mapping.tag_partner(acme.id, "crm", "ZILLIUMCorp", by="bob@acme.example")
        with kit.transaction():
            kit.customers.add_user(acme.id, "eve@acme.example")
            with pytest.raises(NotCustomerAdminError):
                kit.mapping.tag_partner(acme.id, "crm", "ZILLIUMCorp", by="eve@acme.example")
        with pytest.raises(RuntimeError), kit.transaction():
            kit.mapping.tag_partner(acme.id, "crm", "ZILLIUMCorp", by="it@acme.example")
            raise RuntimeError("the tag rolls back; no denial, so nothing to audit")
        denied = [m.payload["details"]["by"] for m in kit.outbox(topic="access.denied")]
        assert denied == ["bob@acme.example", "eve@acme.example"]
        assert kit.mapping.history(acme.id) == []
        assert kit.customers.get(acme.id).user("eve@acme.example") is not None
