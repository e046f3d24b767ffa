"""Sign-up links (001 seed): the partner puts the link on its website, and whoever signs up
through it becomes a customer already mapped to that partner. The token is stored hashed."""

from __future__ import annotations

from datetime import datetime

import attrs

__all__ = ["SignupLink"]


@attrs.frozen
class SignupLink:
    """`product` None means: map the new customer for every product the partner works on."""

    token_hash: str
    partner_id: str
    created_at: datetime
    product: str | None = None
    revoked_at: datetime | None = None
