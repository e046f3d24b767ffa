"""Link secrets that are never at rest in clear: derived from the host's secret key when an
email is delivered, so the outbox, the tables and the logs hold only a reference and a hash.

A confirmation token is HMAC-SHA256(secret key, purpose and reference), 256 bits. The request
stores its SHA-256 hash (to find it when the link is clicked); the queued email stores a
`SecretRef` (purpose, reference, hash); delivery derives the token again and checks it against
the hash, so an email rendered with another key is never sent with a link that cannot work.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Mapping
from typing import Any

import attrs

from partnerkit.errors import ConfigurationError

__all__ = ["Secret", "SecretKey", "SecretRef", "hash_token", "is_secret_ref", "render_secrets"]

_MARKER = "$secret"
#: The shortest key accepted: 32 bytes, as much entropy as the tokens it derives.
MIN_KEY_BYTES = 32


class Secret(str):
    """A token in an email being sent: a plain `str` to the mailer, hidden in any repr."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "Secret('…')"


@attrs.frozen
class SecretRef:
    """What the outbox keeps instead of a token: enough to derive it again and check it."""

    purpose: str
    ref: str
    token_hash: str

    def as_data(self) -> dict[str, Any]:
        return {_MARKER: {"purpose": self.purpose, "ref": self.ref, "hash": self.token_hash}}


def is_secret_ref(value: object) -> bool:
    return isinstance(value, Mapping) and set(value) == {_MARKER}


class SecretKey:
    """The host's secret key (`connect(..., secret_key=...)`). Without one, a random key lives
    as long as the process: right for memory and tests, wrong for a worker that delivers the
    emails another process queued (those are refused at delivery, not sent with a dead link)."""

    def __init__(self, key: bytes | str | None = None) -> None:
        if key is None:
            self._key = secrets.token_bytes(MIN_KEY_BYTES)
            self.ephemeral = True
            return
        raw = key.encode("utf-8") if isinstance(key, str) else key
        if not isinstance(raw, bytes) or len(raw) < MIN_KEY_BYTES:
            raise ConfigurationError(
                f"the secret key must be at least {MIN_KEY_BYTES} bytes long",
                remedy="Generate a key of 32 random bytes or more, and keep it with the other "
                "secrets of the installation.",
                hint="python -c 'import secrets; print(secrets.token_hex(32))' makes one for "
                "connect(..., secret_key=...).",
            )
        self._key = raw
        self.ephemeral = False

    def __repr__(self) -> str:
        return "SecretKey(…)"

    def token(self, purpose: str, ref: str) -> Secret:
        mac = hmac.new(self._key, f"{purpose}\x1f{ref}".encode(), hashlib.sha256).digest()
        return Secret(base64.urlsafe_b64encode(mac).rstrip(b"=").decode("ascii"))

    def issue(self, purpose: str, ref: str) -> SecretRef:
        """A reference to the token for `ref`, with the hash a request stores."""
        return SecretRef(purpose, ref, hash_token(self.token(purpose, ref)))

    def reveal(self, data: Mapping[str, Any]) -> Secret:
        """The token a stored reference stands for; ConfigurationError if this key did not
        issue it (another process's ephemeral key, or a rotated key)."""
        spec = data[_MARKER]
        token = self.token(spec["purpose"], spec["ref"])
        if not hmac.compare_digest(hash_token(token), spec["hash"]):
            raise ConfigurationError(
                "this secret key did not issue the link in this email",
                remedy="Give every process that queues or delivers emails the same secret key.",
                hint="connect(..., secret_key=...) with one key everywhere",
            )
        return token


def hash_token(token: str) -> str:
    # A fast hash is right: a 256-bit token leaves nothing to brute-force, and lookups are by it.
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def render_secrets(context: Mapping[str, Any], key: SecretKey) -> dict[str, Any]:
    """The context of a queued email with each secret reference replaced by its token."""
    return {
        name: key.reveal(value) if is_secret_ref(value) else value
        for name, value in context.items()
    }
