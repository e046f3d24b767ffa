"""Mutation testing of the rule modules: `nox -s mutate [-- src/partnerkit/money.py ...]`.

mutmut (pinned in the `mutation` extra) makes the mutants and runs, for each one, only the tests
of `[tool.mutmut]`'s selection that call the function it changed. This script decides before
the run which mutants only change words for a person (an error's message, remedy or details,
an explanation's reasons, an email's text) from the rules in `[tool.mutation]`, runs mutmut
over the others, and prints per module: mutants, message-only (excluded), logic mutants,
killed, survived, listed equivalents and the score, then the diff of every surviving logic
mutant. It exits non-zero when a module scores under the floor. mutmut mutates function bodies
only; for the modules of `[tool.mutation] constants` this script also moves each int constant
outside a function one up and one down, and runs the whole selection against each.

The run starts from a fresh `mutants/` every time: mutmut's cache would keep results of tests
that have changed since. The mutmut log is kept in `mutants/mutmut.log`.
"""

from __future__ import annotations

import argparse
import difflib
import fnmatch
import json
import os
import shutil
import subprocess
import sys
import time
import tomllib
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import libcst as cst
from libcst.metadata import MetadataWrapper, ParentNodeProvider, PositionProvider
from mutmut.mutation.file_mutation import create_mutations
from mutmut.mutation.trampoline_templates import mangle_function_name
from mutmut.utils.format_utils import get_mutant_name

ROOT = Path(__file__).resolve().parent.parent
MUTANTS = ROOT / "mutants"
LOG = MUTANTS / "mutmut.log"

#: mutmut's exit codes (mutmut.stats.status_by_exit_code) by what they mean here. A timeout or
#: a crash is a detected mutant; "no tests" is a survivor (nothing in the selection runs it).
KILLED = {1, 3, 24, -24, 152, 255, -9, -11, 36, 37}
SURVIVED = {0, 5, 33}
NOT_RUN = {None, 2, 34}


@dataclass(frozen=True)
class Mutant:
    name: str  # mutmut's, e.g. partnerkit.money.x_apportion__mutmut_3
    path: str  # src/partnerkit/money.py
    function: str  # partnerkit.money.apportion
    line: int
    original: str  # the changed node's code, before and after
    mutated: str
    diff: str
    message_only: bool
    equivalent: str | None  # the configured reason, for a listed equivalent mutant


# --- configuration --------------------------------------------------------------------------


@dataclass(frozen=True)
class Config:
    modules: list[str]
    floor: float
    #: callee pattern -> which of its arguments carry only words: positions ("0", "1:") or
    #: keywords ("remedy").
    message_arguments: dict[str, list[str]]
    #: function pattern -> why its every mutant changes only words (`field=` excepted).
    message_functions: dict[str, str]
    #: function pattern -> local variables that hold only words (a message being built).
    message_variables: dict[str, list[str]]
    equivalent: list[dict[str, str]]
    #: modules whose int constants outside functions get mutants of this script's own
    constants: list[str]


def load_config() -> Config:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]
    ours = data["mutation"]
    return Config(
        modules=list(data["mutmut"]["only_mutate"]),
        floor=float(ours["floor"]),
        message_arguments={k: [str(a) for a in v] for k, v in ours["message-arguments"].items()},
        message_functions=dict(ours.get("message-functions", {})),
        message_variables={k: list(v) for k, v in ours.get("message-variables", {}).items()},
        equivalent=list(ours.get("equivalent", [])),
        constants=list(ours.get("constants", [])),
    )


# --- the mutants and what they change -------------------------------------------------------


_EMPTY = cst.Module([])


def code(node: cst.CSTNode) -> str:
    return " ".join(_EMPTY.code_for_node(node).split())


def callee(call: cst.Call) -> str:
    """`a.b.c(...)` -> "a.b.c"; anything fancier -> its code."""
    parts: list[str] = []
    func: cst.BaseExpression = call.func
    while isinstance(func, cst.Attribute):
        parts.append(func.attr.value)
        func = func.value
    parts.append(func.value if isinstance(func, cst.Name) else code(func))
    return ".".join(reversed(parts))


