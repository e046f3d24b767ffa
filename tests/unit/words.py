"""The words scan of issue 8, item 9: what a partner, a customer or the partner team should
never read in a message, a remedy or the tour, because it is Python and not the product."""

from __future__ import annotations

import re

__all__ = ["PYTHONISMS", "pythonisms"]

#: What a person should never read in a message or a remedy. Quoted values ('zilliumCORP',
#: what the person typed) are left out of the identifier checks, not of the others.
PYTHONISMS: dict[str, re.Pattern[str]] = {
    "a kit call": re.compile(r"\bkit\."),
    "call parentheses": re.compile(r"\(\)|\b[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+\("),
    "a keyword argument": re.compile(r"\b[a-z][a-z_]*=(?!=)"),
    "code in backticks": re.compile(r"`"),
    "None/True/False": re.compile(r"\b(?:None|True|False)\b"),
    "a Python type": re.compile(
        r"\b(?:str|int|float|bool|dict|tuple|NoneType|Decimal|datetime|timedelta"
        r"|Principal|Kit)\b"
    ),
    "an exception class": re.compile(r"\b\w+Error\b"),
    "the seeds": re.compile(r"\bseeds?\b|\b00\d\b", re.IGNORECASE),
}
IDENTIFIERS: dict[str, re.Pattern[str]] = {
    "a snake_case name": re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b"),
    "a CamelCase name": re.compile(r"\b[A-Z][a-z0-9]+(?:[A-Z][a-z0-9]+)+\b"),
}
_QUOTED = re.compile(r"(?<!\w)'[^'\n]*'(?!\w)")


def pythonisms(text: str) -> list[str]:
    found = [name for name, pattern in PYTHONISMS.items() if pattern.search(text)]
    unquoted = _QUOTED.sub("''", text)
    found += [name for name, pattern in IDENTIFIERS.items() if pattern.search(unquoted)]
    return found
