"""The architecture stays one-way: no module imports another's private name, and the model layer
(`dhopt/model/`, reduction, bounds, MIP start) reads only `dhopt.inputs.Inputs`, never the raw case."""

from __future__ import annotations

import ast
from pathlib import Path

import dhopt

PACKAGE = Path(dhopt.__file__).parent
MODEL_LAYER = [
    *sorted((PACKAGE / "model").glob("*.py")),
    *(PACKAGE / f"{n}.py" for n in ("reduce", "bounds", "start", "tree_search")),
]


def _imports(path: Path):
    """(module, name) of every `from dhopt... import name` in `path`."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("dhopt"):
            yield from ((node.module, alias.name) for alias in node.names)


def test_no_module_imports_a_private_name_of_another():
    private = [
        f"{path.relative_to(PACKAGE.parent)}: from {module} import {name}"
        for path in sorted(PACKAGE.rglob("*.py"))
        for module, name in _imports(path)
        if name.startswith("_") and not name.endswith("__")  # dunders such as __version__ are public
    ]
    assert private == []


def test_the_model_layer_reads_no_raw_case():
    offending = []
    for path in MODEL_LAYER:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr in ("case", "spec"):
                offending.append(f"{path.name}:{node.lineno}: .{node.attr}")
        offending += [f"{path.name}: imports {module}" for module, _ in _imports(path) if module == "dhopt.case"]
    assert len(MODEL_LAYER) >= 10 and offending == []
