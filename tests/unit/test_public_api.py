"""The public surface: a sorted, resolvable `__all__`, and a light `import partnerkit`."""

from __future__ import annotations

import json
import subprocess
import sys

import partnerkit


def test_all_is_sorted_and_unique() -> None:
    assert list(partnerkit.__all__) == sorted(partnerkit.__all__)
    assert len(set(partnerkit.__all__)) == len(partnerkit.__all__)


def test_every_public_name_resolves() -> None:
    missing = [name for name in partnerkit.__all__ if not hasattr(partnerkit, name)]
    assert not missing


def test_import_does_not_load_sql_libraries() -> None:
    script = (
        "import json, sys, partnerkit; "
        "print(json.dumps(sorted(m for m in sys.modules "
        "if m.split('.')[0] in ('sqlalchemy', 'alembic'))))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert json.loads(result.stdout) == []
