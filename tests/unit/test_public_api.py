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


# --- what the API page says about each call ------------------------------------------------
#
# The page is a host developer's whole manual: each call says what it does, its arguments, what
# it returns and which typed errors it raises, in Google style (mkdocs.yml's handler), and names
# nothing the page does not render.

#: Says that a call raises nothing of its own, where a `Raises:` section would be invented.
RAISES_NOTHING = "Raises nothing"


def _rendered_classes() -> list[type]:
    """The classes whose members the page renders: partnerkit's own and those of the public
    modules (the ports, which adapters implement, and the contract tests excepted)."""
    import importlib
    import inspect

    from partnerkit._surface import PUBLIC_MODULES

    skipped = ("partnerkit.ports", "partnerkit.stores", "partnerkit.testing.conformance")
    found: dict[str, type] = {}
    for module_name in PUBLIC_MODULES:
        if module_name.startswith(skipped) or module_name.endswith(".ports"):
            continue
        module = importlib.import_module(module_name)
        for item in module.__all__:
            value = getattr(module, item)
            if inspect.isclass(value) and value.__module__.startswith("partnerkit"):
                found[f"{value.__module__}.{value.__qualname__}"] = value
    return sorted(found.values(), key=lambda cls: (cls.__module__, cls.__qualname__))


def _public_functions() -> dict[str, object]:
    """Every function of the surface by its public name, pytest fixtures unwrapped."""
    import importlib
    import inspect

    from partnerkit._surface import PUBLIC_MODULES

    found: dict[str, object] = {}
    for module_name in PUBLIC_MODULES:
        module = importlib.import_module(module_name)
        for item in module.__all__:
            value = getattr(module, item)
            function = getattr(value, "__wrapped__", value)
            if inspect.isfunction(function) and function.__module__.startswith("partnerkit"):
                found.setdefault(f"{function.__module__}.{function.__qualname__}", function)
    return found


def _methods(cls: type) -> dict[str, object]:
    """The public methods `cls` defines itself (not attrs' generated ones), unwrapped."""
    import inspect

    found: dict[str, object] = {}
    for name, member in vars(cls).items():
        if name.startswith("_"):
            continue
        function = getattr(member, "__func__", member)  # classmethod, staticmethod
        function = getattr(function, "__wrapped__", function)  # contextmanager
        if inspect.isfunction(function):
            found[f"{cls.__module__}.{cls.__qualname__}.{name}"] = function
    return found


def _missing_sections(function: object) -> list[str]:
    import inspect

    doc = inspect.getdoc(function) or ""
    signature = inspect.signature(function)  # type: ignore[arg-type]
    takes = [name for name in signature.parameters if name not in ("self", "cls")]
    returns = signature.return_annotation not in ("None", "NoReturn", None, inspect._empty)
    missing = []
    if takes and "\nArgs:\n" not in f"\n{doc}":
        missing.append("Args")
    elif takes:
        section = doc.split("Args:\n", 1)[1]
        undocumented = [n for n in takes if not re.search(rf"^\s+\**{n}( \(.*\))?:", section, re.M)]
        missing += [f"Args[{name}]" for name in undocumented]
    if returns and "\nReturns:\n" not in doc and "\nYields:\n" not in doc:
        missing.append("Returns")
    if "\nRaises:\n" not in doc and RAISES_NOTHING not in doc:
        missing.append("Raises")
    return missing


def test_every_public_call_says_its_args_returns_and_raises() -> None:
    import inspect

    calls = dict(_public_functions())
    for cls in _rendered_classes():
        calls.update(_methods(cls))
    assert len(calls) > 150, "the walk found too few calls to be looking at the surface"
    incomplete = {}
    for name, function in calls.items():
        if not inspect.getdoc(function):
            incomplete[name] = ["docstring"]
        elif missing := _missing_sections(function):
            incomplete[name] = missing
    assert not incomplete, f"calls whose docstring lacks sections: {incomplete}"


def test_every_public_property_and_constructor_is_documented() -> None:
    # The page renders only what has a docstring: an undocumented property is invisible.
    import inspect

    problems = []
    for cls in _rendered_classes():
        for name, member in vars(cls).items():
            if isinstance(member, property) and not name.startswith("_") and not member.__doc__:
                problems.append(f"{cls.__qualname__}.{name}: no docstring")
        init = vars(cls).get("__init__")
        # A constructor written by hand (not attrs', not a Protocol's) is documented in the
        # class docstring; the services take the kit's internals and are never built by hand.
        if (
            inspect.isfunction(init)
            and "Method generated by attrs" not in (init.__doc__ or "")
            and not getattr(cls, "_is_protocol", False)
        ):
            params = [n for n in inspect.signature(init).parameters if n != "self"]
            documented = "\nArgs:\n" in f"\n{inspect.getdoc(cls)}"
            if params and params[0] != "runtime" and not documented:
                problems.append(f"{cls.__qualname__}: constructor without Args")
    assert not problems, problems


#: The internal classes a docstring once sent readers to: the API page renders none of them.
INTERNAL_NAMES = (
    "HistoryService",
    "ChannelsService",
    "AddingService",
    "TransfersService",
    "TrackingService",
    "RecordKeeper",
    "Runtime",
    "Wiring",
    "PartnerProgram",
)


