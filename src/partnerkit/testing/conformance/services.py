"""End to end: partnerkit's services over the backend, the acceptance rules of the
foundation and the partner program."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

import pytest
from dateutil.relativedelta import relativedelta

from partnerkit.access import Principal
from partnerkit.clock import SimulatedClock
from partnerkit.errors import (
    ConsentExpiredError,
    PartnerkitError,
    ValidationError,
)
from partnerkit.events import DomainEvent, Email, MessageStatus, OutboxMessage
from partnerkit.gateways.mailer import FakeMailer
from partnerkit.kit import Kit
from partnerkit.mapping.errors import (
    CodeTakenError,
    InvalidCodeError,
    NotCustomerAdminError,
    TransferRequiredError,
    UsernameRequiredError,
)
from partnerkit.mapping.partners import (
    PartnerCodeStatus,
)
from partnerkit.mapping.records import MappingStatus
from partnerkit.money import Money
from partnerkit.ports import Backend
from partnerkit.stores import Store
from partnerkit.testing.conformance._base import (
    ContractBase,
)

#: The partner team: sets up the catalog, partners and accounts the tests act on.
STAFF = Principal.staff("team@vendor.example")

__all__ = ["ServiceContract"]


class ServiceContract(ContractBase):
    """Services over the backend: the foundation's and the partner program's rules."""

    def test_a_colliding_code_is_refused_and_nothing_is_stored(self, kit: Kit) -> None:
        zillium = kit.partners.register(
            name="Zillium", username="zillium", email="o@z.example", actor=STAFF
        )
        other = kit.partners.register(
            name="Other", username="other", email="o@o.example", actor=STAFF
        )
        kit.partners.issue_code(zillium.id, "ZILLIUMCorp", actor=STAFF)
        before = len(kit.outbox())
        for clash in ("zilliumcorp", "ZILLIUMCORP", "ZI11IUMC0RP", "zIlLiUmCoRp"):
            with pytest.raises(CodeTakenError) as info:
                kit.partners.issue_code(other.id, clash, actor=STAFF)
            assert info.value.code == "partner_code.taken"
            assert info.value.details["field"] == "code"
        assert kit.partners.codes(other.id, actor=STAFF) == []
        assert len(kit.outbox()) == before
        assert kit.partners.find_by_code("zilliumCORP").partner_id == zillium.id

    def test_a_code_with_punctuation_is_refused(self, kit: Kit) -> None:
        partner = kit.partners.register(
            name="Zillium", username="zillium", email="o@z.example", actor=STAFF
        )
        before = len(kit.outbox())
        with pytest.raises(InvalidCodeError) as info:
            kit.partners.issue_code(partner.id, "Zillium_Premium", actor=STAFF)
        assert info.value.code == "partner_code.invalid"
        assert kit.partners.codes(partner.id, actor=STAFF) == []
        assert len(kit.outbox()) == before

    def test_a_retired_code_is_never_issued_again(self, kit: Kit) -> None:
        zillium = kit.partners.register(
            name="Zillium", username="zillium", email="o@z.example", actor=STAFF
        )
        kit.partners.issue_code(zillium.id, "ZILLIUMCorp", actor=STAFF)
        kit.partners.issue_code(zillium.id, "ZILLIUMHQ", replace=True, actor=STAFF)
        assert [c.status for c in kit.partners.codes(zillium.id, actor=STAFF)] == [
            PartnerCodeStatus.RETIRED,
            PartnerCodeStatus.ACTIVE,
        ]
        with pytest.raises(CodeTakenError):
            kit.partners.issue_code(zillium.id, "zilliumcorp", replace=True, actor=STAFF)

    def test_a_malformed_email_is_refused_and_nothing_is_stored(self, kit: Kit) -> None:
        with pytest.raises(ValidationError) as info:
            kit.partners.register(
                name="Zillium", username="zillium", email="ops@@zillium", actor=STAFF
            )
        assert info.value.code == "validation.invalid"
        assert info.value.details["field"] == "email"
        assert kit.partners.partners(actor=STAFF) == []

    def test_partner_without_username_cannot_sign_in(self, kit: Kit) -> None:
        partner = kit.partners.register(name="Signup", email="new@signup.example", actor=STAFF)
        with pytest.raises(UsernameRequiredError) as info:
            kit.partners.check_sign_in("new@signup.example")
        assert info.value.remedy is not None and "username" in info.value.remedy
        kit.partners.set_username(partner.id, "signup", actor=STAFF)
        assert kit.partners.check_sign_in("Signup").id == partner.id

    def test_exception_in_a_kit_transaction_leaves_nothing(self, kit: Kit) -> None:
        outbox_before = len(kit.outbox())
        with pytest.raises(RuntimeError), kit.transaction():
            partner = kit.partners.register(
                name="Zillium", username="zillium", email="o@z.ex", actor=STAFF
            )
            kit.partners.issue_code(partner.id, "ZILLIUMCorp", actor=STAFF)
            kit.customers.create(name="Acme", admin_email="it@acme.example", actor=STAFF)
            raise RuntimeError("boom")
        assert kit.partners.partners(actor=STAFF) == []
        assert kit.customers.customers(actor=STAFF) == []
        assert len(kit.outbox()) == outbox_before
        # The code was never issued, so it is free.
        fresh = kit.partners.register(
            name="Zillium", username="zillium", email="o@z.ex", actor=STAFF
        )
        assert kit.partners.issue_code(fresh.id, "ZILLIUMCorp", actor=STAFF).partner_id == fresh.id

    def test_an_error_caught_inside_a_transaction_undoes_only_that_call(self, kit: Kit) -> None:
        with kit.transaction():
            kept = kit.partners.register(
                name="Kept", username="kept", email="k@k.example", actor=STAFF
            )
            with pytest.raises(PartnerkitError):
                kit.partners.register(
                    name="Clash", username="kept", email="c@c.example", actor=STAFF
                )
            kit.partners.issue_code(kept.id, "KEPTCorp", actor=STAFF)
        assert [p.name for p in kit.partners.partners(actor=STAFF)] == ["Kept"]
        assert kit.partners.find_by_code("keptcorp").partner_id == kept.id

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
            kit.partners.register(name="Ghost", username="ghost", email="g@g.example", actor=STAFF)
            raise RuntimeError("rolled back")
        assert seen == []
        partner = kit.partners.register(
            name="Zillium", username="zillium", email="o@z.example", actor=STAFF
        )
        assert [e.payload["partner_id"] for e in seen] == [partner.id]

    def test_tagging_maps_once_and_only_for_admins(self, kit: Kit) -> None:
        _, nimbus, acme = self._partners_and_acme(kit)
        with pytest.raises(NotCustomerAdminError):
            kit.mapping.tag_partner(
                acme.id,
                "crm",
                "ZILLIUMCorp",
                actor=Principal.customer_user(acme.id, "bob@acme.example"),
            )
        first = kit.mapping.tag_partner(
            acme.id, "crm", "zilliumcorp", actor=Principal.customer_user(acme.id, "it@acme.example")
        )
        assert (
            kit.mapping.tag_partner(
                acme.id,
                "crm",
                "ZILLIUMCorp",
                actor=Principal.customer_user(acme.id, "it@acme.example"),
            )
            == first
        )
        with pytest.raises(TransferRequiredError):
            kit.mapping.tag_partner(
                acme.id,
                "crm",
                "NIMBUSHQ",
                actor=Principal.customer_user(acme.id, "it@acme.example"),
            )
        kit.mapping.tag_partner(
            acme.id,
            "books",
            "ZILLIUMCorp",
            actor=Principal.customer_user(acme.id, "it@acme.example"),
        )
        assert [i.product for i in kit.mapping.history(acme.id, actor=STAFF)] == ["crm", "books"]
        assert kit.mapping.partner_of_record(acme.id, "crm", actor=STAFF) == first
        assert nimbus.id not in {i.partner_id for i in kit.mapping.history(acme.id, actor=STAFF)}

    def test_the_three_cases_of_a_partner_adding_a_customer(
        self, kit: Kit, clock: SimulatedClock, mailer: FakeMailer
    ) -> None:
        zillium, _, acme = self._partners_and_acme(kit)
        globex = kit.customers.create(name="Globex", admin_email="it@globex.example", actor=STAFF)
        initech = kit.customers.create(
            name="Initech", admin_email="it@initech.example", actor=STAFF
        )
        today = clock.now().date()
        kit.customers.set_plan(
            acme.id, "crm", "paid", since=today - timedelta(days=31), actor=STAFF
        )
        kit.customers.set_plan(
            globex.id, "crm", "paid", since=today - timedelta(days=30), actor=STAFF
        )
        asked = kit.mapping.add_customer(zillium.id, acme.id, "crm", actor=STAFF)
        at_once = kit.mapping.add_customer(zillium.id, globex.id, "crm", actor=STAFF)
        free = kit.mapping.add_customer(zillium.id, initech.id, "crm", actor=STAFF)
        assert asked.request is not None and asked.interval is None
        # 000 case 2's "all transactions": every one since the customer became paid.
        assert at_once.interval is not None
        assert at_once.interval.commission_from == datetime.combine(
            today - timedelta(days=30), time(0), tzinfo=UTC
        )
        assert free.interval is not None and free.interval.status is MappingStatus.PROVISIONAL
        kit.mapping.confirm(
            mailer.to("it@acme.example")[-1].context["token"],
            actor=Principal.customer_user(acme.id, "it@acme.example"),
        )
        assert kit.mapping.partner_of_record(acme.id, "crm", actor=STAFF) is not None
        deadline = free.interval.provisional_until
        assert deadline == today + relativedelta(months=3)
        kit.advance_to(deadline + timedelta(days=1))
        assert kit.mapping.partner_of_record(initech.id, "crm", actor=STAFF) is None
        assert (
            kit.mapping.partner_of_record(initech.id, "crm", as_of=deadline, actor=STAFF)
            is not None
        )
        assert kit.mapping.partner_of_record(globex.id, "crm", actor=STAFF) is not None

    def test_a_transfer_confirmed_and_one_that_lapses(
        self, kit: Kit, clock: SimulatedClock, mailer: FakeMailer
    ) -> None:
        zillium, nimbus, acme = self._partners_and_acme(kit)
        kit.mapping.tag_partner(
            acme.id, "crm", "NIMBUSHQ", actor=Principal.customer_user(acme.id, "it@acme.example")
        )
        kit.mapping.request_transfer(
            acme.id, "crm", "ZILLIUMCorp", actor=Principal.customer_user(acme.id, "it@acme.example")
        )
        assert [e.template for e in mailer.to("o@n.example")] == ["mapping.transfer_notice"]
        token = mailer.to("it@acme.example")[-1].context["token"]
        kit.advance_to(clock.now() + timedelta(days=15))
        with pytest.raises(ConsentExpiredError):
            kit.mapping.confirm(token, actor=Principal.customer_user(acme.id, "it@acme.example"))
        kit.mapping.request_transfer(
            acme.id, "crm", "ZILLIUMCorp", actor=Principal.customer_user(acme.id, "it@acme.example")
        )
        kit.mapping.confirm(
            mailer.to("it@acme.example")[-1].context["token"],
            actor=Principal.customer_user(acme.id, "it@acme.example"),
        )
        old, new = kit.mapping.history(acme.id, "crm", actor=STAFF)
        assert (old.partner_id, new.partner_id) == (nimbus.id, zillium.id)
        assert old.valid_to == new.valid_from == clock.now()

    def test_tracking_sends_nothing_and_commissions_follow_the_window(
        self, kit: Kit, clock: SimulatedClock
    ) -> None:
        zillium, _, acme = self._partners_and_acme(kit)
        kit.commissions.set_plan(zillium.id, rate=Decimal("12.5"), actor=STAFF)
        outbox = len(kit.outbox())
        kit.mapping.track(zillium.id, "bob@acme.example", actor=STAFF)
        assert len(kit.outbox()) == outbox
        kit.mapping.tag_partner(
            acme.id, "crm", "ZILLIUMCorp", actor=Principal.customer_user(acme.id, "it@acme.example")
        )
        assert kit.mapping.tracking_list(zillium.id, actor=STAFF) == []
        before = kit.commissions.accrue(
            acme.id,
            "crm",
            transaction_id="t0",
            amount=Money.of("10.00", "USD"),
            # A free customer's window starts with the day of the tag (000 case 3).
            occurred_at=datetime.combine(clock.now().date(), time(0), tzinfo=UTC)
            - timedelta(microseconds=1),
            actor=STAFF,
        )
        entry = kit.commissions.accrue(
            acme.id,
            "crm",
            transaction_id="t1",
            amount=Money.of("99.99", "USD"),
            occurred_at=clock.now(),
            actor=STAFF,
        )
        assert before is None
        assert entry is not None and entry.commission == Money.of("12.50", "USD")
        day = clock.now().date()
        statement = kit.commissions.statement(zillium.id, day, day, actor=STAFF)
        assert statement.totals == (Money.of("12.50", "USD"),)

    def test_denials_are_audited_even_though_the_change_rolls_back(self, kit: Kit) -> None:
        _, _, acme = self._partners_and_acme(kit)
        with pytest.raises(NotCustomerAdminError):
            kit.mapping.tag_partner(
                acme.id,
                "crm",
                "ZILLIUMCorp",
                actor=Principal.customer_user(acme.id, "bob@acme.example"),
            )
        with kit.transaction():
            kit.customers.add_user(acme.id, "eve@acme.example", actor=STAFF)
            with pytest.raises(NotCustomerAdminError):
                kit.mapping.tag_partner(
                    acme.id,
                    "crm",
                    "ZILLIUMCorp",
                    actor=Principal.customer_user(acme.id, "eve@acme.example"),
                )
        with pytest.raises(RuntimeError), kit.transaction():
            kit.mapping.tag_partner(
                acme.id,
                "crm",
                "ZILLIUMCorp",
                actor=Principal.customer_user(acme.id, "it@acme.example"),
            )
            raise RuntimeError("the tag rolls back; no denial, so nothing to audit")
        denied = [m.payload["details"]["by"] for m in kit.outbox(topic="access.denied")]
        assert denied == ["bob@acme.example", "eve@acme.example"]
        assert kit.mapping.history(acme.id, actor=STAFF) == []
        assert kit.customers.get(acme.id, actor=STAFF).user("eve@acme.example") is not None
