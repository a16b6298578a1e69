"""The API and the CLI reach the broker through its public surface (`broker.__all__`) only:
its areas may be regrouped without the API noticing."""

from __future__ import annotations

import ast
from pathlib import Path

import broker

API = Path(__file__).resolve().parents[3] / "api"


def _broker_imports(source: str) -> list[tuple[int, str, str]]:
    """(line, module, name) of every import from the broker in `source`."""
    found: list[tuple[int, str, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "broker":
            found += [(node.lineno, node.module or "", alias.name) for alias in node.names]
        elif isinstance(node, ast.Import):
            found += [
                (node.lineno, alias.name, "")
                for alias in node.names
                if alias.name.split(".")[0] == "broker"
            ]
    return found


def test_the_finder_sees_deep_and_lazy_imports() -> None:
    source = "def f():\n    from broker.reads.queries import my_requests\nimport broker.jobs\n"
    assert sorted(_broker_imports(source)) == [
        (2, "broker.reads.queries", "my_requests"),
        (3, "broker.jobs", ""),
    ]


def test_the_api_imports_only_the_brokers_public_names() -> None:
    public = set(broker.__all__)
    stray = [
        f"{path.relative_to(API.parent)}:{line}: {module} {name}".rstrip()
        for path in sorted(API.rglob("*.py"))
        for line, module, name in _broker_imports(path.read_text())
        if module != "broker" or name not in public
    ]
    # `import broker` itself is the surface: attribute use is checked by mypy.
    stray = [s for s in stray if not s.endswith(": broker")]
    assert stray == [], "import these from `broker` (add them to broker.__all__ if needed)"