def _rendered_docstrings() -> dict[str, str]:
    """Every docstring the API page shows, by the name it is shown under."""
    import importlib
    import inspect

    from partnerkit._surface import PUBLIC_MODULES

    docs: dict[str, str] = {}
    for module_name in PUBLIC_MODULES:
        module = importlib.import_module(module_name)
        docs[module_name] = inspect.getdoc(module) or ""
        for item in module.__all__:
            value = getattr(module, item)
            docs[f"{module_name}.{item}"] = inspect.getdoc(value) or ""
            if not inspect.isclass(value):
                continue
            for name, member in vars(value).items():
                if name.startswith("_"):
                    continue
                target = member.fget if isinstance(member, property) else member
                target = getattr(target, "__func__", target)
                if getattr(target, "__doc__", None) and callable(target):
                    docs[f"{module_name}.{item}.{name}"] = inspect.getdoc(target) or ""
    return docs


def _internal_classes() -> set[str]:
    """The classes partnerkit defines that the surface does not export, less those a public
    signature shows anyway (a docstring may name the type its own signature names)."""
    import importlib
    import inspect

    from partnerkit._surface import PUBLIC_MODULES

    public: set[str] = set()
    for module_name in PUBLIC_MODULES:
        public.update(importlib.import_module(module_name).__all__)
    shown: set[str] = set()
    for function in [*_public_functions().values()] + [
        f for cls in _rendered_classes() for f in _methods(cls).values()
    ]:
        shown.update(re.findall(r"[A-Z]\w+", str(inspect.signature(function))))  # type: ignore[arg-type]
    internal = set()
    for module_name in _partnerkit_modules():
        for name, value in vars(importlib.import_module(module_name)).items():
            if (
                inspect.isclass(value)
                and value.__module__ == module_name
                and not name.startswith("_")
                and name not in public
            ):
                internal.add(name)
    return internal - shown


def test_no_public_docstring_sends_readers_to_internals() -> None:
    import importlib

    from partnerkit._surface import PUBLIC_MODULES

    internal = set(INTERNAL_NAMES) | _internal_classes()
    public_modules = set(PUBLIC_MODULES)
    offending: dict[str, list[str]] = {}
    for shown_as, doc in _rendered_docstrings().items():
        # A compound name (`HistoryService`) is one wherever it appears; a one-word one
        # (`Loaded`) only when quoted as code, since it may start a sentence.
        quoted = " ".join(re.findall(r"`([^`]+)`", doc))
        found = sorted(
            name
            for name in internal
            if re.search(rf"\b{name}\b", doc if sum(c.isupper() for c in name) > 1 else quoted)
        )
        for path in re.findall(r"`((?:partnerkit\.)?[a-z_]+(?:\.[A-Za-z_]\w*)+)", doc):
            parts = path.removeprefix("partnerkit.").split(".")
            if parts[0] == "kit":
                continue  # an attribute of the kit, such as `kit.mapping.tag_partner`
            if any(part.startswith("_") for part in parts):
                found.append(path)
                continue
            # A Python path: the longest prefix naming a partnerkit module, then attributes.
            # Error codes and event topics (`catalog.product_taken`) resolve to nothing.
            for cut in range(len(parts), 0, -1):
                module_name = "partnerkit." + ".".join(parts[:cut])
                try:
                    target: object = importlib.import_module(module_name)
                except ModuleNotFoundError:
                    continue
                for part in parts[cut:]:
                    target = getattr(target, part, None)
                package_alone = cut == len(parts) and any(
                    m.startswith(module_name + ".") for m in public_modules
                )
                if target is not None and module_name not in public_modules and not package_alone:
                    found.append(path)
                break
        if found:
            offending[shown_as] = found
    assert not offending, f"docstrings naming what the API page does not render: {offending}"


def _raises_items(doc: str) -> list[tuple[str, str]]:
    """(exception name, its description) for each item of a Google `Raises:` section."""
    section = re.search(r"^Raises:\n((?:[ \t]+.*\n?|\n)*)", doc, re.M)
    if section is None:
        return []
    items = re.split(r"^ {4}(?=[\w.]+: )", section.group(1), flags=re.M)
    return [
        (name, text) for item in items if ": " in item for name, _, text in [item.partition(": ")]
    ]


def test_every_raised_error_exists_and_is_named_with_its_code() -> None:
    # "Raises: CustomerNotFoundError: ... (`customer.not_found`)": the class must be one
    # partnerkit raises, and its stable code the one the reader will see in `error.code`.
    import builtins
    import inspect

    from partnerkit.errors import ERRORS, PartnerkitError

    by_name: dict[str, type[PartnerkitError]] = {}
    for cls in ERRORS.values():
        for klass in cls.__mro__:
            if isinstance(klass, type) and issubclass(klass, PartnerkitError):
                by_name[klass.__name__] = klass
    calls = dict(_public_functions())
    for cls in _rendered_classes():
        calls.update(_methods(cls))
    docs = {name: inspect.getdoc(function) or "" for name, function in calls.items()}
    docs.update({cls.__qualname__: inspect.getdoc(cls) or "" for cls in _rendered_classes()})
    wrong = []
    checked = 0
    for shown_as, doc in docs.items():
        for name, text in _raises_items(doc):
            checked += 1
            error = by_name.get(name)
            if error is None:
                # Not partnerkit's: a built-in, or a test helper's pytest or driver error.
                if not (isinstance(getattr(builtins, name, None), type) or "." in name):
                    wrong.append(f"{shown_as}: {name} is no error partnerkit has")
            elif not error.abstract and f"`{error.code}`" not in text:
                wrong.append(f"{shown_as}: {name} without its code `{error.code}`")
    assert checked > 300, "the walk found too few Raises entries to be looking at the page"
    assert not wrong, wrong
