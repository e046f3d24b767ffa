"""Consent requests on SQL: the request row and its confirmations (a child table), read in one
statement and written by difference."""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from partnerkit.backends.sql import schema as t
from partnerkit.backends.sql.base import SqlRepository, versioned_update
from partnerkit.backends.sql.codec import Children, RowCodec
from partnerkit.backends.sql.prepared import prepare, prepared
from partnerkit.consent import Confirmation, ConsentKind, ConsentRequest, ConsentStatus

__all__ = ["SqlConsentRequests"]

CONSENTS = RowCodec(
    ConsentRequest,
    t.consent_requests,
    children={"confirmations": Children(t.consent_confirmations, "request_id", Confirmation)},
)

_consents = t.consent_requests
_in_order = (_consents.c.requested_at, _consents.c.id)
_PENDING = _consents.c.status == ConsentStatus.REQUESTED.value
_CONSENT_BY_ID = CONSENTS.aggregate.select(by_id="v")
_CONSENT_BY_TOKEN = CONSENTS.aggregate.select(_consents.c.token_hash == sa.bindparam("v"))
_EXPIRING = CONSENTS.aggregate.select(
    _PENDING, _consents.c.expires_at <= sa.bindparam("now"), order_by=_in_order
)
_NEXT_EXPIRY = sa.select(sa.func.min(_consents.c.expires_at, type_=t.UtcDateTime())).where(_PENDING)
_UPDATE_CONSENT = versioned_update(_consents)

# What `pending` may filter on, and how each filter reads.
_PENDING_FILTERS = {
    "customer_id": _consents.c.customer_id == sa.bindparam("customer_id"),
    "partner_id": sa.or_(
        _consents.c.partner_id == sa.bindparam("partner_id"),
        _consents.c.from_partner_id == sa.bindparam("partner_id"),
    ),
    "product": _consents.c.product == sa.bindparam("product"),
    "kind": _consents.c.kind == sa.bindparam("kind"),
}


@functools.cache
def _pending(filters: frozenset[str]) -> sa.Select[Any]:
    # One statement per combination of filters, built on first use: at most sixteen.
    where = [_PENDING_FILTERS[name] for name in sorted(filters)]
    return prepared(CONSENTS.aggregate.select(_PENDING, *where, order_by=_in_order))


# Built once, run on the driver's cursor (see prepared.py).
prepare(_CONSENT_BY_ID, _CONSENT_BY_TOKEN, _EXPIRING, _NEXT_EXPIRY)


class SqlConsentRequests(SqlRepository):
    def add(self, request: ConsentRequest) -> None:
        self._tx.execute(CONSENTS.insert, CONSENTS.row(request))
        self._insert_aggregate(CONSENTS, request)

    def get(self, request_id: str) -> ConsentRequest | None:
        found = self._load(CONSENTS, _CONSENT_BY_ID, {"v": request_id})
        return found[0] if found else None

    def get_by_token_hash(self, token_hash: str) -> ConsentRequest | None:
        found = self._load(CONSENTS, _CONSENT_BY_TOKEN, {"v": token_hash})
        return found[0] if found else None

    def update(self, request: ConsentRequest) -> ConsentRequest:
        return self._update_aggregate(CONSENTS, _UPDATE_CONSENT, request, "request")

    def pending(
        self,
        *,
        customer_id: str | None = None,
        partner_id: str | None = None,
        product: str | None = None,
        kind: ConsentKind | None = None,
    ) -> list[ConsentRequest]:
        params = {
            name: value
            for name, value in (
                ("customer_id", customer_id),
                ("partner_id", partner_id),
                ("product", product),
                ("kind", None if kind is None else kind.value),
            )
            if value is not None
        }
        return self._load(CONSENTS, _pending(frozenset(params)), params)

    def expiring(self, now: datetime) -> list[ConsentRequest]:
        return self._load(CONSENTS, _EXPIRING, {"now": now})

    def next_expiry(self) -> datetime | None:
        value: datetime | None = self._tx.execute(_NEXT_EXPIRY).scalar()
        return value
