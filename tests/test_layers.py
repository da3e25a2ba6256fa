"""No import runs up a layer (ARCHITECTURE.md): every module of the package is given a
layer, and each of its imports (at the top, inside functions, or for type checking) must
reach the same layer or a lower one."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "restate_cli"

# (prefix, layer), most specific prefix first. Modules of one layer may import each other.
LAYERS: list[tuple[str, int]] = [
    # the embedded runtime, bottom to top
    ("restate_cli.embedded.errors", 10),
    ("restate_cli.embedded.locate", 10),
    ("restate_cli.embedded.protocol", 11),
    ("restate_cli.embedded.store", 12),
    ("restate_cli.embedded.engine", 13),
    ("restate_cli.embedded.runtime", 14),
    ("restate_cli.embedded.kafka", 14),
    ("restate_cli.embedded.api", 15),
    ("restate_cli.embedded.server", 16),
    ("restate_cli.embedded.inprocess", 16),
    ("restate_cli.embedded", 10),
    # the command-line tool, bottom to top (the embedded runtime is a backend of the client)
    ("restate_cli.admin", 20),
    ("restate_cli.render", 21),
    ("restate_cli.demo", 22),
    ("restate_cli.commands", 23),
    ("restate_cli.app", 23),
    ("restate_cli.completion", 23),
    ("restate_cli.__main__", 24),
    # shared by everything
    ("restate_cli", 0),
]


def layer(module: str) -> int:
    for prefix, rank in LAYERS:
        if module == prefix or module.startswith(prefix + "."):
            return rank
    raise AssertionError(f"no layer for {module}")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports(path: Path) -> list[tuple[int, str]]:
    """Every ``restate_cli`` module that ``path`` imports, with the line."""
    here = module_name(path).split(".")
    package = here if path.name == "__init__.py" else here[:-1]
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package[: len(package) - node.level + 1] + ([base] if base else []))
            found += [(node.lineno, f"{base}.{a.name}") for a in node.names]
    return [(line, name) for line, name in found if name.startswith("restate_cli")]


MODULES = sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE.parent)))
def test_no_import_runs_up_a_layer(path: Path) -> None:
    importer = module_name(path)
    upward = [f"line {line}: {name}" for line, name in imports(path) if layer(name) > layer(importer)]
    assert not upward, f"{importer} (layer {layer(importer)}) imports from higher layers: {upward}"


def test_the_two_stacks_meet_only_through_the_client() -> None:
    """The runtime never imports the command-line tool; of the tool, only the admin client's
    backend (and completion, which reads the same backend) reaches into the runtime, and only
    where it is mounted or located."""
    crossings = []
    for path in MODULES:
        importer = module_name(path)
        for line, name in imports(path):
            runtime_side = importer.startswith("restate_cli.embedded")
            if runtime_side and layer(name) >= 20:
                crossings.append(f"{importer}:{line} -> {name}")
            if (
                not runtime_side
                and name.startswith("restate_cli.embedded")
                and not (
                    name.startswith(("restate_cli.embedded.locate", "restate_cli.embedded.inprocess"))
                    or importer == "restate_cli.commands.dev"
                )
            ):
                crossings.append(f"{importer}:{line} -> {name}")
    assert not crossings
