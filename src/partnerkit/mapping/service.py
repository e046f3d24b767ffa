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
    """`kit.mapping`: who each customer's partner is for each product, and every way that changes.

    The partner of record is kept per customer and product as a history of intervals
    (`MappingInterval`). At most one is open at a time and none is ever deleted, so
    `partner_of_record(..., as_of=...)` answers for any past instant, and a transaction earns
    commission for whoever was of record when it happened.

    A customer comes to a partner in one of these ways (001 and 000 seeds):

    - the partner's **sign-up link** on its website: `signup_link`, then `sign_up`;
    - a **new account** the partner sets up for someone who is not a user: `create_account`;
    - **Tag a Partner**: an admin of the customer enters the partner's code: `tag_partner`;
    - the partner **adds an existing customer**, under the 000 seed's three cases: `explain_add`,
      `add_customer`, and the customer's approval through `confirm`;
    - a **transfer** to another partner that the customer's admin asks for and confirms:
      `request_transfer`, `confirm`, `cancel_request`;
    - the partner team records the customer's **written consent**: `record_written_consent`.

    A partner's **tracking list** notes existing users it waits on to tag it: `track`,
    `tracking_list`.

    Every call made for a person takes `actor=`, a `Principal`: the rule of who may act is on each
    method, and an id the actor may not see answers exactly like a missing one. `sign_up` alone
    takes none: its visitor is nobody yet, and the link's token is the authority. The `next_*_due`,
    `expire_*` and `on_plan_changed` methods are the time-driven rules and the event handler the kit
    runs itself; a host runs them through `kit.run_due()`.

    Attributes:
        policy: The `MappingPolicy` in force: the numbers behind these rules (30 days, 3 months, 15
            days to confirm a transfer, ...).
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
        """Who the customer's partner is for a product: now, at an instant, or at the end of a day.

        Now means the mapping in force: a free customer's whose 3 months are over is none from
        that instant, whether or not `kit.run_due()` has recorded it. A date means the end of that
        day on the customer's calendar ("who was the partner on Jan 5" is answered at
        23:59:59.999999 on Jan 5, in the customer's time zone, else the organisation's). A change
        made at the very instant of a transaction already booked to the previous partner takes
        effect one microsecond later, so that the transaction stays in that partner's window:
        `as_of` at that instant still shows the previous partner. The customer's forwarded
        written-consent email (`evidence`) is shown to staff and the system only.

        Args:
            customer_id: The customer account's id.
            product: The product's catalog key, such as `"crm"`; a key no mapping uses answers None.
            as_of: None for now; an aware datetime for that instant; a date for the end of that day.
            actor: Who asks: a user of the account, a partner associated with it (of record for any
                product, or a party of a pending request), staff or the system.

        Returns:
            The mapping in force then, or None when no partner was of record.

        Raises:
            InvalidActorError: `actor` is not a `Principal` (`access.invalid_actor`).
            CustomerNotFoundError: No such account, or one the actor may not see: both answer alike
                (`customer.not_found`).
            InvalidInputError: `product` is empty, or `as_of` is naive or not a date
                (`validation.invalid`).
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
        return self._history.partner_of_record(customer_id, product, as_of=as_of, actor=actor)

    def history(
        self, customer_id: str, product: str | None = None, *, actor: Principal
    ) -> list[MappingInterval]:
        """Every mapping a customer had, oldest first: how each began and ended, by whom and why.

        Mappings, transfers and unmappings all appear as intervals with their channel, reason and
        actor (`by`, `ended_by`, `ended_reason`); nothing is ever deleted. The written-consent
        evidence is shown to staff and the system only.

        Args:
            customer_id: The customer account's id.
            product: Only this product's intervals; None for every product.
            actor: Who asks: a user of the account, a partner associated with it, staff or the
                system.

        Returns:
            The intervals, oldest first.

        Raises:
            InvalidActorError: `actor` is not a `Principal` (`access.invalid_actor`).
            CustomerNotFoundError: No such account, or one the actor may not see: both answer alike
                (`customer.not_found`).
            InvalidInputError: `product` is empty (`validation.invalid`).
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
        return self._history.history(customer_id, product, actor=actor)

    def customers_of(self, partner_id: str, *, actor: Principal) -> list[PartnerCustomer]:
        """A partner's customer listing: every customer and product it is the partner of record for.

        This is where a tagged customer appears (001 seed: "the record will move from the Tracking
        List to your customer listing"). Provisional mappings of free customers are listed too, with
        their status.

        Args:
            partner_id: The partner's id.
            actor: Who asks: the partner's own users, staff or the system.

        Returns:
            One row per open mapping, oldest first: the customer's id and name, the product, since
                when, through which channel, and whether it is provisional.

        Raises:
            InvalidActorError: `actor` is not a `Principal` (`access.invalid_actor`).
            PartnerNotFoundError: No such partner, or one the actor does not act for: both answer
                alike (`partner.not_found`).
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
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
        """Make a sign-up link for the partner's website: who signs up through it is the partner's.

        001 seed: "Create a Zoho sign-up link in your website, where customers can register". A
        link names the products it is for (one or several, each one the partner works on); it
        never maps a customer to everything the partner works on. An account opened through the
        link (`sign_up`) is mapped to the partner from its first moment, for the link's products
        or those of them the person chose. The link works for
        `MappingPolicy.signup_link_valid_days` (365 by default) unless revoked sooner with
        `revoke_signup_link`. partnerkit keeps only the token's hash: this is the one time the
        token is seen, so put `token.url(base)` on the website now. Making a link counts as the
        partner's activity for the inactivity rule.

        Args:
            partner_id: The partner's id.
            product: A product's catalog key.
            products: More products' keys (or all of them, with `product` None).
            actor: Who acts: the partner's own users, staff or the system.

        Returns:
            The token, its partner and products, and when it stops working.

        Raises:
            InvalidActorError: `actor` is not a `Principal` (`access.invalid_actor`).
            PartnerNotFoundError: No such partner, or one the actor does not act for: both answer
                alike (`partner.not_found`).
            PartnerDeactivatedError: The partner account is deactivated (`partner.deactivated`).
            SignupLinkProductsRequiredError: The link names no product
                (`mapping.signup_link_products_required`).
            ProductNotFoundError: No product with that key in the catalog
                (`catalog.product_not_found`).
            ProductNotAuthorisedError: The partner does not work on that product: partners map
                customers only for the products of their expertise
                (`mapping.product_not_authorised`).
            InvalidInputError: A product is empty or longer than 40 characters, or `products` is
                not a list (`validation.invalid`).
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
        return self._channels.signup_link(partner_id, product, products=products, actor=actor)

    def revoke_signup_link(self, token_or_hash: str, *, actor: Principal) -> SignupLink:
        """Withdraw a sign-up link: from now on, signing up through it is refused.

        Takes the token itself or its hash as stored (64 hex digits). Revoking a link twice changes
        nothing: the first revocation's time stays. A later `sign_up` with it raises
        `SignupLinkRevokedError`.

        Args:
            token_or_hash: The link's token, or its SHA-256 hash in hex.
            actor: Who acts: the partner who made the link (its users), staff or the system.

        Returns:
            The link as stored: its token hash, partner, product, when it was made and when revoked.

        Raises:
            InvalidActorError: `actor` is not a `Principal` (`access.invalid_actor`).
            InvalidTokenError: No such link, or one the actor may not revoke: both are reported as
                not valid, like a forged one (`token.invalid`).
            InvalidInputError: The value is empty or longer than 200 characters
                (`validation.invalid`).
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
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
        """Open the account of someone who signed up through a partner's sign-up link, mapped to it.

        The new customer is mapped to the link's partner from its first moment (channel
        `signup_link`), for the products the link offers or those of them the person chose.
        Signing up is the customer's own act, and so its consent: the mapping is permanent
        (unless `MappingPolicy.provisional_with_consent`), and the partner earns on every
        transaction from the day of the sign-up. The account's first user is its admin and
        primary contact. No actor: the visitor is nobody yet, and the token is the authority.

        Args:
            token: The `partner_token` of the link the visitor came through.
            name: The organisation's name.
            admin_email: The first user's email: the account's admin and primary contact.
            admin_name: The first user's name; the email when None.
            domain: The organisation's email domain, if it has one.
            products: The products the person chose among those the link offers; None for all
                of them. A link stored before links named products offers what the partner
                works on, and the person must choose.

        Returns:
            The new customer account.

        Raises:
            InvalidTokenError: The token matches no link: forged, altered or unknown
                (`token.invalid`).
            SignupLinkRevokedError: The partner withdrew the link (`mapping.signup_link_revoked`).
            SignupLinkExpiredError: The link is past its validity (`mapping.signup_link_expired`).
            PartnerDeactivatedError: The partner account is deactivated (`partner.deactivated`).
            SignupProductNotOfferedError: A chosen product the link does not offer, or none
                chosen (`mapping.signup_product_not_offered`).
            EmailTakenError: `admin_email` already belongs to a user (`customer.email_taken`).
            InvalidInputError: A field is empty, too long or malformed; `field` names it
                (`validation.invalid`).
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
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
        """A partner sets up a new account for someone who is not a user yet, mapped to the partner.

        001 seed: "Partners can create and set up a new account for a non-user in their Partner
        Store." The account is mapped to the partner at once for `product` (channel
        `new_account`), as a partner's add of a free customer is (000 case 3): the customer has
        not said so itself, so the mapping lasts 3 months unless it upgrades to paid (or tags the
        partner). Its first user is its admin and primary contact. For someone who already is a
        user, add them as a customer (`add_customer`) or ask them to tag the partner
        (`tag_partner`) instead; an organisation that has an account (its email domain) is
        refused, and its admin adds the person and tags the partner.

        Args:
            partner_id: The partner's id.
            name: The organisation's name.
            admin_email: The first user's email; it must not belong to a user yet.
            product: The product's catalog key; the partner must work on it.
            admin_name: The first user's name; the email when None.
            domain: The organisation's email domain, if it has one.
            actor: Who acts: the partner's own users, staff or the system.

        Returns:
            The new customer account.

        Raises:
            InvalidActorError: `actor` is not a `Principal` (`access.invalid_actor`).
            PartnerNotFoundError: No such partner, or one the actor does not act for: both answer
                alike (`partner.not_found`).
            PartnerDeactivatedError: The partner account is deactivated (`partner.deactivated`).
            ProductNotFoundError: No product with that key in the catalog
                (`catalog.product_not_found`).
            ProductNotAuthorisedError: The partner does not work on that product: partners map
                customers only for the products of their expertise
                (`mapping.product_not_authorised`).
            EmailTakenError: `admin_email` already belongs to a user; the remedy points to tagging
                or `add_customer` (`customer.email_taken`).
            OrganisationExistsError: The email's domain, or `domain`, belongs to an organisation
                that has an account (`mapping.organisation_exists`).
            InvalidInputError: A field is empty, too long or malformed; `field` names it
                (`validation.invalid`).
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
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
        """Say what tagging a partner would do, and why, without changing anything.

        The answer is the one rule every channel applies (`decide_mapping`) for the customer's
        own tag now: the tag is the customer's consent, and the 000 seed's case on the
        customer's day sets the commission window (paid for more than 30 days: the last
        month's transactions and all after; within 30 days: every one since it became paid;
        free: from the day of the tag). It says too what becomes of approval requests waiting
        for the product. It raises what `tag_partner` would raise.

        Args:
            customer_id: The customer account's id.
            product: The product's catalog key.
            code: The partner code as the customer typed it.
            actor: Who asks: an admin user of the account, staff or the system.

        Returns:
            The decision: the rule, the consent, the terms, and the reasons.

        Raises:
            InvalidActorError: `actor` is not a `Principal` (`access.invalid_actor`).
            CustomerNotFoundError: No such account, or one the actor may not see: both answer alike
                (`customer.not_found`).
            NotCustomerAdminError: The actor is a user of the account who is not an admin, or a
                partner associated with it (`mapping.admin_only`).
            UnknownCodeError: No active partner has that code (`partner_code.unknown`).
            PartnerDeactivatedError: The partner account is deactivated (`partner.deactivated`).
            ProductNotFoundError: No product with that key in the catalog
                (`catalog.product_not_found`).
            ProductNotAuthorisedError: The partner does not work on that product
                (`mapping.product_not_authorised`).
            TransferRequiredError: Another partner is of record for the product
                (`mapping.transfer_required`).
            InvalidInputError: `code` or `product` is empty or too long (`validation.invalid`).
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
        return self._channels.explain_tag(customer_id, product, code, actor=actor)

    def tag_partner(
        self, customer_id: str, product: str, code: str, *, actor: Principal
    ) -> MappingInterval:
        """Tag a Partner: an admin of the customer enters a partner's code for a product.

        001 seed: "The customer will need to add the code in the subscription page to indicate that
        they are working with the partner", and "Only the Admin users in the Customer Zoho Account
        can access and Tag a Partner." It is the customer's own act: the partner and staff cannot do
        it for them (staff record written consent instead). Codes are compared case-insensitively
        with look-alike characters folded, so "zi11iumcorp" finds "ZILLIUMCorp"; a retired code
        finds no one. The tag is the customer's consent, and the 000 seed's cases, counted on the
        customer's calendar, set the commission window (see `explain_tag`, which says what a tag
        would do): a customer paid for a year earns the partner the last month's transactions.

        Tagging the partner already of record changes nothing, except that a provisional mapping
        becomes permanent: the customer has now said so. Tagging while another partner is of record
        is refused: that is a transfer (`request_transfer`). An approval request of the same
        partner waiting for the product is complete; other partners' are withdrawn, and those
        partners told. The partner's tracking-list entries for the account's users are removed:
        "the record will move from the Tracking List to your customer listing".

        Args:
            customer_id: The customer account's id.
            product: The product's catalog key.
            code: The partner code as the customer typed it.
            actor: Who acts: an admin user of the account (checked against the stored account).

        Returns:
            The mapping in force for the product after the tag.

        Raises:
            InvalidActorError: `actor` is not a `Principal` (`access.invalid_actor`).
            CustomerNotFoundError: No such account, or one the actor may not see: both answer alike
                (`customer.not_found`).
            NotCustomerAdminError: The actor is a user of the account who is not an admin, a partner
                associated with it, or staff (`mapping.admin_only`).
            UnknownCodeError: No active partner has that code (`partner_code.unknown`).
            PartnerDeactivatedError: The partner account is deactivated (`partner.deactivated`).
            ProductNotFoundError: No product with that key in the catalog
                (`catalog.product_not_found`).
            ProductNotAuthorisedError: The partner does not work on that product: partners map
                customers only for the products of their expertise
                (`mapping.product_not_authorised`).
            TransferRequiredError: Another partner is of record for the product; the remedy points
                to the transfer (`mapping.transfer_required`).
            InvalidInputError: `code` or `product` is empty or too long (`validation.invalid`).
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
        return self._channels.tag_partner(customer_id, product, code, actor=actor)

    # --- a partner adding a customer, 000 seed (adding.AddingService) -------------------------

    def explain_add(
        self, partner_id: str, customer_id: str, product: str, *, actor: Principal
    ) -> MappingDecision:
        """Say what adding an existing customer would do, and why, without changing anything.

        The answer is the one rule every channel applies (`decide_mapping`) for a partner's add
        now (see `add_customer`): which of the 000 seed's cases holds on the customer's day,
        whether the customer must confirm, whether the mapping would be provisional and until
        when, where the commission window would start, and the reasons in plain words. It
        raises what `add_customer` would raise, and does not count as the partner's activity.

        Args:
            partner_id: The partner that would add the customer.
            customer_id: The customer account's id.
            product: The product's catalog key; the partner must work on it.
            actor: Who asks: the partner's own users, staff or the system.

        Returns:
            The decision: the rule, the case, its dates and commission start, and the reasons.

        Raises:
            InvalidActorError: `actor` is not a `Principal` (`access.invalid_actor`).
            PartnerNotFoundError: No such partner, or one the actor does not act for: both answer
                alike (`partner.not_found`).
            PartnerDeactivatedError: The partner account is deactivated (`partner.deactivated`).
            CustomerNotFoundError: No such account (`customer.not_found`).
            ProductNotFoundError: No product with that key in the catalog
                (`catalog.product_not_found`).
            ProductNotAuthorisedError: The partner does not work on that product: partners map
                customers only for the products of their expertise
                (`mapping.product_not_authorised`).
            CustomerMappedToAnotherPartnerError: Another partner is of record for the product
                (`mapping.mapped_to_another_partner`); the remedy is the customer's written consent.
            FreePeriodOverError: The partner's 3 months with this free customer are over; adding
                it again does not restart them (`mapping.free_period_over`).
            InvalidInputError: `product` is empty or too long (`validation.invalid`).
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
        return self._adding.explain_add(partner_id, customer_id, product, actor=actor)

    def add_customer(
        self, partner_id: str, customer_id: str, product: str, *, actor: Principal
    ) -> AddResult:
        """A partner adds an existing customer it works with, for one product (000 seed).

        000 seed: "Partner should map only those customers with whom they are working and only for
        the Zoho service for which they are working with the customer." What happens depends on the
        customer's plan for the product on the mapping date (today, on the customer's calendar:
        its time zone, else the organisation's):

        - **Paid for more than 30 days** (use case 1): "we will send a confirmation email to
          customer. When the customer clicks on the Approval link, we will map the customer to the
          partner." Every admin of the account gets the email; nothing is mapped until one confirms
          (`confirm`) within `MappingPolicy.approval_valid_days` (30), and the mapping is decided
          again with the facts of that moment. The partner then earns commission "for the last
          one month's transactions and all future transactions".
        - **Paid within 30 days** (use case 2): mapped at once, "without getting the confirmation
          from the customer", with commission "for all transactions": every one since the
          customer became paid.
        - **Free** (use case 3): mapped at once without confirmation, provisionally: "we will remove
          the mapping if the customer did not upgrade his/her subscription to a paid version within
          3 months from the date of mapping." An upgrade in time makes it permanent; otherwise it is
          over when the last day ends on the customer's calendar (reads say so at once;
          `kit.run_due()` records it). Commission runs from the mapping date. Adding the customer
          again later does not restart the 3 months: the first mapping date counts, and once they
          are over the add is refused until the customer upgrades or tags the partner.

        The numbers are `MappingPolicy`'s (`confirmation_after_days`, `commission_lookback_months`,
        `provisional_months`). Adding a customer already mapped to this partner, or whose approval
        from this partner is pending, returns that mapping or request again and sends nothing. If
        another partner is of record, the partner gets the seed's "Customer mapped to another
        partner": the way on is the customer's written email, which the partner team records
        (`record_written_consent`).

        Args:
            partner_id: The partner adding the customer.
            customer_id: The customer account's id.
            product: The product's catalog key; the partner must work on it.
            actor: Who acts: the partner's own users, staff or the system.

        Returns:
            The decision, and either the mapping made (cases 2 and 3, or one already in force) or
                the approval request sent to the customer (case 1).

        Raises:
            InvalidActorError: `actor` is not a `Principal` (`access.invalid_actor`).
            PartnerNotFoundError: No such partner, or one the actor does not act for: both answer
                alike (`partner.not_found`).
            PartnerDeactivatedError: The partner account is deactivated (`partner.deactivated`).
            CustomerNotFoundError: No such account (`customer.not_found`).
            ProductNotFoundError: No product with that key in the catalog
                (`catalog.product_not_found`).
            ProductNotAuthorisedError: The partner does not work on that product: partners map
                customers only for the products of their expertise
                (`mapping.product_not_authorised`).
            CustomerMappedToAnotherPartnerError: "Customer mapped to another partner": another
                partner is of record for the product (`mapping.mapped_to_another_partner`).
            FreePeriodOverError: The partner's 3 months with this free customer are over
                (`mapping.free_period_over`).
            PartnerOfRecordTakenError: Another change mapped the customer and product at the same
                moment (`mapping.slot_taken`); read the partner of record again.
            InvalidInputError: `product` is empty or too long (`validation.invalid`).
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
        return self._adding.add_customer(partner_id, customer_id, product, actor=actor)

    def next_provisional_due(self) -> datetime | None:
        """When the provisional-mapping rule next has work: the day after the earliest deadline.

        `kit.run_due()` and `kit.advance_to()` ask it; a host does not need to.

        Returns:
            The start of that day (UTC), or None when no mapping is provisional.

        Raises:
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
        return self._adding.next_provisional_due()

    def expire_provisional(self, now: datetime) -> int:
        """Apply 000 use case 3 at `now`: end free customers' mappings not upgraded in time.

        Each provisional mapping whose 3 months (`provisional_months` after the first mapping
        date, on the customer's calendar) are over by `now` is recorded as ended where its
        deadline ended it, with a `mapping.expired` event. Reads already answered "no partner"
        from that instant; this only records it. A customer who upgraded to paid in time (through
        `kit.customers.set_plan`) made the mapping permanent then, so it is not among them.
        `kit.run_due()` calls it.

        Args:
            now: The instant to apply the rule at.

        Returns:
            How many provisional mappings were recorded as ended.

        Raises:
            ConcurrencyError: Another writer changed the record at the same moment
                (`conflict.stale_version`); nothing is kept, read again and retry.
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
        return self._adding.expire_provisional(now)

    def on_plan_changed(self, event: PlanChanged) -> None:
        """React to a plan change: an upgrade to paid in time makes a provisional mapping permanent.

        000 seed, use case 3: a free customer's mapping stays if they upgrade within 3 months; an
        upgrade recorded once they are over does not bring it back. The kit runs this inside the
        transaction of `kit.customers.set_plan`; a host does not call it.

        Args:
            event: The plan change, as `kit.customers.set_plan` publishes it.

        Raises:
            ConcurrencyError: Another writer changed the record at the same moment
                (`conflict.stale_version`); nothing is kept, read again and retry.
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
        self._adding.on_plan_changed(event)

    # --- transfers, consent and operator actions (transfers.TransfersService) -----------------

    def request_transfer(
        self, customer_id: str, product: str, code: str, *, actor: Principal
    ) -> ConsentRequest:
        """The customer's admin asks to move a product to another partner, effective once confirmed.

        001 seed: "When a customer wants to move from one partner to another for a Zoho Service,
        they can easily select a transfer partner option and add the new partner's code. A
        confirmation email will be sent to the customer and the existing partner before such change
        is implemented." It is the customer's own act: partners and staff cannot ask for it.

        Every admin of the account gets a confirmation email with its link, and the current partner
        a notice. Nothing changes until an admin confirms (`confirm`); the request lapses after
        `MappingPolicy.transfer_confirm_days` (15) days. On confirmation the current mapping ends
        and the new partner earns on transactions from that moment: the earlier ones stay with the
        previous partner. One transfer per customer and product waits at a time.

        Args:
            customer_id: The customer account's id.
            product: The product's catalog key; the new partner must work on it.
            code: The new partner's code, as the customer typed it.
            actor: Who acts: an admin user of the account.

        Returns:
            The pending request, with its deadline (`expires_at`).

        Raises:
            InvalidActorError: `actor` is not a `Principal` (`access.invalid_actor`).
            CustomerNotFoundError: No such account, or one the actor may not see: both answer alike
                (`customer.not_found`).
            NotCustomerAdminError: The actor is a user of the account who is not an admin, a partner
                associated with it, or staff (`mapping.admin_only`).
            UnknownCodeError: No active partner has that code (`partner_code.unknown`).
            PartnerDeactivatedError: The partner account is deactivated (`partner.deactivated`).
            ProductNotFoundError: No product with that key in the catalog
                (`catalog.product_not_found`).
            ProductNotAuthorisedError: The partner does not work on that product: partners map
                customers only for the products of their expertise
                (`mapping.product_not_authorised`).
            NoPartnerOfRecordError: No partner is of record for the product, so there is nothing to
                move: tag the partner instead (`mapping.no_partner_of_record`).
            SamePartnerError: That partner already is the partner of record
                (`mapping.same_partner`).
            TransferPendingError: A transfer of the product already waits for confirmation
                (`mapping.transfer_pending`); confirm or cancel it first.
            InvalidInputError: `code` or `product` is empty or too long (`validation.invalid`).
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
        return self._transfers.request_transfer(customer_id, product, code, actor=actor)

    def confirm(self, token: str, *, actor: Principal) -> ConsentRequest:
        """The customer's admin confirms a change through the link emailed to them.

        A 000 use-case-1 approval maps the partner, decided again with the facts of the click: a
        customer still paid for more than 30 days earns the partner the last month's transactions
        before the approval and all after it; one that went free since is mapped as a free
        customer who said so itself (from the day of the approval, no look-back). A transfer ends
        the current mapping and maps the new partner from that instant. A request whose partner
        left the program since is withdrawn with a notice to the customer's admins instead, and
        returned cancelled. A link works once, before it expires, and only for
        an admin of the account (or staff and the system); to anyone else it is not valid.

        Args:
            token: The token from the emailed link.
            actor: Who confirms: an admin user of the account, staff or the system.

        Returns:
            The request as stored: effective now, still waiting for further confirmations, or
                cancelled (its partner left the program; `cancel_reason` says so).

        Raises:
            InvalidActorError: `actor` is not a `Principal` (`access.invalid_actor`).
            InvalidTokenError: The token is unknown or altered, or the actor has nothing to do with
                the account (`token.invalid`).
            NotCustomerAdminError: The actor is a user of the account who is not an admin, or a
                partner associated with it (`mapping.admin_only`).
            ConsentNotPendingError: The link was used already, or the request withdrawn; the
                message says why (`consent.not_pending`).
            ConsentExpiredError: The link expired; ask for the change again (`consent.expired`).
            ProductHasPartnerError: An approval, but another partner became of record in the
                meantime; the remedy, for the customer, is Tag a Partner's transfer
                (`mapping.product_has_partner`).
            NoPartnerOfRecordError: A transfer, but the partner it was from is no longer of record
                (`mapping.no_partner_of_record`).
            InvalidInputError: `token` is empty or longer than 200 characters
                (`validation.invalid`).
            ConcurrencyError: Another writer changed the record at the same moment
                (`conflict.stale_version`); nothing is kept, read again and retry.
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
        return self._transfers.confirm(token, actor=actor)

    def pending_requests(
        self,
        *,
        partner_id: str | None = None,
        customer_id: str | None = None,
        actor: Principal,
    ) -> list[ConsentRequest]:
        """The approvals and transfers waiting for a customer's word, as far as the actor may see.

        A customer's users see their account's requests; a partner's users those their partner is a
        party of (the one who would gain the customer or lose it); staff and the system see all.
        Naming a customer the actor does not see, or a partner it does not act for, is answered as
        for a missing one. A reseller's user sees none.

        Args:
            partner_id: Only the requests this partner is a party of; None for any.
            customer_id: Only this account's requests; None for any.
            actor: Who asks: anyone, within what they may see.

        Returns:
            The pending requests.

        Raises:
            InvalidActorError: `actor` is not a `Principal` (`access.invalid_actor`).
            PartnerNotFoundError: `partner_id` names a partner the actor does not act for
                (`partner.not_found`).
            CustomerNotFoundError: `customer_id` names an account the actor may not see
                (`customer.not_found`).
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
        return self._transfers.pending_requests(
            partner_id=partner_id, customer_id=customer_id, actor=actor
        )

    def cancel_request(self, request_id: str, *, actor: Principal) -> ConsentRequest:
        """Withdraw a pending approval or transfer before it takes effect, and tell the others.

        A party may cancel: an admin of the customer, or the partner who would gain the customer;
        staff too. The partner who would lose the customer cannot cancel a transfer away from it.
        The request records who cancelled it and when; every other party (the account's admins, the
        partners involved) gets an email saying nothing changes. To anyone who may not see the
        request it does not exist.

        Args:
            request_id: The request's id.
            actor: Who acts: an admin user of the account, the gaining partner's users, staff or the
                system.

        Returns:
            The cancelled request.

        Raises:
            InvalidActorError: `actor` is not a `Principal` (`access.invalid_actor`).
            InvalidTokenError: No pending request with that id: unknown, already closed, or one the
                actor may not see (`token.invalid`).
            NotCustomerAdminError: The actor is a user of the account who is not an admin
                (`mapping.admin_only`).
            NotAPartyError: The actor is a partner associated with the customer but not a party who
                may cancel, such as the partner a transfer moves away from (`access.not_a_party`).
            ConcurrencyError: Another writer changed the record at the same moment
                (`conflict.stale_version`); nothing is kept, read again and retry.
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
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
        """The partner team moves a customer to a partner on the customer's written consent.

        The way out of "Customer mapped to another partner" (000 seed): "you will need to first get
        an email from the customer stating that he wish to work with you and then forward that email
        to partner-support". Staff record it here: the current mapping ends (just after its last
        booked transaction) and the new one starts now (channel `written_consent`), keeping the
        email as evidence, which only staff and the system are shown. If the partner already is of
        record, its mapping is returned unchanged.

        Args:
            customer_id: The customer account's id.
            product: The product's catalog key; the partner must work on it.
            partner_id: The partner the customer wishes to work with.
            evidence: The customer's email (or a reference to it), up to 10,000 characters.
            actor: Who acts: staff or the system only.

        Returns:
            The new mapping, or the one already in force for that partner.

        Raises:
            InvalidActorError: `actor` is not a `Principal` (`access.invalid_actor`).
            StaffOnlyError: The actor is not staff or the system (`access.staff_only`).
            CustomerNotFoundError: No such account (`customer.not_found`).
            PartnerNotFoundError: No such partner (`partner.not_found`).
            PartnerDeactivatedError: The partner account is deactivated (`partner.deactivated`).
            ProductNotFoundError: No product with that key in the catalog
                (`catalog.product_not_found`).
            ProductNotAuthorisedError: The partner does not work on that product: partners map
                customers only for the products of their expertise
                (`mapping.product_not_authorised`).
            InvalidInputError: `evidence` is empty or longer than 10,000 characters
                (`validation.invalid`).
            ConcurrencyError: Another writer changed the record at the same moment
                (`conflict.stale_version`); nothing is kept, read again and retry.
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
        return self._transfers.record_written_consent(
            customer_id, product, partner_id, evidence=evidence, actor=actor
        )

    def unmap(
        self, customer_id: str, product: str, *, reason: str, actor: Principal
    ) -> MappingInterval:
        """End a customer's current mapping for a product (an operator action of the partner team).

        The interval ends now (or just after the last transaction already booked to it) with the
        reason given, and a `mapping.ended` event; the history keeps it.

        Args:
            customer_id: The customer account's id.
            product: The product's catalog key.
            reason: Why, for the history; up to 500 characters.
            actor: Who acts: staff or the system only.

        Returns:
            The ended mapping.

        Raises:
            InvalidActorError: `actor` is not a `Principal` (`access.invalid_actor`).
            StaffOnlyError: The actor is not staff or the system (`access.staff_only`).
            CustomerNotFoundError: No such account (`customer.not_found`).
            NoPartnerOfRecordError: No partner is of record for the product
                (`mapping.no_partner_of_record`).
            InvalidInputError: `reason` is empty or longer than 500 characters, or `product` is
                empty (`validation.invalid`).
            ConcurrencyError: Another writer changed the record at the same moment
                (`conflict.stale_version`); nothing is kept, read again and retry.
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
        return self._transfers.unmap(customer_id, product, reason=reason, actor=actor)

    def on_partner_deactivated(self, event: PartnerDeactivated) -> None:
        """React to a partner's deactivation: its requests waiting for a customer are withdrawn.

        A deactivated partner cannot gain a customer: its approvals and the transfers to it are
        cancelled, and each customer's admins told in their words. The kit runs this inside the
        transaction of the deactivation (by the partner team, or for inactivity); a host does
        not call it.

        Args:
            event: The deactivation, as `kit.partners` publishes it.

        Raises:
            ConcurrencyError: Another writer changed a request at the same moment
                (`conflict.stale_version`); nothing is kept, read again and retry.
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
        self._transfers.on_partner_deactivated(event)

    def next_consent_due(self) -> datetime | None:
        """When the consent-expiry rule next has work: the earliest deadline of a pending request.

        `kit.run_due()` and `kit.advance_to()` ask it; a host does not need to.

        Returns:
            That instant, or None when no request is pending.

        Raises:
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
        return self._transfers.next_consent_due()

    def expire_consents(self, now: datetime) -> int:
        """Lapse the approvals and transfers not confirmed in time, as of `now`.

        A transfer lapses `transfer_confirm_days` (15) after it was asked for, a use-case-1 approval
        `approval_valid_days` (30) after it was sent; each gets a `consent.expired` event, and its
        link stops working. `kit.run_due()` calls it.

        Args:
            now: The instant to apply the rule at.

        Returns:
            How many requests lapsed.

        Raises:
            ConcurrencyError: Another writer changed the record at the same moment
                (`conflict.stale_version`); nothing is kept, read again and retry.
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
        return self._transfers.expire_consents(now)

    # --- the tag-tracking list (tracking.TrackingService) -------------------------------------

    def track(self, partner_id: str, email: str, *, actor: Principal) -> TrackedUser:
        """Add an existing user to the partner's tag-tracking list: no email, no action toward them.

        001 seed: "you can simply add the customer email id in the "Add/Track a Partner" section. If
        they're already a Zoho user, the email address will be added to the Tag Tracking List. It
        will not trigger any emails or actions for the customer. When the customer tags you as a
        partner, the record will move from the Tracking List to your customer listing." The entry
        moves whenever the customer becomes the partner's, through any channel; a user of one of
        the partner's customers is not tracked. Adding the same email again changes nothing. A
        tracking entry does not let the partner see the account: it is the partner's own note,
        made without the customer.

        Args:
            partner_id: The partner's id.
            email: The user's email address.
            actor: Who acts: the partner's own users, staff or the system.

        Returns:
            The tracking-list row; its `customer_id` only when the actor sees that account anyway.

        Raises:
            InvalidActorError: `actor` is not a `Principal` (`access.invalid_actor`).
            PartnerNotFoundError: No such partner, or one the actor does not act for: both answer
                alike (`partner.not_found`).
            PartnerDeactivatedError: The partner account is deactivated (`partner.deactivated`).
            NotAUserError: No user has that email; the remedy is the sign-up link or a new account
                (`mapping.not_a_user`).
            AlreadyYourCustomerError: The user's account is the partner's customer already, for
                some product (`mapping.already_your_customer`).
            InvalidInputError: `email` is not a valid address (`validation.invalid`).
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
        return self._tracking.track(partner_id, email, actor=actor)

    def tracking_list(self, partner_id: str, *, actor: Principal) -> list[TrackedUser]:
        """The partner's tag-tracking list: the users it waits on to tag it, oldest first.

        An entry leaves the list when the customer tags the partner (001 seed).

        Args:
            partner_id: The partner's id.
            actor: Who asks: the partner's own users, staff or the system.

        Returns:
            The rows, oldest first; each `customer_id` only where the actor sees that account.

        Raises:
            InvalidActorError: `actor` is not a `Principal` (`access.invalid_actor`).
            PartnerNotFoundError: No such partner, or one the actor does not act for: both answer
                alike (`partner.not_found`).
            StorageError: The database could not be reached or is not migrated
                (`storage.unavailable`, `storage.schema_outdated`).
        """
        return self._tracking.tracking_list(partner_id, actor=actor)