def selected(arg: cst.Arg, index: int, selectors: Sequence[str]) -> bool:
    """Whether the argument at `index` (`arg`) is one the selectors name."""
    for selector in selectors:
        if arg.keyword is not None:
            if selector == arg.keyword.value:
                return True
        elif selector.endswith(":") and selector[:-1].isdigit():
            if index >= int(selector[:-1]):
                return True
        elif selector.isdigit() and index == int(selector):
            return True
    return False


class Classifier:
    def __init__(self, config: Config) -> None:
        self.config = config

    def selectors(self, call: cst.Call) -> list[str]:
        name = callee(call)
        last = name.split(".")[-1]
        found: list[str] = []
        for pattern, selectors in self.config.message_arguments.items():
            if fnmatch.fnmatchcase(name, pattern) or fnmatch.fnmatchcase(last, pattern):
                found += selectors
        return found

    def is_message_arg(self, call: cst.Call, arg: cst.Arg) -> bool:
        positional = [a for a in call.args if a.keyword is None]
        index = positional.index(arg) if arg in positional else -1
        return selected(arg, index, self.selectors(call))

    def message_only(
        self,
        function: str,
        original: cst.CSTNode,
        mutated: cst.CSTNode,
        parents: Any,
    ) -> bool:
        # A call with one argument dropped or set to None: what matters is that argument.
        changed = None
        if isinstance(original, cst.Call) and isinstance(mutated, cst.Call):
            changed = changed_argument(original, mutated)
            if changed is not None and is_logic_keyword(changed):
                return False
        ancestors = list(ancestry(original, parents))
        if any(isinstance(node, cst.Arg) and is_logic_keyword(node) for node in ancestors):
            return False
        if any(fnmatch.fnmatchcase(function, p) for p in self.config.message_functions):
            return True
        if changed is not None and self.is_message_arg(original, changed):  # type: ignore[arg-type]
            return True
        variables = {
            name
            for pattern, names in self.config.message_variables.items()
            if fnmatch.fnmatchcase(function, pattern)
            for name in names
        }
        for node, parent in zip(ancestors, [*ancestors[1:], None], strict=True):
            # Anything inside an argument that carries words (its message, its details dict...).
            if (
                isinstance(node, cst.Arg)
                and isinstance(parent, cst.Call)
                and self.is_message_arg(parent, node)
            ):
                return True
            # ... or in the value of a variable that holds a message being built.
            if isinstance(node, cst.Assign | cst.AnnAssign | cst.AugAssign):
                targets = (
                    [t.target for t in node.targets]
                    if isinstance(node, cst.Assign)
                    else [node.target]
                )
                if all(isinstance(t, cst.Name) and t.value in variables for t in targets):
                    return True
        return False


#: Keyword arguments that are never words, even in an error: the field a caller matches on.
LOGIC_KEYWORDS = frozenset({"field"})


def is_logic_keyword(arg: cst.Arg) -> bool:
    return arg.keyword is not None and arg.keyword.value in LOGIC_KEYWORDS


def ancestry(node: cst.CSTNode, parents: Any) -> Iterator[cst.CSTNode]:
    """`node` and its ancestors up to (not including) the function it is in."""
    while not isinstance(node, cst.FunctionDef):
        yield node
        if node not in parents:
            return
        node = parents[node]


def changed_argument(original: cst.Call, mutated: cst.Call) -> cst.Arg | None:
    """The argument of `original` that `mutated` dropped or replaced, if it is just one."""
    before, after = list(original.args), list(mutated.args)
    if len(after) == len(before) - 1:
        for index, arg in enumerate(before):
            if index == len(after) or not after[index].deep_equals(arg):
                return arg
    if len(after) == len(before):
        changed = [b for b, a in zip(before, after, strict=True) if not a.deep_equals(b)]
        if len(changed) == 1:
            return changed[0]
    return None


def qualified(module: str, function: cst.FunctionDef, classes: dict[cst.FunctionDef, str]) -> str:
    owner = classes.get(function)
    return f"{module}.{owner}.{function.name.value}" if owner else f"{module}.{function.name.value}"


