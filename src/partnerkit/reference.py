"""The error reference page (docs/reference/errors.md), rendered from `partnerkit.errors.ERRORS`.

Each package defines its errors in its own `errors.py`; `ERROR_MODULES` names them all.

Run `python -m partnerkit.reference docs/reference/errors.md` after adding or changing an error.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence
from pathlib import Path

from partnerkit import errors
from partnerkit.errors import ERRORS, Audience, PartnerkitError

__all__ = [
    "AUDIENCE_WORDS",
    "CATEGORIES",
    "ERROR_MODULES",
    "category_of",
    "error_reference_markdown",
    "main",
]

#: Where errors are defined: the kernel's tree, then each domain package's own `errors.py`.
ERROR_MODULES: tuple[str, ...] = (
    "partnerkit.errors",
    "partnerkit.access.errors",
    "partnerkit.catalog.errors",
    "partnerkit.customers.errors",
    "partnerkit.mapping.errors",
    "partnerkit.billing.payment_errors",
    "partnerkit.billing.render.errors",
    "partnerkit.billing.errors",
    "partnerkit.subscriptions.errors",
)

#: The category bases in the order the page lists them; anything else goes under "Other".
CATEGORIES: tuple[type[PartnerkitError], ...] = (
    errors.ValidationError,
    errors.NotFoundError,
    errors.ConflictError,
    errors.PermissionDeniedError,
    errors.InvalidTransitionError,
    errors.FeatureDisabledError,
    errors.PaymentError,
    errors.StorageError,
)

#: How the page names each reader, in the "Who reads it" column.
AUDIENCE_WORDS: dict[Audience, str] = {
    Audience.PARTNER: "partner",
    Audience.CUSTOMER: "customer admin or user",
    Audience.STAFF: "partner team",
    Audience.DEVELOPER: "developer",
}

_REGENERATE = "python -m partnerkit.reference docs/reference/errors.md"

_INTRO = f"""\
# Error codes

<!-- Generated from partnerkit.errors.ERRORS; do not edit by hand.
     Regenerate with: {_REGENERATE} -->

Every error partnerkit raises on purpose is a `PartnerkitError` with:

- `code`: a stable identifier such as `partner_code.taken`. Codes never change meaning and are
  never reused, so a program (or a support team) can rely on them across releases;
- `message`: what went wrong, written for the person who reads it;
- `details`: the facts a program may act on (the offending `field`, values, ids);
- `remedy`: what that person can do about it, when there is something to do
  (the "What they can do" column below is each code's default remedy);
- `hint`: for the developer, the call that does what the remedy says, or what the program did
  wrong. It is never meant for the person's screen.

Each code says who reads its message and remedy (its `audience`, the "Who reads it" column):
a **partner** in the partner portal, a **customer admin or user** (Tag a Partner, approvals,
sign-up links), the **partner team** acting for them, or the **developer** who runs the
application, for errors no partner or customer could cause. Messages and remedies are written
in that person's words, the product's, and never name a Python call; that is what the
developer hints under each table are for.

`str(err)` gives `[code] message — remedy`, `err.as_dict()` a JSON-ready view for APIs, and
`err.as_dict(include_internal=True)` adds the hint and the operator-only details for logs; a
traceback shows the hint as a note.

Codes are grouped by category; catch a whole category with its base class (every base
lives in `partnerkit.errors`, the common ones are also exported from `partnerkit`).
`ValidationError` is also a `ValueError` and `NotFoundError` a `LookupError`, so code written
against the built-ins keeps working. A record the caller may not see raises the same
`NotFoundError` as one that does not exist.
"""

_OTHER_TITLE = "Configuration and other errors"
_OTHER_INTRO = (
    "Errors outside the categories above, such as a kit wired or configured wrongly "
    "(`ConfigurationError`). They point at the host application's set-up rather than at a "
    "user's input."
)


def category_of(cls: type[PartnerkitError]) -> type[PartnerkitError] | None:
    """The category base `cls` belongs to, or None for the "other" section."""
    for base in CATEGORIES:
        if issubclass(cls, base):
            return base
    return None


def _cell(text: str) -> str:
    # A table cell is one line, and a bare "|" would end it early.
    return " ".join(text.split()).replace("|", "\\|")


def _builtin_note(base: type[PartnerkitError]) -> str:
    builtins = [
        b.__name__
        for b in base.__mro__[1:]
        if b.__module__ == "builtins" and b not in (Exception, BaseException, object)
    ]
    if not builtins:
        return ""
    return " It is also a " + " and a ".join(f"`{name}`" for name in builtins) + "."


def _table(classes: Sequence[type[PartnerkitError]]) -> list[str]:
    if not classes:
        return ["No codes in this category yet."]
    lines = [
        "| Code | Exception class | Who reads it | When | What they can do |",
        "| --- | --- | --- | --- | --- |",
    ]
    ordered = sorted(classes, key=lambda c: c.code)
    for cls in ordered:
        remedy = _cell(cls.default_remedy) if cls.default_remedy else "—"
        readers = ", ".join(AUDIENCE_WORDS[reader] for reader in cls.audience)
        lines.append(
            f"| `{cls.code}` | `{cls.__name__}` | {readers} | {_cell(cls.summary)} | {remedy} |"
        )
    hinted = [cls for cls in ordered if cls.default_hint]
    if hinted:
        lines += ["", "Developer hints:", ""]
        lines += [f"- `{cls.code}`: {_hint(cls.default_hint or '')}" for cls in hinted]
    return lines


def _hint(text: str) -> str:
    # A hint names calls: show it as code, so that Markdown leaves its underscores alone.
    return f"`{' '.join(text.split())}`"


def error_reference_markdown() -> str:
    """The whole error reference page as Markdown, one table per category, sorted by code.

    Lists the concrete classes of `ERROR_MODULES` (imported here), so the page does not depend
    on which other modules happen to be imported.
    """
    for name in ERROR_MODULES:
        importlib.import_module(name)
    documented = [cls for cls in ERRORS.values() if cls.__module__ in ERROR_MODULES]
    grouped: dict[type[PartnerkitError] | None, list[type[PartnerkitError]]] = {
        base: [] for base in (*CATEGORIES, None)
    }
    for cls in documented:
        grouped[category_of(cls)].append(cls)

    lines = [_INTRO.rstrip("\n")]
    for base in CATEGORIES:
        lines += [
            "",
            f"## {base.__name__}",
            "",
            f"{_cell(base.summary)} Catch with `except partnerkit.errors.{base.__name__}`."
            + _builtin_note(base),
            "",
            *_table(grouped[base]),
        ]
    lines += ["", f"## {_OTHER_TITLE}", "", _OTHER_INTRO, "", *_table(grouped[None])]
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """Write the page to the path given as the only argument, or to stdout."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) > 1:
        print(f"usage: {_REGENERATE}", file=sys.stderr)
        return 2
    page = error_reference_markdown()
    if args:
        Path(args[0]).write_text(page, encoding="utf-8", newline="\n")
    else:
        sys.stdout.write(page)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
