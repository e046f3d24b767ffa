"""Properties of partner-code normalisation, validation and advice over arbitrary text."""

from __future__ import annotations

import string

from hypothesis import given
from hypothesis import strategies as st

from partnerkit.errors import PartnerkitError
from partnerkit.mapping.codes import (
    MAX_LENGTH,
    MIN_LENGTH,
    advise_code,
    canonical_key,
    validate_code,
)

ASCII_ALNUM = string.ascii_letters + string.digits

# Arbitrary text finds the crashes; code-like text reaches the accepting paths often enough.
code_like = st.text(alphabet=ASCII_ALNUM + "_-. 01lIoO", min_size=0, max_size=MAX_LENGTH + 4)
full_width = st.text(
    alphabet=st.sampled_from([chr(ord(c) + 0xFEE0) for c in ASCII_ALNUM]), max_size=MAX_LENGTH
)
any_text = st.one_of(st.text(), code_like, full_width)


@given(any_text)
def test_canonical_key_is_idempotent(text: str) -> None:
    key = canonical_key(text)
    assert canonical_key(key) == key


@given(any_text, st.data())
def test_canonical_key_ignores_the_case_of_ascii_letters(text: str, data: st.DataObject) -> None:
    flips = data.draw(st.lists(st.booleans(), min_size=len(text), max_size=len(text)))
    changed = "".join(
        char.swapcase() if flip and char in string.ascii_letters else char
        for char, flip in zip(text, flips, strict=True)
    )
    assert canonical_key(changed) == canonical_key(text)


@given(any_text)
def test_validate_code_returns_a_code_in_the_window_or_raises_a_partnerkit_error(
    text: str,
) -> None:
    try:
        code = validate_code(text)
    except PartnerkitError as error:
        refused: PartnerkitError | None = error
    else:
        refused = None
    if refused is not None:
        assert refused.details["field"] == "code"
        return
    assert MIN_LENGTH <= len(code) <= MAX_LENGTH
    assert all(char in ASCII_ALNUM for char in code)
    assert any(char in string.ascii_letters for char in code)
    assert validate_code(code) == code


@given(any_text, st.one_of(st.none(), any_text), st.frozensets(code_like, max_size=5))
def test_every_suggestion_validates(text: str, company: str | None, taken: frozenset[str]) -> None:
    advice = advise_code(text, company=company, taken=taken.__contains__)
    assert len(advice.suggestions) <= 5
    keys = [canonical_key(validate_code(code)) for code in advice.suggestions]
    assert len(set(keys)) == len(keys)
    assert not taken & set(advice.suggestions)


@given(any_text)
def test_advice_agrees_with_validation(text: str) -> None:
    advice = advise_code(text)
    try:
        validate_code(text)
    except PartnerkitError:
        valid = False
    else:
        valid = True
    assert advice.valid is valid
    assert 0 <= advice.score <= 100
    # Every refusal is explained, and only a code with nothing to improve scores 100.
    assert valid or advice.problems
    assert (advice.score == 100) is (not advice.problems)
    assert (advice.suggestions == ()) or bool(advice.problems)
