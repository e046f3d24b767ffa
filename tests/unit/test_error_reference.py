"""The error reference page stays in sync with the error tree, and codes stay unique."""

from __future__ import annotations

import re
from pathlib import Path

import partnerkit
from partnerkit.errors import ERRORS, RETIRED_CODES, PartnerkitError
from partnerkit.reference import ERROR_MODULES, error_reference_markdown

PAGE = Path(__file__).resolve().parents[2] / "docs" / "reference" / "errors.md"
# A word may end in digits where a source document numbers its codes ("payment.cp3003").
CODE = re.compile(r"^[a-z_]+[0-9]*(\.[a-z_]+[0-9]*)*$")


def _all_subclasses(cls: type[PartnerkitError]) -> list[type[PartnerkitError]]:
    found: list[type[PartnerkitError]] = []
    for sub in cls.__subclasses__():
        found.append(sub)
        found.extend(_all_subclasses(sub))
    return list(dict.fromkeys(found))


def _ours(classes: list[type[PartnerkitError]]) -> list[type[PartnerkitError]]:
    # Tests may define throwaway subclasses; the contract is about partnerkit's own.
    return [c for c in classes if c.__module__.split(".")[0] == partnerkit.__name__]


def test_reference_page_is_up_to_date() -> None:
    assert PAGE.read_text(encoding="utf-8") == error_reference_markdown(), (
        "docs/reference/errors.md is stale: "
        "regenerate with python -m partnerkit.reference docs/reference/errors.md"
    )


def test_no_code_is_used_twice() -> None:
    classes = [PartnerkitError, *_ours(_all_subclasses(PartnerkitError))]
    seen: dict[str, str] = {}
    for cls in classes:
        assert cls.code not in seen, f"{cls.__name__} reuses {cls.code!r} of {seen[cls.code]}"
        seen[cls.code] = cls.__name__


def test_every_concrete_error_is_registered_under_its_own_code() -> None:
    concrete = [c for c in _ours(_all_subclasses(PartnerkitError)) if not c.abstract]
    assert concrete
    for cls in concrete:
        assert ERRORS.get(cls.code) is cls, f"{cls.__name__} is not ERRORS[{cls.code!r}]"
    abstract = [c for c in _all_subclasses(PartnerkitError) if c.abstract]
    assert not [c for c in abstract if c in ERRORS.values()]


def test_errors_live_in_an_errors_module_the_reference_lists() -> None:
    # The reference page lists ERROR_MODULES; an error defined elsewhere would be missing.
    elsewhere = [
        f"{c.__module__}.{c.__qualname__}"
        for c in _ours(_all_subclasses(PartnerkitError))
        if c.__module__ not in ERROR_MODULES
    ]
    assert not elsewhere, (
        f"define these in a package's errors.py, listed in ERROR_MODULES: {elsewhere}"
    )


#: Every code partnerkit has ever released. Append new codes here when they ship; a code
#: removed from the library moves to errors.RETIRED_CODES, and is never used again.
RELEASED_CODES = Path(__file__).with_name("released_error_codes.txt")


def test_a_released_code_is_kept_or_retired_never_reused() -> None:
    released = set(RELEASED_CODES.read_text(encoding="utf-8").split())
    current = set(ERRORS)
    vanished = released - current - RETIRED_CODES
    assert not vanished, f"released codes gone without being retired: {sorted(vanished)}"
    assert not current & RETIRED_CODES, "a retired code is in use again"
    unlisted = current - released
    assert not unlisted, f"add these new codes to {RELEASED_CODES.name}: {sorted(unlisted)}"


def test_a_retired_code_cannot_be_defined_again() -> None:
    import pytest

    with pytest.raises(RuntimeError, match="retired"):

        class Reused(partnerkit.ConflictError):
            code = "partner_code.retired"


def test_codes_are_dotted_lower_case_words() -> None:
    bad = [code for code in ERRORS if not CODE.match(code)]
    assert not bad, f"codes must match {CODE.pattern}: {bad}"


def test_every_code_is_on_the_page() -> None:
    page = error_reference_markdown()
    missing = [
        code
        for code, cls in ERRORS.items()
        if cls.__module__ in ERROR_MODULES and f"| `{code}` |" not in page
    ]
    assert not missing