def mutants_of(path: str, config: Config) -> Iterator[Mutant]:
    """Every mutant mutmut makes of `path`, named as mutmut names it, and classified."""
    source = (ROOT / path).read_text(encoding="utf-8")
    module, mutations, _, _ = create_mutations(path, source)
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    parents = wrapper.resolve(ParentNodeProvider)
    positions = wrapper.resolve(PositionProvider)
    dotted = path.removeprefix("src/").removesuffix(".py").replace("/", ".")
    classes: dict[cst.FunctionDef, str] = {}
    for statement in module.body:
        if isinstance(statement, cst.ClassDef) and isinstance(statement.body, cst.IndentedBlock):
            for child in statement.body.body:
                if isinstance(child, cst.FunctionDef):
                    classes[child] = statement.name.value
    classifier = Classifier(config)
    counters: dict[cst.FunctionDef, int] = defaultdict(int)
    # mutmut numbers the mutants of each function in the order it found them (the same order).
    for mutation in mutations:
        function = mutation.contained_by_top_level_function
        if not isinstance(function, cst.FunctionDef):
            continue
        counters[function] += 1
        mangled = mangle_function_name(name=function.name.value, class_name=classes.get(function))
        name = get_mutant_name(Path(path), f"{mangled}__mutmut_{counters[function]}")
        qualname = qualified(dotted, function, classes)
        original, mutated = code(mutation.original_node), code(mutation.mutated_node)
        diff = function_diff(function, mutation, path)
        yield Mutant(
            name=name,
            path=path,
            function=qualname,
            line=positions[mutation.original_node].start.line,
            original=original,
            mutated=mutated,
            diff=diff,
            message_only=classifier.message_only(
                qualname, mutation.original_node, mutation.mutated_node, parents
            ),
            equivalent=equivalent_reason(config, qualname, diff),
        )


def function_diff(function: cst.FunctionDef, mutation: Any, path: str) -> str:
    before = _EMPTY.code_for_node(function)
    after = _EMPTY.code_for_node(
        function.deep_replace(mutation.original_node, mutation.mutated_node)  # type: ignore[arg-type]
    )
    lines = difflib.unified_diff(
        before.splitlines(), after.splitlines(), f"{path}", f"{path}", n=1, lineterm=""
    )
    return "\n".join(list(lines)[2:])


def changed_lines(diff: str, sign: str) -> str:
    """The lines a diff removes ("-") or adds ("+"), stripped and joined by " / "."""
    return " / ".join(
        line[1:].strip() for line in diff.splitlines() if line.startswith(sign) and line[1:].strip()
    )


def equivalent_reason(config: Config, function: str, diff: str) -> str | None:
    """The reason configured for a mutant listed as equivalent: the entry's `function`,
    `mutant` (the lines the mutant adds, as shown in its diff), and the optional `removed`
    (the lines it removes) and `diff` (the whole diff, context lines included) are fnmatch
    patterns."""
    added, removed = changed_lines(diff, "+"), changed_lines(diff, "-")
    for entry in config.equivalent:
        if (
            fnmatch.fnmatchcase(function, entry["function"])
            and fnmatch.fnmatchcase(added, entry["mutant"])
            and fnmatch.fnmatchcase(removed, entry.get("removed", "*"))
            and fnmatch.fnmatchcase(diff, entry.get("diff", "*"))
        ):
            return entry["reason"]
    return None


# --- constants: what mutmut leaves alone ------------------------------------------------------


