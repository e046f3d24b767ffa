"""`kit.mapping`: one facade over the mapping flows, each its own service in its own module;
this module only builds them and hands every call to the flow that owns it.

`history` reads the record and keeps the shared writing steps, `channels` holds the sign-up
link, new account and Tag a Partner, `adding` the 000 seed's three cases, `transfers` the
transfers, consent confirmations and operator actions, `tracking` the tracking list.
"""

from __future__ import annotations

from datetime import date, datetime

from partnerkit.consent import ConsentRequest
from partnerkit.customers.accounts import Customer, CustomersService
from partnerkit.customers.events import PlanChanged
from partnerkit.mapping.adding import AddDecision, AddingService, AddResult
from partnerkit.mapping.channels import ChannelsService, SignupLinkToken
from partnerkit.mapping.history import HistoryService, PartnerCustomer, RecordKeeper
from partnerkit.mapping.policy import MappingPolicy
from partnerkit.mapping.ports import MappingStore
from partnerkit.mapping.records import MappingInterval
from partnerkit.mapping.tracking import TrackingEntry, TrackingService
from partnerkit.mapping.transfers import TransfersService
from partnerkit.runtime import Runtime

__all__ = ["AddResult", "MappingService", "PartnerCustomer", "SignupLinkToken"]


class MappingService:
    """`kit.mapping`: the partner of record per customer and product, and every way it changes.

    Each method is one unit of work of the flow named in its docstring; the rules and their
    details are documented there.
    """

    def __init__(
        self, runtime: Runtime[MappingStore], policy: MappingPolicy, customers: CustomersService
    ) -> None:
        self.policy = policy
        # One keeper shared by every flow, so an interval is opened and ended the same way
        # whichever channel, case or transfer changes it.
        records = RecordKeeper(runtime)
        self._history = HistoryService(runtime)
        self._channels = ChannelsService(runtime, records, customers)
        self._adding = AddingService(runtime, policy, records)
        self._transfers = TransfersService(runtime, policy, records)
        self._tracking = TrackingService(runtime)

    # --- reading the partner of record (history.HistoryService) -------------------------------

    def partner_of_record(
        self, customer_id: str, product: str, *, as_of: date | datetime | None = None
    ) -> MappingInterval | None:
        """The mapping in force now, at an instant or at the end of a day; see
        `HistoryService.partner_of_record`."""
        return self._history.partner_of_record(customer_id, product, as_of=as_of)

    def history(self, customer_id: str, product: str | None = None) -> list[MappingInterval]:
        """Every interval, oldest first; see `HistoryService.history`."""
        return self._history.history(customer_id, product)

    def customers_of(self, partner_id: str) -> list[PartnerCustomer]:
        """The partner's customer listing; see `HistoryService.customers_of`."""
        return self._history.customers_of(partner_id)

    # --- the three channels (channels.ChannelsService) ----------------------------------------

    def signup_link(self, partner_id: str, product: str | None = None) -> SignupLinkToken:
        """A sign-up link token for the partner's website; see `ChannelsService.signup_link`."""
        return self._channels.signup_link(partner_id, product)

    def sign_up(
        self,
        token: str,
        *,
        name: str,
        admin_email: str,
        admin_name: str | None = None,
        domain: str | None = None,
    ) -> Customer:
        """An account created through a partner's sign-up link, mapped from the first moment;
        see `ChannelsService.sign_up`."""
        return self._channels.sign_up(
            token, name=name, admin_email=admin_email, admin_name=admin_name, domain=domain
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
    ) -> Customer:
        """A partner sets up an account for a non-user; see `ChannelsService.create_account`."""
        return self._channels.create_account(
            partner_id,
            name=name,
            admin_email=admin_email,
            product=product,
            admin_name=admin_name,
            domain=domain,
        )

    def tag_partner(self, customer_id: str, product: str, code: str, *, by: str) -> MappingInterval:
        """An admin of the customer enters a partner's code; see `ChannelsService.tag_partner`."""
        return self._channels.tag_partner(customer_id, product, code, by=by)

    # --- a partner adding a customer, 000 seed (adding.AddingService) -------------------------

    def explain_add(self, partner_id: str, customer_id: str, product: str) -> AddDecision:
        """Which 000 case applies and why, changing nothing; see `AddingService.explain_add`."""
        return self._adding.explain_add(partner_id, customer_id, product)

    def add_customer(self, partner_id: str, customer_id: str, product: str) -> AddResult:
        """A partner adds an existing customer; see `AddingService.add_customer`."""
        return self._adding.add_customer(partner_id, customer_id, product)

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
        self, customer_id: str, product: str, code: str, *, by: str
    ) -> ConsentRequest:
        """The customer's admin moves a product to another partner, once confirmed; see
        `TransfersService.request_transfer`."""
        return self._transfers.request_transfer(customer_id, product, code, by=by)

    def confirm(self, token: str, *, by: str | None = None) -> ConsentRequest:
        """Confirm a case-1 approval or a transfer through its emailed token; see
        `TransfersService.confirm`."""
        return self._transfers.confirm(token, by=by)

    def pending_requests(
        self, *, partner_id: str | None = None, customer_id: str | None = None
    ) -> list[ConsentRequest]:
        """Requests waiting for the customer; see `TransfersService.pending_requests`."""
        return self._transfers.pending_requests(partner_id=partner_id, customer_id=customer_id)

    def cancel_request(self, request_id: str, *, by: str) -> ConsentRequest:
        """Withdraw a pending request; see `TransfersService.cancel_request`."""
        return self._transfers.cancel_request(request_id, by=by)

    def record_written_consent(
        self, customer_id: str, product: str, partner_id: str, *, evidence: str, by: str
    ) -> MappingInterval:
        """The partner team moves a customer on their written consent; see
        `TransfersService.record_written_consent`."""
        return self._transfers.record_written_consent(
            customer_id, product, partner_id, evidence=evidence, by=by
        )

    def unmap(self, customer_id: str, product: str, *, reason: str, by: str) -> MappingInterval:
        """End the current mapping (an operator action); see `TransfersService.unmap`."""
        return self._transfers.unmap(customer_id, product, reason=reason, by=by)

    def next_consent_due(self) -> datetime | None:
        """When `expire_consents` next has work (a due job of `mapping.install`)."""
        return self._transfers.next_consent_due()

    def expire_consents(self, now: datetime) -> int:
        """Lapse the requests not confirmed in time; see `TransfersService.expire_consents`."""
        return self._transfers.expire_consents(now)

    # --- the tag-tracking list (tracking.TrackingService) -------------------------------------

    def track(self, partner_id: str, email: str) -> TrackingEntry:
        """Add an existing user to the partner's tracking list; see `TrackingService.track`."""
        return self._tracking.track(partner_id, email)

    def tracking_list(self, partner_id: str) -> list[TrackingEntry]:
        """The partner's tracking list, oldest first."""
        return self._tracking.tracking_list(partner_id)
