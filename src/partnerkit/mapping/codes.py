"""Partner codes: the validation rule, the key under which two codes are the same, and advice.
Pure functions over strings (no I/O, no clock), so services and tests call them directly.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from types import MappingProxyType
from typing import Final

import attrs

from partnerkit.errors import PartnerkitError
from partnerkit.mapping.errors import InvalidCodeError, ReservedCodeError

__all__ = [
    "MAX_LENGTH",
    "MEMORABLE_LENGTH",
    "MIN_LENGTH",
    "PROBLEM_WEIGHTS",
    "RESERVED_WORDS",
    "SUGGESTION_SUFFIXES",
    "CodeAdvice",
    "CodeProblem",
    "advise_code",
    "canonical_key",
    "validate_code",
]

#: The length window a code must fit, counted after NFKC normalisation and stripping.
MIN_LENGTH: Final = 4
MAX_LENGTH: Final = 20
#: Longer codes are still accepted, but advise_code() reports them as hard to remember.
MEMORABLE_LENGTH: Final = 12

#: Words no partner may take: they would pass for the vendor, the program or a placeholder.
#: Compared under canonical_key(), so "ADM1N" and "Admin" are refused like "admin".
RESERVED_WORDS: Final = frozenset(
    {
        "admin",
        "administrator",
        "billing",
        "code",
        "coupon",
        "customer",
        "default",
        "demo",
        "discount",
        "example",
        "free",
        "guest",
        "help",
        "none",
        "null",
        "official",
        "partner",
        "partners",
        "promo",
        "reseller",
        "root",
        "security",
        "staff",
        "support",
        "system",
        "test",
        "trial",
        "undefined",
        "zoho",
    }
)

#: Suffixes for suggested codes, in order of preference: the seed's example is "ZILLIUMCorp".
SUGGESTION_SUFFIXES: Final = ("Corp", "Co", "Team", "HQ", "Group")

#: What each problem takes off the memorability score (which starts at 100 and stops at 0).
#: Problems that make validate_code() refuse the code cost 40, except punctuation (25): it is
#: the commonest slip and the easiest fix. "too_long" costs 20 up to MAX_LENGTH, where the code
#: is merely hard to remember, and the refusal weight of 40 beyond it.
PROBLEM_WEIGHTS: Final[Mapping[str, int]] = MappingProxyType(
    {
        "too_short": 40,
        "too_long": 20,
        "punctuation": 25,
        "invalid_characters": 40,
        "no_letters": 40,
        "digits": 15,
        "look_alike": 10,
        "mixed_words": 15,
        "reserved": 40,
    }
)
_REFUSED_WEIGHT: Final = 40
_MAX_SUGGESTIONS: Final = 5

# After casefold, the I/l/1 family meets at "l" and the O/0 family at "o": customers copy codes
# from signatures and slides where these glyphs are indistinguishable. Other pairs (5/S, 8/B)
# are told apart in common fonts, and folding them would make unrelated codes collide.
_LOOK_ALIKES: Final = str.maketrans({"0": "o", "1": "l", "i": "l"})
# Folding "i" to "l" can let NFKC compose a following combining mark ("l" + U+0327 -> "ļ"),
# so the steps repeat until the key is stable; a handful of rounds always suffices in practice.
_MAX_FOLD_ROUNDS: Final = 8

# A leading article says nothing about the partner: "The Zillium Group" should give ZILLIUM...
_STOP_WORDS: Final = frozenset({"a", "an", "the"})
# A 0 or 1 between letters is almost always a letter typed as a digit ("ZI11IUM").
_INNER_LOOK_ALIKE_DIGITS: Final = re.compile(r"(?<=[A-Za-z])[01]+(?=[A-Za-z])")
_ASCII_DIGIT_RUNS: Final = re.compile(r"[0-9]+")


@attrs.frozen
class CodeProblem:
    """One thing that makes a code refused or hard to remember.

    Attributes:
        rule: A stable id, one of the keys of `PROBLEM_WEIGHTS` (`"too_long"`, `"punctuation"`,
            `"look_alike"`, ...).
        message: What to change, written for the partner.
    """

    rule: str
    message: str


@attrs.frozen
class CodeAdvice:
    """What `advise_code` found about a code, and better codes to use instead.

    Attributes:
        code: The display form of the text that was checked.
        valid: Whether `kit.partners.issue_code` would accept it (if free).
        score: 0 to 100; 100 means nothing to improve.
        problems: What makes it refused or hard to remember, worst first.
        suggestions: Valid, distinct codes, best first; empty when the code has no problems.
    """

    code: str
    valid: bool
    score: int
    problems: tuple[CodeProblem, ...]
    suggestions: tuple[str, ...]


def canonical_key(text: str) -> str:
    """The key under which two codes are the same code: what customers' entries are matched by.

    NFKC, casefold, then look-alike folding (0 to o; 1, I and l to l), surrounding whitespace
    removed, repeated until stable. So "ZILLIUMCorp", "zilliumcorp" and "ZI11IUMC0RP" share a key,
    and a customer who misreads a code still finds the partner. Codes are unique by this key.

    Args:
        text: A code as typed.

    Returns:
        Its key.

    Raises:
        TypeError: `text` is not a string: this pure function trusts its caller (the services
            validate first).
    """
    key = text
    for _ in range(_MAX_FOLD_ROUNDS):
        folded = unicodedata.normalize("NFKC", key).strip().casefold().translate(_LOOK_ALIKES)
        if folded == key:
            break
        key = folded
    return key


# Keyed the way lookups are made, so "ADM1N" finds "admin"; built once canonical_key exists.
_RESERVED_BY_KEY: Final[Mapping[str, str]] = MappingProxyType(
    {canonical_key(word): word for word in sorted(RESERVED_WORDS)}
)


def validate_code(text: str) -> str:
    """Check a partner code against the rules `kit.partners.issue_code` applies, and return it.

    A code is 4 to 20 ASCII letters and digits (after NFKC normalisation and stripping), holds at
    least one letter, and is not a reserved word such as "admin" or "support", compared by
    `canonical_key` so "ADM1N" is refused too. Case is kept for display.

    Args:
        text: The code as typed.

    Returns:
        The code's display form: normalised and stripped, case kept.

    Raises:
        InvalidCodeError: The code is empty, not text, holds anything but letters and digits, falls
            outside 4 to 20 characters, or has no letter (`partner_code.invalid`, field `code`).
        ReservedCodeError: The code reads as a reserved word (`partner_code.reserved`, field
            `code`).
    """
    if not isinstance(text, str):
        raise InvalidCodeError("A partner code must be text.", field="code")
    code = _display(text)
    if not code:
        raise InvalidCodeError(
            "A partner code cannot be empty.",
            field="code",
            details={"value": code, "min_length": MIN_LENGTH, "max_length": MAX_LENGTH},
        )
    for position, char in enumerate(code, start=1):
        if not _is_code_char(char):
            raise InvalidCodeError(
                "A partner code may contain only the letters A-Z and digits 0-9; "
                f"{_describe(char)} at position {position} is not allowed.",
                field="code",
                details={"value": code, "character": char, "position": position},
                remedy="Leave out separators, spaces and accents, as in 'ZILLIUMCorp'.",
            )
    if not MIN_LENGTH <= len(code) <= MAX_LENGTH:
        raise InvalidCodeError(
            f"A partner code must be {MIN_LENGTH} to {MAX_LENGTH} characters long; "
            f"{_shorten(code)!r} has {len(code)}.",
            field="code",
            details={
                "value": code,
                "length": len(code),
                "min_length": MIN_LENGTH,
                "max_length": MAX_LENGTH,
            },
        )
    if code.isdigit():
        raise InvalidCodeError(
            f"A partner code must contain at least one letter; {code!r} is digits only.",
            field="code",
            details={"value": code},
            remedy="Build the code from your company name, as in 'ZILLIUMCorp'.",
        )
    reserved = _RESERVED_BY_KEY.get(canonical_key(code))
    if reserved is not None:
        raise ReservedCodeError(
            f"{code!r} reads as the reserved word {reserved!r} and cannot be a partner code.",
            field="code",
            details={"value": code, "reserved_word": reserved},
        )
    return code


def advise_code(
    text: str,
    *,
    company: str | None = None,
    taken: Callable[[str], bool] | None = None,
) -> CodeAdvice:
    """Explain what makes a code refused or hard to remember, and suggest better ones.

    001 seed: "Partner Codes should be simple and easy to remember. For example, for a partner
    company called Zillium, Code: "ZILLIUMCorp" is preferred over "Zillium_PremiumPartner123"
    because it's easier to remember and presents less chance for error." Each problem (too short or
    long, punctuation, digits, look-alike characters, several words run together, a reserved word)
    costs points from a score of 100. Suggestions are built from the first word of `company` (or of
    `text`): that word in capitals, alone or with a suffix such as "Corp". Each validates, no two
    share a `canonical_key`, none is `taken`, and those with fewer problems come first.
    `kit.partners.advise_code` calls this with `taken` checked against every issued code.

    Args:
        text: The code the partner has in mind.
        company: The company's name, the source of suggestions.
        taken: Tells whether a suggested code is already issued; None suggests without checking.

    Returns:
        The advice: validity, score, problems and suggestions.

    Raises:
        TypeError: `text` is not a string: this pure function trusts its caller (the services
            validate first).
    """
    code = _display(text)
    found = _problems(code)
    problems = tuple(problem for problem, _ in found)
    score = max(0, 100 - sum(weight for _, weight in found))
    suggestions = _suggest(text, company, taken) if problems else ()
    return CodeAdvice(
        code=code,
        valid=_is_valid(code),
        score=score,
        problems=problems,
        suggestions=suggestions,
    )


# --- helpers ----------------------------------------------------------------------------------


def _display(text: str) -> str:
    # NFKC first: full-width "ＺＩＬＬＩＵＭ" becomes ASCII, and an ideographic space strips.
    return unicodedata.normalize("NFKC", text).strip()


def _is_code_char(char: str) -> bool:
    return char.isascii() and char.isalnum()


def _is_separator(char: str) -> bool:
    # What a person uses to split words: spaces, punctuation, printable ASCII symbols ("_", "+").
    if char.isspace() or unicodedata.category(char)[0] in "PZ":
        return True
    return char.isascii() and char.isprintable() and not char.isalnum()


def _is_reserved(text: str) -> bool:
    return canonical_key(text) in _RESERVED_BY_KEY


def _is_valid(code: str) -> bool:
    try:
        validate_code(code)
    except PartnerkitError:
        return False
    return True


def _describe(char: str) -> str:
    name = unicodedata.name(char, "unnamed character")
    return f"{char!r} (U+{ord(char):04X} {name})"


def _shorten(code: str) -> str:
    # Messages are read by people; a pasted paragraph should not be echoed back whole.
    return code if len(code) <= 40 else code[:37] + "..."


def _quoted_list(items: Iterable[str]) -> str:
    quoted = [repr(item) for item in items]
    if len(quoted) <= 1:
        return "".join(quoted)
    return ", ".join(quoted[:-1]) + " and " + quoted[-1]


def _unique(chars: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(chars))


def _words(text: str) -> list[str]:
    """Split on separators, letter/digit boundaries and case changes ("ZILLIUMCorp" -> 2)."""
    words: list[str] = []
    current = ""
    for char in text:
        if not char.isalnum():
            if current:
                words.append(current)
            current = ""
            continue
        if current:
            previous = current[-1]
            if previous.isdigit() != char.isdigit() or (previous.islower() and char.isupper()):
                words.append(current)
                current = ""
            elif previous.isupper() and char.islower() and len(current) > 1:
                # The end of a capitals run starts the next word: "ZILLIUM" + "Corp".
                words.append(current[:-1])
                current = previous
        current += char
    if current:
        words.append(current)
    return words


def _problems(code: str) -> list[tuple[CodeProblem, int]]:
    found: list[tuple[CodeProblem, int]] = []

    def add(rule: str, message: str, weight: int | None = None) -> None:
        found.append(
            (CodeProblem(rule, message), PROBLEM_WEIGHTS[rule] if weight is None else weight)
        )

    length = len(code)
    if length < MIN_LENGTH:
        add(
            "too_short",
            f"A partner code needs at least {MIN_LENGTH} characters; this one has {length}. "
            "Build it from your company name, as in 'ZILLIUMCorp'.",
        )
    elif length > MAX_LENGTH:
        add(
            "too_long",
            f"A partner code may have at most {MAX_LENGTH} characters; this one has {length}. "
            "Keep your company name and drop the rest.",
            _REFUSED_WEIGHT,
        )
    elif length > MEMORABLE_LENGTH:
        add(
            "too_long",
            f"At {length} characters the code is hard to remember; aim for {MEMORABLE_LENGTH} "
            "or fewer, such as your company name plus a short suffix.",
        )

    separators = _unique(char for char in code if _is_separator(char))
    if separators:
        joined = "".join(char for char in code if not _is_separator(char))
        hint = f" ({_shorten(joined)!r})" if joined else ""
        add(
            "punctuation",
            f"Separators such as {_quoted_list(separators)} are not allowed and are easy to "
            f"mistype; run the words together instead{hint}.",
        )

    others = _unique(c for c in code if not _is_code_char(c) and not _is_separator(c))
    if others:
        add(
            "invalid_characters",
            "Only the letters A-Z and digits 0-9 are allowed; "
            f"{', '.join(_describe(char) for char in others[:3])} cannot be typed on every "
            "keyboard. Spell the name in plain letters.",
        )

    if code and not any(char.isalpha() for char in code):
        add(
            "no_letters",
            "A partner code needs at least one letter; build it from your company name.",
        )
    else:
        runs = _ASCII_DIGIT_RUNS.findall(code)
        if runs and code[-1].isdigit():
            add(
                "digits",
                f"Trailing numbers like {runs[-1]!r} are forgettable and add nothing a customer "
                "recognises; leave them out.",
            )
        elif runs:
            add(
                "digits",
                f"Digits such as {_quoted_list(_unique(runs))} are easy to forget or mistype; "
                "use letters only.",
            )

    confusions: list[str] = []
    if "0" in code:
        confusions.append("'0' (zero) reads as the letter O")
    if "1" in code:
        confusions.append("'1' (one) reads as l or I")
    if "I" in code and "l" in code:
        confusions.append("capital 'I' and small 'l' look the same in many fonts")
    if confusions:
        listed = "; ".join(confusions)
        add(
            "look_alike",
            f"{listed[:1].upper()}{listed[1:]}. Readers hesitate over these; prefer letters "
            "that cannot be confused.",
        )

    # Digits read as letters do not split a word: "ZI11IUMC0RP" is one word, not three.
    words = [w for w in _words(_fold_inner_digits(code)) if any(c.isalpha() for c in w)]
    if len(words) > 2:
        add(
            "mixed_words",
            f"{_quoted_list(words[:5])}{' ...' if len(words) > 5 else ''} are {len(words)} "
            "words run together; one name plus a short suffix such as 'Corp' is easier to "
            "recall.",
        )

    reserved = _RESERVED_BY_KEY.get(canonical_key(code))
    if reserved is not None:
        add(
            "reserved",
            f"{code!r} reads as the reserved word {reserved!r}, which no partner may use; "
            "build the code from your company name.",
        )
    return found


def _fold_inner_digits(text: str) -> str:
    """Read a 0 or 1 between letters as the letter it stands for: "Adm1n", "ZI11IUM"."""

    def letters(match: re.Match[str]) -> str:
        before, after = text[match.start() - 1], text[match.end()]
        # "1" is usually an I ("Adm1n", "W1N"), but next to an I it is an L ("ZI11IUM", "Mi11er").
        one = "L" if "i" in (before.lower(), after.lower()) else "I"
        replaced = match.group().replace("0", "O").replace("1", one)
        # Follow the case of the letter before, so "Zi11ium" stays one word when split.
        return replaced.lower() if before.islower() else replaced

    return _INNER_LOOK_ALIKE_DIGITS.sub(letters, text)


def _stem(source: str) -> str | None:
    """The first usable word of `source`, in plain ASCII capitals, or None."""
    for word in _words(_fold_inner_digits(unicodedata.normalize("NFKC", source))):
        # NFKD splits accents off ("Zoë" -> "Zoe"); letters with no ASCII form are dropped.
        plain = "".join(c for c in unicodedata.normalize("NFKD", word) if _is_code_char(c))
        plain = "".join(char for char in plain if char.isalpha())
        # A reserved word ("Zoho", "Partner") would only give look-alikes of reserved codes.
        if plain and plain.casefold() not in _STOP_WORDS and not _is_reserved(plain):
            return plain.upper()
    return None


def _candidates(stem: str) -> list[str]:
    # Skip "ZILLIUMCORPCorp": a suffix the name already ends with only adds length.
    suffixes = [s for s in SUGGESTION_SUFFIXES if not stem.casefold().endswith(s.casefold())]
    # The seed's own pattern (name + "Corp") leads, then the bare name, then the other suffixes.
    found = [stem + suffix for suffix in suffixes[:1] if suffix == SUGGESTION_SUFFIXES[0]]
    found.append(stem)
    found += [stem + suffix for suffix in suffixes if suffix != SUGGESTION_SUFFIXES[0]]
    if len(stem) > MEMORABLE_LENGTH:
        # A long name gives long codes; shortened forms rank above them when they are cleaner.
        found += [stem[: MEMORABLE_LENGTH - len(s)] + s for s in SUGGESTION_SUFFIXES]
        found.append(stem[:MEMORABLE_LENGTH])
    return found


def _suggest(
    text: str, company: str | None, taken: Callable[[str], bool] | None
) -> tuple[str, ...]:
    stem = (_stem(company) if company is not None else None) or _stem(text)
    if stem is None:
        return ()
    ranked: list[tuple[int, int, str]] = []
    seen: set[str] = set()
    for preference, candidate in enumerate(_candidates(stem)):
        try:
            code = validate_code(candidate)
        except PartnerkitError:
            continue
        key = canonical_key(code)
        if key in seen:
            continue
        seen.add(key)
        if taken is not None and taken(code):
            continue
        cost = sum(weight for _, weight in _problems(code))
        ranked.append((cost, preference, code))
    ranked.sort()
    return tuple(code for _, _, code in ranked[:_MAX_SUGGESTIONS])
