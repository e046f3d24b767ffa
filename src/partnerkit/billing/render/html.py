"""HTML documents from Jinja2 templates a host can override: a host's directory is searched
first, then the shipped templates (`templates/`), which stay reachable as `partnerkit/<name>`
for a host template that extends one. Autoescaping is always on.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from partnerkit.billing.documents import StatementEntry, StatementHeader
from partnerkit.billing.render.formatting import (
    DocumentLocale,
    check_header,
    check_receipt,
    checked,
    document_locale,
)
from partnerkit.errors import InvalidInputError
from partnerkit.money import Money

if TYPE_CHECKING:
    import jinja2

__all__ = ["RECEIPT_TEMPLATE", "STATEMENT_TEMPLATE", "render_receipt_html", "render_statement_html"]

#: The names of the templates a host may override (and the shipped `base.html` they extend).
STATEMENT_TEMPLATE = "statement.html"
RECEIPT_TEMPLATE = "receipt.html"

#: The least a streamed chunk holds: Jinja2 yields every literal and value on its own.
_CHUNK_CHARS = 16_384


def _templates_dir(templates: object) -> str | None:
    if templates is None:
        return None
    if not isinstance(templates, str | os.PathLike):
        raise InvalidInputError(
            "The templates must be given as the path of a directory.",
            field="templates",
            hint=f"templates takes a str or a Path, not {type(templates).__name__}",
        )
    path = Path(templates)
    if not path.is_dir():
        # A mistyped directory would otherwise fall through to the shipped templates unseen.
        raise InvalidInputError(
            f"The templates directory {str(path)!r} does not exist.",
            field="templates",
            details={"value": str(path)},
        )
    return str(path.resolve())


@functools.lru_cache(maxsize=16)
def _environment(templates: str | None) -> jinja2.Environment:
    # Imported here: `import partnerkit` stays light for hosts that never render a document.
    import jinja2

    shipped = jinja2.PackageLoader("partnerkit.billing.render", "templates")
    loaders: list[jinja2.BaseLoader] = []
    if templates is not None:
        loaders.append(jinja2.FileSystemLoader(templates))
    loaders += [shipped, jinja2.PrefixLoader({"partnerkit": shipped})]
    environment = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        # Every template is HTML, a host's too: a customer name is never markup.
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters.update(
        money=_filter(DocumentLocale.money),
        day=_filter(DocumentLocale.day),
        long_day=_filter(DocumentLocale.long_day),
        kind=_filter(DocumentLocale.kind),
        describe=_filter(DocumentLocale.describe),
    )
    return environment


def _filter(method: Any) -> Any:
    import jinja2

    @jinja2.pass_context
    def applied(context: jinja2.runtime.Context, value: Any) -> str:
        text: str = method(context["document"], value)
        return text

    return applied


def _context(where: DocumentLocale, **values: Any) -> dict[str, Any]:
    return {
        "document": where,
        "words": where.words,
        "locale": where.name,
        "lang": where.name.split("_")[0],
        **values,
    }


def _chunks(pieces: Iterator[str]) -> Iterator[str]:
    gathered: list[str] = []
    size = 0
    for piece in pieces:
        gathered.append(piece)
        size += len(piece)
        if size >= _CHUNK_CHARS:
            yield "".join(gathered)
            gathered, size = [], 0
    if gathered:
        yield "".join(gathered)


def render_statement_html(
    header: object,
    entries: Iterable[StatementEntry],
    *,
    locale: str = "en_US",
    templates: str | os.PathLike[str] | None = None,
) -> Iterator[str]:
    """A statement of accounts as an HTML page, from the `statement.html` template.

    The shipped template prints the customer, the period, the opening balance, a table of the
    entries with their running balance and the closing balance, headings in the locale's
    language (English and German are shipped; other locales get English headings). A host
    puts its own `statement.html` (or `base.html`, which both documents extend) in `templates`;
    it may extend the shipped one as `partnerkit/statement.html` and override a block such as
    `letterhead`. Templates see `header`, `entries`, `issuer`, `words` (the headings),
    `locale`, `lang`, and the filters `money`, `day`, `long_day`, `kind` and `describe` (an
    entry's words, in the page's language). Everything is escaped: a customer named
    `<script>` is printed, never run. `entries` is read once, as the page is written.

    Args:
        header: The statement's `StatementHeader`.
        entries: The period's `StatementEntry` values in date order; any iterable.
        locale: A POSIX (`"de_DE"`) or BCP 47 (`"de-DE"`) locale name.
        templates: A directory of templates searched before the shipped ones.

    Returns:
        The page in chunks of at least 16 KB (the last may be shorter); `"".join(...)` gives
        the whole page.

    Raises:
        InvalidInputError: `locale` is not a known locale, `templates` is not a directory, or
            `header` or an entry is not one (`validation.invalid`).
        CurrencyMismatchError: An entry is in another currency than the statement
            (`money.currency_mismatch`), raised when that entry is reached.
    """
    head: StatementHeader = check_header(header)
    where = document_locale(locale).on_calendar(head.time_zone)
    template = _environment(_templates_dir(templates)).get_template(STATEMENT_TEMPLATE)
    context = _context(
        where,
        header=head,
        entries=checked(entries, head.currency),
        due=_due(head.closing),
        issuer=head.issuer,
    )
    return _chunks(template.generate(context))


def _due(closing: Money) -> Money:
    return -closing if closing.is_negative else closing


def render_receipt_html(
    receipt: object,
    *,
    locale: str = "en_US",
    templates: str | os.PathLike[str] | None = None,
) -> str:
    """A payment receipt as an HTML page, from the `receipt.html` template, ready to print.

    It prints the receipt's number, the customer, the payment's date, amount, method and
    reference, the invoices it paid with the amount applied to each, and what was kept as
    credit. Templates see `receipt`, `words`, `locale`, `lang` and the filters of
    `render_statement_html`; a host overrides `receipt.html` the same way.

    Args:
        receipt: The payment's `Receipt`.
        locale: A POSIX (`"de_DE"`) or BCP 47 (`"de-DE"`) locale name.
        templates: A directory of templates searched before the shipped ones.

    Returns:
        The whole page.

    Raises:
        InvalidInputError: `locale` is not a known locale, `templates` is not a directory, or
            `receipt` is not a receipt (`validation.invalid`).
    """
    paid = check_receipt(receipt)
    where = document_locale(locale).on_calendar(paid.time_zone)
    template = _environment(_templates_dir(templates)).get_template(RECEIPT_TEMPLATE)
    return template.render(_context(where, receipt=paid, issuer=paid.issuer))
