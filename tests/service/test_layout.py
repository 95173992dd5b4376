"""The service's modules import each other one way: no import cycle, at module level or inside
functions (a deferred import only hides a cycle until the function runs)."""

from __future__ import annotations

import ast
import importlib
import importlib.util
import pkgutil
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import pytest

import activelab.service as service

PACKAGE = service.__name__
ROOT = Path(service.__file__).parent
# Run, never imported: `python -m activelab.service`, and Alembic's environment (it needs the
# connection `Store.upgrade()` hands over).
NOT_IMPORTABLE = {f"{PACKAGE}.__main__", f"{PACKAGE}.migrations.env"}


def _modules() -> dict[str, Path]:
    """Every module of the service package (packages by their __init__.py) → its file."""
    found = {PACKAGE: ROOT / "__init__.py"}
    for info in pkgutil.walk_packages([str(ROOT)], prefix=PACKAGE + "."):
        spec = importlib.util.find_spec(info.name)
        found[info.name] = Path(spec.origin)
    return found


MODULES = _modules()


def _imports(name: str, path: Path) -> set[str]:
    """The service modules `name` imports, anywhere in its source."""
    is_package = path.name == "__init__.py"
    anchor = name if is_package else name.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = importlib.util.resolve_name("." * node.level + base, anchor)
            submodules = {f"{base}.{alias.name}" for alias in node.names} & MODULES.keys()
            out.update(submodules or {base})
    return {m for m in out if m in MODULES and m != name}


def import_graph() -> dict[str, set[str]]:
    return {name: _imports(name, path) for name, path in MODULES.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    try:
        TopologicalSorter(graph).prepare()
    except CycleError as err:
        return err.args[1]
    return None


@pytest.mark.parametrize("name", sorted(MODULES.keys() - NOT_IMPORTABLE))
def test_every_service_module_imports(name):
    importlib.import_module(name)


def test_service_modules_import_without_a_cycle():
    cycle = find_cycle(import_graph())
    assert cycle is None, (
        "import cycle among service modules: " + " → ".join(cycle)
        + "; move what both sides need into a module that imports neither."
    )


def test_the_import_graph_sees_relative_deferred_and_package_imports():
    graph = import_graph()
    s = PACKAGE
    assert {f"{s}.leases", f"{s}.queries"} <= graph[f"{s}.labellog"]
    assert f"{s}.queries" in graph[f"{s}.leases"]
    assert f"{s}.labellog" not in graph[f"{s}.leases"]
    assert f"{s}.app" in graph[f"{s}.commands"]  # imported inside a function
    assert f"{s}.routes.items" in graph[f"{s}.routes"]  # `from . import items`
    assert f"{s}.export" in graph[f"{s}.routes.export"]  # `from .. import export`
    assert f"{s}.tables" in graph[f"{s}.migrations.env"]  # absolute import


def test_find_cycle_reports_a_deferred_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None
    assert set(find_cycle({"labels": {"leases"}, "leases": {"labels"}})) == {"labels", "leases"}
