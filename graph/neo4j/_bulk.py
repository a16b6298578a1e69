"""A first load for Neo4j: upsert batches written as the CSV files of its offline importer.

`neo4j-admin database import full` builds a store from CSV files far faster than any
Cypher can (no transactions, no index updates); it only takes data that is right up front.
`write_csv` writes one node file per kind and one relationship file per (edge kind, source
kind, target kind), typed from graph.model, so that the imported graph reads back as the
same upserts written online would: labels and types are the kind names, every node and
edge keeps its `key` property, a None or absent property is no property at all. One
difference the importer forces: it stores no empty array, so an empty list is no property.

It refuses, before the importer would, what a first load cannot mean: any op but an
upsert, a node or edge upserted twice (online, the second would merge into the first), an
edge whose endpoint no earlier op (or the same batch) creates, and values the CSV format
cannot carry. A refused export removes the files it wrote.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from graph.errors import GraphError, UnknownNode
from graph.model import EDGE_KINDS, NODE_KINDS, PropType
from graph.validate import check_new_node, check_ops
from graph.values import NodeRef, UpsertEdge, UpsertNode, WriteOp

ARRAY_DELIMITER = "\x1f"
"""Between the items of a list: the ASCII unit separator, which no tag or permission holds."""

IMPORT_OPTIONS = (
    "--array-delimiter=U+001F",
    "--bad-tolerance=0",  # a bad row fails the import instead of being skipped
)
"""What the importer needs to read these files as written; tests/neo4j's launcher passes
the same options (Neo4jLauncher.IMPORT_OPTIONS)."""

MULTILINE = "multiline-fields"
"""An empty file `write_csv` leaves next to the CSV files when a value holds a line break:
the importer then needs `--multiline-fields=true`, which slows it down, so only then."""

NODE_FILES = "nodes-*.csv"
RELATIONSHIP_FILES = "relationships-*.csv"

_TYPES: dict[PropType, str] = {
    str: "string",
    int: "long",
    float: "double",
    bool: "boolean",
    list: "string[]",
}


class BulkExportError(GraphError):
    """The ops cannot be written as a first load for the offline importer."""


@dataclass(frozen=True)
class CsvExport:
    """The files one `write_csv` wrote and how many nodes and relationships they hold."""

    directory: Path
    node_files: tuple[Path, ...]
    relationship_files: tuple[Path, ...]
    nodes: int
    relationships: int
    multiline: bool

    def command(self, database: str = "neo4j") -> list[str]:
        """The neo4j-admin command line importing these files (Neo4j stopped)."""
        return [
            "neo4j-admin",
            "database",
            "import",
            "full",
            database,  # first: a file option takes every argument after it for a file
            *IMPORT_OPTIONS,
            *(["--multiline-fields=true"] if self.multiline else []),
            *(f"--nodes={path}" for path in self.node_files),
            *(f"--relationships={path}" for path in self.relationship_files),
        ]


def write_csv(batches: Iterable[Sequence[WriteOp]], directory: str | Path) -> CsvExport:
    """Write the upserts of `batches` into `directory` (created if needed; it must hold no
    earlier export), each batch's nodes before its edges, as online imports apply them."""
    target = Path(directory)
    target.mkdir(parents=True, exist_ok=True)
    stale = sorted([*target.glob(NODE_FILES), *target.glob(RELATIONSHIP_FILES)])
    stale += [target / MULTILINE] if (target / MULTILINE).exists() else []
    if stale:
        raise BulkExportError(
            f"`{target}` already holds an export (`{stale[0].name}`): "
            "write into an empty directory or remove the old files"
        )
    writer = _Writer(target)
    try:
        for batch in batches:
            writer.batch(batch)
    except BaseException:
        writer.close()
        for path in writer.paths():
            path.unlink(missing_ok=True)
        raise
    writer.close()
    export = writer.export()
    if export.multiline:
        (target / MULTILINE).touch()
    return export


class _File:
    """One open CSV file and the formatter of each of its property columns."""

    def __init__(self, path: Path, head: Sequence[str], props: Mapping[str, PropType]) -> None:
        self.path = path
        self.columns = {name: (i, _FORMATS[kind]) for i, (name, kind) in enumerate(props.items())}
        self.empty = [""] * len(props)
        self.rows = 0
        self.ids: set[Any] = set()  # what this file holds: node keys or edge identities
        self.multiline = False
        self.out: IO[str] = path.open("w", encoding="utf-8", newline="")
        columns = [*head, *(f"{name}:{_TYPES[kind]}" for name, kind in props.items())]
        self.out.write(",".join(columns) + "\n")

    def write(self, op: UpsertNode | UpsertEdge, lead: str, props: Mapping[str, Any]) -> None:
        """One row: `lead` (the ids) and then the props, each in its column (check_ops has
        made sure each is declared); an absent one leaves its column empty."""
        fields = self.empty.copy()
        try:
            for name, value in props.items():
                column, format_ = self.columns[name]
                fields[column] = format_(value)
        except _Unwritable as bad:
            raise BulkExportError(f"{_name(op)}: {bad}") from None
        row = ",".join([lead, *fields])
        if "\n" in row or "\r" in row:
            self.multiline = True
        self.out.write(row + "\n")
        self.rows += 1


