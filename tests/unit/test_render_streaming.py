"""Text, HTML and CSV stream (issue 10, item 8: "a customer with 100,000 entries costs
constant memory"): the entries are read as the document is written, never gathered first."""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable, Iterator

import pytest
from render_samples import many_closing, many_entries, statement

import partnerkit as pk

Render = Callable[[pk.StatementHeader, Iterator[pk.StatementEntry]], Iterator[str]]

FORMATS: dict[str, Render] = {
    "text": lambda head, entries: pk.render_statement_text(head, entries, locale="de_DE"),
    "html": lambda head, entries: pk.render_statement_html(head, entries, locale="de_DE"),
    "csv": lambda head, entries: pk.render_statement_csv(head, entries),
}


def _peak(render: Render, n: int) -> tuple[int, int]:
    """Python's peak memory (bytes) while a statement of `n` entries is rendered and thrown
    away chunk by chunk, and the characters written."""
    head = statement(closing=many_closing(n), entry_count=n)
    tracemalloc.start()
    try:
        written = sum(len(chunk) for chunk in render(head, many_entries(n)))
        return tracemalloc.get_traced_memory()[1], written
    finally:
        tracemalloc.stop()


def test_a_100000_entry_statement_as_csv_costs_what_a_1000_entry_one_does() -> None:
    render = FORMATS["csv"]
    _peak(render, 100)  # warm-up: what is loaded once
    small, _ = _peak(render, 1_000)
    large, written = _peak(render, 100_000)
    assert written > 7_000_000  # the 100,000 rows were written ...
    assert large < 2_000_000  # ... in under 2 MB, as 1,000 rows are
    assert large < small + 500_000


@pytest.mark.parametrize("name", ["text", "html"])
def test_text_and_html_stay_flat_as_the_statement_grows(name: str) -> None:
    render = FORMATS[name]
    _peak(render, 100)
    small, _ = _peak(render, 500)
    large, written = _peak(render, 5_000)
    assert written > 500_000
    # The formatting caches (a bounded few thousand amounts and days) fill up, and no more.
    assert large < 4_000_000
    assert large < small + 1_500_000


@pytest.mark.parametrize("name", list(FORMATS))
def test_the_first_chunk_comes_before_the_entries_are_all_read(name: str) -> None:
    n = 5_000
    produced = 0

    def entries() -> Iterator[pk.StatementEntry]:
        nonlocal produced
        for entry in many_entries(n):
            produced += 1
            yield entry

    chunks = FORMATS[name](statement(closing=many_closing(n), entry_count=n), entries())
    assert produced == 0  # nothing is read until the first chunk is asked for
    next(chunks)
    assert 0 < produced < 1_000
    ahead = []
    for _ in chunks:
        ahead.append(produced)
    assert produced == n
    assert len(ahead) > 5  # many chunks, each after a few hundred more entries
