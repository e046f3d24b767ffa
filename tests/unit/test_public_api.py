"""The public surface: a sorted, resolvable `__all__`, and a light `import partnerkit`."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

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


API_PAGE = Path(__file__).resolve().parents[2] / "docs" / "reference" / "api.md"


def test_the_api_page_renders_exactly_the_public_surface() -> None:
    from partnerkit._surface import PUBLIC_MODULES

    targets = re.findall(r"^::: (\S+)$", API_PAGE.read_text(encoding="utf-8"), flags=re.M)
    assert len(targets) == len(set(targets)), "a target is rendered twice"
    names = {f"partnerkit.{name}" for name in partnerkit.__all__ if name != "__version__"}
    modules = set(PUBLIC_MODULES) - {"partnerkit"}
    assert set(targets) == names | modules, {
        "not rendered": sorted((names | modules) - set(targets)),
        "not public": sorted(set(targets) - names - modules),
    }


def test_every_public_module_imports_and_every_name_has_a_docstring() -> None:
    import importlib
    import inspect

    from partnerkit._surface import PUBLIC_MODULES

    undocumented = []
    for module_name in PUBLIC_MODULES:
        module = importlib.import_module(module_name)
        assert module.__doc__, f"{module_name} has no docstring"
        for item in module.__all__:
            value = getattr(module, item)
            if (inspect.isclass(value) or inspect.isfunction(value)) and not inspect.getdoc(value):
                undocumented.append(f"{module_name}.{item}")
    assert not undocumented, f"public names without a docstring: {undocumented}"
