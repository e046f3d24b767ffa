"""`kit.mapping`: one facade over the mapping flows, each its own service in its own module;
this module only builds them and hands every call to the flow that owns it.

`history` reads the record and keeps the shared writing steps, `channels` holds the sign-up
link, new account and Tag a Partner, `adding` the 000 seed's three cases, `transfers` the
transfers, consent confirmations and operator actions, `tracking` the tracking list.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from partnerkit.access import Principal
from partnerkit.consent import ConsentRequest
from partnerkit.customers.accounts import Customer
from partnerkit.customers.events import PlanChanged
from partnerkit.mapping.adding import AddingService, AddResult
from partnerkit.mapping.channels import ChannelsService, SignupLink, SignupLinkToken
from partnerkit.mapping.events import PartnerDeactivated
from partnerkit.mapping.history import HistoryService, PartnerCustomer, RecordKeeper
from partnerkit.mapping.policy import MappingPolicy
from partnerkit.mapping.ports import MappingStore
from partnerkit.mapping.records import MappingInterval
from partnerkit.mapping.rules import MappingDecision
from partnerkit.mapping.tracking import TrackedUser, TrackingService
from partnerkit.mapping.transfers import TransfersService
from partnerkit.runtime import Runtime

__all__ = ["AddResult", "MappingService", "PartnerCustomer", "SignupLinkToken"]


class MappingService:
    """`kit.mapping`: the partner of record per customer and product, and every way it changes.

    Each method is one unit of work of the flow named in its docstring; the rules and their
    details are documented there. Every call made for a person takes `actor=`; `sign_up` is
    the one that does not (its visitor is nobody yet; the link's token is the authority).
    """

    def __init__(self, runtime: Runtime[MappingStore], policy: MappingPolicy) -> None:
        self.policy = policy
        # One keeper shared by every flow, so an interval is opened and ended the same way
        # whichever channel, case or transfer changes it.
        records = RecordKeeper(runtime, policy)
        self._history = HistoryService(runtime, policy)
        self._channels = ChannelsService(runtime, policy, records)
        self._adding = AddingService(runtime, policy, records)
        self._transfers = TransfersService(runtime, policy, records)
        self._tracking = TrackingService(runtime, policy)

    # --- reading the partner of record (history.HistoryService) -------------------------------

    def partner_of_record(
        self,
        customer_id: str,
        product: str,
        *,
        as_of: date | datetime | None = None,
        actor: Principal,
    ) -> MappingInterval | None:
        """The mapping in force now, at an instant or at the end of a day; see
        `HistoryService.partner_of_record`."""
        return self._history.partner_of_record(customer_id, product, as_of=as_of, actor=actor)

    def history(
        self, customer_id: str, product: str | None = None, *, actor: Principal
    ) -> list[MappingInterval]:
        """Every interval, oldest first; see `HistoryService.history`."""
        return self._history.history(customer_id, product, actor=actor)

    def customers_of(self, partner_id: str, *, actor: Principal) -> list[PartnerCustomer]:
        """The partner's customer listing; see `HistoryService.customers_of`."""
        return self._history.customers_of(partner_id, actor=actor)

    # --- the three channels (channels.ChannelsService) ----------------------------------------

    def signup_link(
        self,
        partner_id: str,
        product: str | None = None,
        *,
        products: Iterable[str] = (),
        actor: Principal,
    ) -> SignupLinkToken:
        """A sign-up link token for the partner's website, naming its products; see
        `ChannelsService.signup_link`."""
        return self._channels.signup_link(partner_id, product, products=products, actor=actor)

    def revoke_signup_link(self, token_or_hash: str, *, actor: Principal) -> SignupLink:
        """Withdraw a sign-up link; see `ChannelsService.revoke_signup_link`."""
        return self._channels.revoke_signup_link(token_or_hash, actor=actor)

    def sign_up(
        self,
        token: str,
        *,
        name: str,
        admin_email: str,
        admin_name: str | None = None,
        domain: str | None = None,
        products: Iterable[str] | None = None,
    ) -> Customer:
        """An account created through a partner's sign-up link, mapped from the first moment
        for the products the link offers (or those chosen); see `ChannelsService.sign_up`."""
        return self._channels.sign_up(
            token,
            name=name,
            admin_email=admin_email,
            admin_name=admin_name,
            domain=domain,
            products=products,
        )

    def create_account(
        self,
        partner_id: str,
        *,
        name: str,
        admin_email: str,
        product: str,
        admin_name: str | None = None,
        domain: str | None = None,
        actor: Principal,
    ) -> Customer:
        """A partner sets up an account for a non-user; see `ChannelsService.create_account`."""
        return self._channels.create_account(
            partner_id,
            name=name,
            admin_email=admin_email,
            product=product,
            admin_name=admin_name,
            domain=domain,
            actor=actor,
        )

    def explain_tag(
        self, customer_id: str, product: str, code: str, *, actor: Principal
    ) -> MappingDecision:
        """What a tag would do and why, changing nothing; see `ChannelsService.explain_tag`."""
        return self._channels.explain_tag(customer_id, product, code, actor=actor)

    def tag_partner(
        self, customer_id: str, product: str, code: str, *, actor: Principal
    ) -> MappingInterval:
        """An admin of the customer enters a partner's code; see `ChannelsService.tag_partner`."""
        return self._channels.tag_partner(customer_id, product, code, actor=actor)

    # --- a partner adding a customer, 000 seed (adding.AddingService) -------------------------

    def explain_add(
        self, partner_id: str, customer_id: str, product: str, *, actor: Principal
    ) -> MappingDecision:
        """Which 000 case applies and why, changing nothing; see `AddingService.explain_add`."""
        return self._adding.explain_add(partner_id, customer_id, product, actor=actor)

    def add_customer(
        self, partner_id: str, customer_id: str, product: str, *, actor: Principal
    ) -> AddResult:
        """A partner adds an existing customer; see `AddingService.add_customer`."""
        return self._adding.add_customer(partner_id, customer_id, product, actor=actor)

    def next_provisional_due(self) -> datetime | None:
        """When `expire_provisional` next has work (a due job of `mapping.install`)."""
        return self._adding.next_provisional_due()

    def expire_provisional(self, now: datetime) -> int:
        """End free customers' mappings not upgraded in time; see
        `AddingService.expire_provisional`."""
        return self._adding.expire_provisional(now)

    def on_plan_changed(self, event: PlanChanged) -> None:
        """An upgrade makes a provisional mapping permanent; see
        `AddingService.on_plan_changed`."""
        self._adding.on_plan_changed(event)

    # --- transfers, consent and operator actions (transfers.TransfersService) -----------------

    def request_transfer(
        self, customer_id: str, product: str, code: str, *, actor: Principal
    ) -> ConsentRequest:
        """The customer's admin moves a product to another partner, once confirmed; see
        `TransfersService.request_transfer`."""
        return self._transfers.request_transfer(customer_id, product, code, actor=actor)

    def confirm(self, token: str, *, actor: Principal) -> ConsentRequest:
        """Confirm a case-1 approval or a transfer through its emailed token; see
        `TransfersService.confirm`."""
        return self._transfers.confirm(token, actor=actor)

    def pending_requests(
        self,
        *,
        partner_id: str | None = None,
        customer_id: str | None = None,
        actor: Principal,
    ) -> list[ConsentRequest]:
        """Requests waiting for the customer; see `TransfersService.pending_requests`."""
        return self._transfers.pending_requests(
            partner_id=partner_id, customer_id=customer_id, actor=actor
        )

    def cancel_request(self, request_id: str, *, actor: Principal) -> ConsentRequest:
        """Withdraw a pending request and tell the other parties; see
        `TransfersService.cancel_request`."""
        return self._transfers.cancel_request(request_id, actor=actor)

    def record_written_consent(
        self,
        customer_id: str,
        product: str,
        partner_id: str,
        *,
        evidence: str,
        actor: Principal,
    ) -> MappingInterval:
        """The partner team moves a customer on their written consent; see
        `TransfersService.record_written_consent`."""
        return self._transfers.record_written_consent(
            customer_id, product, partner_id, evidence=evidence, actor=actor
        )

    def unmap(
        self, customer_id: str, product: str, *, reason: str, actor: Principal
    ) -> MappingInterval:
        """End the current mapping (an operator action); see `TransfersService.unmap`."""
        return self._transfers.unmap(customer_id, product, reason=reason, actor=actor)

    def on_partner_deactivated(self, event: PartnerDeactivated) -> None:
        """A deactivated partner's pending requests are withdrawn; see
        `TransfersService.on_partner_deactivated`."""
        self._transfers.on_partner_deactivated(event)

    def next_consent_due(self) -> datetime | None:
        """When `expire_consents` next has work (a due job of `mapping.install`)."""
        return self._transfers.next_consent_due()

    def expire_consents(self, now: datetime) -> int:
        """Lapse the requests not confirmed in time; see `TransfersService.expire_consents`."""
        return self._transfers.expire_consents(now)

    # --- the tag-tracking list (tracking.TrackingService) -------------------------------------

    def track(self, partner_id: str, email: str, *, actor: Principal) -> TrackedUser:
        """Add an existing user to the partner's tracking list; see `TrackingService.track`."""
        return self._tracking.track(partner_id, email, actor=actor)

    def tracking_list(self, partner_id: str, *, actor: Principal) -> list[TrackedUser]:
        """The partner's tracking list, oldest first; see `TrackingService.tracking_list`."""
        return self._tracking.tracking_list(partner_id, actor=actor)
