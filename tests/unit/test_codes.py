"""Partner codes: validation, the canonical key, and the memorability advice."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from partnerkit.errors import InvalidInputError, PartnerkitError
from partnerkit.mapping.codes import (
    MAX_LENGTH,
    MEMORABLE_LENGTH,
    MIN_LENGTH,
    PROBLEM_WEIGHTS,
    RESERVED_WORDS,
    CodeAdvice,
    CodeProblem,
    advise_code,
    canonical_key,
    validate_code,
)
from partnerkit.mapping.errors import InvalidCodeError, ReservedCodeError


def rules(advice: CodeAdvice) -> set[str]:
    return {problem.rule for problem in advice.problems}


# --- validate_code ----------------------------------------------------------------------------


def test_a_plain_code_is_returned_as_typed() -> None:
    assert validate_code("ZILLIUMCorp") == "ZILLIUMCorp"


def test_surrounding_whitespace_is_stripped_and_case_kept() -> None:
    assert validate_code("  zilliumCorp\t\n") == "zilliumCorp"


@pytest.mark.parametrize(
    ("text", "offender"),
    [
        ("Zillium_Corp", "_"),
        ("Zillium-Corp", "-"),
        ("Zillium.Corp", "."),
        ("Zillium Corp", " "),
        ("Zillium🚀", "🚀"),
        ("ZoëCorp", "ë"),
        ("Zillium\x00", "\x00"),
    ],
)
def test_anything_but_ascii_letters_and_digits_is_refused(text: str, offender: str) -> None:
    with pytest.raises(InvalidCodeError) as caught:
        validate_code(text)
    error = caught.value
    assert error.code == "partner_code.invalid"
    assert error.details["field"] == "code"
    assert error.details["character"] == offender
    assert repr(offender) in error.message


def test_the_first_offending_character_is_named_with_its_position() -> None:
    with pytest.raises(InvalidCodeError) as caught:
        validate_code("Zillium_Premium-Partner")
    assert caught.value.details["character"] == "_"
    assert caught.value.details["position"] == 8
    assert "LOW LINE" in caught.value.message


def test_empty_and_blank_codes_are_refused() -> None:
    for text in ("", "   ", "\u3000"):
        with pytest.raises(InvalidCodeError) as caught:
            validate_code(text)
        assert caught.value.details["field"] == "code"


@pytest.mark.parametrize(
    ("length", "accepted"),
    [(MIN_LENGTH - 1, False), (MIN_LENGTH, True), (MAX_LENGTH, True), (MAX_LENGTH + 1, False)],
)
def test_length_window_edges(length: int, accepted: bool) -> None:
    assert (MIN_LENGTH, MAX_LENGTH) == (4, 20)
    text = ("Zillium" * 3)[:length]
    assert len(text) == length
    if accepted:
        assert validate_code(text) == text
        return
    with pytest.raises(InvalidCodeError) as caught:
        validate_code(text)
    error = caught.value
    assert error.details == {
        "field": "code",
        "value": text,
        "length": length,
        "min_length": MIN_LENGTH,
        "max_length": MAX_LENGTH,
    }
    assert f"{MIN_LENGTH} to {MAX_LENGTH}" in error.message


def test_a_digits_only_code_is_refused() -> None:
    with pytest.raises(InvalidCodeError) as caught:
        validate_code("123456")
    assert caught.value.details["field"] == "code"
    assert "letter" in caught.value.message


def test_digits_alongside_letters_are_allowed() -> None:
    assert validate_code("Zillium2") == "Zillium2"


@pytest.mark.parametrize("text", ["admin", "ADMIN", "Adm1n", "Support", "Z0H0", "partners"])
def test_reserved_words_are_refused_under_their_canonical_key(text: str) -> None:
    with pytest.raises(ReservedCodeError) as caught:
        validate_code(text)
    error = caught.value
    assert error.code == "partner_code.reserved"
    assert error.details["field"] == "code"
    assert error.details["reserved_word"] in RESERVED_WORDS
    assert error.remedy is not None


def test_a_reserved_word_inside_a_longer_code_is_fine() -> None:
    assert validate_code("ZilliumSupport") == "ZilliumSupport"


def test_full_width_letters_are_normalised_and_accepted() -> None:
    assert validate_code("ＺＩＬＬＩＵＭＣｏｒｐ") == "ZILLIUMCorp"
    assert validate_code("ＺＩＬＬＩＵＭ") == "ZILLIUM"


def test_errors_are_partnerkit_and_value_errors() -> None:
    with pytest.raises(PartnerkitError):
        validate_code("no way")
    with pytest.raises(ValueError):  # noqa: PT011 - the built-in base is the point here
        validate_code("admin")


# --- canonical_key ----------------------------------------------------------------------------


def test_codes_differing_in_case_or_look_alikes_share_a_key() -> None:
    key = canonical_key("ZILLIUMCorp")
    assert key == canonical_key("zilliumcorp")
    assert key == canonical_key("ZI11IUMC0RP")
    assert key == canonical_key("zi11iumc0rp")
    assert key == canonical_key("ZIlLIUMCORP")


def test_the_look_alike_families_meet_at_l_and_o() -> None:
    assert canonical_key("I1li") == "llll"
    assert canonical_key("O0o") == "ooo"


def test_other_digits_are_not_folded() -> None:
    # 5/S and 8/B are told apart in common fonts; folding them would merge unrelated codes.
    assert canonical_key("S5B8") != canonical_key("SSBB")


def test_the_key_applies_nfkc_and_strips() -> None:
    assert canonical_key(" ＺＩＬＬＩＵＭＣｏｒｐ ") == canonical_key("ZILLIUMCorp")


def test_different_codes_keep_different_keys() -> None:
    assert canonical_key("ZILLIUMCorp") != canonical_key("ZILLIUMCo")


# --- advise_code ------------------------------------------------------------------------------
# The seed 001_e5546b4aab26b4b3.txt: for a partner company called Zillium, "ZILLIUMCorp" is
# preferred over "Zillium_PremiumPartner123" because it's easier to remember and presents less
# chance for error.


def test_the_seed_example_explains_what_is_wrong() -> None:
    advice = advise_code("Zillium_PremiumPartner123")
    assert {"punctuation", "digits", "too_long", "mixed_words"} <= rules(advice)
    assert not advice.valid
    assert "ZILLIUMCorp" in advice.suggestions
    assert advice.suggestions[0] == "ZILLIUMCorp"


def test_the_seed_preferred_code_is_clean() -> None:
    advice = advise_code("ZILLIUMCorp")
    assert advice == CodeAdvice(
        code="ZILLIUMCorp", valid=True, score=100, problems=(), suggestions=()
    )


def test_the_seed_preferred_code_scores_higher() -> None:
    assert advise_code("ZILLIUMCorp").score > advise_code("Zillium_PremiumPartner123").score


def test_every_problem_has_a_known_rule_and_a_message() -> None:
    advice = advise_code("Zillium_PremiumPartner123")
    for problem in advice.problems:
        assert isinstance(problem, CodeProblem)
        assert problem.rule in PROBLEM_WEIGHTS
        assert problem.message.endswith(".")


def test_score_subtracts_the_documented_weights() -> None:
    advice = advise_code("Zillium2")  # digits and nothing else
    assert rules(advice) == {"digits"}
    assert advice.score == 100 - PROBLEM_WEIGHTS["digits"]


def test_score_never_drops_below_zero() -> None:
    assert advise_code("The_Zillium-Premium.Partner 123 🚀 " * 3).score == 0


def test_punctuation_rule_names_the_separators() -> None:
    advice = advise_code("Zillium-Corp")
    (problem,) = [p for p in advice.problems if p.rule == "punctuation"]
    assert "'-'" in problem.message
    assert "'ZilliumCorp'" in problem.message


def test_too_long_is_advice_up_to_the_maximum_and_a_refusal_beyond() -> None:
    allowed = "ZilliumAnalytics"  # 16 characters: valid but hard to remember
    assert MEMORABLE_LENGTH < len(allowed) <= MAX_LENGTH
    advice = advise_code(allowed)
    assert advice.valid
    assert rules(advice) == {"too_long"}
    assert advice.score == 100 - PROBLEM_WEIGHTS["too_long"]
    refused = advise_code("ZilliumAnalyticsWorldwide")
    assert not refused.valid
    assert "too_long" in rules(refused)
    assert refused.score < advice.score


def test_twelve_characters_is_still_memorable() -> None:
    assert "too_long" not in rules(advise_code("ZILLIUMGroup"))


def test_digits_rule_calls_out_trailing_numbers() -> None:
    (problem,) = [p for p in advise_code("Zillium123").problems if p.rule == "digits"]
    assert "'123'" in problem.message


@pytest.mark.parametrize("text", ["Zill0um", "Zi11ium", "IllZium"])
def test_look_alikes_are_reported(text: str) -> None:
    assert "look_alike" in rules(advise_code(text))


def test_capital_letters_alone_are_not_look_alikes() -> None:
    # "ZILLIUMCorp" has I and o but no l, 0 or 1 to confuse them with.
    assert "look_alike" not in rules(advise_code("ZILLIUMCorp"))


def test_two_words_are_fine_three_are_mixed() -> None:
    assert "mixed_words" not in rules(advise_code("ZilliumCorp"))
    assert "mixed_words" in rules(advise_code("ZilliumPremiumCorp"))


def test_look_alike_digits_do_not_split_words() -> None:
    assert "mixed_words" not in rules(advise_code("ZI11IUMC0RP"))


def test_reserved_and_too_short_and_no_letters_are_reported() -> None:
    assert "reserved" in rules(advise_code("Admin"))
    assert "too_short" in rules(advise_code("ZIL"))
    assert "too_short" in rules(advise_code(""))
    assert "no_letters" in rules(advise_code("123456"))


def test_invalid_characters_are_reported() -> None:
    advice = advise_code("ZoëCorp")
    assert not advice.valid
    assert "invalid_characters" in rules(advice)


def test_suggestions_follow_the_company_name() -> None:
    advice = advise_code("PremiumPartner_1", company="The Zillium Group Pvt Ltd")
    assert advice.suggestions[0] == "ZILLIUMCorp"
    assert all(code.startswith("ZILLIUM") for code in advice.suggestions)


def test_suggestions_fold_look_alike_digits_and_drop_numbers() -> None:
    assert advise_code("Zi11ium_2024").suggestions[0] == "ZILLIUMCorp"


def test_suggestions_skip_taken_codes_and_look_alikes_of_them() -> None:
    taken_keys = {canonical_key("ZILLIUMCorp"), canonical_key("ZILLIUM")}
    advice = advise_code(
        "Zillium_PremiumPartner123", taken=lambda code: canonical_key(code) in taken_keys
    )
    assert advice.suggestions
    assert not {canonical_key(code) for code in advice.suggestions} & taken_keys


def test_suggestions_are_valid_distinct_and_at_most_five() -> None:
    advice = advise_code("Zillium_PremiumPartner123")
    assert 0 < len(advice.suggestions) <= 5
    keys = [canonical_key(validate_code(code)) for code in advice.suggestions]
    assert len(set(keys)) == len(keys)


def test_suggestions_are_ranked_by_their_own_problems() -> None:
    scores = [advise_code(code).score for code in advise_code("Zillium_Team_9").suggestions]
    assert scores == sorted(scores, reverse=True)


def test_no_suggestions_built_on_a_reserved_word() -> None:
    assert advise_code("Adm1n").suggestions == ()


def test_no_suggestions_without_any_usable_word() -> None:
    assert advise_code("123_456").suggestions == ()
    assert advise_code("日本").suggestions == ()


def test_advice_values_are_frozen() -> None:
    advice = advise_code("ZILLIUMCorp")
    with pytest.raises(AttributeError):
        advice.score = 0  # type: ignore[misc]


@pytest.mark.parametrize("call", [canonical_key, advise_code])
@pytest.mark.parametrize("value", [None, 42, b"ZILLIUM", ["ZILLIUM"]])
def test_the_pure_code_functions_refuse_what_is_not_text_with_a_typed_error(
    call: Callable[[object], object], value: object
) -> None:
    with pytest.raises(InvalidInputError) as info:
        call(value)
    assert info.value.details["field"] == "code"


def test_advise_code_refuses_a_company_that_is_not_text() -> None:
    with pytest.raises(InvalidInputError) as info:
        advise_code("ZILLIUM", company=42)  # type: ignore[arg-type]
    assert info.value.details["field"] == "company"


# --- pinned by the mutation run ------------------------------------------------------------


@pytest.mark.parametrize("value", [None, 1234, b"ZILLIUM"])
def test_a_code_that_is_not_text_is_refused_naming_the_field(value: object) -> None:
    with pytest.raises(InvalidCodeError) as refused:
        validate_code(value)  # type: ignore[arg-type]
    assert refused.value.details["field"] == "code"


def test_non_ascii_punctuation_is_a_separator_not_a_strange_character() -> None:
    # An en dash (Pd) and a no-break space (Zs) split words like "-" and " " do.
    assert [p.rule for p in advise_code("ZILLIUM\u2013Corp").problems] == ["punctuation"]
    assert [p.rule for p in advise_code("ZILLIUM\u00a0Corp").problems] == ["punctuation"]


def test_trailing_digits_and_inner_digits_get_their_own_advice() -> None:
    [trailing] = [p for p in advise_code("ZILLIUM24").problems if p.rule == "digits"]
    assert trailing.message.startswith("Trailing numbers like '24'")
    [inner] = [p for p in advise_code("ZIL2LIUM").problems if p.rule == "digits"]
    assert inner.message.startswith("Digits such as '2'")
    [single] = [p for p in advise_code("Z9ILLIUM9X").problems if p.rule == "digits"]
    assert single.message.startswith("Digits such as '9'")


def test_a_duplicate_suggestion_is_dropped_and_taken_codes_skipped() -> None:
    # "ABCDEFGHIJCO" (the name cut to 12) reads as "ABCDEFGHIJCo": it is offered once.
    taken = {"ABCDEFGHCorp", "ABCDEFGHTeam"}
    advice = advise_code("x", company="Abcdefghijcoxyz", taken=taken.__contains__)
    assert advice.suggestions == (
        "ABCDEFGHIJCo",
        "ABCDEFGHIJHQ",
        "ABCDEFGGroup",
        "ABCDEFGHIJCOXYZCorp",
        "ABCDEFGHIJCOXYZ",
    )


def test_a_camel_case_company_name_gives_its_first_word() -> None:
    # "ZILLIUMCorp" is "ZILLIUM" + "Corp": the stem is the whole capitals run, not its first letter.
    assert advise_code("x", company="ZILLIUMCorp").suggestions[:2] == ("ZILLIUMCorp", "ZILLIUM")


def test_a_long_name_cut_to_12_is_offered_when_a_shorter_form_is_taken() -> None:
    taken = {"INTERNATCorp"}
    advice = advise_code("x", company="Internationalbusiness", taken=taken.__contains__)
    assert advice.suggestions == (
        "INTERNATIOCo",
        "INTERNATTeam",
        "INTERNATIOHQ",
        "INTERNAGroup",
        "INTERNATIONA",
    )
