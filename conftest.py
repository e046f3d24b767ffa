"""Run the code in README.md and docs/ as tests (Sybil): the docs never lie.

Every ```python block of a page runs in order, in one namespace per page; a block that starts
with `>>>` is a doctest whose output is checked. Each page runs in a fresh temporary working
directory, so an example that writes `partnerkit.db` leaves nothing in the repository.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from doctest import ELLIPSIS, NORMALIZE_WHITESPACE
from typing import Any

from sybil import Sybil
from sybil.parsers.markdown import PythonCodeBlockParser, SkipParser

_CWD = "__sybil_cwd__"
_TMP = "__sybil_tmp__"


def _enter_tmp_dir(namespace: dict[str, Any]) -> None:
    namespace[_CWD] = os.getcwd()
    namespace[_TMP] = tempfile.mkdtemp(prefix="partnerkit-docs-")
    os.chdir(namespace[_TMP])


def _leave_tmp_dir(namespace: dict[str, Any]) -> None:
    kit = namespace.get("kit")
    if kit is not None and hasattr(kit, "close"):
        kit.close()
    os.chdir(namespace.pop(_CWD))
    shutil.rmtree(namespace.pop(_TMP), ignore_errors=True)


# The markdown PythonCodeBlockParser runs plain ```python blocks and parses the ones that start
# with ">>>" as doctests; a separate DocTestParser would see those same lines again and Sybil
# refuses overlapping examples.
pytest_collect_file = Sybil(
    parsers=[
        PythonCodeBlockParser(doctest_optionflags=ELLIPSIS | NORMALIZE_WHITESPACE),
        SkipParser(),
    ],
    # Path.match patterns (no recursive "**" before Python 3.13): pages up to three levels deep.
    patterns=["README.md", "docs/*.md", "docs/*/*.md", "docs/*/*/*.md"],
    setup=_enter_tmp_dir,
    teardown=_leave_tmp_dir,
).pytest()
