"""The one consent workflow: request → confirmations → effective, or expired; hashed tokens."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from partnerkit.consent import ConsentKind, ConsentRequest, ConsentStatus, hash_token, new_token
from partnerkit.errors import ConsentExpiredError, ConsentNotPendingError, InvalidTokenError

T0 = datetime(2026, 1, 5, 9, tzinfo=UTC)


def request(required: int = 1) -> tuple[str, ConsentRequest]:
    token, digest = new_token()
    return token, ConsentRequest(
        id="cns_1",
        kind=ConsentKind.TRANSFER,
        customer_id="cus_1",
        product="crm",
        partner_id="ptr_new",
        from_partner_id="ptr_old",
        requested_by="it@acme.example",
        requested_at=T0,
        expires_at=T0 + timedelta(days=15),
        token_hash=digest,
        required_confirmations=required,
    )


def test_tokens_are_256_bits_and_only_their_hash_is_kept() -> None:
    token, digest = new_token()
    assert len(token) >= 43  # 32 bytes in URL-safe base64
    assert digest == hash_token(token)
    assert token not in digest
    assert new_token()[0] != token


def test_one_confirmation_makes_it_effective_and_the_token_single_use() -> None:
    token, req = request()
    req.check_token(hash_token(token), T0)
    done = req.confirm("it@acme.example", T0 + timedelta(days=1))
    assert done.status is ConsentStatus.EFFECTIVE
    assert done.effective_at == T0 + timedelta(days=1)
    with pytest.raises(ConsentNotPendingError):
        done.check_token(hash_token(token), T0 + timedelta(days=2))


def test_several_confirmations_count_each_person_once() -> None:
    _, req = request(required=2)
    once = req.confirm("a@acme.example", T0)
    assert once.confirm("a@acme.example", T0) == once
    assert once.status is ConsentStatus.REQUESTED
    assert once.confirm("b@acme.example", T0).status is ConsentStatus.EFFECTIVE


def test_expiry_is_at_the_instant_and_wrong_tokens_are_refused() -> None:
    token, req = request()
    req.check_token(hash_token(token), T0 + timedelta(days=15) - timedelta(microseconds=1))
    with pytest.raises(ConsentExpiredError):
        req.check_token(hash_token(token), T0 + timedelta(days=15))
    with pytest.raises(InvalidTokenError):
        req.check_token(hash_token(token + "x"), T0)
    assert req.expire(T0).status is ConsentStatus.EXPIRED
    with pytest.raises(ConsentNotPendingError):
        req.cancel(T0).check_token(hash_token(token), T0)


def test_the_customers_own_act_completes_a_request_at_once_with_its_confirmation() -> None:
    """The customer's admin tagging the partner a request was for makes the request effective
    at that instant, closed, with the admin's confirmation added (000 case 1: the tag is the
    customer's word). Kills ConsentRequest.complete__mutmut_2, _4, _5, _7, _9 to _12."""
    _, pending = request()
    at = T0 + timedelta(days=2)
    done = pending.complete("it@acme.example", at)
    assert done.status is ConsentStatus.EFFECTIVE
    assert (done.effective_at, done.closed_at) == (at, at)
    assert [(c.by, c.at) for c in done.confirmations] == [("it@acme.example", at)]
    assert not done.is_pending
