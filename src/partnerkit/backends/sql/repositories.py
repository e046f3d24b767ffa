"""SQL repositories: the ports of `partnerkit.ports` over one SQLAlchemy Core connection.

Each repository turns rows into frozen values and back; unique-constraint violations become
the same domain errors the memory backend raises.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import attrs
import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from partnerkit.backends.sql import schema as t
from partnerkit.catalog.errors import ProductTakenError
from partnerkit.catalog.products import Product
from partnerkit.consent import Confirmation, ConsentKind, ConsentRequest, ConsentStatus
from partnerkit.customers.accounts import (
    ContactPerson,
    Customer,
    CustomerUser,
    Edition,
    ProductPlan,
)
from partnerkit.customers.errors import EmailTakenError
from partnerkit.errors import ConcurrencyError, PartnerkitError
from partnerkit.events import MessageKind, MessageStatus, OutboxMessage
from partnerkit.mapping.commission_values import CommissionEntry, CommissionPlan, EntryKind
from partnerkit.mapping.errors import (
    CodeTakenError,
    CommissionConflictError,
    PartnerOfRecordTakenError,
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

__all__ = [
    "SqlCommissionEntries",
    "SqlCommissionPlans",
    "SqlConsentRequests",
    "SqlCustomers",
    "SqlOutbox",
    "SqlPartnerCodes",
    "SqlPartnerRecords",
    "SqlPartners",
    "SqlProducts",
    "SqlSignupLinks",
    "SqlTrackingEntries",
    "SqlUnitOfWork",
]


# Statements built once: constructing a statement per call costs more than running it.
_PRODUCT_BY_KEY = sa.select(t.products).where(t.products.c.key == sa.bindparam("v"))
_PARTNER_BY_ID = sa.select(t.partners).where(t.partners.c.id == sa.bindparam("v"))
_PARTNER_BY_USERNAME = sa.select(t.partners).where(t.partners.c.username == sa.bindparam("v"))
_PARTNER_BY_EMAIL = (
    sa.select(t.partners)
    .where(t.partners.c.email == sa.bindparam("v"))
    .order_by(t.partners.c.created_at, t.partners.c.id)
    .limit(1)
)
_PARTNER_LISTS = sa.union_all(
    *(
        sa.select(
            sa.literal(column).label("kind"),
            table.c.partner_id,
            table.c[column].label("value"),
            table.c.position,
        ).where(table.c.partner_id.in_(sa.bindparam("ids", expanding=True)))
        for table, column in (
            (t.partner_domains, "domain"),
            (t.partner_regions, "region"),
            (t.partner_expertise, "product"),
        )
    )
).order_by("kind", "partner_id", "position")
_UPDATE_PARTNER = t.partners.update().where(
    t.partners.c.id == sa.bindparam("b_id"), t.partners.c.version == sa.bindparam("b_version")
)
# Activity only moves forward, and without a version check: a partner's concurrent actions
# never conflict over it.
_TOUCH_PARTNER = t.partners.update().where(
    t.partners.c.id == sa.bindparam("b_id"), t.partners.c.last_active_at < sa.bindparam("b_at")
)
_CODE_BY_KEY = sa.select(t.partner_codes).where(t.partner_codes.c.key == sa.bindparam("v"))
_UPDATE_CODE = t.partner_codes.update().where(t.partner_codes.c.key == sa.bindparam("b_key"))
_UPDATE_MESSAGE = t.outbox.update().where(t.outbox.c.id == sa.bindparam("b_id"))

_records = t.partner_records
_slots = t.partner_of_record_open
# FOR UPDATE locks the slot and the interval on PostgreSQL and MariaDB, so writers of one
# customer's product serialise; SQLite serialises writers anyway and drops the clause.
_CURRENT_RECORD = (
    sa.select(_records)
    .select_from(_slots.join(_records, _slots.c.record_id == _records.c.id))
    .where(
        _slots.c.customer_id == sa.bindparam("customer_id"),
        _slots.c.product == sa.bindparam("product"),
    )
    .with_for_update()
)
_UPDATE_RECORD = _records.update().where(
    _records.c.id == sa.bindparam("b_id"), _records.c.version == sa.bindparam("b_version")
)
_RELEASE_SLOT = _slots.delete().where(_slots.c.record_id == sa.bindparam("b_id"))
_OPEN_PROVISIONAL = (
    _records.c.valid_to.is_(None),
    _records.c.status == MappingStatus.PROVISIONAL.value,
    _records.c.provisional_until.is_not(None),
)

_consents = t.consent_requests
_CONSENT_BY_ID = sa.select(_consents).where(_consents.c.id == sa.bindparam("v"))
_CONSENT_BY_TOKEN = sa.select(_consents).where(_consents.c.token_hash == sa.bindparam("v"))
_UPDATE_CONSENT = _consents.update().where(
    _consents.c.id == sa.bindparam("b_id"), _consents.c.version == sa.bindparam("b_version")
)
_CONSENT_PENDING = _consents.c.status == ConsentStatus.REQUESTED.value

_SIGNUP_BY_TOKEN = sa.select(t.signup_links).where(t.signup_links.c.token_hash == sa.bindparam("v"))

_tracking = t.tracking_entries
_TRACKING_EXISTS = sa.select(sa.literal(1)).where(
    _tracking.c.partner_id == sa.bindparam("partner_id"),
    _tracking.c.email == sa.bindparam("email"),
)

_plans = t.commission_plans
_PLAN_BY_PARTNER = sa.select(_plans).where(_plans.c.partner_id == sa.bindparam("v"))
_UPDATE_PLAN = _plans.update().where(_plans.c.partner_id == sa.bindparam("b_partner_id"))

_entries = t.commission_entries
_ENTRY_BY_TRANSACTION = sa.select(_entries).where(_entries.c.transaction_id == sa.bindparam("v"))


class _Repo:
    def __init__(self, conn: Connection) -> None:
        self._c = conn

    @contextmanager
    def _unique(
        self,
        make_error: Callable[[], PartnerkitError],
        *,
        taken: Callable[[], bool] | None = None,
    ) -> Iterator[None]:
        """Run inserts in a savepoint and turn a unique violation into a domain error.

        The savepoint keeps the transaction usable on PostgreSQL, where a failed statement
        otherwise aborts everything after it. When the statements could also break another
        constraint (a foreign key), `taken` tells after the fact whether the guarded value is
        indeed taken; if not, the IntegrityError goes on (and leaves as IntegrityViolationError).
        """
        try:
            with self._c.begin_nested():
                yield
        except IntegrityError as exc:
            if taken is not None and not taken():
                raise
            raise make_error() from exc

    def _replace_children(
        self, table: sa.Table, fk: str, owner: str, rows: Sequence[dict[str, Any]]
    ) -> None:
        self._c.execute(table.delete().where(table.c[fk] == owner))
        if rows:
            self._c.execute(table.insert(), list(rows))


class SqlProducts(_Repo):
    def add(self, product: Product) -> None:
        with self._unique(
            lambda: ProductTakenError(
                f"a product with key {product.key!r} already exists", details={"key": product.key}
            )
        ):
            self._c.execute(
                t.products.insert(),
                {
                    "key": product.key,
                    "name": product.name,
                    "created_at": product.created_at,
                    "version": product.version,
                },
            )

    def get(self, key: str) -> Product | None:
        row = self._c.execute(_PRODUCT_BY_KEY, {"v": key}).first()
        return None if row is None else _product(row)

    def all(self) -> list[Product]:
        rows = self._c.execute(sa.select(t.products).order_by(t.products.c.key))
        return [_product(r) for r in rows]


def _product(row: sa.Row[Any]) -> Product:
    return Product(key=row.key, name=row.name, created_at=row.created_at, version=row.version)


class SqlPartners(_Repo):
    def add(self, partner: Partner) -> None:
        with self._unique(lambda: _username_taken(partner)):
            self._c.execute(t.partners.insert(), _partner_row(partner))
        self._write_lists(partner)

    def get(self, partner_id: str) -> Partner | None:
        return self._one(_PARTNER_BY_ID, partner_id)

    def get_by_username(self, username: str) -> Partner | None:
        return self._one(_PARTNER_BY_USERNAME, username)

    def get_by_email(self, email: str) -> Partner | None:
        return self._one(_PARTNER_BY_EMAIL, email)

    def update(self, partner: Partner) -> Partner:
        row = _partner_row(partner)
        del row["id"]
        row.update(version=partner.version + 1, b_id=partner.id, b_version=partner.version)
        with self._unique(lambda: _username_taken(partner)):
            result = self._c.execute(_UPDATE_PARTNER, row)
        if result.rowcount != 1:
            raise ConcurrencyError(
                "the partner changed since it was read",
                details={"id": partner.id, "version": partner.version},
            )
        for table in (t.partner_domains, t.partner_regions, t.partner_expertise):
            self._c.execute(table.delete().where(table.c.partner_id == partner.id))
        self._write_lists(partner)
        return attrs.evolve(partner, version=partner.version + 1)

    def all(self, *, status: PartnerStatus | None = None) -> list[Partner]:
        query = sa.select(t.partners).order_by(t.partners.c.name, t.partners.c.id)
        if status is not None:
            query = query.where(t.partners.c.status == status.value)
        return self._many(query)

    def touch(self, partner_id: str, at: datetime) -> None:
        self._c.execute(_TOUCH_PARTNER, {"b_id": partner_id, "b_at": at, "last_active_at": at})

    def idle_since(self, cutoff: datetime) -> list[Partner]:
        return self._many(
            sa.select(t.partners)
            .where(
                t.partners.c.status == PartnerStatus.ACTIVE.value,
                t.partners.c.last_active_at <= cutoff,
            )
            .order_by(t.partners.c.name, t.partners.c.id)
        )

    def oldest_activity(self) -> datetime | None:
        earliest = sa.func.min(t.partners.c.last_active_at, type_=t.UtcDateTime())
        value: datetime | None = self._c.execute(
            sa.select(earliest).where(t.partners.c.status == PartnerStatus.ACTIVE.value)
        ).scalar()
        return value

    def _write_lists(self, p: Partner) -> None:
        for table, column, values in (
            (t.partner_domains, "domain", p.email_domains),
            (t.partner_regions, "region", p.regions),
            (t.partner_expertise, "product", p.expertise),
        ):
            if values:
                self._c.execute(
                    table.insert(),
                    [{"partner_id": p.id, "position": i, column: v} for i, v in enumerate(values)],
                )

    def _one(self, query: sa.Select[Any], value: str) -> Partner | None:
        found = self._many(query, {"v": value})
        return found[0] if found else None

    def _many(self, query: sa.Select[Any], params: dict[str, Any] | None = None) -> list[Partner]:
        rows = self._c.execute(query, params or {}).all()
        if not rows:
            return []
        ids = [r.id for r in rows]
        lists: dict[str, dict[str, list[str]]] = {i: {} for i in ids}
        # The three lists share one shape, so one UNION ALL reads them all: a round trip per
        # list costs more than the rows themselves.
        for kind, pid, value, _position in self._c.execute(_PARTNER_LISTS, {"ids": ids}):
            lists[pid].setdefault(kind, []).append(value)
        return [
            Partner(
                id=r.id,
                name=r.name,
                email=r.email,
                kind=PartnerKind(r.kind),
                created_at=r.created_at,
                last_active_at=r.last_active_at,
                username=r.username,
                email_domains=tuple(lists[r.id].get("domain", ())),
                regions=tuple(lists[r.id].get("region", ())),
                expertise=tuple(lists[r.id].get("product", ())),
                status=PartnerStatus(r.status),
                version=r.version,
            )
            for r in rows
        ]


def _partner_row(p: Partner) -> dict[str, Any]:
    return {
        "id": p.id,
        "name": p.name,
        "email": p.email,
        "username": p.username,
        "kind": p.kind.value,
        "status": p.status.value,
        "created_at": p.created_at,
        "last_active_at": p.last_active_at,
        "version": p.version,
    }


def _username_taken(p: Partner) -> UsernameTakenError:
    return UsernameTakenError(
        f"the username {p.username!r} is taken", details={"field": "username"}
    )


class SqlPartnerCodes(_Repo):
    def add(self, code: PartnerCode) -> None:
        with self._unique(
            lambda: CodeTakenError(
                f"the code {code.code!r} is already issued", details={"field": "code"}
            )
        ):
            self._c.execute(t.partner_codes.insert(), _code_row(code))

    def get(self, key: str) -> PartnerCode | None:
        row = self._c.execute(_CODE_BY_KEY, {"v": key}).first()
        return None if row is None else _code(row)

    def for_partner(self, partner_id: str) -> list[PartnerCode]:
        rows = self._c.execute(
            sa.select(t.partner_codes)
            .where(t.partner_codes.c.partner_id == partner_id)
            .order_by(t.partner_codes.c.issued_at, t.partner_codes.c.key)
        )
        return [_code(r) for r in rows]

    def active(self) -> list[PartnerCode]:
        rows = self._c.execute(
            sa.select(t.partner_codes)
            .where(t.partner_codes.c.status == PartnerCodeStatus.ACTIVE.value)
            .order_by(
                t.partner_codes.c.partner_id, t.partner_codes.c.issued_at, t.partner_codes.c.key
            )
        )
        return [_code(r) for r in rows]

    def update(self, code: PartnerCode) -> None:
        row = _code_row(code)
        row["b_key"] = row.pop("key")
        self._c.execute(_UPDATE_CODE, row)


def _code_row(c: PartnerCode) -> dict[str, Any]:
    return {
        "key": c.key,
        "code": c.code,
        "partner_id": c.partner_id,
        "status": c.status.value,
        "issued_at": c.issued_at,
        "retired_at": c.retired_at,
    }


def _code(row: sa.Row[Any]) -> PartnerCode:
    return PartnerCode(
        key=row.key,
        code=row.code,
        partner_id=row.partner_id,
        issued_at=row.issued_at,
        status=PartnerCodeStatus(row.status),
        retired_at=row.retired_at,
    )


class SqlCustomers(_Repo):
    def add(self, customer: Customer) -> None:
        self._c.execute(
            t.customers.insert().values(
                id=customer.id,
                name=customer.name,
                created_at=customer.created_at,
                version=customer.version,
            )
        )
        self._write_children(customer)

    def get(self, customer_id: str) -> Customer | None:
        found = self._many(sa.select(t.customers).where(t.customers.c.id == customer_id))
        return found[0] if found else None

    def get_many(self, customer_ids: Sequence[str]) -> list[Customer]:
        if not customer_ids:
            return []
        return self._many(
            sa.select(t.customers)
            .where(t.customers.c.id.in_(list(customer_ids)))
            .order_by(t.customers.c.name, t.customers.c.id)
        )

    def names(self, customer_ids: Sequence[str]) -> dict[str, str]:
        if not customer_ids:
            return {}
        rows = self._c.execute(
            sa.select(t.customers.c.id, t.customers.c.name).where(
                t.customers.c.id.in_(list(customer_ids))
            )
        )
        return {r.id: r.name for r in rows}

    def get_by_user_email(self, email: str) -> Customer | None:
        cid = self._c.execute(
            sa.select(t.customer_users.c.customer_id).where(t.customer_users.c.email == email)
        ).scalar()
        return None if cid is None else self.get(cid)

    def update(self, customer: Customer) -> Customer:
        result = self._c.execute(
            t.customers.update()
            .where(t.customers.c.id == customer.id, t.customers.c.version == customer.version)
            .values(name=customer.name, version=customer.version + 1)
        )
        if result.rowcount != 1:
            raise ConcurrencyError(
                "the customer changed since it was read",
                details={"id": customer.id, "version": customer.version},
            )
        for table in (
            t.customer_domains,
            t.customer_users,
            t.customer_contacts,
            t.customer_products,
        ):
            self._c.execute(table.delete().where(table.c.customer_id == customer.id))
        self._write_children(customer)
        return attrs.evolve(customer, version=customer.version + 1)

    def all(self) -> list[Customer]:
        return self._many(sa.select(t.customers).order_by(t.customers.c.name, t.customers.c.id))

    def _write_children(self, c: Customer) -> None:
        if c.domains:
            self._c.execute(
                t.customer_domains.insert(),
                [
                    {"customer_id": c.id, "position": i, "domain": d}
                    for i, d in enumerate(c.domains)
                ],
            )
        if c.users:
            with self._unique(
                lambda: EmailTakenError(
                    "an email of this account already belongs to a user",
                    details={"customer_id": c.id},
                )
            ):
                self._c.execute(
                    t.customer_users.insert(),
                    [
                        {
                            "email": u.email,
                            "customer_id": c.id,
                            "position": i,
                            "name": u.name,
                            "is_admin": u.is_admin,
                        }
                        for i, u in enumerate(c.users)
                    ],
                )
        if c.contacts:
            self._c.execute(
                t.customer_contacts.insert(),
                [
                    {
                        "customer_id": c.id,
                        "email": p.email,
                        "position": i,
                        "name": p.name,
                        "phone": p.phone,
                        "is_primary": p.primary,
                    }
                    for i, p in enumerate(c.contacts)
                ],
            )
        if c.products:
            self._c.execute(
                t.customer_products.insert(),
                [
                    {
                        "customer_id": c.id,
                        "product": p.product,
                        "edition": p.edition.value,
                        "since": p.since,
                    }
                    for p in c.products
                ],
            )

    def _many(self, query: sa.Select[Any]) -> list[Customer]:
        rows = self._c.execute(query).all()
        if not rows:
            return []
        ids = [r.id for r in rows]

        def children(table: sa.Table, order: sa.ColumnElement[Any]) -> dict[str, list[Any]]:
            out: dict[str, list[Any]] = {i: [] for i in ids}
            for row in self._c.execute(
                sa.select(table).where(table.c.customer_id.in_(ids)).order_by(order)
            ):
                out[row.customer_id].append(row)
            return out

        domains = children(t.customer_domains, t.customer_domains.c.position)
        users = children(t.customer_users, t.customer_users.c.position)
        contacts = children(t.customer_contacts, t.customer_contacts.c.position)
        plans = children(t.customer_products, t.customer_products.c.product)
        return [
            Customer(
                id=r.id,
                name=r.name,
                created_at=r.created_at,
                domains=tuple(d.domain for d in domains[r.id]),
                users=tuple(CustomerUser(u.email, u.name, bool(u.is_admin)) for u in users[r.id]),
                contacts=tuple(
                    ContactPerson(p.name, p.email, p.phone, bool(p.is_primary))
                    for p in contacts[r.id]
                ),
                products=tuple(
                    ProductPlan(p.product, Edition(p.edition), p.since) for p in plans[r.id]
                ),
                version=r.version,
            )
            for r in rows
        ]


class SqlOutbox(_Repo):
    def add(self, message: OutboxMessage) -> None:
        self._c.execute(t.outbox.insert(), _message_row(message))

    def due(self, now: datetime, limit: int) -> list[OutboxMessage]:
        # SKIP LOCKED lets several workers drain the queue without delivering a row twice;
        # SQLite serialises writers and ignores the clause.
        query = (
            sa.select(t.outbox)
            .where(
                t.outbox.c.status == MessageStatus.PENDING.value,
                t.outbox.c.next_attempt_at <= now,
            )
            .order_by(t.outbox.c.next_attempt_at, t.outbox.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return [_message(r) for r in self._c.execute(query)]

    def next_due(self) -> datetime | None:
        earliest = sa.func.min(t.outbox.c.next_attempt_at, type_=t.UtcDateTime())
        value: datetime | None = self._c.execute(
            sa.select(earliest).where(t.outbox.c.status == MessageStatus.PENDING.value)
        ).scalar()
        return value

    def save(self, message: OutboxMessage) -> None:
        row = _message_row(message)
        row["b_id"] = row.pop("id")
        self._c.execute(_UPDATE_MESSAGE, row)

    def all(self, *, topic: str | None = None) -> list[OutboxMessage]:
        query = sa.select(t.outbox).order_by(t.outbox.c.created_at, t.outbox.c.id)
        if topic is not None:
            query = query.where(t.outbox.c.topic == topic)
        return [_message(r) for r in self._c.execute(query)]


def _message_row(m: OutboxMessage) -> dict[str, Any]:
    return {
        "id": m.id,
        "kind": m.kind.value,
        "topic": m.topic,
        # Payloads are JSON data already (events.py converts them on every backend).
        "payload": json.dumps(dict(m.payload), sort_keys=True),
        "created_at": m.created_at,
        "next_attempt_at": m.next_attempt_at,
        "status": m.status.value,
        "attempts": m.attempts,
        "delivered_at": m.delivered_at,
        "last_error": m.last_error,
    }


def _message(row: sa.Row[Any]) -> OutboxMessage:
    return OutboxMessage(
        id=row.id,
        kind=MessageKind(row.kind),
        topic=row.topic,
        payload=json.loads(row.payload),
        created_at=row.created_at,
        next_attempt_at=row.next_attempt_at,
        status=MessageStatus(row.status),
        attempts=row.attempts,
        delivered_at=row.delivered_at,
        last_error=row.last_error,
    )


# --- the partner program ----------------------------------------------------------------------


class SqlPartnerRecords(_Repo):
    def add(self, interval: MappingInterval) -> None:
        # One savepoint for both rows, so that a refused slot leaves no interval behind; the
        # inner one translates only the slot's violation (a bad foreign key stays what it is).
        with self._c.begin_nested():
            self._c.execute(_records.insert(), _record_row(interval))
            with self._unique(
                lambda: PartnerOfRecordTakenError(
                    details={"customer_id": interval.customer_id, "product": interval.product}
                )
            ):
                self._c.execute(
                    _slots.insert(),
                    {
                        "customer_id": interval.customer_id,
                        "product": interval.product,
                        "record_id": interval.id,
                    },
                )

    def update(self, interval: MappingInterval) -> MappingInterval:
        row = _record_row(interval)
        del row["id"]
        row.update(version=interval.version + 1, b_id=interval.id, b_version=interval.version)
        result = self._c.execute(_UPDATE_RECORD, row)
        if result.rowcount != 1:
            raise ConcurrencyError(
                "the mapping changed since it was read",
                details={"id": interval.id, "version": interval.version},
            )
        if not interval.is_open:
            self._c.execute(_RELEASE_SLOT, {"b_id": interval.id})
        return attrs.evolve(interval, version=interval.version + 1)

    def current(self, customer_id: str, product: str) -> MappingInterval | None:
        row = self._c.execute(
            _CURRENT_RECORD, {"customer_id": customer_id, "product": product}
        ).first()
        return None if row is None else _interval(row)

    def history(self, customer_id: str, product: str) -> list[MappingInterval]:
        return self._many(_records.c.customer_id == customer_id, _records.c.product == product)

    def for_customer(self, customer_id: str) -> list[MappingInterval]:
        return self._many(_records.c.customer_id == customer_id)

    def last_end(self, customer_id: str, product: str) -> datetime | None:
        latest = sa.func.max(_records.c.valid_to, type_=t.UtcDateTime())
        value: datetime | None = self._c.execute(
            sa.select(latest).where(
                _records.c.customer_id == customer_id, _records.c.product == product
            )
        ).scalar()
        return value

    def covering(self, customer_id: str, product: str, instant: datetime) -> MappingInterval | None:
        found = self._many(
            _records.c.customer_id == customer_id,
            _records.c.product == product,
            _records.c.valid_from <= instant,
            sa.or_(_records.c.valid_to.is_(None), _records.c.valid_to > instant),
        )
        return found[0] if found else None

    def earning_at(
        self, customer_id: str, product: str, instant: datetime
    ) -> list[MappingInterval]:
        return self._many(
            _records.c.customer_id == customer_id,
            _records.c.product == product,
            sa.or_(_records.c.commission_from.is_(None), _records.c.commission_from <= instant),
            sa.or_(_records.c.valid_to.is_(None), _records.c.valid_to > instant),
        )

    def open_for_partner(self, partner_id: str) -> list[MappingInterval]:
        return self._many(_records.c.partner_id == partner_id, _records.c.valid_to.is_(None))

    def provisional_ending_before(self, day: date) -> list[MappingInterval]:
        return self._many(*_OPEN_PROVISIONAL, _records.c.provisional_until < day)

    def next_provisional_until(self) -> date | None:
        earliest = sa.func.min(_records.c.provisional_until, type_=sa.Date())
        value: date | None = self._c.execute(sa.select(earliest).where(*_OPEN_PROVISIONAL)).scalar()
        return value

    def _many(self, *where: sa.ColumnElement[bool]) -> list[MappingInterval]:
        rows = self._c.execute(
            sa.select(_records).where(*where).order_by(_records.c.valid_from, _records.c.id)
        )
        return [_interval(r) for r in rows]


def _record_row(i: MappingInterval) -> dict[str, Any]:
    return {
        "id": i.id,
        "customer_id": i.customer_id,
        "product": i.product,
        "partner_id": i.partner_id,
        "channel": i.channel.value,
        "valid_from": i.valid_from,
        "valid_to": i.valid_to,
        "reason": i.reason,
        "by": i.by,
        "status": i.status.value,
        "provisional_until": i.provisional_until,
        "commission_from": i.commission_from,
        "evidence": i.evidence,
        "ended_reason": i.ended_reason,
        "ended_by": i.ended_by,
        "version": i.version,
    }


def _interval(row: sa.Row[Any]) -> MappingInterval:
    return MappingInterval(
        id=row.id,
        customer_id=row.customer_id,
        product=row.product,
        partner_id=row.partner_id,
        channel=Channel(row.channel),
        valid_from=row.valid_from,
        reason=row.reason,
        by=row.by,
        status=MappingStatus(row.status),
        provisional_until=row.provisional_until,
        commission_from=row.commission_from,
        evidence=row.evidence,
        valid_to=row.valid_to,
        ended_reason=row.ended_reason,
        ended_by=row.ended_by,
        version=row.version,
    )


class SqlConsentRequests(_Repo):
    def add(self, request: ConsentRequest) -> None:
        self._c.execute(_consents.insert(), _consent_row(request))
        if request.confirmations:
            self._c.execute(t.consent_confirmations.insert(), _confirmation_rows(request))

    def get(self, request_id: str) -> ConsentRequest | None:
        found = self._many(_CONSENT_BY_ID, {"v": request_id})
        return found[0] if found else None

    def get_by_token_hash(self, token_hash: str) -> ConsentRequest | None:
        found = self._many(_CONSENT_BY_TOKEN, {"v": token_hash})
        return found[0] if found else None

    def update(self, request: ConsentRequest) -> ConsentRequest:
        row = _consent_row(request)
        del row["id"]
        row.update(version=request.version + 1, b_id=request.id, b_version=request.version)
        result = self._c.execute(_UPDATE_CONSENT, row)
        if result.rowcount != 1:
            raise ConcurrencyError(
                "the request changed since it was read",
                details={"id": request.id, "version": request.version},
            )
        self._replace_children(
            t.consent_confirmations, "request_id", request.id, _confirmation_rows(request)
        )
        return attrs.evolve(request, version=request.version + 1)

    def pending(
        self,
        *,
        customer_id: str | None = None,
        partner_id: str | None = None,
        product: str | None = None,
        kind: ConsentKind | None = None,
    ) -> list[ConsentRequest]:
        query = self._pending()
        if customer_id is not None:
            query = query.where(_consents.c.customer_id == customer_id)
        if partner_id is not None:
            query = query.where(
                sa.or_(
                    _consents.c.partner_id == partner_id,
                    _consents.c.from_partner_id == partner_id,
                )
            )
        if product is not None:
            query = query.where(_consents.c.product == product)
        if kind is not None:
            query = query.where(_consents.c.kind == kind.value)
        return self._many(query)

    def expiring(self, now: datetime) -> list[ConsentRequest]:
        return self._many(self._pending().where(_consents.c.expires_at <= now))

    def next_expiry(self) -> datetime | None:
        earliest = sa.func.min(_consents.c.expires_at, type_=t.UtcDateTime())
        value: datetime | None = self._c.execute(
            sa.select(earliest).where(_CONSENT_PENDING)
        ).scalar()
        return value

    @staticmethod
    def _pending() -> sa.Select[Any]:
        return (
            sa.select(_consents)
            .where(_CONSENT_PENDING)
            .order_by(_consents.c.requested_at, _consents.c.id)
        )

    def _many(
        self, query: sa.Select[Any], params: dict[str, Any] | None = None
    ) -> list[ConsentRequest]:
        rows = self._c.execute(query, params or {}).all()
        if not rows:
            return []
        confirmations: dict[str, list[Confirmation]] = {r.id: [] for r in rows}
        children = self._c.execute(
            sa.select(t.consent_confirmations)
            .where(t.consent_confirmations.c.request_id.in_(list(confirmations)))
            .order_by(t.consent_confirmations.c.request_id, t.consent_confirmations.c.position)
        )
        for c in children:
            confirmations[c.request_id].append(Confirmation(c.by, c.at))
        return [
            ConsentRequest(
                id=r.id,
                kind=ConsentKind(r.kind),
                customer_id=r.customer_id,
                product=r.product,
                partner_id=r.partner_id,
                requested_by=r.requested_by,
                requested_at=r.requested_at,
                expires_at=r.expires_at,
                token_hash=r.token_hash,
                from_partner_id=r.from_partner_id,
                required_confirmations=r.required_confirmations,
                confirmations=tuple(confirmations[r.id]),
                status=ConsentStatus(r.status),
                effective_at=r.effective_at,
                closed_at=r.closed_at,
                context=json.loads(r.context),
                version=r.version,
            )
            for r in rows
        ]


def _confirmation_rows(r: ConsentRequest) -> list[dict[str, Any]]:
    return [
        {"request_id": r.id, "position": i, "by": c.by, "at": c.at}
        for i, c in enumerate(r.confirmations)
    ]


def _consent_row(r: ConsentRequest) -> dict[str, Any]:
    return {
        "id": r.id,
        "kind": r.kind.value,
        "customer_id": r.customer_id,
        "product": r.product,
        "partner_id": r.partner_id,
        "from_partner_id": r.from_partner_id,
        "requested_by": r.requested_by,
        "requested_at": r.requested_at,
        "expires_at": r.expires_at,
        "token_hash": r.token_hash,
        "required_confirmations": r.required_confirmations,
        "status": r.status.value,
        "effective_at": r.effective_at,
        "closed_at": r.closed_at,
        # No default=str: a value JSON cannot hold would come back as something else.
        "context": json.dumps(dict(r.context), sort_keys=True),
        "version": r.version,
    }


class SqlSignupLinks(_Repo):
    def add(self, link: SignupLink) -> None:
        self._c.execute(
            t.signup_links.insert(),
            {
                "token_hash": link.token_hash,
                "partner_id": link.partner_id,
                "product": link.product,
                "created_at": link.created_at,
                "revoked_at": link.revoked_at,
            },
        )

    def get_by_token_hash(self, token_hash: str) -> SignupLink | None:
        row = self._c.execute(_SIGNUP_BY_TOKEN, {"v": token_hash}).first()
        if row is None:
            return None
        return SignupLink(
            token_hash=row.token_hash,
            partner_id=row.partner_id,
            created_at=row.created_at,
            product=row.product,
            revoked_at=row.revoked_at,
        )


class SqlTrackingEntries(_Repo):
    def add(self, entry: TrackingEntry) -> None:
        key = {"partner_id": entry.partner_id, "email": entry.email}
        if self._c.execute(_TRACKING_EXISTS, key).first() is not None:
            return
        try:
            with self._c.begin_nested():
                self._c.execute(
                    _tracking.insert(),
                    {**key, "customer_id": entry.customer_id, "added_at": entry.added_at},
                )
        except IntegrityError:
            # A concurrent writer added the same entry first: adding again changes nothing.
            # Anything else (a bad foreign key) is still an error.
            if self._c.execute(_TRACKING_EXISTS, key).first() is None:
                raise

    def remove(self, partner_id: str, email: str) -> None:
        self._c.execute(
            _tracking.delete().where(
                _tracking.c.partner_id == partner_id, _tracking.c.email == email
            )
        )

    def for_partner(self, partner_id: str) -> list[TrackingEntry]:
        return self._many(_tracking.c.partner_id == partner_id)

    def for_customer(self, customer_id: str) -> list[TrackingEntry]:
        return self._many(_tracking.c.customer_id == customer_id)

    def _many(self, where: sa.ColumnElement[bool]) -> list[TrackingEntry]:
        rows = self._c.execute(
            sa.select(_tracking)
            .where(where)
            .order_by(_tracking.c.added_at, _tracking.c.email, _tracking.c.partner_id)
        )
        return [TrackingEntry(r.partner_id, r.email, r.customer_id, r.added_at) for r in rows]


class SqlCommissionPlans(_Repo):
    def put(self, plan: CommissionPlan) -> None:
        values = {
            "rate": str(plan.rate),
            "limit_months": plan.limit_months,
            "updated_at": plan.updated_at,
            "version": plan.version,
        }
        if self._c.execute(_UPDATE_PLAN, {**values, "b_partner_id": plan.partner_id}).rowcount:
            return
        try:
            with self._c.begin_nested():
                self._c.execute(_plans.insert(), {**values, "partner_id": plan.partner_id})
        except IntegrityError:
            # Another writer inserted the plan in between: replace theirs, as put promises.
            result = self._c.execute(_UPDATE_PLAN, {**values, "b_partner_id": plan.partner_id})
            if not result.rowcount:
                raise

    def get(self, partner_id: str) -> CommissionPlan | None:
        row = self._c.execute(_PLAN_BY_PARTNER, {"v": partner_id}).first()
        if row is None:
            return None
        return CommissionPlan(
            partner_id=row.partner_id,
            rate=Decimal(row.rate),
            updated_at=row.updated_at,
            limit_months=row.limit_months,
            version=row.version,
        )


class SqlCommissionEntries(_Repo):
    def add(self, entry: CommissionEntry) -> None:
        with self._unique(
            lambda: CommissionConflictError(
                f"transaction {entry.transaction_id!r} is already booked",
                details={"transaction_id": entry.transaction_id},
            ),
            taken=lambda: self.get_by_transaction(entry.transaction_id) is not None,
        ):
            self._c.execute(_entries.insert(), _entry_row(entry))

    def get_by_transaction(self, transaction_id: str) -> CommissionEntry | None:
        row = self._c.execute(_ENTRY_BY_TRANSACTION, {"v": transaction_id}).first()
        return None if row is None else _entry(row)

    def reversals_of(self, transaction_id: str) -> list[CommissionEntry]:
        return self._many(_entries.c.reverses == transaction_id)

    def last_occurred_at(self, interval_id: str) -> datetime | None:
        latest = sa.func.max(_entries.c.occurred_at, type_=t.UtcDateTime())
        value: datetime | None = self._c.execute(
            sa.select(latest).where(_entries.c.interval_id == interval_id)
        ).scalar()
        return value

    def for_partner(
        self, partner_id: str, start: datetime | None = None, end: datetime | None = None
    ) -> list[CommissionEntry]:
        where = [_entries.c.partner_id == partner_id]
        if start is not None:
            where.append(_entries.c.occurred_at >= start)
        if end is not None:
            where.append(_entries.c.occurred_at < end)
        return self._many(*where)

    def for_customer(self, customer_id: str, product: str) -> list[CommissionEntry]:
        return self._many(_entries.c.customer_id == customer_id, _entries.c.product == product)

    def _many(self, *where: sa.ColumnElement[bool]) -> list[CommissionEntry]:
        rows = self._c.execute(
            sa.select(_entries).where(*where).order_by(_entries.c.occurred_at, _entries.c.id)
        )
        return [_entry(r) for r in rows]


def _entry_row(e: CommissionEntry) -> dict[str, Any]:
    return {
        "id": e.id,
        "partner_id": e.partner_id,
        "customer_id": e.customer_id,
        "product": e.product,
        "transaction_id": e.transaction_id,
        "kind": e.kind.value,
        "base_minor": e.base.minor_units,
        "currency": e.base.currency,
        # Decimals travel as their exact text, never as a float or an engine's NUMERIC.
        "rate": str(e.rate),
        "commission_exact": str(e.commission_exact),
        "occurred_at": e.occurred_at,
        "booked_at": e.booked_at,
        "interval_id": e.interval_id,
        "reverses": e.reverses,
    }


def _entry(row: sa.Row[Any]) -> CommissionEntry:
    return CommissionEntry(
        id=row.id,
        partner_id=row.partner_id,
        customer_id=row.customer_id,
        product=row.product,
        transaction_id=row.transaction_id,
        kind=EntryKind(row.kind),
        base=Money.from_minor(row.base_minor, row.currency),
        rate=Decimal(row.rate),
        commission_exact=Decimal(row.commission_exact),
        occurred_at=row.occurred_at,
        booked_at=row.booked_at,
        interval_id=row.interval_id,
        reverses=row.reverses,
    )


class SqlUnitOfWork:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._products = SqlProducts(conn)
        self._partners = SqlPartners(conn)
        self._codes = SqlPartnerCodes(conn)
        self._customers = SqlCustomers(conn)
        self._outbox = SqlOutbox(conn)
        self._records = SqlPartnerRecords(conn)
        self._consents = SqlConsentRequests(conn)
        self._signup_links = SqlSignupLinks(conn)
        self._tracking = SqlTrackingEntries(conn)
        self._commission_plans = SqlCommissionPlans(conn)
        self._commissions = SqlCommissionEntries(conn)

    @property
    def connection(self) -> Connection:
        return self._conn

    @property
    def products(self) -> SqlProducts:
        return self._products

    @property
    def partners(self) -> SqlPartners:
        return self._partners

    @property
    def codes(self) -> SqlPartnerCodes:
        return self._codes

    @property
    def customers(self) -> SqlCustomers:
        return self._customers

    @property
    def outbox(self) -> SqlOutbox:
        return self._outbox

    @property
    def records(self) -> SqlPartnerRecords:
        return self._records

    @property
    def consents(self) -> SqlConsentRequests:
        return self._consents

    @property
    def signup_links(self) -> SqlSignupLinks:
        return self._signup_links

    @property
    def tracking(self) -> SqlTrackingEntries:
        return self._tracking

    @property
    def commission_plans(self) -> SqlCommissionPlans:
        return self._commission_plans

    @property
    def commissions(self) -> SqlCommissionEntries:
        return self._commissions

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        with self._conn.begin_nested():
            yield
