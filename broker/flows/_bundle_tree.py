"""What a bundle holds, through the bundles nested in it: the one walk of `COVERS` edges that
requesting a bundle, saving one (no bundle inside itself) and confining a grant all read."""

from __future__ import annotations

from dataclasses import dataclass

from graph import GraphStore, NodeRef


@dataclass(frozen=True)
class BundleTree:
    bundles: frozenset[str]  # the bundle itself and every bundle nested in it
    items: tuple[NodeRef, ...]  # the Resources and Integrations held, each once, by key


def bundle_tree(store: GraphStore, bundle: str) -> BundleTree:
    """`bundle` walked to every depth; a cycle (which saving refuses) ends the walk."""
    seen: set[str] = set()
    items: set[NodeRef] = set()
    todo = [bundle]
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        for edge in store.edges("COVERS", src=NodeRef("Bundle", current)):
            if edge.dst.kind == "Bundle":
                todo.append(edge.dst.key)
            else:
                items.add(edge.dst)
    ordered = tuple(sorted(items, key=lambda ref: (ref.key, ref.kind)))
    return BundleTree(bundles=frozenset(seen), items=ordered)
