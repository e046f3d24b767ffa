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


def _partnerkit_modules() -> list[str]:
    import pkgutil

    names = ["partnerkit"]
    for info in pkgutil.walk_packages(partnerkit.__path__, "partnerkit."):
        # Alembic revisions are scripts Alembic loads by path, not modules of the library.
        if ".migrations" not in info.name:
            names.append(info.name)
    return names


def test_every_module_declares_a_complete_all() -> None:
    import importlib
    import inspect

    incomplete: dict[str, list[str]] = {}
    for name in _partnerkit_modules():
        module = importlib.import_module(name)
        declared = getattr(module, "__all__", None)
        assert declared is not None, f"{name} has no __all__"
        assert all(hasattr(module, item) for item in declared), f"{name}.__all__ lies"
        defined = [
            item
            for item, value in vars(module).items()
            if not item.startswith("_")
            and (inspect.isclass(value) or inspect.isfunction(value))
            and getattr(value, "__module__", None) == name
        ]
        missing = sorted(set(defined) - set(declared))
        if missing:
            incomplete[name] = missing
    assert not incomplete, f"public names missing from __all__: {incomplete}"
