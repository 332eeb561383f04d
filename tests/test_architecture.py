"""docs/architecture.md tells the truth: every import between seqlens modules is one the
layer table allows, and no package imports another package's private module."""

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "seqlens"


def _layer_table() -> dict[str, set[str] | None]:
    """module -> allowed dependencies (None = everything above), in the table's order."""
    table = {}
    for line in (ROOT / "docs" / "architecture.md").read_text().splitlines():
        match = re.match(r"\| `seqlens\.(\w+)` \|.*\| (.+) \|$", line)
        if match:
            deps = match.group(2).strip()
            if deps == "everything above":
                table[match.group(1)] = None
            else:
                table[match.group(1)] = set() if deps == "-" else {re.match(r"\w+", d.strip()).group(0) for d in deps.split(",")}
    return table


def _imports(path: Path) -> list[tuple[str, str, int]]:
    """``(top-level seqlens module, full dotted name, line)`` of every seqlens import in ``path``."""
    package = ["seqlens", *path.relative_to(SRC).with_suffix("").parts]
    if path.name == "__init__.py":
        package = package[:-1]
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + (path.name == "__init__.py")]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            targets = [name] + [f"{name}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        else:
            continue
        for target in targets:
            parts = target.split(".")
            if parts[0] == "seqlens" and len(parts) > 1:
                found.append((parts[1], target, node.lineno))
    return found


def test_table_lists_every_module():
    table = _layer_table()
    modules = {p.stem if p.is_file() else p.name for p in SRC.iterdir() if not p.name.startswith("_") and (p.suffix == ".py" or p.is_dir())}
    modules.discard("__pycache__")
    assert modules <= set(table) | {"__init__"}, sorted(modules - set(table))


@pytest.mark.parametrize("module", list(_layer_table()))
def test_imports_follow_the_layer_table(module):
    table = _layer_table()
    order = list(table)
    above = set(order[: order.index(module)])
    allowed = above if table[module] is None else table[module] | {"errors"}
    assert allowed <= above | {"errors"}, f"{module} lists dependencies below it: {sorted(allowed - above)}"
    base = SRC / module
    files = sorted(base.rglob("*.py")) if base.is_dir() else [SRC / f"{module}.py"]
    wrong, private = [], []
    for path in files:
        for target_module, name, line in _imports(path):
            where = f"{path.relative_to(ROOT)}:{line} imports {name}"
            if target_module != module and target_module not in allowed and target_module != "__version__":
                wrong.append(where)
            if target_module != module and any(part.startswith("_") and part != "__version__" for part in name.split(".")[2:]):
                private.append(where)
    assert not wrong, f"imports the table does not allow for seqlens.{module}: {wrong}"
    assert not private, f"private modules of other packages: {private}"
