"""Partners and their codes on SQL: a partner's domain, region and expertise lists are child
tables (the directory filters on them), read with the partner in one statement."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import attrs
import sqlalchemy as sa

from partnerkit.backends.sql import schema as t
from partnerkit.backends.sql.base import SqlRepository, versioned_update
from partnerkit.backends.sql.codec import Children, RowCodec
from partnerkit.backends.sql.prepared import prepare
from partnerkit.mapping.errors import (
    HOLDS_A_CODE_HINT,
    HOLDS_A_CODE_REMEDY,
    CodeTakenError,
    UsernameTakenError,
)
from partnerkit.mapping.partners import Partner, PartnerCode, PartnerCodeStatus, PartnerStatus

__all__ = ["SqlPartnerCodes", "SqlPartners"]

PARTNERS = RowCodec(
    Partner,
    t.partners,
    children={
        "email_domains": Children(t.partner_domains, "partner_id", "domain"),
        "regions": Children(t.partner_regions, "partner_id", "region"),
        "expertise": Children(t.partner_expertise, "partner_id", "product"),
    },
)
CODES = RowCodec(PartnerCode, t.partner_codes)

_partners = t.partners
_by_name = (_partners.c.name, _partners.c.id)
_ACTIVE = _partners.c.status == PartnerStatus.ACTIVE.value
_PARTNER_BY_ID = PARTNERS.aggregate.select(by_id="v")
_PARTNER_BY_USERNAME = PARTNERS.aggregate.select(_partners.c.username == sa.bindparam("v"))
# The oldest partner with the email: its id first, so that LIMIT applies to partners, not to
# the rows of their lists.
_PARTNER_ID_BY_EMAIL = (
    sa.select(_partners.c.id)
    .where(_partners.c.email == sa.bindparam("v"))
    .order_by(_partners.c.created_at, _partners.c.id)
    .limit(1)
)
_PARTNERS_WITH_DOMAIN = PARTNERS.aggregate.select(
    _partners.c.id.in_(
        sa.select(t.partner_domains.c.partner_id).where(
            t.partner_domains.c.domain == sa.bindparam("v")
        )
    ),
    order_by=(_partners.c.created_at,),
)
_ALL_PARTNERS = PARTNERS.aggregate.select(order_by=_by_name)
_PARTNERS_BY_STATUS = PARTNERS.aggregate.select(
    _partners.c.status == sa.bindparam("status"), order_by=_by_name
)
_IDLE_PARTNERS = PARTNERS.aggregate.select(
    _ACTIVE, _partners.c.last_active_at <= sa.bindparam("cutoff"), order_by=_by_name
)
_OLDEST_ACTIVITY = sa.select(sa.func.min(_partners.c.last_active_at, type_=t.UtcDateTime())).where(
    _ACTIVE
)
_UPDATE_PARTNER = versioned_update(_partners)
# Activity only moves forward, and without a version check: a partner's concurrent actions
# never conflict over it.
_TOUCH_PARTNER = _partners.update().where(
    _partners.c.id == sa.bindparam("b_id"), _partners.c.last_active_at < sa.bindparam("b_at")
)

_codes = t.partner_codes
_CODE_BY_KEY = sa.select(_codes).where(_codes.c.key == sa.bindparam("v"))
_CODES_OF_PARTNER = (
    sa.select(_codes)
    .where(_codes.c.partner_id == sa.bindparam("v"))
    .order_by(_codes.c.issued_at, _codes.c.key)
)
# The code under a key and the partner's active code, in one statement (issue_code's reads).
_ISSUING = sa.select(_codes).where(
    sa.or_(
        _codes.c.key == sa.bindparam("key"),
        _codes.c.key
        == (
            sa.select(t.partner_active_codes.c.key)
            .where(t.partner_active_codes.c.partner_id == sa.bindparam("partner_id"))
            .scalar_subquery()
        ),
    )
)
_ACTIVE_CODES = (
    sa.select(_codes)
    .where(_codes.c.status == PartnerCodeStatus.ACTIVE.value)
    .order_by(_codes.c.partner_id, _codes.c.issued_at, _codes.c.key)
)
_UPDATE_CODE = _codes.update().where(_codes.c.key == sa.bindparam("b_key"))
_CLAIM_ACTIVE = t.partner_active_codes.insert()
_RELEASE_ACTIVE = t.partner_active_codes.delete().where(
    t.partner_active_codes.c.key == sa.bindparam("key")
)


def _username_taken(p: Partner) -> UsernameTakenError:
    return UsernameTakenError(
        f"the username {p.username!r} is taken", details={"field": "username"}
    )


# Built once, run on the driver's cursor (see prepared.py).
prepare(
    _PARTNER_BY_ID,
    _PARTNER_BY_USERNAME,
    _PARTNER_ID_BY_EMAIL,
    _PARTNERS_WITH_DOMAIN,
    _ALL_PARTNERS,
    _PARTNERS_BY_STATUS,
    _IDLE_PARTNERS,
    _OLDEST_ACTIVITY,
    _TOUCH_PARTNER,
    _CODE_BY_KEY,
    _CODES_OF_PARTNER,
    _ISSUING,
    _ACTIVE_CODES,
    _UPDATE_CODE,
    _CLAIM_ACTIVE,
    _RELEASE_ACTIVE,
)


class SqlPartners(SqlRepository):
    def add(self, partner: Partner) -> None:
        with self._unique(lambda: _username_taken(partner), single=True):
            self._tx.execute(PARTNERS.insert, PARTNERS.row(partner))
        self._insert_aggregate(PARTNERS, partner)

    def get(self, partner_id: str) -> Partner | None:
        return self._first(_PARTNER_BY_ID, partner_id)

    def get_by_username(self, username: str) -> Partner | None:
        return self._first(_PARTNER_BY_USERNAME, username)

    def get_by_email(self, email: str) -> Partner | None:
        partner_id = self._tx.execute(_PARTNER_ID_BY_EMAIL, {"v": email}).scalar()
        return None if partner_id is None else self.get(partner_id)

    def with_domain(self, domain: str) -> list[Partner]:
        return self._load(PARTNERS, _PARTNERS_WITH_DOMAIN, {"v": domain})

    def update(self, partner: Partner) -> Partner:
        return self._update_aggregate(
            PARTNERS, _UPDATE_PARTNER, partner, "partner", unique=lambda: _username_taken(partner)
        )

    def all(self, *, status: PartnerStatus | None = None) -> list[Partner]:
        if status is None:
            return self._load(PARTNERS, _ALL_PARTNERS)
        return self._load(PARTNERS, _PARTNERS_BY_STATUS, {"status": status.value})

    def touch(self, partner_id: str, at: datetime) -> None:
        self._tx.execute(_TOUCH_PARTNER, {"b_id": partner_id, "b_at": at, "last_active_at": at})
        # The row changed without a new version: what this unit of work read of it follows,
        # so an update of the partner read before takes its difference from the row as it is.
        key = (PARTNERS.table.name, partner_id)
        seen = self._tx.loaded.get(key)
        if seen is not None and seen.value.last_active_at < at:
            self._tx.loaded[key] = attrs.evolve(
                seen, value=attrs.evolve(seen.value, last_active_at=at)
            )

    def idle_since(self, cutoff: datetime) -> list[Partner]:
        return self._load(PARTNERS, _IDLE_PARTNERS, {"cutoff": cutoff})

    def oldest_activity(self) -> datetime | None:
        value: datetime | None = self._tx.execute(_OLDEST_ACTIVITY).scalar()
        return value

    def _first(self, query: sa.Select[Any], value: str) -> Partner | None:
        found = self._load(PARTNERS, query, {"v": value})
        return found[0] if found else None


class SqlPartnerCodes(SqlRepository):
    def add(self, code: PartnerCode) -> None:
        with self._unique(
            lambda: CodeTakenError(
                f"the code {code.code!r} is already issued", details={"field": "code"}
            ),
            single=True,
        ):
            self._tx.execute(CODES.insert, CODES.row(code))
        if code.status is PartnerCodeStatus.ACTIVE:
            with self._unique(lambda: _holds_a_code(code), single=True):
                self._tx.execute(_CLAIM_ACTIVE, {"partner_id": code.partner_id, "key": code.key})

    def get(self, key: str) -> PartnerCode | None:
        return CODES.one(self._tx.execute(_CODE_BY_KEY, {"v": key}).first())

    def for_partner(self, partner_id: str) -> list[PartnerCode]:
        return CODES.many(self._tx.execute(_CODES_OF_PARTNER, {"v": partner_id}))

    def issuing(self, key: str, partner_id: str) -> tuple[PartnerCode | None, PartnerCode | None]:
        found = CODES.many(self._tx.execute(_ISSUING, {"key": key, "partner_id": partner_id}))
        by_key = next((c for c in found if c.key == key), None)
        active = next(
            (
                c
                for c in found
                if c.partner_id == partner_id and c.status is PartnerCodeStatus.ACTIVE
            ),
            None,
        )
        return by_key, active

    def active(self) -> list[PartnerCode]:
        return CODES.many(self._tx.execute(_ACTIVE_CODES))

    def update(self, code: PartnerCode) -> None:
        row = CODES.row(code)
        row["b_key"] = row.pop("key")
        self._tx.execute(_UPDATE_CODE, row)
        if code.status is not PartnerCodeStatus.ACTIVE:
            self._tx.execute(_RELEASE_ACTIVE, {"key": code.key})


def _holds_a_code(code: PartnerCode) -> CodeTakenError:
    return CodeTakenError(
        "the partner already holds an active code",
        details={"field": "code", "partner_id": code.partner_id},
        remedy=HOLDS_A_CODE_REMEDY,
        hint=HOLDS_A_CODE_HINT,
    )
