"""What the partner program needs from storage: partners and codes, the partner-of-record
history, consents, sign-up links, tracking and commissions, and its slice of the unit of work."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from partnerkit.catalog.ports import CatalogStore
from partnerkit.customers.ports import CustomersStore

if TYPE_CHECKING:
    from datetime import datetime

    from partnerkit.consent import ConsentKind, ConsentRequest
    from partnerkit.mapping.commission_values import CommissionEntry, CommissionPlan
    from partnerkit.mapping.leads import Lead
    from partnerkit.mapping.partners import Partner, PartnerCode, PartnerStatus
    from partnerkit.mapping.records import MappingInterval
    from partnerkit.mapping.signup import SignupLink
    from partnerkit.mapping.tracking import TrackingEntry

__all__ = [
    "CommissionEntries",
    "CommissionPlans",
    "ConsentRequests",
    "Leads",
    "MappingStore",
    "PartnerCodes",
    "PartnerRecords",
    "Partners",
    "PartnersStore",
    "SignupLinks",
    "TrackingEntries",
]


class Partners(Protocol):
    def add(self, partner: Partner) -> None:
        """Store a new partner; raises UsernameTakenError when the username is taken."""

    def get(self, partner_id: str) -> Partner | None: ...

    def get_by_username(self, username: str) -> Partner | None: ...

    def get_by_email(self, email: str) -> Partner | None:
        """The partner whose contact email this is (the oldest, if several share it)."""

    def with_domain(self, domain: str) -> list[Partner]:
        """The partners that registered this email domain, oldest first (by created_at, then
        id): who an address of that domain writes for (002 seed)."""

    def update(self, partner: Partner) -> Partner:
        """Store `partner` if the stored version is `partner.version`; return it at version + 1.

        Raises ConcurrencyError when another writer got there first.
        """

    def all(self, *, status: PartnerStatus | None = None) -> list[Partner]:
        """Partners ordered by name, then id."""

    def touch(self, partner_id: str, at: datetime) -> None:
        """Record activity: last_active_at becomes `at` if later. No version check, so that
        concurrent actions of one partner never conflict over it."""

    def idle_since(self, cutoff: datetime) -> list[Partner]:
        """Active partners whose last activity is at or before `cutoff`."""

    def oldest_activity(self) -> datetime | None:
        """The earliest last_active_at among active partners."""


class PartnerCodes(Protocol):
    def add(self, code: PartnerCode) -> None:
        """Store a code; raises CodeTakenError when its key was ever issued (retired included)."""

    def get(self, key: str) -> PartnerCode | None:
        """The code with this canonical key, active or retired."""

    def for_partner(self, partner_id: str) -> list[PartnerCode]:
        """Every code the partner was issued, oldest first."""

    def issuing(self, key: str, partner_id: str) -> tuple[PartnerCode | None, PartnerCode | None]:
        """What issuing `key` to the partner must know, read together: the code stored under
        `key` (active or retired, anyone's) and the partner's active code. Either may be None;
        both are the same code when the partner already holds `key`."""

    def active(self) -> list[PartnerCode]:
        """Every active code, ordered by partner id (the directory reads them in one query)."""

    def update(self, code: PartnerCode) -> None:
        """Store a code's new status (codes are never deleted)."""


class PartnerRecords(Protocol):
    """The partner-of-record history: intervals, at most one open per customer and product."""

    def add(self, interval: MappingInterval) -> None:
        """Store an open interval; raises PartnerOfRecordTakenError when one is open already
        for its customer and product (a unique constraint, so racing writers get one winner)."""

    def update(self, interval: MappingInterval) -> MappingInterval:
        """Store a changed interval (status, or closing it: valid_to set releases the slot).

        Optimistic: raises ConcurrencyError unless the stored version is `interval.version`.
        """

    def current(self, customer_id: str, product: str) -> MappingInterval | None:
        """The open interval, locked for the rest of the transaction where the engine can."""

    def history(self, customer_id: str, product: str) -> list[MappingInterval]:
        """Every interval for the customer and product, oldest first."""

    def for_customer(self, customer_id: str) -> list[MappingInterval]:
        """Every interval of the customer, all products, oldest first."""

    def last_end(self, customer_id: str, product: str) -> datetime | None:
        """The latest valid_to among the closed intervals of the customer and product."""

    def covering(self, customer_id: str, product: str, instant: datetime) -> MappingInterval | None:
        """The interval in force at `instant`: valid_from <= instant < valid_to (or open)."""

    def earning_at(
        self, customer_id: str, product: str, instant: datetime
    ) -> list[MappingInterval]:
        """Intervals whose commission window, before any plan limit, holds `instant`:
        (commission_from is None or commission_from <= instant) and (valid_to is None or
        instant < valid_to); oldest first. Windows do not overlap, so this is one or none
        but for a window a plan's limit then closes."""

    def open_for_partner(self, partner_id: str) -> list[MappingInterval]:
        """The partner's open intervals, oldest first."""

    def provisional_ended_by(self, instant: datetime) -> list[MappingInterval]:
        """Open provisional intervals whose provisional_ends_at is at or before `instant`,
        oldest first: the free customers' mappings whose 3 months are over."""

    def next_provisional_end(self) -> datetime | None:
        """The earliest provisional_ends_at among open provisional intervals."""


class ConsentRequests(Protocol):
    def add(self, request: ConsentRequest) -> None: ...

    def get(self, request_id: str) -> ConsentRequest | None: ...

    def get_by_token_hash(self, token_hash: str) -> ConsentRequest | None: ...

    def update(self, request: ConsentRequest) -> ConsentRequest:
        """Optimistic like the others: raises ConcurrencyError on a stale version."""

    def pending(
        self,
        *,
        customer_id: str | None = None,
        partner_id: str | None = None,
        product: str | None = None,
        kind: ConsentKind | None = None,
    ) -> list[ConsentRequest]:
        """Requests still waiting, oldest first; `partner_id` matches either side."""

    def expiring(self, now: datetime) -> list[ConsentRequest]:
        """Pending requests whose expires_at is at or before `now`."""

    def next_expiry(self) -> datetime | None: ...


class SignupLinks(Protocol):
    def add(self, link: SignupLink) -> None: ...

    def get_by_token_hash(self, token_hash: str) -> SignupLink | None: ...

    def revoke(self, token_hash: str, at: datetime) -> None:
        """Mark the link revoked at `at`, unless it is revoked already (the first time stays)."""


class TrackingEntries(Protocol):
    def add(self, entry: TrackingEntry) -> None:
        """Store an entry; adding the same partner and email again changes nothing."""

    def remove(self, partner_id: str, email: str) -> None: ...

    def remove_customer(self, partner_id: str, customer_id: str) -> None:
        """Remove the partner's entries for every user of the account (none is fine)."""

    def for_partner(self, partner_id: str) -> list[TrackingEntry]:
        """Oldest first."""

    def for_customer(self, customer_id: str) -> list[TrackingEntry]: ...


class CommissionPlans(Protocol):
    def put(self, plan: CommissionPlan) -> None:
        """Insert or replace the partner's plan."""

    def get(self, partner_id: str) -> CommissionPlan | None: ...


class CommissionEntries(Protocol):
    def add(self, entry: CommissionEntry) -> None:
        """Append an entry; raises CommissionConflictError when the transaction id is booked."""

    def get_by_transaction(
        self, transaction_id: str, *, for_update: bool = False
    ) -> CommissionEntry | None:
        """The entry booked for this transaction id. `for_update=True` locks it for the rest of
        the transaction where the engine can, so that what is checked against it (the refunds
        of an accrual) cannot change until this transaction ends."""

    def reversals_of(self, transaction_id: str) -> list[CommissionEntry]:
        """The reversal entries booked against an accrual, oldest first."""

    def last_occurred_at(self, interval_id: str) -> datetime | None:
        """The latest occurred_at among the entries booked to this mapping interval."""

    def for_partner(
        self, partner_id: str, start: datetime | None = None, end: datetime | None = None
    ) -> list[CommissionEntry]:
        """Entries with start <= occurred_at < end, in occurred_at then id order."""

    def for_customer(self, customer_id: str, product: str) -> list[CommissionEntry]: ...


class Leads(Protocol):
    """Leads with their products and offers (002 seed, lead sharing)."""

    def add(self, lead: Lead) -> None: ...

    def get(self, lead_id: str) -> Lead | None: ...

    def update(self, lead: Lead) -> Lead:
        """Optimistic: store the lead (its offers by difference) if the stored version is
        `lead.version`, and return it at version + 1; else ConcurrencyError."""

    def for_customer(self, customer_id: str) -> list[Lead]:
        """The leads of the prospect's account, oldest first (by created_at, then id)."""


class PartnersStore(CatalogStore, Protocol):
    """Partners and their codes (partners work on products of the catalog)."""

    @property
    def partners(self) -> Partners: ...

    @property
    def codes(self) -> PartnerCodes: ...


class MappingStore(PartnersStore, CustomersStore, Protocol):
    """Everything the mapping flows read and write in one transaction."""

    @property
    def records(self) -> PartnerRecords: ...

    @property
    def consents(self) -> ConsentRequests: ...

    @property
    def signup_links(self) -> SignupLinks: ...

    @property
    def tracking(self) -> TrackingEntries: ...

    @property
    def commission_plans(self) -> CommissionPlans: ...

    @property
    def commissions(self) -> CommissionEntries: ...

    @property
    def leads(self) -> Leads: ...
