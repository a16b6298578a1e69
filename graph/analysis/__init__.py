"""The analyses auditors run on the access graph: their results and the saved queries."""

from __future__ import annotations

from graph.analysis.results import MAX_NESTING, Access, AccessPath, BlastRadius, Requester
from graph.analysis.saved import SAVED_QUERIES, Finding, SavedQuery, run_saved_query

__all__ = [
    "MAX_NESTING",
    "SAVED_QUERIES",
    "Access",
    "AccessPath",
    "BlastRadius",
    "Finding",
    "Requester",
    "SavedQuery",
    "run_saved_query",
]
