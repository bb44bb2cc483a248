"""The import rules of the code map (README "Code map"), checked on every run.

Every ``import`` in service/, content/ and credentials/ is read from the source, including the
ones inside functions, so a lazy import cannot hide a circle or a wrong direction.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("service", "content", "credentials")

# service/'s layers, lowest first. A module may import from its own package and from lower
# layers; never from a higher layer or from another package of its own layer.
LAYERS: tuple[frozenset[str], ...] = (
    frozenset({"core"}),
    frozenset({"jobs"}),
    frozenset({"accounts"}),
    frozenset({"training"}),
    frozenset({"workforce"}),
    frozenset({"packages", "tallies", "federation"}),
    frozenset({"issuing", "lrs"}),
    frozenset({"imports", "webhooks"}),
    frozenset({"api"}),
    frozenset({"web"}),
    # Entry points and the composition root: they put everything together.
    frozenset({"app", "cli", "wiring", "worker", "model_registry"}),
)


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            found[_module_name(path)] = path
    return found


def _imported(module: str, path: Path, known: Mapping[str, Path]) -> set[str]:
    """The project modules ``module`` imports (the nearest known module of each name)."""
    is_package = path.name == "__init__.py"
    targets: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = module.split(".") if is_package else module.split(".")[:-1]
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            names = [f"{base}.{alias.name}" for alias in node.names] + [base]
        for name in names:
            while name and name not in known:
                name = name.rpartition(".")[0]
            if name and name != module:
                targets.add(name)
    return targets


def import_graph() -> dict[str, set[str]]:
    known = _modules()
    return {module: _imported(module, path, known) for module, path in known.items()}


def find_cycles(graph: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return cycles


def _layer_of(module: str) -> tuple[int, str] | None:
    """(layer index, package) of a service module; None outside service/."""
    parts = module.split(".")
    if parts[0] != "service" or len(parts) < 2:
        return None
    for depth, members in enumerate(LAYERS):
        if parts[1] in members:
            # The entry points form one group: they may use each other.
            return depth, "entry points" if depth == len(LAYERS) - 1 else parts[1]
    raise AssertionError(f"{module}: service.{parts[1]} has no place in LAYERS")


def forbidden_imports(graph: Mapping[str, Iterable[str]]) -> list[str]:
    wrong = []
    for module, targets in graph.items():
        for target in targets:
            top, target_top = module.split(".")[0], target.split(".")[0]
            if top in ("content", "credentials") and target_top == "service":
                wrong.append(f"{module} -> {target} (libraries never import service)")
                continue
            here, there = _layer_of(module), _layer_of(target)
            if here is None or there is None or here[1] == there[1]:
                continue
            if there[0] >= here[0]:
                wrong.append(f"{module} -> {target} (service.{there[1]} is not below it)")
            elif target.startswith("service.api.routes") and module != "service.app":
                wrong.append(f"{module} -> {target} (routers are mounted only by the app)")
    return sorted(wrong)


def test_no_import_cycles():
    assert find_cycles(import_graph()) == []


def test_imports_point_down_the_layers():
    assert forbidden_imports(import_graph()) == []


def test_every_service_package_has_a_layer():
    for path in sorted((ROOT / "service").iterdir()):
        if path.name.startswith("__") or path.suffix not in (".py", ""):
            continue
        if path.is_dir() and not (path / "__init__.py").exists():
            continue
        assert _layer_of(f"service.{path.stem}") is not None


# The checks themselves must be able to fail.


def test_a_cycle_is_found():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert find_cycles(graph) == [["a", "b", "c"]]


@pytest.mark.parametrize(
    ("module", "target"),
    [
        ("service.training.completion", "service.tallies.rollups"),  # up a layer
        ("service.training.access", "service.api.deps"),  # a domain reaching HTTP
        ("service.tallies.rollups", "service.packages.jobs"),  # sideways in one layer
        ("service.jobs.handlers", "service.issuing.completion_job"),  # runner -> handler
        ("service.web.pages", "service.api.routes.credentials_verify"),  # a router
        ("credentials.verify", "service.core.settings"),  # a library reaching the service
    ],
)
def test_a_wrong_direction_is_found(module, target):
    assert forbidden_imports({module: {target}}) != []


def test_imports_inside_functions_are_seen(tmp_path):
    source = tmp_path / "late.py"
    source.write_text("def f():\n    from service.api import deps\n", encoding="utf-8")
    known = {"service.api.deps": source, "service.training.late": source}
    assert _imported("service.training.late", source, known) == {"service.api.deps"}