def constant_mutants(path: str, config: Config) -> Iterator[tuple[Mutant, str]]:
    """The int constants of `path` outside functions (`MappingPolicy`'s defaults), each one
    up and down: mutmut mutates function bodies only. Yields each mutant and the module's
    source with it applied."""
    source = (ROOT / path).read_text(encoding="utf-8")
    module = cst.parse_module(source)
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    positions = wrapper.resolve(PositionProvider)
    dotted = path.removeprefix("src/").removesuffix(".py").replace("/", ".")

    def assignments(body: Sequence[cst.CSTNode], owner: str) -> Iterator[tuple[str, cst.CSTNode]]:
        for statement in body:
            if isinstance(statement, cst.ClassDef) and isinstance(
                statement.body, cst.IndentedBlock
            ):
                yield from assignments(statement.body.body, f"{owner}.{statement.name.value}")
            if not isinstance(statement, cst.SimpleStatementLine):
                continue
            for small in statement.body:
                if isinstance(small, cst.AnnAssign | cst.Assign) and isinstance(
                    small.value, cst.Integer
                ):
                    target = small.target if isinstance(small, cst.AnnAssign) else None
                    if isinstance(small, cst.Assign) and len(small.targets) == 1:
                        target = small.targets[0].target
                    if isinstance(target, cst.Name):
                        yield f"{owner}.{target.value}", small

    lines = source.splitlines()
    for qualname, node in assignments(module.body, dotted):
        assert isinstance(node, cst.AnnAssign | cst.Assign) and isinstance(node.value, cst.Integer)
        value = node.value.evaluated_value
        line = positions[node].start.line
        for new in (value + 1, value - 1):
            mutated = module.deep_replace(node.value, cst.Integer(str(new)))
            mutated_source = mutated.code if isinstance(mutated, cst.Module) else source
            after = mutated_source.splitlines()[line - 1]
            diff = f"@@ -{line} +{line} @@\n-{lines[line - 1]}\n+{after}"
            yield (
                Mutant(
                    name=f"{qualname}={new}",
                    path=path,
                    function=qualname,
                    line=line,
                    original=str(value),
                    mutated=str(new),
                    diff=diff,
                    message_only=False,
                    equivalent=equivalent_reason(config, qualname, diff),
                ),
                mutated_source,
            )


def run_constants(mutants: list[tuple[Mutant, str]]) -> dict[str, int]:
    """Run the selection against each constant mutant, in a copy of the tree of its own."""
    mutmut = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["mutmut"]
    copy = MUTANTS / "constants"
    shutil.rmtree(copy, ignore_errors=True)
    # What mutmut copies too (`also_copy`): a test that reads a file there would otherwise fail
    # on every constant mutant, and count it killed.
    for part in ("src", "tests", *mutmut.get("also_copy", [])):
        shutil.copytree(ROOT / part, copy / part, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy2(ROOT / "pyproject.toml", copy / "pyproject.toml")
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-x",
        "-q",
        "-p",
        "no:cacheprovider",
        *mutmut["pytest_add_cli_args_test_selection"],
        *mutmut["pytest_add_cli_args"],
    ]
    env = {**os.environ, "PYTHONPATH": str(copy / "src")}
    codes: dict[str, int] = {}
    with LOG.open("a", encoding="utf-8") as log:
        for mutant, source in mutants:
            target = copy / mutant.path
            original = target.read_text(encoding="utf-8")
            target.write_text(source, encoding="utf-8")
            try:
                log.write(f"\n# {mutant.name}\n")
                log.flush()
                done = subprocess.run(
                    command, cwd=copy, stdout=log, stderr=subprocess.STDOUT, env=env
                )
            finally:
                target.write_text(original, encoding="utf-8")
            codes[mutant.name] = done.returncode
    return codes


# --- running mutmut ---------------------------------------------------------------------------


def run_mutmut(names: list[str], jobs: int) -> None:
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    command = [sys.executable, "-m", "mutmut", "run", "--max-children", str(jobs), *names]
    with LOG.open("w", encoding="utf-8") as log:
        done = subprocess.run(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=env)
    if done.returncode != 0:
        tail = LOG.read_text(encoding="utf-8", errors="replace")[-4000:]
        sys.exit(f"mutmut failed (exit {done.returncode}); the end of {LOG}:\n{tail}")


