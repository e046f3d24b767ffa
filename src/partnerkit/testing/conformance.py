"""The backend contract: what every backend must do, as pytest tests a subclass inherits.

partnerkit runs it over memory, SQLite, PostgreSQL and MariaDB. A host with its own adapter
subclasses `BackendContract` and overrides the `backend` fixture to yield a fresh, empty one.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import attrs
import pytest

from partnerkit.clock import SimulatedClock
from partnerkit.customers.accounts import (
    ContactPerson,
    Customer,
    CustomerUser,
    Edition,
    ProductPlan,
)
from partnerkit.errors import (
    CodeTakenError,
    ConcurrencyError,
    EmailTakenError,
    InvalidCodeError,
    PartnerkitError,
    ProductTakenError,
    UsernameRequiredError,
    UsernameTakenError,
    ValidationError,
)
from partnerkit.events import DomainEvent, Email, MessageStatus, OutboxMessage
from partnerkit.gateways.mailer import FakeMailer
from partnerkit.kit import Kit
from partnerkit.mapping.partners import (
    Partner,
    PartnerCode,
    PartnerCodeStatus,
    PartnerKind,
    PartnerStatus,
)
from partnerkit.ports import Backend
from partnerkit.subscriptions.catalog import Product

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


class BackendContract:
    """Inherit and override `backend` to run the contract against your backend."""

    @pytest.fixture
    def backend(self) -> Iterator[Backend]:
        raise NotImplementedError("override the `backend` fixture to yield a fresh backend")

    @pytest.fixture
    def clock(self) -> SimulatedClock:
        return SimulatedClock(T0)

    @pytest.fixture
    def mailer(self) -> FakeMailer:
        return FakeMailer()

    @pytest.fixture
    def kit(self, backend: Backend, clock: SimulatedClock, mailer: FakeMailer) -> Kit:
        kit = Kit(backend, clock=clock, mailer=mailer)
        kit.catalog.add_product("crm", name="CRM")
        kit.catalog.add_product("books", name="Books")
        return kit

    # --- products -----------------------------------------------------------------------------

    def test_products_round_trip_in_key_order(self, backend: Backend) -> None:
        with backend.unit_of_work() as uow:
            uow.products.add(Product("zeta", "Zeta", T0))
            uow.products.add(Product("alpha", "Alpha", T0))
        with backend.unit_of_work(readonly=True) as uow:
            assert uow.products.get("alpha") == Product("alpha", "Alpha", T0)
            assert uow.products.get("missing") is None
            assert [p.key for p in uow.products.all()] == ["alpha", "zeta"]

    def test_product_key_is_unique(self, backend: Backend) -> None:
        with backend.unit_of_work() as uow:
            uow.products.add(Product("crm", "CRM", T0))
        with pytest.raises(ProductTakenError), backend.unit_of_work() as uow:
            uow.products.add(Product("crm", "Other", T0))
        with backend.unit_of_work(readonly=True) as uow:
            assert [p.name for p in uow.products.all()] == ["CRM"]

    # --- partners -----------------------------------------------------------------------------

    def _with_products(self, backend: Backend) -> None:
        with backend.unit_of_work() as uow:
            uow.products.add(Product("crm", "CRM", T0))
            uow.products.add(Product("books", "Books", T0))

    def test_partner_round_trips_with_its_lists(self, backend: Backend) -> None:
        self._with_products(backend)
        partner = _partner("ptr_1", "Zillium", expertise=("crm", "books"))
        with backend.unit_of_work() as uow:
            uow.partners.add(partner)
        with backend.unit_of_work(readonly=True) as uow:
            assert uow.partners.get("ptr_1") == partner
            assert uow.partners.get_by_username("ptr1") == partner
            assert uow.partners.get_by_email("ptr_1@partners.example") == partner
            assert uow.partners.get("ptr_2") is None

    def test_instants_keep_utc_and_microseconds(self, backend: Backend) -> None:
        self._with_products(backend)
        with backend.unit_of_work() as uow:
            uow.partners.add(_partner("ptr_1", "Zillium"))
        with backend.unit_of_work(readonly=True) as uow:
            stored = uow.partners.get("ptr_1")
        assert stored is not None
        assert stored.created_at == T0
        assert stored.created_at.utcoffset() == timedelta(0)

    def test_partner_update_bumps_version_and_refuses_stale_writes(self, backend: Backend) -> None:
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

    def test_partner_username_is_unique(self, backend: Backend) -> None:
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

    def test_partners_without_username_coexist(self, backend: Backend) -> None:
        self._with_products(backend)
        with backend.unit_of_work() as uow:
            uow.partners.add(_partner("ptr_1", "One", username=None))
            uow.partners.add(_partner("ptr_2", "Two", username=None))
        with backend.unit_of_work(readonly=True) as uow:
            assert len(uow.partners.all()) == 2

    def test_partners_filter_by_status_ordered_by_name(self, backend: Backend) -> None:
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

    def test_code_keys_are_unique_forever(self, backend: Backend) -> None:
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

    def test_codes_for_partner_oldest_first(self, backend: Backend) -> None:
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

    def test_customer_round_trips_with_users_contacts_and_plans(self, backend: Backend) -> None:
        self._with_products(backend)
        customer = _customer("cus_1", "it@acme.example", "bob@acme.example")
        with backend.unit_of_work() as uow:
            uow.customers.add(customer)
        with backend.unit_of_work(readonly=True) as uow:
            assert uow.customers.get("cus_1") == customer
            assert uow.customers.get_by_user_email("bob@acme.example") == customer
            assert uow.customers.get_by_user_email("nobody@acme.example") is None

    def test_customer_update_replaces_children(self, backend: Backend) -> None:
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

    def test_user_email_belongs_to_one_account(self, backend: Backend) -> None:
        self._with_products(backend)
        with backend.unit_of_work() as uow:
            uow.customers.add(_customer("cus_1", "it@acme.example"))
        with pytest.raises(EmailTakenError), backend.unit_of_work() as uow:
            uow.customers.add(_customer("cus_2", "it@acme.example"))
        with backend.unit_of_work(readonly=True) as uow:
            assert [c.id for c in uow.customers.all()] == ["cus_1"]

    # --- outbox -------------------------------------------------------------------------------

    def test_outbox_hands_out_due_messages_in_order(self, backend: Backend) -> None:
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

    # --- units of work ------------------------------------------------------------------------

    def test_exception_rolls_back_the_whole_unit_of_work(self, backend: Backend) -> None:
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

    def test_savepoint_undoes_only_its_own_writes(self, backend: Backend) -> None:
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
        self, kit: Kit, backend: Backend, mailer: FakeMailer, clock: SimulatedClock
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
