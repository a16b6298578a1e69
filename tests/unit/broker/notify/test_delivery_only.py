"""`notify` only delivers: it never reaches back into the domain to work out who is told.

Who is told is decided by the use cases (through `broker.approval`'s recipients rule); the
notify package may lean only on the broker's leaf libraries, which import nothing else of
the broker, so no import path leads from delivery back to plans, flows or the graph reads."""

from __future__ import annotations

import ast
from pathlib import Path

import broker

_BROKER = Path(broker.__file__).parent
# Shared libraries with no domain in them: typed errors, retry backoff, outbound checks.
_LEAVES = frozenset({"broker.errors", "broker._backoff", "broker.outbound"})


def _broker_imports(path: Path) -> set[str]:
    """Every `broker...` module `path` imports, at the top, inside functions or for typing."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        found.update(n for n in names if n == "broker" or n.startswith("broker."))
    return found


def test_notify_imports_nothing_of_the_broker_but_itself_and_leaf_libraries() -> None:
    reaching_out = {
        f"{path.name}: {module}"
        for path in sorted((_BROKER / "notify").glob("*.py"))
        for module in _broker_imports(path)
        if not module.startswith("broker.notify") and module not in _LEAVES
    }
    assert not reaching_out, f"notify reaches back into the broker: {sorted(reaching_out)}"


def test_the_leaf_libraries_notify_uses_import_only_each_other() -> None:
    for leaf in sorted(_LEAVES):
        path = _BROKER / f"{leaf.removeprefix('broker.')}.py"
        assert _broker_imports(path) <= _LEAVES, f"{leaf} is no leaf any more"