class _Writer:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.node_files: dict[str, _File] = {}
        self.edge_files: dict[tuple[str, str, str], _File] = {}
        self.keys: dict[str, set[str]] = {}  # the node keys written, by kind

    def batch(self, ops: Sequence[WriteOp]) -> None:
        check_ops(ops)
        edges: list[UpsertEdge] = []
        for op in ops:
            if isinstance(op, UpsertNode):
                self.node(op)
            elif isinstance(op, UpsertEdge):
                edges.append(op)
            else:
                raise BulkExportError(
                    f"a first load takes upserts only, not `{type(op).__name__}` on "
                    f"{op.kind} `{op.key}`: apply it online after the import"
                )
        for edge in edges:
            self.edge(edge)

    def node(self, op: UpsertNode) -> None:
        check_new_node(op.kind, op.key, op.props)
        file = self.node_files.get(op.kind) or self._node_file(op.kind)
        keys = file.ids
        if op.key in keys:
            raise BulkExportError(
                f"{_name(op)} is upserted twice: a first load creates each node once, "
                "so merge its properties into one upsert"
            )
        keys.add(op.key)
        file.write(op, f'"{_quoted(op.key)}",{op.kind}', op.props)

    def edge(self, op: UpsertEdge) -> None:
        src, dst = op.src, op.dst
        if src.key not in self.keys.get(src.kind, ()):
            raise UnknownNode(NodeRef(src.kind, src.key))
        if dst.key not in self.keys.get(dst.kind, ()):
            raise UnknownNode(NodeRef(dst.kind, dst.key))
        sort = (op.kind, src.kind, dst.kind)
        file = self.edge_files.get(sort) or self._edge_file(sort)
        held = len(file.ids)
        file.ids.add((src.key, dst.key, op.key))
        if len(file.ids) == held:
            raise BulkExportError(
                f"{_name(op)} keyed `{op.key}` is upserted twice: a first load creates "
                "each edge once, so merge its properties into one upsert"
            )
        lead = f'"{_quoted(src.key)}","{_quoted(dst.key)}",{op.kind},"{_quoted(op.key)}"'
        file.write(op, lead, op.props)

    def _node_file(self, kind: str) -> _File:
        path = self.directory / f"nodes-{kind}.csv"
        head = (f"key:ID({kind})", ":LABEL")
        file = self.node_files[kind] = _File(path, head, NODE_KINDS[kind].properties)
        self.keys[kind] = file.ids
        return file

    def _edge_file(self, sort: tuple[str, str, str]) -> _File:
        kind, src_kind, dst_kind = sort
        path = self.directory / f"relationships-{kind}-{src_kind}-{dst_kind}.csv"
        head = (f":START_ID({src_kind})", f":END_ID({dst_kind})", ":TYPE", "key:string")
        file = self.edge_files[sort] = _File(path, head, EDGE_KINDS[kind].properties)
        return file

    def close(self) -> None:
        for file in [*self.node_files.values(), *self.edge_files.values()]:
            file.out.close()

    def paths(self) -> list[Path]:
        return [file.path for file in [*self.node_files.values(), *self.edge_files.values()]]

    def export(self) -> CsvExport:
        return CsvExport(
            directory=self.directory,
            node_files=tuple(sorted(f.path for f in self.node_files.values())),
            relationship_files=tuple(sorted(f.path for f in self.edge_files.values())),
            nodes=sum(f.rows for f in self.node_files.values()),
            relationships=sum(f.rows for f in self.edge_files.values()),
            multiline=any(
                f.multiline for f in [*self.node_files.values(), *self.edge_files.values()]
            ),
        )


def _name(op: UpsertNode | UpsertEdge) -> str:
    if isinstance(op, UpsertNode):
        return f"{op.kind} `{op.key}`"
    return f"the {op.kind} edge from {op.src.kind} `{op.src.key}` to {op.dst.kind} `{op.dst.key}`"


# --- values ----------------------------------------------------------------------------------
# An unquoted empty field is no property; a quoted one ("") is the empty string.


class _Unwritable(Exception):
    pass


_LONG = 2**63


def _quoted(text: str) -> str:
    return text.replace('"', '""')


def _string(value: Any) -> str:
    if value is None:
        return ""
    return '"' + str(value).replace('"', '""') + '"'


def _long(value: Any) -> str:
    if value is None:
        return ""
    if not -_LONG <= value < _LONG:
        raise _Unwritable(f"`{value}` does not fit in a 64-bit integer")
    return str(value)


def _double(value: Any) -> str:
    if value is None:
        return ""
    number = float(value)
    if not math.isfinite(number):
        raise _Unwritable(f"`{value}` is not a finite number, which the importer cannot read")
    return repr(number)  # the shortest text that reads back as the same double


def _boolean(value: Any) -> str:
    return "" if value is None else ("true" if value else "false")


def _strings(value: Any) -> str:
    # The importer stores no empty array: an empty list becomes no property, which every
    # reader takes for the same (`props.get(name) or ()`). A lone empty item would too.
    if not value:
        return ""
    if len(value) == 1 and not value[0]:
        raise _Unwritable("a list of one empty string cannot be imported: write it online")
    for item in value:
        if ARRAY_DELIMITER in item:
            raise _Unwritable(
                f"the list item `{item}` holds the unit separator (U+001F), which the importer "
                "takes for a separator: write this list online"
            )
    return _string(ARRAY_DELIMITER.join(value))


_FORMATS: dict[PropType, Callable[[Any], str]] = {
    str: _string,
    int: _long,
    float: _double,
    bool: _boolean,
    list: _strings,
}
