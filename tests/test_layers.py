"""The package's layers: data flows one way, a lower layer never imports a higher one, and no
module imports itself back through others (no circles). Read from the source with ``ast``, so
imports inside functions count too."""

from __future__ import annotations

import ast
from pathlib import Path

from conftest import ROOT

PACKAGE = ROOT / "ipssim"
LEAVES = ("ipssim.vocabulary", "ipssim.stats", "ipssim.validation", "ipssim.files",
          "ipssim.progress", "ipssim.parallel")
LAYERS = (
    ("ipssim._version",),
    ("ipssim.validation",),
    tuple(leaf for leaf in LEAVES if leaf != "ipssim.validation"),
    ("ipssim.money",),
    ("ipssim.scenario",),
    ("ipssim.model",),
    ("ipssim.accounts",),
    ("ipssim.experiments",),
    ("ipssim.calibration", "ipssim.sweep"),
    ("ipssim.reports",),
    ("ipssim.outputs",),
    ("ipssim.planner",),
    ("ipssim.api",),
    ("ipssim.app",),  # the web page, over the API; ``ipssim serve`` (cli) starts it
    ("ipssim.cli",),
    ("ipssim.__main__",),
)
"""From the bottom up; the README's "Where things live" draws the same order."""


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> set[str]:
    """The ipssim modules a file imports, anywhere in it."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("ipssim")}
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("ipssim"):
            for alias in node.names:  # ``from ipssim.sweep import analysis`` names a module
                candidate = f"{node.module}.{alias.name}"
                module = PACKAGE.parent / candidate.replace(".", "/")
                found.add(candidate if module.with_suffix(".py").exists() or module.is_dir()
                          else node.module)
    # ``import ipssim`` reaches the public names, which ipssim/__init__.py loads from ipssim.api
    return {"ipssim.api" if name == "ipssim" else name for name in found}


def group(module: str) -> str:
    """The layer entry a module belongs to (its package, or itself for a top-level module)."""
    for entries in LAYERS:
        for entry in entries:
            if module == entry or module.startswith(entry + "."):
                return entry
    raise AssertionError(f"{module} is in no layer: add it to LAYERS and to the README's tree")


def rank(module: str) -> int:
    return next(i for i, entries in enumerate(LAYERS) if group(module) in entries)


GRAPH = {module_name(p): imports(p) for p in PACKAGE.rglob("*.py") if p.name != "__init__.py"
         or p.parent != PACKAGE}


def test_every_module_is_in_a_layer():
    for module in GRAPH:
        group(module)


def test_no_module_imports_upward_or_sideways():
    wrong = []
    for module, imported in GRAPH.items():
        for target in imported:
            same_group = group(target) == group(module)
            if rank(target) > rank(module) or (rank(target) == rank(module) and not same_group):
                wrong.append(f"{module} imports {target}")
    assert not wrong, "\n".join(sorted(wrong))


def test_leaves_import_only_the_version_and_the_error_style():
    for module in LEAVES:
        assert GRAPH[module] <= {"ipssim._version", "ipssim.validation"}, module


def test_no_import_circles():
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for target in sorted(t for t in GRAPH.get(module, ()) if t in GRAPH):
            if state.get(target) == 1:
                raise AssertionError("import circle: " + " -> ".join([*path, module, target]))
            if target not in state:
                visit(target, [*path, module])
        state[module] = 2

    for module in sorted(GRAPH):
        if module not in state:
            visit(module, [])


def test_the_checks_see_a_wrong_import(tmp_path):
    """The walker finds an upward import written inside a function."""
    source = tmp_path / "x.py"
    source.write_text("def f():\n    from ipssim.cli import main\n")
    assert imports(source) == {"ipssim.cli"}
    assert rank("ipssim.cli") > rank("ipssim.model.engine")
