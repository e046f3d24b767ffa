"""Partners' sign-up links on SQL, looked up by the hash of their token; the products a link
offers are rows of a child table, read with the link in one statement."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from partnerkit.backends.sql import schema as t
from partnerkit.backends.sql.base import SqlRepository
from partnerkit.backends.sql.codec import Children, RowCodec
from partnerkit.backends.sql.prepared import prepare
from partnerkit.mapping.signup import SignupLink

__all__ = ["SqlSignupLinks"]

LINKS = RowCodec(
    SignupLink,
    t.signup_links,
    children={"products": Children(t.signup_link_products, "token_hash", "product")},
    id_field="token_hash",
)

_SIGNUP_BY_TOKEN = LINKS.aggregate.select(by_id="v")
# Only a link not yet revoked: revoking twice keeps the first instant.
_REVOKE = t.signup_links.update().where(
    t.signup_links.c.token_hash == sa.bindparam("b_hash"), t.signup_links.c.revoked_at.is_(None)
)
# Built once, run on the driver's cursor (see prepared.py).
prepare(_SIGNUP_BY_TOKEN, _REVOKE)


class SqlSignupLinks(SqlRepository):
    def add(self, link: SignupLink) -> None:
        self._tx.execute(LINKS.insert, LINKS.row(link))
        # A link is never changed but for its revocation: its products are written once.
        LINKS.aggregate.insert(self._tx, link)

    def get_by_token_hash(self, token_hash: str) -> SignupLink | None:
        found = LINKS.aggregate.load(self._tx.execute(_SIGNUP_BY_TOKEN, {"v": token_hash}).all())
        return found[0].value if found else None

    def revoke(self, token_hash: str, at: datetime) -> None:
        self._tx.execute(_REVOKE, {"b_hash": token_hash, "revoked_at": at})