def results(paths: Sequence[str]) -> dict[str, int | None]:
    codes: dict[str, int | None] = {}
    for path in paths:
        meta = MUTANTS / f"{path}.meta"
        if meta.exists():
            codes.update(json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"])
    return codes


# --- the report -------------------------------------------------------------------------------


@dataclass
class Row:
    module: str
    mutants: int = 0
    message_only: int = 0
    killed: int = 0
    survived: int = 0
    equivalent: int = 0

    @property
    def logic(self) -> int:
        return self.mutants - self.message_only

    @property
    def score(self) -> float | None:
        counted = self.killed + self.survived
        return None if counted == 0 else 100 * self.killed / counted


def report(rows: list[Row], survivors: list[Mutant], stale: list[Mutant], floor: float) -> bool:
    header = ("module", "mutants", "message-only", "logic", "killed", "survived", "equiv.", "score")
    table = [header]
    for row in rows:
        score = "-" if row.score is None else f"{row.score:.1f} %"
        table.append(
            (
                row.module,
                str(row.mutants),
                str(row.message_only),
                str(row.logic),
                str(row.killed),
                str(row.survived),
                str(row.equivalent),
                score,
            )
        )
    widths = [max(len(line[i]) for line in table) for i in range(len(header))]
    print()
    for index, line in enumerate(table):
        cells = [line[0].ljust(widths[0])] + [
            c.rjust(w) for c, w in zip(line[1:], widths[1:], strict=True)
        ]
        print("  ".join(cells))
        if index == 0:
            print("  ".join("-" * w for w in widths))
    print(
        "\nscore = killed / (killed + survived), over logic mutants; listed equivalents are "
        "left out of both (see [tool.mutation] in pyproject.toml)."
    )
    if survivors:
        print(f"\n{len(survivors)} surviving logic mutant(s):")
        for mutant in survivors:
            print(f"\n# {mutant.name}  ({mutant.path}:{mutant.line}, {mutant.function})")
            print(mutant.diff)
    for mutant in stale:
        print(
            f"\nlisted as equivalent but killed, so not equivalent: {mutant.name} "
            f"({mutant.function}): {changed_lines(mutant.diff, '+')}"
        )
    low = [row for row in rows if row.score is not None and row.score < floor]
    for row in low:
        print(f"\n{row.module}: {row.score:.1f} % of logic mutants killed, under {floor:g} %")
    return not low and not stale


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="*", help="rule modules to run (default: all of them)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    args = parser.parse_args(argv)
    os.chdir(ROOT)
    config = load_config()
    modules = [m.removeprefix("./") for m in args.modules] or config.modules
    unknown = [m for m in modules if m not in config.modules]
    if unknown:
        parser.error(f"not a rule module of [tool.mutmut] only_mutate: {', '.join(unknown)}")

    started = time.monotonic()
    mutants = [mutant for path in modules for mutant in mutants_of(path, config)]
    logic = [m for m in mutants if not m.message_only]
    print(f"{len(mutants)} mutants in {len(modules)} module(s), {len(logic)} of them logic")
    constants = [
        pair
        for path in modules
        if path in config.constants
        for pair in constant_mutants(path, config)
    ]
    if constants:
        print(f"and {len(constants)} constant mutants (mutmut leaves constants alone)")
    shutil.rmtree(MUTANTS, ignore_errors=True)
    MUTANTS.mkdir()
    codes: dict[str, int | None] = {}
    if logic:  # mutmut given no names would run every mutant, message-only ones included
        run_mutmut([m.name for m in logic], args.jobs)
        codes.update(results(modules))
    missing = [m.name for m in logic if m.name not in codes]
    if missing:
        sys.exit(f"mutmut did not make these mutants (a different mutmut?): {missing[:5]}")
    codes.update(run_constants(constants))
    mutants += [mutant for mutant, _ in constants]

    rows = {path: Row(path) for path in modules}
    survivors: list[Mutant] = []
    stale: list[Mutant] = []
    for mutant in mutants:
        row = rows[mutant.path]
        row.mutants += 1
        if mutant.message_only:
            row.message_only += 1
            continue
        status = codes[mutant.name]
        if status in KILLED:
            if mutant.equivalent is not None:
                stale.append(mutant)
            row.killed += 1
        elif mutant.equivalent is not None:
            row.equivalent += 1
        elif status in SURVIVED:
            row.survived += 1
            survivors.append(mutant)
        else:
            sys.exit(f"{mutant.name} was not run (mutmut status {status}); see {LOG}")
    passed = report(list(rows.values()), survivors, stale, config.floor)
    print(f"\nwall time: {time.monotonic() - started:.0f} s with {args.jobs} worker(s)")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
