"""Run a GraphQL document as the HTTP endpoint does (`api.graphql.operation`), without HTTP."""

from __future__ import annotations

import asyncio
from typing import Any

from graphql import ExecutionResult

from api.graphql.operation import run_operation


def execute_sync(
    query: str, *, context_value: dict[str, Any], variables: dict[str, Any] | None = None
) -> ExecutionResult:
    return asyncio.run(run_operation(context_value, query, variables=variables))
